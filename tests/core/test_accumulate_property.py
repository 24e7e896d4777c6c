"""The accumulator builds the same message as the SDK's own, from any split of the recorded streams.

Every transcript in ``tests/fixtures/sse`` is decoded by the SDK's own stream, then fed to
:class:`MessageAccumulator` and to the SDK's pure ``accumulate_event`` (2.14:
``anthropic.lib.streaming._messages.accumulate_event``). Hypothesis splits each text and tool
input fragment at arbitrary points, mixes in tool JSON that breaks, and generates whole messages
with thinking, text and tool calls of arbitrary JSON. Where the two accumulators are meant to
differ (tool input that does not parse: the SDK's partial parser guesses, ours keeps the raw JSON
and says why it failed) the test says so instead of looking away.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from fake_api import (
    FIXTURES,
    block_stop,
    fixture_events,
    json_delta,
    message_delta,
    message_start,
    message_stop,
    signature_delta,
    text_delta,
    text_start,
    thinking_delta,
    thinking_start,
    tool_start,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st

from claude_magic.core.accumulate import MessageAccumulator

NAMES = sorted(path.name for path in FIXTURES.glob("*.txt"))
EVENTS = {name: fixture_events(name) for name in NAMES}
WITH_TOOLS = [name for name in NAMES if any(e.type == "content_block_start" and e.content_block.type == "tool_use"
                                            for e in EVENTS[name])]
USAGE = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")

BOUNDED = settings(max_examples=60, deadline=None, database=None)


# -- the two accumulators --------------------------------------------------------------------------


def ours(events: list[Any]) -> MessageAccumulator:
    acc = MessageAccumulator()
    for e in events:
        acc.feed(e)
    return acc


def sdks(events: list[Any]) -> tuple[Any, dict[int, bytes]]:
    snapshot, json_bufs = None, {}
    for e in events:
        snapshot = accumulate_event(event=e, current_snapshot=snapshot, json_bufs=json_bufs)
    return snapshot, json_bufs


def parses(raw: str) -> bool:
    """Complete JSON that is an object, the only input a tool takes (empty: no input at all)."""
    if not raw.strip():
        return True
    try:
        return isinstance(json.loads(raw), dict)
    except ValueError:
        return False


def as_param(block: Any) -> dict[str, Any]:
    """An SDK content block in the form the next request sends it back (what ``content()`` gives)."""
    data = block.to_dict(mode="json", exclude_none=True)
    if data["type"] == "text":
        return {"type": "text", "text": data["text"], **({"citations": data["citations"]} if data.get("citations") else {})}
    if data["type"] == "tool_use":
        return {"type": "tool_use", "id": data["id"], "name": data["name"], "input": data["input"]}
    if data["type"] == "thinking":
        return {"type": "thinking", "thinking": data["thinking"], "signature": data["signature"]}
    return data


def assert_same_message(acc: MessageAccumulator, snapshot: Any, json_bufs: dict[int, bytes]) -> None:
    """Same blocks, usage, stop reason and ids; tool input the SDK only guessed is checked apart."""
    expected = [as_param(block) for block in snapshot.content]
    got = acc.content()
    assert len(got) == len(expected)
    for index, (mine, theirs) in enumerate(zip(got, expected)):
        if mine["type"] == "tool_use":
            block = acc.blocks[index]
            # The raw JSON is the SDK's buffer, byte for byte, whatever it holds.
            assert block.raw_input == json_bufs.get(index, b"").decode()
            if not parses(block.raw_input):
                assert mine == {**theirs, "input": {}}
                assert block.input_error is not None
                continue
            assert block.input_error is None
        assert mine == theirs
    for name in USAGE:
        assert acc.usage.get(name) == getattr(snapshot.usage, name)
    assert (acc.stop_reason, acc.message_id, acc.model) == (snapshot.stop_reason, snapshot.id, snapshot.model)


# -- splitting a stream ------------------------------------------------------------------------------


def split(data: st.DataObject, text: str) -> list[str]:
    """``text`` in pieces cut at arbitrary points (empty pieces included, as the API sends them)."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


