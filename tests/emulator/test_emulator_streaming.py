"""What the real SDK gets from the emulator over a socket: text, blocks, usage, stop reasons."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time

import anthropic
import pytest

from claude_magic.emulator import Emulator, Script

from .helpers import KEY, MODEL, deltas, user

# Sleeps run on the monotonic clock and records use time.time(): allow clock granularity.
ID = re.compile(r"^(msg|toolu|req)_[0-9A-Za-z]{24,}$")


def test_default_answer_quotes_the_prompt_and_ends_turn(server: Emulator, client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=MODEL, max_tokens=500, messages=user("What is a monad?")) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()

    text = message.content[0].text
    assert "".join(pieces) == text
    assert '"What is a monad?"' in text
    assert "emulat" in text
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == len(pieces) == len(deltas(server)) > 10


def test_same_request_gets_the_same_answer_and_another_prompt_another(client: anthropic.Anthropic) -> None:
    def answer(prompt: str) -> str:
        message = client.messages.create(model=MODEL, max_tokens=500, messages=user(prompt))
        return message.content[0].text

    assert answer("tell me about rivers") == answer("tell me about rivers")
    assert answer("tell me about rivers") != answer("tell me about mountains")


def test_raw_events_come_in_api_order_with_a_ping_after_message_start(
    server: Emulator, client: anthropic.Anthropic
) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=500, messages=user("hi"), stream=True)
    with stream:
        kinds = [event.type for event in stream]

    body = ["content_block_delta"] * (len(kinds) - 5)
    assert kinds == [
        "message_start",
        "content_block_start",
        *body,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    sent = [kind for _, kind in server.requests[-1].sent]
    assert sent[:3] == ["message_start", "ping", "content_block_start"]
    assert sent[3:] == kinds[2:]


def test_message_start_reports_input_tokens_and_one_output_token(client: anthropic.Anthropic) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=500, messages=user("abcdefgh" * 3), stream=True)
    with stream:
        events = list(stream)

    start, delta = events[0], events[-2]
    assert start.type == "message_start" and delta.type == "message_delta"
    assert start.message.usage.input_tokens == 6  # ceil(24 / 4)
    assert start.message.usage.output_tokens == 1
    assert start.message.stop_reason is None
    assert delta.usage.input_tokens == 6
    assert delta.usage.output_tokens == sum(e.type == "content_block_delta" for e in events)


def test_thinking_streams_thinking_then_signature(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script(
        {
            "rules": [
                {
                    "blocks": [
                        {"type": "thinking", "thinking": "Let me see. Two and two.", "signature": "c2lnbmF0dXJl"},
                        {"type": "thinking", "thinking": "Unsigned thought."},
                        {"type": "text", "text": "Four."},
                    ]
                }
            ]
        }
    )
    stream = client.messages.create(model=MODEL, max_tokens=500, messages=user("sum"), stream=True)
    with stream:
        delta_types = [e.delta.type for e in stream if e.type == "content_block_delta"]
    with client.messages.stream(model=MODEL, max_tokens=500, messages=user("sum")) as helper:
        message = helper.get_final_message()

    assert delta_types == ["thinking_delta"] * 6 + ["signature_delta"] + ["thinking_delta"] * 2 + [
        "signature_delta",
        "text_delta",
    ]
    signed, unsigned, text = message.content
    assert (signed.type, signed.thinking, signed.signature) == ("thinking", "Let me see. Two and two.", "c2lnbmF0dXJl")
    assert unsigned.thinking == "Unsigned thought." and len(unsigned.signature) > 40
    assert text.text == "Four."
    assert message.stop_reason == "end_turn"


def test_tool_call_input_streams_as_json_fragments_and_stops_for_tool_use(
    server: Emulator, client: anthropic.Anthropic
) -> None:
    tool_input = {"city": "Paris", "days": [1, 2, 3], "unit": "celsius"}
    server.set_script(
        {
            "rules": [
                {
                    "json_chunk": 5,
                    "blocks": [
                        {"type": "text", "text": "Checking."},
                        {"type": "tool_use", "name": "get_weather", "input": tool_input},
                    ],
                }
            ]
        }
    )
    stream = client.messages.create(model=MODEL, max_tokens=500, messages=user("weather?"), stream=True)
    with stream:
        fragments = [
            e.delta.partial_json
            for e in stream
            if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
        ]
    with client.messages.stream(model=MODEL, max_tokens=500, messages=user("weather?")) as helper:
        message = helper.get_final_message()

    assert "".join(fragments) == json.dumps(tool_input)
    assert len(fragments) == math.ceil(len(json.dumps(tool_input)) / 5)
    text, call = message.content
    assert text.text == "Checking."
    assert (call.type, call.name, call.input) == ("tool_use", "get_weather", tool_input)
    assert ID.match(call.id) and call.id.startswith("toolu_")
    assert message.stop_reason == "tool_use"


def test_non_streaming_returns_the_message_the_stream_builds(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script(
        {
            "rules": [
                {
                    "usage": {"cache_read_input_tokens": 7},
                    "blocks": [
                        {"type": "thinking", "thinking": "Hmm.", "signature": "abc"},
                        {"type": "text", "text": "Calling the tool now."},
                        {"type": "tool_use", "id": "toolu_fixedfixedfixedfixedfixed", "name": "f", "input": {"a": 1}},
                    ],
                }
            ]
        }
    )
    plain = client.messages.create(model=MODEL, max_tokens=500, messages=user("go"))
    with client.messages.stream(model=MODEL, max_tokens=500, messages=user("go")) as stream:
        streamed = stream.get_final_message()

    assert [b.model_dump() for b in plain.content] == [
        {k: v for k, v in b.model_dump().items() if k != "parsed_output"} for b in streamed.content
    ]
    assert plain.stop_reason == streamed.stop_reason == "tool_use"
    assert plain.usage == streamed.usage
    assert plain.usage.cache_read_input_tokens == 7
    assert server.requests[0].sent == []  # a JSON reply sends no SSE events


def test_max_tokens_truncates_where_the_budget_ends(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"blocks": [{"type": "text", "text": "one two three four five six"}]}]})
    with client.messages.stream(model=MODEL, max_tokens=3, messages=user("count")) as stream:
        message = stream.get_final_message()
    plain = client.messages.create(model=MODEL, max_tokens=3, messages=user("count"))

    assert message.content[0].text == plain.content[0].text == "one two three"
    assert message.stop_reason == plain.stop_reason == "max_tokens"
    assert message.usage.output_tokens == plain.usage.output_tokens == 3


def test_max_tokens_can_end_a_reply_inside_a_tool_call(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script(
        {"rules": [{"json_chunk": 4, "blocks": [{"type": "tool_use", "name": "f", "input": {"key": "value"}}]}]}
    )
    with client.messages.stream(model=MODEL, max_tokens=2, messages=user("x")) as stream:
        message = stream.get_final_message()

    assert message.stop_reason == "max_tokens"
    assert message.content[0].input == {}  # '{"ke' parses to an empty partial object
    assert message.usage.output_tokens == 2


def test_stop_sequence_cuts_the_text_before_it(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script(
        {"rules": [{"blocks": [{"type": "text", "text": "Alpha beta END gamma"}, {"type": "text", "text": "more"}]}]}
    )
    with client.messages.stream(
        model=MODEL, max_tokens=100, messages=user("go"), stop_sequences=["gamma", "END"]
    ) as stream:
        message = stream.get_final_message()

    assert [block.text for block in message.content] == ["Alpha beta "]
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "END")


def test_delta_chars_sends_fixed_size_deltas(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"delta_chars": 4, "blocks": [{"type": "text", "text": "abcd" * 2000}]}]})
    with client.messages.stream(model=MODEL, max_tokens=4000, messages=user("bench")) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()

    assert len(pieces) == 2000 and set(pieces) == {"abcd"}
    assert message.usage.output_tokens == 2000


def test_input_tokens_estimate_counts_system_messages_and_tools(client: anthropic.Anthropic) -> None:
    tools = [{"name": "f", "description": "d", "input_schema": {"type": "object"}}]
    tools_chars = len(json.dumps(tools, sort_keys=True))
    messages = [
        {"role": "user", "content": "a" * 10},
        {"role": "assistant", "content": [{"type": "text", "text": "b" * 6}]},
        {"role": "user", "content": "c" * 4},
    ]
    message = client.messages.create(model=MODEL, max_tokens=50, system="s" * 8, messages=messages, tools=tools)

    assert message.usage.input_tokens == math.ceil((8 + 10 + 6 + 4 + tools_chars) / 4)


def test_ids_and_request_id_look_like_the_api(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model=MODEL, max_tokens=50, messages=user("x"))
    with client.messages.stream(model=MODEL, max_tokens=50, messages=user("x")) as stream:
        streamed = stream.get_final_message()
        request_id = stream.request_id

    assert ID.match(message.id) and message.id.startswith("msg_")
    assert ID.match(message._request_id or "") and message._request_id.startswith("req_")
    assert ID.match(request_id or "") and request_id != message._request_id
    assert streamed.id != message.id


def test_requests_are_recorded_with_headers_body_and_send_times(server: Emulator, client: anthropic.Anthropic) -> None:
    before = time.time()
    with client.messages.stream(model=MODEL, max_tokens=50, messages=user("record me")) as stream:
        stream.until_done()

    (record,) = server.requests
    assert (record.method, record.path) == ("POST", "/v1/messages")
    assert record.headers["authorization"] == f"Bearer {KEY}"
    assert "anthropic-version" in record.headers
    assert record.body["messages"] == user("record me") and record.body["stream"] is True
    assert before <= record.received_at <= record.sent[0][0]
    times = [at for at, _ in record.sent]
    assert times == sorted(times)
    assert record.sent[-1][1] == "message_stop"


def test_ttft_and_tokens_per_second_pace_the_deltas(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script(
        {"rules": [{"ttft": 0.25, "tokens_per_second": 40, "blocks": [{"type": "text", "text": "a b c d e f g h i"}]}]}
    )
    with client.messages.stream(model=MODEL, max_tokens=50, messages=user("pace")) as stream:
        stream.until_done()

    record = server.requests[0]
    started = record.sent[0][0]
    sent = deltas(server)
    assert len(sent) == 9
    # Pacing can only be seen in time; the lower bounds are halved so a loaded machine, where
    # a late write shortens a measured span, cannot fail them, while no pacing (~0 s) still does.
    assert sent[0] - started >= 0.25 / 2
    assert 8 / 40 / 2 <= sent[-1] - sent[0] < 8 / 40 + 0.15


def test_thirty_streams_at_once_keep_their_own_pace(server: Emulator) -> None:
    server.set_script({"rules": [{"tokens_per_second": 20, "blocks": [{"type": "text", "text": "a b c d e f g h"}]}]})
    alone = 7 / 20  # seconds from first to last delta of one stream

    async def one(client: anthropic.AsyncAnthropic, n: int) -> str:
        async with client.messages.stream(model=MODEL, max_tokens=50, messages=user(f"client {n}")) as stream:
            return await stream.get_final_text()

    async def main() -> tuple[list[str], float]:
        async with anthropic.AsyncAnthropic(api_key=KEY, base_url=server.url, max_retries=0) as client:
            started = time.monotonic()
            texts = await asyncio.gather(*(one(client, n) for n in range(30)))
            return texts, time.monotonic() - started

    texts, elapsed = asyncio.run(main())

    assert texts == ["a b c d e f g h"] * 30
    assert elapsed < alone * 3  # one after another would take 30 times as long
    for index in range(30):
        sent = deltas(server, index)
        # Paced, not dumped at once (an unpaced stream spans ~0 s). The bound is loose on
        # purpose: on a loaded machine a late first write shortens the measured span.
        assert alone / 2 <= sent[-1] - sent[0] < alone + 0.3


def test_async_client_streams_and_creates(server: Emulator) -> None:
    server.set_script({"rules": [{"blocks": [{"type": "text", "text": "async works"}]}]})

    async def main() -> tuple[list[str], str]:
        async with anthropic.AsyncAnthropic(api_key=KEY, base_url=server.url, max_retries=0) as client:
            async with client.messages.stream(model=MODEL, max_tokens=50, messages=user("a")) as stream:
                pieces = [piece async for piece in stream.text_stream]
            raw = await client.messages.create(model=MODEL, max_tokens=50, messages=user("a"), stream=True)
            async with raw:
                kinds = [event.type async for event in raw]
            return pieces, ",".join(kinds)

    pieces, kinds = asyncio.run(main())

    assert pieces == ["async", " works"]
    assert kinds.startswith("message_start,content_block_start,content_block_delta")


def test_starts_from_inside_a_running_event_loop() -> None:
    async def main() -> str:
        emulator = Emulator(Script.from_dict({"rules": [{"blocks": [{"type": "text", "text": "from a loop"}]}]}))
        emulator.start()  # as a kernel cell would, with the kernel's loop running
        try:
            async with anthropic.AsyncAnthropic(api_key=KEY, base_url=emulator.url, max_retries=0) as client:
                message = await client.messages.create(model=MODEL, max_tokens=20, messages=user("x"))
                return message.content[0].text
        finally:
            emulator.stop()

    assert asyncio.run(main()) == "from a loop"


def test_emulator_can_stop_and_start_again() -> None:
    emulator = Emulator()
    emulator.start()
    emulator.stop()
    emulator.stop()  # twice is harmless
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url
    with emulator, anthropic.Anthropic(api_key=KEY, base_url=emulator.url, max_retries=0) as client:
        assert client.messages.create(model=MODEL, max_tokens=5, messages=user("again")).content[0].text
    assert not emulator.running
