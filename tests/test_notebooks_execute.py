"""The tutorial notebooks run end to end offline: no errors, nothing on stderr, the emulator.

Each notebook is executed in a fresh kernel with nbclient, the way notebooks/execute.py
saves them, with no API key in the environment. Output *values* are compared by
``pytest --nbval notebooks/ --nbval-sanitize-with notebooks/sanitize.cfg``; this test
checks what must hold whatever the values: every cell runs, nothing is written to stderr
(a warning or log line shows in red under a cell), every widget displayed has a text/plain
without a memory address (nbval compares it), and the first code cell says that the
answers come from the local emulator, using the notebook's own script.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _load_execute() -> Any:
    spec = importlib.util.spec_from_file_location("notebooks_execute", NOTEBOOKS / "execute.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execute = _load_execute()
PATHS = execute.notebooks()


def test_every_lesson_is_here() -> None:
    names = [p.name for p in PATHS]
    assert names == [
        "00_quickstart.ipynb",
        "01_sync_stream.ipynb",
        "02_raw_events.ipynb",
        "03_async_stream.ipynb",
        "04_tool_use.ipynb",
        "05_error_handling.ipynb",
        "06_thinking_caching_json.ipynb",
        "07_your_data.ipynb",
    ]


def _text(output: Any) -> str:
    if output.output_type == "stream":
        return str(output.text)
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return str(output.get("data", {}).get("text/plain", ""))


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_offline_without_errors_or_stderr(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("CLAUDE_MAGIC_LIVE", raising=False)
    started = time.monotonic()
    nb = execute.run_notebook(path)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"{path.name} took {elapsed:.0f} s: keep the pacing of its script small"

    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    problems = []
    for number, cell in enumerate(code_cells):
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"code cell {number}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"code cell {number} wrote to stderr: {output.text!r}")
            elif "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
                # nbval skips the widget view and compares text/plain: it must not vary.
                plain = _text(output)
                if re.search(r" at 0x[0-9a-f]+", plain):
                    problems.append(f"code cell {number}: a widget without a deterministic text/plain: {plain!r}")
    assert not problems, "\n".join(problems)

    first = code_cells[0]
    script = f"{path.stem}.toml"
    assert "%load_ext claude_magic" in first.source
    assert re.search(rf"claude_magic\.backend\(\s*\"{re.escape(script)}\"", first.source), first.source
    assert (path.parent / script).is_file(), f"{script} must sit next to {path.name}"
    said = "\n".join(_text(output) for output in first.outputs)
    assert said.startswith("Backend: the local emulator"), said
    assert f"answers scripted in {script}" in said, said
