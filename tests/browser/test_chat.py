"""The Chat playground in a real JupyterLab: type, Send, watch the reply stream, Stop it."""

from __future__ import annotations

import time
from typing import Any

SCRIPT = '''
[[rules]]
match = "long"
tokens_per_second = 30
delta_chars = 6
[[rules.blocks]]
type = "text"
text = """{long}"""

[[rules]]
match = "plan"
tokens_per_second = 25
delta_chars = 4
[[rules.blocks]]
type = "text"
text = """{answer}"""
'''

ANSWER = """## A plan

First, a short paragraph that takes a moment to stream, with **bold** words.

- wake up
- read <img src=x onerror="window.__pwned=1"> carefully
- write

That is the whole plan."""
LONG = " ".join(f"word{i}" for i in range(600))

SETUP = "%load_ext claude_magic\nimport claude_magic\nclaude_magic.backend('chat.toml')"
# Which thread the widget's events arrive on (JupyterLab may route them to a kernel subshell).
CHAT = ("import threading\nthreads = []\nchat = claude_magic.Chat()\n"
        "chat.on_msg(lambda _w, _content, _b: threads.append(threading.current_thread().name))\nchat")
STATE = (
    "import asyncio\n"
    "print(chat.messages[-1]['content'][:40], '|', claude_magic.history[-1].cell, claude_magic.history[-1].status)\n"
    "print('events on', sorted(set(threads)), 'stream on the kernel loop:', chat._task.get_loop() is asyncio.get_running_loop())"
)


def _answer_text(nb: Any) -> str:
    return "".join(nb.cell(1).locator(".claude-chat-answer .claude-live-body").all_inner_texts())


def _open_chat(open_notebook: Any, lab: Any) -> Any:
    (lab.root / "chat.toml").write_text(SCRIPT.format(answer=ANSWER, long=LONG))
    nb = open_notebook([SETUP, CHAT, STATE])
    for index in (0, 1):
        nb.run(index)
        nb.wait_done(index)
    nb.cell(1).locator(".claude-chat-prompt").wait_for(timeout=15_000)
    return nb


def test_typed_prompt_is_sent_and_the_reply_streams_into_the_page(open_notebook, lab) -> None:
    nb = _open_chat(open_notebook, lab)
    assert "Error displaying widget" not in nb.cell(1).locator(".jp-OutputArea").inner_text()
    prompt = nb.cell(1).locator(".claude-chat-prompt")
    prompt.click()
    nb.page.keyboard.type("Give me a plan")
    nb.cell(1).locator(".claude-chat-send").click()
    nb.cell(1).locator(".claude-chat-user", has_text="Give me a plan").wait_for(timeout=10_000)

    # Part of the reply is on the page while the stream is still running.
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not nb.cell(1).locator(".claude-chat-footer").inner_text():
        seen.append(len(_answer_text(nb)))
        nb.page.wait_for_timeout(100)
    nb.screenshot("chat-streamed")
    partial = [n for n in seen if 0 < n < len("That is the whole plan.") + 80]
    assert len(set(partial)) >= 3, seen
    footer = nb.cell(1).locator(".claude-chat-footer").inner_text()
    assert footer.startswith("claude-sonnet-4-6 · ") and " out" in footer

    answer = nb.cell(1).locator(".claude-chat-answer .claude-live-body")
    assert answer.locator("h2").inner_text() == "A plan"
    assert answer.locator("li").count() == 3
    assert "That is the whole plan." in answer.inner_text()
    # Model HTML is shown as text, never run.
    assert '<img src=x onerror="window.__pwned=1">' in answer.inner_text()
    assert answer.locator("img").count() == 0 and nb.page.evaluate("() => window.__pwned") is None
    assert nb.cell(1).locator(".claude-chat-send").is_enabled()

    # The conversation and its usage are reachable from Python; a widget Send has no cell.
    nb.run(2)
    nb.wait_done(2)
    state = nb.cell(2).locator(".jp-OutputArea").inner_text()
    print(f"\n{state}")
    assert "## A plan" in state and "| None ok" in state
    # Send may arrive on a subshell's thread; the answer streamed on the kernel's own loop.
    assert "stream on the kernel loop: True" in state


def test_stop_halts_a_long_stream(open_notebook, lab) -> None:
    nb = _open_chat(open_notebook, lab)
    nb.cell(1).locator(".claude-chat-prompt").fill("Say something long")
    nb.cell(1).locator(".claude-chat-send").click()
    nb.cell(1).locator(".claude-chat-answer .claude-live-body", has_text="word20").wait_for(timeout=15_000)
    assert nb.cell(1).locator(".claude-chat-stop").is_enabled()
    clicked = time.monotonic()
    nb.cell(1).locator(".claude-chat-stop").click()
    footer = nb.cell(1).locator(".claude-chat-footer")
    deadline = time.monotonic() + 10
    while not footer.inner_text() and time.monotonic() < deadline:
        nb.page.wait_for_timeout(50)
    elapsed = time.monotonic() - clicked
    nb.screenshot("chat-stopped")
    print(f"\nChat Stop: the answer ended {elapsed:.2f} s after the click; footer: {footer.inner_text()}")
    assert elapsed < 3
    assert footer.inner_text().endswith("interrupted")
    assert "Stopped: the partial answer is kept." in nb.cell(1).locator(".claude-chat-answer .claude-chat-error").inner_text()
    text = _answer_text(nb)
    nb.page.wait_for_timeout(1000)
    assert _answer_text(nb) == text  # nothing arrives after Stop
    assert "word599" not in text
    nb.run(2)
    nb.wait_done(2)
    assert "| None interrupted" in nb.cell(2).locator(".jp-OutputArea").inner_text()


def test_compare_streams_two_models_side_by_side(open_notebook, lab) -> None:
    (lab.root / "chat.toml").write_text(SCRIPT.format(answer=ANSWER, long=LONG))
    nb = open_notebook([SETUP, "chat = claude_magic.Chat(compare=['claude-sonnet-4-6', 'claude-haiku-4-5'])\nchat"])
    for index in (0, 1):
        nb.run(index)
        nb.wait_done(index)
    nb.cell(1).locator(".claude-chat-comparing", has_text="claude-haiku-4-5").wait_for(timeout=15_000)
    nb.cell(1).locator(".claude-chat-prompt").fill("A plan, please")
    nb.cell(1).locator(".claude-chat-prompt").press("Control+Enter")
    footers = nb.cell(1).locator(".claude-chat-footer")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(footers.all_inner_texts() or [""]):
        nb.page.wait_for_timeout(100)
    nb.screenshot("chat-compare")
    assert [t.split(" · ")[0] for t in footers.all_inner_texts()] == ["claude-sonnet-4-6", "claude-haiku-4-5"]
    columns = nb.cell(1).locator(".claude-chat-answer")
    assert columns.count() == 2
    for i in range(2):
        assert "That is the whole plan." in columns.nth(i).locator(".claude-live-body").inner_text()
    boxes = [columns.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"]  # side by side
