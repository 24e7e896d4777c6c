"""A tutorial notebook runs from a replay folder: recorded once through the proxy, then offline.

The teacher's rehearsal is simulated with the notebook's own script on an emulator standing in
for the API: the notebook runs live (a key, ``CLAUDE_MAGIC_LIVE=1``, the base URL of the
recording proxy), then again with only ``CLAUDE_MAGIC_REPLAY`` set, no key. Two kernel runs
of the quickstart: about 30 s, the price of proving the workshop path end to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_notebooks_execute import NOTEBOOKS, execute

from claude_magic.emulator import serve

SENTINEL = "sk-ant-teacher-key-never-on-disk-42"


def _outputs(nb: Any) -> list[list[str]]:
    """Each code cell's stdout and text/plain outputs."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            texts = [o.get("text", "") if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")
                     for o in cell.outputs]  # fmt: skip
            cells.append(texts)
    return cells


def _problems(nb: Any) -> list[str]:
    problems = []
    for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"code cell {number}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"code cell {number} wrote to stderr: {output.text!r}")
    return problems


def test_the_quickstart_runs_from_a_folder_recorded_through_the_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = NOTEBOOKS / "00_quickstart.ipynb"
    folder = tmp_path / "quickstart-recording"
    with serve(NOTEBOOKS / "00_quickstart.toml") as api, serve(record=folder, upstream=api.url) as proxy:
        monkeypatch.setenv("ANTHROPIC_API_KEY", SENTINEL)
        monkeypatch.setenv("CLAUDE_MAGIC_LIVE", "1")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", proxy.url)
        rehearsal = execute.run_notebook(notebook)
    for name in ("ANTHROPIC_API_KEY", "CLAUDE_MAGIC_LIVE", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("CLAUDE_MAGIC_REPLAY", str(folder))
    lesson = execute.run_notebook(notebook)

    assert _problems(rehearsal) == [] and _problems(lesson) == []
    rehearsed, replayed = _outputs(rehearsal), _outputs(lesson)
    assert "replaying the answers recorded in quickstart-recording" in replayed[0][0]
    assert replayed[9] == rehearsed[9] == ["['Miso', 'Pixel', 'Biscuit']"]  # cat_names, from the recording
    assert replayed[19] == rehearsed[19]  # the chat's answers, printed
    assert len(list(folder.glob("*.json"))) >= 12
    assert SENTINEL not in "".join(p.read_text() for p in folder.glob("*.json"))
