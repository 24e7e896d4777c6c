"""Thinking in a real JupyterLab: it streams above the answer, open, folds when the answer starts,
never runs model HTML, and the saved output keeps it collapsed."""

from __future__ import annotations

THOUGHT = 'First I weigh both readings. <img src=x onerror="window.__pwned=1"> Then I pick one.'
ANSWER = "The answer is **42**."

CELL = f"""
import asyncio
from claude_magic.core.lanes import Ending, Text, Thinking
from claude_magic.display.widget import WidgetSink

sink = WidgetSink()
sink.begin()
thought = {THOUGHT!r}
for i in range(0, len(thought), 6):
    sink.push(Thinking(thought[i:i + 6]))
    await asyncio.sleep(0.05)
await asyncio.sleep(2.5)  # thinking done, answer not started: the block is open
for word in {ANSWER!r}.split(" "):
    sink.push(Text(word + " "))
    await asyncio.sleep(0.2)
await asyncio.sleep(1.5)  # the answer streams: the block is folded
sink.end(Ending("footer"))
"""


def test_thinking_streams_open_above_the_answer_then_folds_and_saves_collapsed(open_notebook, lab) -> None:
    nb = open_notebook([CELL])
    nb.run(0)
    cell = nb.cell(0)
    thinking = cell.locator(".claude-live-thinking")
    cell.locator(".claude-live-thinking-body", has_text="Then I pick one.").wait_for(timeout=20_000)
    assert thinking.evaluate("d => d.open") is True
    assert cell.locator(".claude-live-body").inner_text().strip() == ""
    nb.screenshot("thinking-open")
    cell.locator(".claude-live-body", has_text="answer").wait_for(timeout=20_000)
    nb.page.wait_for_timeout(300)
    assert thinking.evaluate("d => d.open") is False
    # Above the answer, in the same live area.
    assert thinking.evaluate(
        "d => !!(d.compareDocumentPosition(d.parentElement.querySelector('.claude-live-body')) & 4)")
    nb.screenshot("thinking-folded")
    nb.wait_done(0)
    assert nb.page.evaluate("() => window.__pwned") is None
    # The saved output: answer, then the thinking in a collapsed <details>, then the footer.
    saved = cell.locator("details.claude-thinking")
    saved.wait_for(timeout=10_000)
    assert saved.evaluate("d => d.open") is False
    assert '<img src=x onerror="window.__pwned=1">' in saved.evaluate("d => d.textContent")
    saved.locator("summary").click()
    assert "Then I pick one." in saved.inner_text()
    assert nb.page.evaluate("() => window.__pwned") is None
    notebook = nb.save(lab.root)
    html = ["".join(o["data"]["text/html"]) for o in notebook["cells"][0]["outputs"] if "text/html" in o.get("data", {})]
    # The answer, its thinking (collapsed), the footer: each HTML from the one renderer or escaped.
    thinking = [h for h in html if h.startswith('<details class="claude-thinking"')]
    assert len(html) == 3 and len(thinking) == 1 and "&lt;img" in thinking[0] and "<img" not in thinking[0]
