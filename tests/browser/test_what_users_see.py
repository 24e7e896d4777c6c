"""What a user sees in JupyterLab: the wait, the emulated marker, a still layout at the end,
one line for an interrupt, and a Chat's transcript in the saved notebook."""

from __future__ import annotations

import pytest

from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

SCRIPT = '''
[[rules]]
match = "slow"
ttft = 2.5
# Slow enough (about 3 s) that the page shows the answer streaming before it ends.
tokens_per_second = 6
[[rules.blocks]]
type = "text"
text = """The first words came late.

A second paragraph, so the answer has some height on the page."""

[[rules]]
match = "long"
tokens_per_second = 8
[[rules.blocks]]
type = "text"
text = """{long}"""

[[rules]]
match = "bridge"
[[rules.blocks]]
type = "text"
text = "The **Pont Neuf** is the oldest."
'''.replace("{long}", " ".join(f"word{i}" for i in range(300)))


def _setup_cell(root: Any) -> str:
    (root / "ux_script.toml").write_text(SCRIPT)
    return "%load_ext claude_magic\n%claude_offline --script ux_script.toml"


def _top(locator: Any) -> float | None:
    """The element's top, or None when it is not there (the live area may go between two looks)."""
    try:
        box = locator.bounding_box(timeout=200) if locator.count() else None
    except PlaywrightTimeoutError:
        box = None
    return None if box is None else box["y"]


@pytest.mark.parametrize("front_end", ["lab", "notebook7"])
def test_wait_line_emulated_footer_still_layout_and_a_one_line_interrupt(open_notebook, lab, front_end) -> None:
    nb = open_notebook([_setup_cell(lab.root), "%%claude\nslow start please", "%%claude\nA long story",
                        "queued_ran = True", "print('queued_ran' in globals())", "%claude_usage"],
                       front_end=front_end)
    nb.run(0)
    nb.wait_done(0)
    nb.run(1)
    notice = nb.cell(1).locator(".claude-live-notice", has_text="waiting for the first token… 1 s")
    notice.wait_for(timeout=15_000)
    nb.screenshot("waiting")
    # The first words, as raw text in the tail or as a finished block: where the answer streams.
    first_line = nb.cell(1).locator(".claude-live-body", has_text="The first words")
    first_line.wait_for(timeout=15_000)
    live_top = None
    while nb.running(1):
        live_top = _top(first_line) or live_top
        nb.page.wait_for_timeout(50)
    nb.wait_done(1)
    final_top = _top(nb.cell(1).locator(".claude-answer").first)
    assert live_top is not None and final_top is not None
    assert abs(final_top - live_top) <= 4, (live_top, final_top)  # the answer stays where it streamed
    output = nb.cell(1).locator(".jp-OutputArea").inner_text()
    assert "· emulated" in output
    nb.screenshot("emulated-footer")

    nb.run(2)
    nb.cell(2).locator(".claude-live-body", has_text="word3 ").wait_for(timeout=15_000)
    nb.run(3)  # queued behind the stream
    nb.page.keyboard.press("Escape")
    nb.page.keyboard.press("i")
    nb.page.keyboard.press("i")  # the kernel's interrupt, as a user presses it
    nb.wait_done(2, timeout=15)
    text = nb.cell(2).locator(".jp-OutputArea").inner_text()
    assert "word3" in text and "word299" not in text
    assert "Traceback" not in text and "CancelledError" not in text
    error = nb.cell(2).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    lines = [line for line in error.inner_text().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("⚠ Stopped: the partial answer is kept."), lines
    nb.screenshot("interrupted")
    nb.run(4)
    nb.wait_done(4)
    assert nb.cell(4).locator(".jp-OutputArea").inner_text().strip() == "False"  # the queued cell aborted

    nb.run(5)
    nb.wait_done(5)
    model = nb.cell(5).locator("td", has_text="claude-sonnet-4-6").first
    height = model.bounding_box()["height"]
    line = nb.cell(5).locator("td", has_text="ok").first.bounding_box()["height"]
    assert height <= line + 1, (height, line)  # the model id on one line
    table = nb.cell(5).locator(".jp-OutputArea-output").first
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth + 1")  # no horizontal scrolling
    nb.screenshot("usage")


def test_a_chat_conversation_is_kept_in_the_saved_notebook(open_notebook, lab) -> None:
    nb = open_notebook([_setup_cell(lab.root), "chat = claude_magic.Chat()\nchat", "chat.transcript()"])
    nb.run(0)
    nb.wait_done(0)
    nb.run(1)
    nb.wait_done(1)
    chat = nb.cell(1)
    chat.locator(".claude-chat-prompt").fill("Which bridge is the oldest?")
    chat.locator(".claude-chat-send").click()
    chat.locator(".claude-chat-footer", has_text="emulated").wait_for(timeout=15_000)
    nb.run(2)
    nb.wait_done(2)
    assert "Pont Neuf" in nb.cell(2).locator(".jp-OutputArea").inner_text()
    saved = nb.save(lab.root)
    outputs = saved["cells"][2]["outputs"]
    # nbformat may store a text output as a list of lines.
    html = "".join("".join(o["data"].get("text/html", "")) for o in outputs if "data" in o)
    plain = "".join("".join(o["data"].get("text/plain", "")) for o in outputs if "data" in o)
    assert "<strong>Pont Neuf</strong>" in html and "You: Which bridge is the oldest?" in plain
    nb.screenshot("chat-transcript")