def resplit(data: st.DataObject, events: list[Any]) -> list[Any]:
    """The same stream with every text and tool-input fragment split further."""
    out: list[Any] = []
    for e in events:
        kind = getattr(getattr(e, "delta", None), "type", None) if e.type == "content_block_delta" else None
        if kind == "text_delta":
            out.extend(text_delta(e.index, piece) for piece in split(data, e.delta.text))
        elif kind == "input_json_delta":
            out.extend(json_delta(e.index, piece) for piece in split(data, e.delta.partial_json))
        else:
            out.append(e)
    return out


def raw_inputs(events: list[Any]) -> dict[int, str]:
    joined: dict[int, str] = {}
    for e in events:
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta":
            joined[e.index] = joined.get(e.index, "") + e.delta.partial_json
    return joined


# -- the recorded transcripts as the SDK decodes them ---------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_sdk_dispatches_every_record_but_ping_and_a_last_one_without_its_blank_line(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    records = [m.group(1) for m in re.finditer(r"^event: (\S+)$", text, flags=re.MULTILINE)]
    expected = [kind for kind in records if kind != "ping"]
    if not text.endswith(("\n\n", "\r\n\r\n")):
        # The SSE standard discards a record the stream ends inside of; these files end right
        # after their last record (message_stop), with no blank line, so the SDK never sees it.
        assert expected[-1] == "message_stop"
        expected = expected[:-1]
    assert [e.type for e in EVENTS[name]] == expected


@pytest.mark.parametrize("name", NAMES)
def test_each_transcript_builds_the_same_message_as_the_sdks_accumulator(name: str) -> None:
    events = EVENTS[name]
    acc = ours(events)
    assert_same_message(acc, *sdks(events))
    # The message_stop the decoder dropped carries nothing a message is built from.
    before = (acc.content(), dict(acc.usage), acc.stop_reason)
    acc.feed(message_stop())
    assert (acc.content(), dict(acc.usage), acc.stop_reason) == before


def test_the_cut_tool_call_keeps_its_raw_json_where_the_sdk_guesses_a_partial_input() -> None:
    events = EVENTS["incomplete_partial_json_response.txt"]
    acc, (snapshot, json_bufs) = ours(events), sdks(events)
    [call] = acc.tool_calls()
    assert call.raw_input.startswith('{"filename": "taxes.txt"') and call.raw_input.endswith('"Filing taxes')
    assert call.raw_input == json_bufs[1].decode()
    assert call.parsed_input() == {}
    assert call.input_error is not None and call.input_error.startswith("input is not valid JSON")
    # The SDK's partial parser completes what it can; sending that to a tool would run it
    # on input the model never finished.
    assert snapshot.content[1].input["filename"] == "taxes.txt"
    assert acc.stop_reason == "max_tokens"


@BOUNDED
@given(name=st.sampled_from(NAMES), data=st.data())
def test_any_split_of_a_transcript_builds_the_same_message(name: str, data: st.DataObject) -> None:
    events = resplit(data, EVENTS[name])
    assert raw_inputs(events) == raw_inputs(EVENTS[name])  # the concatenation is unchanged
    assert_same_message(ours(events), *sdks(events))


# -- tool JSON that breaks ---------------------------------------------------------------------------

BREAKERS = ["\x00", "}", "{{", "]", ",,", "nul", '"', ":", "\\"]


def break_tool_json(data: st.DataObject, events: list[Any]) -> tuple[list[Any], dict[int, str]]:
    """Every tool call's fragments split anew, with one fragment that may break its JSON mixed in."""
    out: list[Any] = []
    fed: dict[int, str] = {}
    for e in events:
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta":
            pieces = split(data, e.delta.partial_json)
            if e.index not in fed:  # once per tool call, among its first fragment's pieces
                at = data.draw(st.integers(0, len(pieces)))
                pieces.insert(at, data.draw(st.sampled_from(BREAKERS)))
            out.extend(json_delta(e.index, piece) for piece in pieces)
            fed[e.index] = fed.get(e.index, "") + "".join(pieces)
        else:
            out.append(e)
    return out, fed


