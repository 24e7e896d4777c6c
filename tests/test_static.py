"""The architecture and the code's hygiene, checked by tools on every CI run.

import-linter holds the layer contracts written in pyproject.toml (the core never imports
IPython or a display; the emulator stands alone; no import cycles), mypy checks types (strict
on the core and usage), ruff lints. Each prints its own findings when it fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed: pip install -e '.[test]'"
    return found


def test_layer_contracts_hold_and_there_is_no_import_cycle() -> None:
    result = _run(_tool("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


def test_types_check() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("target", ["claude_magic", "tests", "benchmarks", "notebooks"])
def test_ruff_finds_nothing(target: str) -> None:
    result = _run(sys.executable, "-m", "ruff", "check", "--output-format", "concise", target)
    assert result.returncode == 0, result.stdout + result.stderr
