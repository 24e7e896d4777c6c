"""The pure parts: token splitting, the default answer, and planning a reply without a socket."""

from __future__ import annotations

import pytest

from claude_magic.emulator import TextBlock, ThinkingBlock, ToolUseBlock
from claude_magic.emulator._answer import default_answer, split_tokens
from claude_magic.emulator._events import plan_answer

from .helpers import MODEL, user


@pytest.mark.parametrize("text", ["", "one", "  two  words \n", "a\n\n```py\nx = 1\n```\n", "tab\tand  double"])
def test_word_pieces_join_back_to_the_text(text: str) -> None:
    pieces = split_tokens(text)

    assert "".join(pieces) == text
    assert all(piece.strip() for piece in pieces[:-1])  # whitespace rides on the next word


def test_fixed_size_pieces_join_back_to_the_text() -> None:
    assert split_tokens("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_default_answer_depends_on_model_and_messages_only() -> None:
    assert default_answer(MODEL, user("x")) == default_answer(MODEL, user("x"))
    assert default_answer(MODEL, user("x")) != default_answer("claude-opus-4-7", user("x"))
    assert "..." in default_answer(MODEL, user("word " * 40))  # a long prompt is shortened


def test_plan_counts_every_sent_piece_but_not_the_signature() -> None:
    answer = plan_answer(
        [ThinkingBlock(thinking="a b"), TextBlock(text="c d e"), ToolUseBlock(name="f", input={"k": 1})],
        model=MODEL,
        max_tokens=100,
        input_tokens=3,
        json_chunk=3,
    )

    assert [len(block.deltas) for block in answer.blocks] == [3, 3, 3]  # 2 + signature, 3, '{"k": 1}' in 3s
    assert answer.output_tokens == 8
    assert answer.stop_reason == "tool_use"


def test_plan_truncated_in_thinking_sends_no_signature_and_no_later_block() -> None:
    answer = plan_answer(
        [ThinkingBlock(thinking="a b c d"), TextBlock(text="never")], model=MODEL, max_tokens=2, input_tokens=1
    )

    assert [delta.type for delta in answer.blocks[0].deltas] == ["thinking_delta", "thinking_delta"]
    assert len(answer.blocks) == 1
    assert answer.stop_reason == "max_tokens"
