"""Every code example of README.md runs as written, offline, in a real kernel.

The examples are taken from the README itself: each ```python block (an IPython session
transcript is split into its ``In [n]:`` cells, its output lines dropped) and each plain
fenced block that starts with a ``%`` magic. They run in order in one kernel with no API key,
so whatever the README shows must work against the emulator; any error fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernel_harness import Kernel, kernel_env

README = Path(__file__).resolve().parent.parent / "README.md"
#: The first line of a ```python block that is a script (run with python), not a notebook cell.
SCRIPT_MARK = "# A script"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_IN = re.compile(r"^In \[\d+\]: ?(.*)$")
_MORE = re.compile(r"^\s+\.\.\.: ?(.*)$")


def readme_cells(text: str) -> list[str]:
    """The README's runnable examples, as the cells a reader would type, in order."""
    cells: list[str] = []
    for lang, body in _FENCE.findall(text):
        if lang == "python":
            if body.startswith(SCRIPT_MARK):
                # A script, not a cell: run it as the README says, with python, from the kernel.
                cells.append(f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {body!r}], check=True)")
            elif any(_IN.match(line) for line in body.splitlines()):
                cells.extend(_session_cells(body))
            else:
                cells.append(body)
        elif not lang and body.lstrip().startswith("%"):
            cells.append(body)
    return cells


def _session_cells(body: str) -> list[str]:
    cells: list[list[str]] = []
    for line in body.splitlines():
        if match := _IN.match(line):
            cells.append([match.group(1)])
        elif cells and (match := _MORE.match(line)):
            cells[-1].append(match.group(1))
        # anything else is output
    return ["\n".join(cell) for cell in cells if "".join(cell).strip()]


def test_session_transcripts_split_into_cells_without_their_output() -> None:
    transcript = "In [1]: x = 1\n\nIn [2]: %%claude\n   ...: Hi there\nAn answer\nfooter\n"
    assert _session_cells(transcript) == ["x = 1", "%%claude\nHi there"]


@pytest.fixture
def kernel(tmp_path):
    # The README's examples run from the repository's folder ("from this folder"): the files they
    # name (notebooks/...) are there; what they write lands in the test's own folder.
    (tmp_path / "notebooks").symlink_to(Path(__file__).resolve().parents[1] / "notebooks")
    k = Kernel(kernel_env(tmp_path), cwd=str(tmp_path))
    yield k
    k.shutdown()


def test_every_readme_example_runs_offline_as_written(kernel) -> None:
    cells = readme_cells(README.read_text(encoding="utf-8"))
    assert len(cells) >= 8 and cells[0].startswith("%load_ext claude_magic")
    shown = {}
    for cell in cells:
        run = kernel.run(cell, timeout=60)
        assert run.status == "ok", f"README example failed:\n{cell}\n---\n{run.all_text}"
        assert not run.errors and "Error" not in run.stderr, f"{cell}\n---\n{run.all_text}"
        shown[cell] = run.all_text
    tools = next(text for cell, text in shown.items() if cell.startswith("%%claude --tools get_weather"))
    assert "get_weather(" in tools and "Take a light jacket" in tools  # the tool really ran, offline
