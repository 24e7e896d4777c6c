"""display="auto" without a front end (jupyter_client, nbclient, nbval): widget once, then Markdown.

The browser side (a view renders, the kernel stays with widgets) is in tests/browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest
from nbclient import NotebookClient

from claude_magic.display.html import render_answer_html
from claude_magic.emulator import Script, serve
from kernel_harness import Kernel, kernel_env

ROOT = Path(__file__).resolve().parents[2]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ANSWER = "An answer in **two** short sentences. It streams from the emulator."


@pytest.fixture
def emulator() -> Iterator[Any]:
    with serve(script=Script.from_dict({"rules": [{"blocks": [{"type": "text", "text": ANSWER}]}]})) as server:
        yield server


@pytest.fixture
def kernel(emulator: Any, tmp_path: Path) -> Iterator[Kernel]:
    env = kernel_env(tmp_path, ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY="sk-ant-test-auto-0123456789")
    k = Kernel(env, cwd=str(tmp_path))
    assert k.run("%load_ext claude_magic\nimport claude_magic.display.widget").status == "ok"
    yield k
    k.shutdown()


def _comm_opens(run: Any, model_name: str) -> list[str]:
    return [m["content"]["comm_id"] for _, m in run.of_type("comm_open")
            if m["content"]["data"]["state"].get("_model_name") == model_name]


def test_auto_tries_the_widget_once_then_uses_markdown_without_a_front_end(kernel: Kernel) -> None:
    assert kernel.value("claude_magic.display.widget.front_end_renders_widgets()") is None
    first = kernel.run("%%claude\nHello")
    assert first.status == "ok", first.all_text
    [area] = _comm_opens(first, "AnyModel")  # nothing known yet: the live area was tried

    # The next cell (any cell) sees the kernel marked, then closes the area that waited in vain.
    probe = kernel.run("from claude_magic.display import widget as _widget\n"
                       "print(_widget.front_end_renders_widgets(), _widget._front_end.waiting)")
    assert probe.stdout.split() == ["False", "1"]
    assert [m["content"]["comm_id"] for _, m in probe.of_type("comm_close")] == [area]
    assert kernel.value("claude_magic.display.widget._front_end.waiting") == 0

    second = kernel.run("%%claude\nAgain")
    assert second.status == "ok", second.all_text
    assert _comm_opens(second, "AnyModel") == []  # MarkdownSink: no widget at all
    live = [m["content"]["data"] for _, m in second.of_type("update_display_data")]
    assert any("text/html" in data for data in live)

    # Both cells leave the same outputs: the emptied live area, the answer, the footer.
    for run in (first, second):
        assert [o["data"] for o in run.outputs][:2] == [{"text/plain": ""}, {"text/html": render_answer_html(ANSWER),
                                                                             "text/plain": ANSWER}]


NOTEBOOK = [
    "import os\nos.environ['ANTHROPIC_BASE_URL'] = {url!r}\nos.environ['ANTHROPIC_API_KEY'] = 'sk-ant-test-nb-0123456789'",
    "%load_ext claude_magic",
    "%%claude\nFirst question",
    "%%claude\nSecond question",
]


def test_nbclient_saves_plain_outputs_and_nbval_passes_on_them(emulator: Any, tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src.format(url=emulator.url)) for src in NOTEBOOK]
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "auto.ipynb"
    nbformat.write(nb, path)

    first, second = nb.cells[2].outputs, nb.cells[3].outputs
    # The live area (a widget in the first cell, a plain display in the second) is saved emptied.
    assert [o["data"] for o in first][:2] == [o["data"] for o in second][:2] == [
        {"text/plain": ""}, {"text/html": render_answer_html(ANSWER), "text/plain": ANSWER}]
    # nbclient keeps the state of every widget ever opened: here only the first cell's area.
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    print("\nwidget models saved by nbclient:", sorted(s["model_name"] for s in state.values()),
          f"{len(json.dumps(state))} bytes")
    assert sorted(s["model_name"] for s in state.values()) == ["AnyModel", "LayoutModel"]

    # nbval compares a display's first appearance; the first cell's was the widget view with
    # text/plain "", which must match the saved (emptied) output.
    (tmp_path / "none.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(tmp_path / "none.ini"),
         "--rootdir", str(tmp_path), "--nbval", "--nbval-sanitize-with", str(ROOT / "notebooks" / "sanitize.cfg"),
         str(path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
