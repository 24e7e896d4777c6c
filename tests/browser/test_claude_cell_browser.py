"""%%claude in a real JupyterLab page: live streaming, final Markdown, Stop."""

from __future__ import annotations

from typing import Any

SCRIPT = '''
[[rules]]
match = "markdown"
ttft = 0.3
tokens_per_second = 25
[[rules.blocks]]
type = "text"
text = """## Reading a CSV file

Three steps:

- Import pandas.
- Call `read_csv` with the path.
- Look at the first rows.

```python
df = pd.read_csv("data.csv")
```

That is all."""

[[rules]]
match = "long"
tokens_per_second = 5
[[rules.blocks]]
type = "text"
text = """{long}"""
'''.replace("{long}", " ".join(f"word{i}" for i in range(400)))


def _setup_cell(root: Any) -> str:
    (root / "browser_script.toml").write_text(SCRIPT)
    return "%load_ext claude_magic\n%claude_offline --script browser_script.toml"


def _live_text(nb: Any, index: int) -> str:
    return "".join(nb.cell(index).locator(".claude-live-body").all_inner_texts())


def test_claude_cell_streams_live_then_stands_as_rendered_html(open_notebook, lab) -> None:
    nb = open_notebook([_setup_cell(lab.root), "%%claude\nShow me markdown"])
    nb.run(0)
    nb.wait_done(0)
    assert "local emulator" in nb.cell(0).locator(".jp-OutputArea").inner_text()
    nb.run(1)
    nb.cell(1).locator(".claude-live-body", has_text="Reading a CSV").wait_for(timeout=15_000)
    seen_while_running = []
    while nb.running(1):
        seen_while_running.append(_live_text(nb, 1))
        nb.page.wait_for_timeout(100)
    nb.wait_done(1)
    partial = [text for text in seen_while_running if text and "That is all." not in text]
    assert partial, "no part of the answer was on the page before the stream ended"
    nb.screenshot("claude-cell-final")

    output = nb.cell(1).locator(".jp-OutputArea")
    assert output.locator(".claude-live").count() == 0
    assert "Error displaying widget" not in output.inner_text()
    answer = output.locator(".claude-answer").first
    assert answer.locator("h2").inner_text() == "Reading a CSV file"
    assert answer.locator("li").count() == 3
    assert "pd.read_csv" in answer.locator("pre code").inner_text()
    assert "claude-sonnet-4-6 · " in output.inner_text()  # the usage footer


def test_stop_button_halts_a_long_claude_stream(open_notebook, lab) -> None:
    nb = open_notebook([_setup_cell(lab.root), "%%claude\nTell me a long story",
                        "import claude_magic\nprint(claude_magic.history[-1].status)"])
    nb.run(0)
    nb.wait_done(0)
    nb.run(1)
    nb.cell(1).locator(".claude-live-body", has_text="word3 ").wait_for(timeout=15_000)
    nb.cell(1).locator(".claude-live-stop").click()
    nb.wait_done(1, timeout=10)  # 400 words at 5 a second would take 80 s
    text = nb.cell(1).locator(".jp-OutputArea").inner_text()
    assert "word3" in text and "word399" not in text
    assert "partial answer is kept" in text
    nb.run(2)
    nb.wait_done(2)
    assert nb.cell(2).locator(".jp-OutputArea").inner_text().strip() == "interrupted"
    nb.screenshot("claude-cell-stopped")
