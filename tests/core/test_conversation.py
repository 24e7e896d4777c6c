"""The conversation of a notebook's cells."""

from __future__ import annotations

from claude_magic.core.conversation import Conversation


def _texts(messages: list[dict]) -> list[tuple[str, object]]:
    return [(m["role"], m["content"]) for m in messages]


def test_new_cell_sees_every_earlier_turn_in_order() -> None:
    conv = Conversation()
    conv.record("c1", "q1", "a1")
    conv.record("c2", "q2", "a2")
    assert len(conv) == 2
    assert _texts(conv.messages_before("c3")) == [
        ("user", "q1"),
        ("assistant", "a1"),
        ("user", "q2"),
        ("assistant", "a2"),
    ]
    assert conv.messages() == conv.messages_before("c3")


def test_rerun_cell_sees_only_the_turns_before_it() -> None:
    conv = Conversation()
    for i in range(1, 4):
        conv.record(f"c{i}", f"q{i}", f"a{i}")
    assert _texts(conv.messages_before("c2")) == [("user", "q1"), ("assistant", "a1")]
    assert conv.messages_before("c1") == []


def test_rerun_replaces_its_turn_in_place() -> None:
    conv = Conversation()
    conv.record("c1", "q1", "a1")
    conv.record("c2", "q2", "a2")
    conv.record("c3", "q3", "a3")
    conv.record("c2", "q2 edited", "a2 again")
    assert len(conv) == 3
    contents = [m["content"] for m in conv.messages()]
    assert contents == ["q1", "a1", "q2 edited", "a2 again", "q3", "a3"]


def test_interrupted_cell_with_no_text_is_not_recorded() -> None:
    conv = Conversation()
    conv.record("c1", "q1", "")
    conv.record("c2", "q2", "  \n")
    conv.record("c3", "q3", [{"type": "text", "text": ""}])
    assert len(conv) == 0
    # An empty re-run keeps the cell's earlier answer.
    conv.record("c1", "q1", "a1")
    conv.record("c1", "q1 again", "")
    assert _texts(conv.messages()) == [("user", "q1"), ("assistant", "a1")]


def test_content_block_lists_are_kept_and_tool_use_counts_as_content() -> None:
    conv = Conversation()
    user = [{"type": "text", "text": "weather?"}]
    tool_call = [{"type": "tool_use", "id": "t1", "name": "weather", "input": {}}]
    conv.record("c1", user, tool_call)
    assert conv.messages() == [
        {"role": "user", "content": user},
        {"role": "assistant", "content": tool_call},
    ]


def test_callers_cannot_edit_the_history_through_returned_lists() -> None:
    conv = Conversation()
    user = [{"type": "text", "text": "q"}]
    conv.record("c1", user, "a")
    user.append({"type": "text", "text": "added later"})
    messages = conv.messages()
    messages[0]["content"].append({"type": "text", "text": "added by a caller"})
    messages.append({"role": "user", "content": "next"})
    assert conv.messages() == [
        {"role": "user", "content": [{"type": "text", "text": "q"}]},
        {"role": "assistant", "content": "a"},
    ]


def test_reset_forgets_every_turn() -> None:
    conv = Conversation()
    conv.record("c1", "q1", "a1")
    conv.reset()
    assert len(conv) == 0
    assert conv.messages_before("c1") == []
    conv.record("c1", "q", "a")
    assert len(conv) == 1


def test_repr_has_no_memory_address() -> None:
    conv = Conversation()
    conv.record("c1", "q", "a")
    assert repr(conv) == "<Conversation, turns=1>"