@BOUNDED
@given(name=st.sampled_from(WITH_TOOLS), data=st.data())
def test_bad_tool_json_is_kept_raw_and_reported_while_the_text_matches_the_sdks(name: str, data: st.DataObject) -> None:
    clean = EVENTS[name]
    events, fed = break_tool_json(data, clean)
    acc = ours(events)
    for call in acc.tool_calls():
        index = next(i for i, b in acc.blocks.items() if b is call)
        assert call.raw_input == fed[index]  # nothing dropped, nothing repaired
        if parses(call.raw_input):
            event("the inserted fragment left valid JSON")
            assert call.parsed_input() == json.loads(call.raw_input) and call.input_error is None
        else:
            event("broken tool JSON")
            assert call.parsed_input() == {}
            assert call.input_error is not None and "not valid JSON" in call.input_error
            assert acc.content()[index]["input"] == {}
    # Text blocks, usage and stop reason are the SDK's, as built from the stream before it broke.
    snapshot, _ = sdks(clean)
    texts = [as_param(b) for b in snapshot.content if b.type == "text"]
    assert [b for b in acc.content() if b["type"] == "text"] == texts
    assert [acc.usage.get(n) for n in USAGE] == [getattr(snapshot.usage, n) for n in USAGE]
    assert acc.stop_reason == snapshot.stop_reason


def test_the_sdks_accumulator_raises_on_tool_json_that_ours_keeps() -> None:
    events = EVENTS["tool_use_response.txt"]
    # One more fragment before the tool block's stop: the object reopened, then a NUL.
    stop = next(i for i, e in enumerate(events) if e.type == "content_block_stop" and e.index == 1)
    assert events[stop - 1].delta.partial_json.endswith("}")
    last = events[stop - 1].delta.partial_json[:-1]
    broken = [*events[: stop - 1], json_delta(1, last + ', "unit": \x00'), *events[stop:]]
    with pytest.raises(ValueError, match="Unable to parse tool parameter JSON"):
        sdks(broken)
    acc = ours(broken)
    [call] = acc.tool_calls()
    assert call.raw_input == '{"location": "Paris", "unit": \x00'
    assert call.parsed_input() == {} and call.input_error is not None
    assert acc.content()[0] == {"type": "text", "text": "I'll check the current weather in Paris for you."}
    assert acc.stop_reason == "tool_use"


# -- generated messages: thinking, text and tool calls of any JSON -----------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
BLOCKS = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.text(max_size=40)),
        st.tuples(st.just("thinking"), st.text(max_size=40)),
        st.tuples(st.just("tool_use"), st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=3)),
    ),
    min_size=1,
    max_size=4,
)


@BOUNDED
@given(blocks=BLOCKS, ascii_only=st.booleans(), usage=st.tuples(*[st.integers(0, 10**6)] * 3), data=st.data())
def test_any_generated_message_builds_the_same_message(blocks: list[tuple[str, Any]], ascii_only: bool,
                                                        usage: tuple[int, int, int], data: st.DataObject) -> None:
    input_tokens, cache_read, output_tokens = usage
    events: list[Any] = [message_start(input_tokens=input_tokens, cache_read=cache_read)]
    for index, (kind, value) in enumerate(blocks):
        if kind == "text":
            events += [text_start(index), *(text_delta(index, p) for p in split(data, value))]
        elif kind == "thinking":
            events += [thinking_start(index), *(thinking_delta(index, p) for p in split(data, value)),
                       signature_delta(index, f"sig-{index}")]
        else:
            raw = json.dumps(value, ensure_ascii=ascii_only)
            events += [tool_start(index, id=f"toolu_{index}", name="tool"),
                       *(json_delta(index, p) for p in split(data, raw))]
        events.append(block_stop(index))
    stop_reason = "tool_use" if any(kind == "tool_use" for kind, _ in blocks) else "end_turn"
    events += [message_delta(stop_reason, output_tokens=output_tokens), message_stop()]
    acc = ours(events)
    assert_same_message(acc, *sdks(events))
    assert [b.get("input") for b in acc.content() if b["type"] == "tool_use"] == [v for k, v in blocks if k == "tool_use"]
