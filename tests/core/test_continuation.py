"""--continue's request on models with and without prefill, and the assistant turn a conversation keeps."""

from __future__ import annotations

from claude_magic.core.continuation import continue_messages
from claude_magic.core.stream import RoundResult
from claude_magic.core.turn import TurnResult

PROMPT = [{"role": "user", "content": "Tell me"}]


def test_a_model_with_prefill_gets_the_partial_answer_as_the_assistant_start():
    assert continue_messages(PROMPT, "It began well ", prefill=True) == [
        *PROMPT, {"role": "assistant", "content": "It began well"}]


def test_a_model_without_prefill_gets_a_user_turn_quoting_the_end_of_the_answer():
    partial = "x" * 1000 + "\nand the last line"
    messages = continue_messages(PROMPT, partial, prefill=False)
    assert messages[:2] == [*PROMPT, {"role": "assistant", "content": partial}]
    ask = messages[2]
    assert ask["role"] == "user"
    assert "> and the last line" in ask["content"] and "x" * 301 not in ask["content"]
    assert "without repeating anything" in ask["content"]


def test_a_turn_that_thought_keeps_its_signed_thinking_before_the_text():
    thought = RoundResult(content=[{"type": "thinking", "thinking": "Hm.", "signature": "sig"},
                                   {"type": "text", "text": "Yes."}])
    assert TurnResult(rounds=[thought]).assistant_content("Yes.") == [
        {"type": "thinking", "thinking": "Hm.", "signature": "sig"}, {"type": "text", "text": "Yes."}]
    plain = RoundResult(content=[{"type": "text", "text": "Yes."}])
    assert TurnResult(rounds=[plain]).assistant_content("Yes.") == "Yes."
    # A block cut before its signature cannot go back: the text alone is kept.
    cut = RoundResult(content=[{"type": "thinking", "thinking": "Hm.", "signature": ""}])
    assert TurnResult(rounds=[cut]).assistant_content("Yes.") == "Yes."
