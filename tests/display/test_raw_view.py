"""The --raw event table (claude_magic.display.raw_view)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import (
    CitationsDelta,
    CitationCharLocation,
    InputJSONDelta,
    Message,
    MessageDeltaUsage,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    SignatureDelta,
    TextBlock,
    TextDelta,
    ThinkingDelta,
    ToolUseBlock,
    Usage,
)
from anthropic.types.raw_message_delta_event import Delta
from anthropic.types.shared import ErrorResponse, OverloadedError

from claude_magic.display.raw_view import (
    TEXT_HEADER,
    EventRow,
    RawTable,
    events_frame,
    event_row,
    render_html,
    render_text,
)

MODEL = "claude-sonnet-4-20250514"

MESSAGE_START = RawMessageStartEvent(
    type="message_start",
    message=Message(
        id="msg_1",
        type="message",
        role="assistant",
        model=MODEL,
        content=[],
        stop_reason=None,
        stop_sequence=None,
        usage=Usage(input_tokens=377, output_tokens=1, cache_read_input_tokens=120),
    ),
)
TEXT_START = RawContentBlockStartEvent(
    type="content_block_start", index=0, content_block=TextBlock(type="text", text="")
)
TOOL_START = RawContentBlockStartEvent(
    type="content_block_start",
    index=1,
    content_block=ToolUseBlock(type="tool_use", id="toolu_1", name="get_weather", input={}),
)
TEXT_DELTA = RawContentBlockDeltaEvent(
    type="content_block_delta", index=0, delta=TextDelta(type="text_delta", text="Hello\nworld")
)
JSON_DELTA = RawContentBlockDeltaEvent(
    type="content_block_delta",
    index=1,
    delta=InputJSONDelta(type="input_json_delta", partial_json='{"city": "Pa'),
)
BLOCK_STOP = RawContentBlockStopEvent(type="content_block_stop", index=1)
MESSAGE_DELTA = RawMessageDeltaEvent(
    type="message_delta",
    delta=Delta(stop_reason="tool_use", stop_sequence=None),
    usage=MessageDeltaUsage(output_tokens=65),
)
MESSAGE_STOP = RawMessageStopEvent(type="message_stop")


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (MESSAGE_START, EventRow(1.0, "message_start", None, None, f"{MODEL} in=377 out=1 cache_read=120")),
        (TEXT_START, EventRow(1.0, "content_block_start", 0, "text", "text")),
        (TOOL_START, EventRow(1.0, "content_block_start", 1, "tool_use", "tool_use get_weather")),
        (TEXT_DELTA, EventRow(1.0, "content_block_delta", 0, "text_delta", "Hello⏎world")),
        (JSON_DELTA, EventRow(1.0, "content_block_delta", 1, "input_json_delta", '{"city": "Pa')),
        (BLOCK_STOP, EventRow(1.0, "content_block_stop", 1, None, "")),
        (MESSAGE_DELTA, EventRow(1.0, "message_delta", None, None, "stop_reason=tool_use out=65")),
        (MESSAGE_STOP, EventRow(1.0, "message_stop", None, None, "")),
    ],
    ids=lambda value: getattr(value, "type", None) if not isinstance(value, EventRow) else "",
)
def test_rows_of_the_six_sdk_event_types(event: Any, expected: EventRow) -> None:
    assert event_row(event, ms=1.0) == expected


@pytest.mark.parametrize(
    ("delta", "kind", "excerpt"),
    [
        (ThinkingDelta(type="thinking_delta", thinking="Let me think."), "thinking_delta", "Let me think."),
        (SignatureDelta(type="signature_delta", signature="EqQBCgIYAh"), "signature_delta", "EqQBCgIYAh"),
        (
            CitationsDelta(
                type="citations_delta",
                citation=CitationCharLocation(
                    type="char_location",
                    cited_text="the sky is blue",
                    document_index=0,
                    document_title=None,
                    start_char_index=0,
                    end_char_index=15,
                ),
            ),
            "citations_delta",
            "the sky is blue",
        ),
    ],
)
def test_rows_of_other_delta_types(delta: Any, kind: str, excerpt: str) -> None:
    event = RawContentBlockDeltaEvent(type="content_block_delta", index=0, delta=delta)
    assert event_row(event, ms=0) == EventRow(0.0, "content_block_delta", 0, kind, excerpt)


def test_ping_error_and_unknown_events_do_not_crash() -> None:
    assert event_row({"type": "ping"}, ms=2) == EventRow(2.0, "ping", None, None, "")
    error = ErrorResponse(
        type="error",
        error=OverloadedError(type="overloaded_error", message="Overloaded"),
        request_id=None,
    )
    assert event_row(error, ms=2).excerpt == "overloaded_error: Overloaded"
    assert event_row({"type": "mystery", "level": 3}, ms=2) == EventRow(
        2.0, "mystery", None, None, '{"level":3}'
    )
    assert event_row(object(), ms=2).type == "unknown"


def test_unknown_delta_type_shows_its_payload() -> None:
    event = {"type": "content_block_delta", "index": 2, "delta": {"type": "sparkle_delta", "glow": 1}}
    assert event_row(event, ms=0) == EventRow(0.0, "content_block_delta", 2, "sparkle_delta", '{"glow":1}')


def test_excerpt_is_one_line_and_at_most_60_characters() -> None:
    text = "line one\r\nline two\n" + "x" * 100
    row = event_row(
        RawContentBlockDeltaEvent(
            type="content_block_delta", index=0, delta=TextDelta(type="text_delta", text=text)
        ),
        ms=0,
    )
    assert row.excerpt.startswith("line one⏎line two⏎xxx")
    assert len(row.excerpt) == 60 and row.excerpt.endswith("…")


def _table() -> RawTable:
    table = RawTable()
    for ms, event in enumerate(
        [MESSAGE_START, TEXT_START, {"type": "ping"}, TEXT_DELTA, MESSAGE_DELTA, MESSAGE_STOP]
    ):
        table.add(event, ms=ms * 10.25)
    return table


def test_text_rendering_is_aligned_with_a_summary() -> None:
    assert repr(_table()) == "\n".join(
        [
            "       ms event                 # delta            excerpt",
            f"      0.0 message_start         - -                {MODEL} in=377 out=1 cache_read=120",
            "     10.2 content_block_start   0 text             text",
            "     20.5 ping                  - -",
            "     30.8 content_block_delta   0 text_delta       Hello⏎world",
            "     41.0 message_delta         - -                stop_reason=tool_use out=65",
            "     51.2 message_stop          - -",
            "6 events: message_start 1, content_block_start 1, content_block_delta 1, "
            "content_block_stop 0, message_delta 1, message_stop 1, ping 1",
        ]
    )


def test_text_rows_rendered_in_batches_match_the_whole_table() -> None:
    table = _table()
    batches = [render_text(table.rows[:2]), render_text(table.rows[2:])]
    assert "\n".join([TEXT_HEADER.rstrip(), *batches, table.summary()]) == repr(table)


def test_html_escapes_model_text_and_keeps_spaces() -> None:
    table = RawTable()
    table.add(
        RawContentBlockDeltaEvent(
            type="content_block_delta",
            index=0,
            delta=TextDelta(type="text_delta", text=' <img src=x onerror="alert(1)">'),
        ),
        ms=1.5,
    )
    page = table._repr_html_()
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "white-space:pre" in page
    assert "1 event: message_start 0" in page


def test_html_rows_for_a_live_view_are_the_tables_body() -> None:
    table = _table()
    page = table._repr_html_()
    body = render_html(table.rows[:3]) + render_html(table.rows[3:])
    assert f"<tbody data-raw-rows>{body}</tbody>" in page
    assert body.count("<tr>") == 6
    assert render_html([]) == ""


def test_counts_group_types_the_api_does_not_document() -> None:
    table = RawTable()
    for event in [MESSAGE_START, {"type": "ping"}, {"type": "error"}, {"type": "new_a"}, {"type": "new_b"}]:
        table.add(event, ms=0)
    assert table.counts() == {
        "message_start": 1,
        "content_block_start": 0,
        "content_block_delta": 0,
        "content_block_stop": 0,
        "message_delta": 0,
        "message_stop": 0,
        "ping": 1,
        "error": 1,
        "unknown": 2,
    }
    assert len(table) == 5


# The events of the SDK's own tool_use_response transcript (MIT), plus an event type the
# SDK does not know, as the server sends them.
TOOL_USE_SSE = """\
event: message_start
data: {"type":"message_start","message":{"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":377,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1,"service_tier":"standard"}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"I'll check the weather."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01NRLabsLyVHZPKxbKvkfSMn","name":"get_weather","caller":{"type":"direct"},"input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\": \\"Paris\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: future_event
data: {"type":"future_event","detail":"new"}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":65}}

event: message_stop
data: {"type":"message_stop"}

"""


def test_rows_of_a_real_sdk_stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path))

    def replay(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=TOOL_USE_SSE.encode()
        )

    async def collect() -> RawTable:
        table = RawTable()
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(replay)) as http:
            client = anthropic.AsyncAnthropic(
                api_key="test-key", base_url="http://emulator.test", http_client=http, max_retries=0
            )
            stream = await client.messages.create(
                # Not MODEL: the SDK warns about a request for a deprecated model.
                model="claude-haiku-4-5",
                max_tokens=100,
                messages=[{"role": "user", "content": "Weather in Paris?"}],
                stream=True,
            )
            async for event in stream:
                table.add(event, ms=0)
        return table

    table = asyncio.run(collect())
    assert [(row.type, row.index, row.delta, row.excerpt) for row in table.rows] == [
        ("message_start", None, None, f"{MODEL} in=377 out=1"),
        ("content_block_start", 0, "text", "text"),
        ("content_block_delta", 0, "text_delta", "I'll check the weather."),
        ("content_block_stop", 0, None, ""),
        ("content_block_start", 1, "tool_use", "tool_use get_weather"),
        ("content_block_delta", 1, "input_json_delta", '{"location": "Paris"}'),
        ("content_block_stop", 1, None, ""),
        # The SDK passes an unknown event through as some model with an unexpected type.
        ("future_event", None, None, '{"detail":"new"}'),
        ("message_delta", None, None, "stop_reason=tool_use out=65"),
        ("message_stop", None, None, ""),
    ]
    # The SDK consumes ping itself.
    assert table.summary() == (
        "10 events: message_start 1, content_block_start 2, content_block_delta 2, "
        "content_block_stop 2, message_delta 1, message_stop 1, unknown 1"
    )


def test_html_rows_left_align_text_and_right_align_numbers() -> None:
    import re

    from claude_magic.display.raw_view import EventRow
    from claude_magic.display.raw_view import render_html as rows_html

    cells = re.findall(r'<td style="([^"]*)">', rows_html([EventRow(1.5, "content_block_delta", 0, "text_delta", " hi")]))
    aligns = [re.search(r"text-align:(\w+)", style).group(1) for style in cells]
    assert aligns == ["right", "left", "right", "left", "left"]


def _long_table(n: int) -> RawTable:
    table = RawTable()
    table.add(MESSAGE_START, ms=0)
    for i in range(n):
        table.add(RawContentBlockDeltaEvent(type="content_block_delta", index=0,
                                            delta=TextDelta(type="text_delta", text=f"w{i:04d}")), ms=i)
    table.add(MESSAGE_STOP, ms=n)
    return table


def test_a_long_stream_shows_its_first_and_last_rows_and_says_where_the_rest_are() -> None:
    table = _long_table(2000)
    for shown in (repr(table), table._repr_html_()):
        assert "w0000" in shown and "w0018" in shown and "w0019" not in shown
        assert "w1999" in shown and "w1981" in shown and "w1980" not in shown
        assert "1,962 rows left out: claude_magic.events holds all 2,002 events" in shown
        assert "content_block_delta 2000" in shown
    # Bounded: the saved output of 2,000 deltas is about the size of 40 rows.
    assert len(table._repr_html_()) < 16_000 and len(repr(table)) < 5_000
    assert len(_long_table(20_000)._repr_html_()) < len(table._repr_html_()) + 100


def test_the_live_window_shows_counts_first_and_latest_rows_escaped() -> None:
    table = _long_table(500)
    table.add(RawContentBlockDeltaEvent(type="content_block_delta", index=0,
                                        delta=TextDelta(type="text_delta", text="<img src=x>")), ms=1)
    window = table.live_html()
    assert window.startswith('<pre class="claude-raw-live"') and "<img" not in window and "&lt;img" in window
    assert "w0000" in window and "w0002" not in window and "w0499" in window
    assert "content_block_delta 501" in window and "… 488 more …" in window
    assert len(window) < 2_500


def test_events_frame_keeps_every_event_with_its_full_text() -> None:
    pandas = pytest.importorskip("pandas")
    long_text = "x" * 200
    frame = events_frame([MESSAGE_START, TEXT_START, RawContentBlockDeltaEvent(
        type="content_block_delta", index=0, delta=TextDelta(type="text_delta", text=long_text)), MESSAGE_STOP])
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["event"]) == ["message_start", "content_block_start", "content_block_delta", "message_stop"]
    assert frame["text"][2] == long_text
