"""The Chat playground shows thinking like the live area: above the answer, folded once it starts."""

from __future__ import annotations

SCRIPT = '''
[[rules]]
match = "trains"
tokens_per_second = 20
delta_chars = 6
stall_after = 12
stall_s = 2.0
[[rules.blocks]]
type = "thinking"
thinking = "Both trains leave one hour apart; the gap of 80 km closes at 40 km/h."
[[rules.blocks]]
type = "text"
text = "They meet at noon."
'''

SETUP = ("%load_ext claude_magic\nimport claude_magic\nclaude_magic.backend('chat_thinking.toml')\n"
         "%config ClaudeMagic.think = True")


def test_chat_streams_thinking_above_the_answer_and_folds_it(open_notebook, lab) -> None:
    (lab.root / "chat_thinking.toml").write_text(SCRIPT)
    nb = open_notebook([SETUP, "chat = claude_magic.Chat()\nchat", "chat.messages[-1]['content'][0]['type']"])
    for index in (0, 1):
        nb.run(index)
        nb.wait_done(index)
    cell = nb.cell(1)
    cell.locator(".claude-chat-prompt").fill("When do the trains meet?")
    cell.locator(".claude-chat-send").click()
    thinking = cell.locator(".claude-chat-answer .claude-live-thinking")
    cell.locator(".claude-live-thinking-body", has_text="80 km").wait_for(timeout=20_000)
    assert thinking.evaluate("d => d.open") is True
    nb.screenshot("chat-thinking")
    cell.locator(".claude-chat-answer .claude-live-body", has_text="noon").wait_for(timeout=20_000)
    assert thinking.evaluate("d => d.open") is False
    cell.locator(".claude-chat-footer", has_text="thought").wait_for(timeout=20_000)
    # The signed thinking block is kept in the conversation, ahead of the text.
    nb.run(2)
    nb.wait_done(2)
    assert "'thinking'" in nb.outputs(2).first.inner_text()
