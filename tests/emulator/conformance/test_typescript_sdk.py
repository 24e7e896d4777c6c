"""The official TypeScript SDK against the emulator: ``ts/checks.mjs`` run by Node.

``npm install`` puts the SDK version pinned in ``ts/package.json`` into a folder under the
pytest cache (never into the repository); ``checks.mjs`` and ``package.json`` are copied
beside it on every run, so an edit to either is what runs. Skipped only where ``node`` or
``npm`` is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from claude_magic.emulator import Emulator

from .conftest import cache_folder

TS = Path(__file__).parent / "ts"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="the TypeScript SDK checks need Node.js and npm on PATH",
)


def _installed(config: pytest.Config) -> Path:
    pinned = json.loads((TS / "package.json").read_text())["dependencies"]["@anthropic-ai/sdk"]
    folder = cache_folder(config, f"ts-sdk-{pinned}")
    shutil.copy(TS / "package.json", folder / "package.json")
    shutil.copy(TS / "checks.mjs", folder / "checks.mjs")
    if not (folder / "node_modules" / "@anthropic-ai" / "sdk" / "package.json").exists():
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=folder, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"npm install failed:\n{done.stderr[-2000:]}"
    installed = json.loads((folder / "node_modules" / "@anthropic-ai" / "sdk" / "package.json").read_text())
    assert installed["version"] == pinned
    return folder


def test_the_typescript_sdk_checks_pass(pytestconfig: pytest.Config) -> None:
    folder = _installed(pytestconfig)
    with Emulator(TS / "rules.json") as server:
        done = subprocess.run(
            ["node", "checks.mjs"],
            # Only what Node needs: no ANTHROPIC_* setting of this machine reaches the SDK.
            cwd=folder, env={"PATH": os.environ.get("PATH", ""), "EMULATOR_URL": server.url},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    failed = [f"{r['name']}: {r.get('detail', '')}" for r in results if not r["ok"]]
    print(f"{len(results) - len(failed)} of {len(results)} TypeScript SDK checks pass")

    assert len(results) >= 20, done.stdout + done.stderr
    assert failed == [], "\n\n".join(failed)
    assert done.returncode == 0, done.stderr
