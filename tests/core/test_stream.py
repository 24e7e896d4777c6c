"""The streaming core fed scripted SDK events: retries, stall, drop, cut streams, usage, lanes.

No kernel, no socket: a fake client streams the SDK's own event objects, the clock and the
sleep are injected, and a recording sink shows exactly what a display would have received.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import anthropic
import httpx2
import pytest
from fake_api import (
    FakeClient,
    FakeClock,
    Notice,
    RecordingSink,
    Text,
    Thinking,
    ToolInput,
    block_stop,
    connection_error,
    drop,
    fixture_events,
    json_delta,
    message_delta,
    message_start,
    message_stop,
    redacted_thinking_start,
    signature_delta,
    stall,
    status_error,
    text_delta,
    text_message,
    text_start,
    thinking_delta,
    thinking_start,
    tool_start,
)

from claude_magic.core.retry import RetryPolicy
from claude_magic.core.stream import RoundResult, RoundStreamer

PARAMS = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def stream(replies: list[Any], *, policy: RetryPolicy | None = None, clock: FakeClock | None = None,
           on_event: Any = None) -> tuple[RoundResult, RecordingSink, FakeClient, FakeClock]:
    clock = clock or FakeClock()
    client, sink = FakeClient(replies), RecordingSink()
    streamer = RoundStreamer(client, sink, policy=policy or RetryPolicy(), on_event=on_event,  # type: ignore[arg-type]
                             clock=clock, sleep=clock.sleep)
    result = asyncio.run(streamer.run(dict(PARAMS)))
    assert result is streamer.result
    return result, sink, client, clock


# -- a whole answer ------------------------------------------------------------------------------


def test_text_deltas_reach_the_sink_in_order_and_the_result_keeps_them() -> None:
    result, sink, client, clock = stream([text_message("Hel", "lo", " world")])
    assert sink.lanes == [Text("Hel"), Text("lo"), Text(" world")]
    assert sink.calls[0][0] == "push"  # the streamer pushes lanes; begin/end belong to the turn
    assert result.text == "Hello world"
    assert result.content == [{"type": "text", "text": "Hello world"}]
    assert (result.error, result.attempts, result.stop_reason) == (None, 1, "end_turn")
    assert result.request_id == "req_1"
    assert client.requests == [PARAMS] and client.streams[0].closed
    assert clock.sleeps == []


def test_usage_and_stop_reason_come_from_message_start_and_message_delta() -> None:
    events = [
        message_start(input_tokens=25, output_tokens=1, cache_read=7, cache_creation=3),
        text_start(0), text_delta(0, "a"), block_stop(0),
        # message_delta's counts are cumulative; a count it leaves out keeps message_start's.
        message_delta("max_tokens", output_tokens=42, cache_read_input_tokens=9),
        message_stop(),
    ]
    result, *_ = stream([events])
    assert (result.input_tokens, result.output_tokens) == (25, 42)
    assert (result.cache_read_input_tokens, result.cache_creation_input_tokens) == (9, 3)
    assert result.stop_reason == "max_tokens"
    assert result.final_usage is True


def test_ttft_and_duration_come_from_the_injected_clock() -> None:
    clock = FakeClock(start=50.0)
    events = [message_start(), clock.advance(0.4), text_start(0), text_delta(0, "a"), clock.advance(1.0),
              text_delta(0, "b"), block_stop(0), message_delta(output_tokens=8), message_stop()]
    result, *_ = stream([events], clock=clock)
    assert result.started == 50.0
    assert result.ttft_s == pytest.approx(0.4)
    assert result.duration_s == pytest.approx(1.4)
    assert result.output_tokens_per_s == pytest.approx(8 / 1.0)


def test_each_event_is_handed_on_after_feeding_with_its_time_since_the_attempt_started() -> None:
    clock = FakeClock(start=0.0)
    seen: list[tuple[str, float, str]] = []
    streamer_ref: list[RoundStreamer] = []

    def on_event(event: Any, ms: float) -> None:
        acc = streamer_ref[0].result.accumulator
        seen.append((event.type, ms, "".join(acc.blocks[0].text) if acc and 0 in acc.blocks else ""))

    client, sink = FakeClient([[message_start(), clock.advance(0.25), text_start(0), text_delta(0, "x"),
                                block_stop(0), message_delta(), message_stop()]]), RecordingSink()
    streamer = RoundStreamer(client, sink, policy=RetryPolicy(), on_event=on_event,  # type: ignore[arg-type]
                             clock=clock, sleep=clock.sleep)
    streamer_ref.append(streamer)
    asyncio.run(streamer.run(dict(PARAMS)))
    assert [kind for kind, _, _ in seen] == ["message_start", "content_block_start", "content_block_delta",
                                             "content_block_stop", "message_delta", "message_stop"]
    assert seen[0][1] == 0.0 and seen[1][1] == pytest.approx(250.0)
    assert seen[2][2] == "x"  # the accumulator already holds the delta the handler is told about


# -- retries before the first token ----------------------------------------------------------------


def test_rate_limit_and_overload_are_retried_with_notices_and_the_servers_wait() -> None:
    replies = [
        status_error(429, "rate_limit_error", "Number of requests has exceeded your rate limit",
                     headers={"retry-after": "3"}),
        status_error(529, "overloaded_error", "Overloaded", headers={"retry-after-ms": "1500"}),
        text_message("Fine", " now"),
    ]
    result, sink, client, clock = stream(replies, policy=RetryPolicy(max_retries=4))
    assert clock.sleeps == [3.0, 1.5]
    # Each wait is announced, then cleared; the text comes after.
    assert sink.lanes == [
        Notice("Rate limited (429): retrying in 3.0 s, retry 1 of 4"), Notice(""),
        Notice("Overloaded (529): retrying in 1.5 s, retry 2 of 4"), Notice(""),
        Text("Fine"), Text(" now"),
    ]
    assert (result.attempts, result.error, result.text) == (3, None, "Fine now")
    assert len(client.requests) == 3 and all(r == PARAMS for r in client.requests)
    # The waits are part of the time to first token, measured from the first request.
    assert result.ttft_s == pytest.approx(4.5)
    assert result.attempt_started - result.started == pytest.approx(4.5)


def test_without_a_retry_after_the_waits_are_full_jitter_growing_to_the_cap() -> None:
    policy = RetryPolicy(max_retries=4, base_s=0.5, cap_s=1.5)
    random.seed(20261130)  # the policy's default randomness is the random module's
    draws = random.Random(20261130)
    expected = [draws.random() * bound for bound in (0.5, 1.0, 1.5)]
    result, sink, _, clock = stream([connection_error(), connection_error(), connection_error(),
                                     text_message("ok")], policy=policy)
    assert clock.sleeps == pytest.approx(expected)
    assert [n for n in sink.notices if n] == [
        f"Connection failed: retrying in {delay:.1f} s, retry {i} of 4" for i, delay in enumerate(expected, 1)
    ]
    assert (result.attempts, result.text) == (4, "ok")


def test_gives_up_after_max_retries_with_the_last_error() -> None:
    overloaded = [status_error(529, "overloaded_error", "Overloaded", headers={"retry-after": "1"}) for _ in range(3)]
    result, sink, client, clock = stream(list(overloaded), policy=RetryPolicy(max_retries=2))
    assert result.error is overloaded[2] and isinstance(result.error, anthropic.OverloadedError)
    assert (result.attempts, len(client.requests), clock.sleeps) == (3, 3, [1.0, 1.0])
    assert result.text == "" and result.first_text_at is None
    assert result.ended is not None and result.duration_s == pytest.approx(2.0)


@pytest.mark.parametrize("status,kind", [(400, "invalid_request_error"), (401, "authentication_error"),
                                         (404, "not_found_error"), (413, "request_too_large")])
def test_a_refused_request_is_not_retried(status: int, kind: str) -> None:
    result, sink, client, clock = stream([status_error(status, kind, "no")])
    assert isinstance(result.error, anthropic.APIStatusError) and result.error.status_code == status
    assert (result.attempts, len(client.requests), clock.sleeps, sink.lanes) == (1, 1, [], [])


def test_the_servers_x_should_retry_false_is_obeyed() -> None:
    refused = status_error(529, "overloaded_error", "Overloaded", headers={"x-should-retry": "false"})
    result, _, client, clock = stream([refused, text_message("never")])
    assert result.error is refused and len(client.requests) == 1 and clock.sleeps == []


def test_a_stall_before_the_first_token_is_retried() -> None:
    result, sink, _, clock = stream([[message_start(), stall()], text_message("second")],
                                    policy=RetryPolicy(max_retries=1, base_s=0.0))
    assert (result.attempts, result.error, result.text) == (2, None, "second")
    assert sink.notices == ["Connection failed: retrying in 0.0 s, retry 1 of 1", ""]


# -- an `event: error` inside the stream (the SDK raises it with status 200) ---------------------------


def test_an_error_event_before_any_text_is_retried_and_the_retry_starts_afresh() -> None:
    first = [message_start(input_tokens=999), text_start(0), status_error(200, "overloaded_error", "Overloaded")]
    second = [message_start(input_tokens=12), text_start(0), text_delta(0, "Answer"), block_stop(0),
              message_delta(output_tokens=3), message_stop()]
    result, sink, _, clock = stream([first, second], policy=RetryPolicy(base_s=0.0))
    assert result.attempts == 2 and result.error is None
    assert sink.notices == ["overloaded_error: retrying in 0.0 s, retry 1 of 4", ""]
    # Nothing of the failed attempt survives: its usage, its empty block.
    assert (result.input_tokens, result.output_tokens) == (12, 3)
    assert result.content == [{"type": "text", "text": "Answer"}]
    assert result.request_id == "req_2"


def test_an_error_event_after_thinking_was_shown_is_not_retried_so_nothing_shows_twice() -> None:
    overloaded = status_error(200, "overloaded_error", "Overloaded")
    first = [message_start(), thinking_start(0), thinking_delta(0, "Let me think"), overloaded]
    result, sink, client, _ = stream([first, text_message("never")], policy=RetryPolicy(base_s=0.0))
    assert result.error is overloaded and len(client.requests) == 1
    assert [lane.text for lane in sink.lanes if isinstance(lane, Thinking)] == ["Let me think"]


def test_an_error_event_of_a_kind_retrying_cannot_fix_is_not_retried() -> None:
    invalid = status_error(200, "invalid_request_error", "prompt is too long")
    result, sink, client, _ = stream([[message_start(), invalid], text_message("never")])
    assert result.error is invalid and len(client.requests) == 1 and sink.lanes == []


def test_an_error_event_after_text_is_not_retried_and_the_text_stays() -> None:
    overloaded = status_error(200, "overloaded_error", "Overloaded")
    events = [message_start(), text_start(0), text_delta(0, "Half an"), text_delta(0, " answer"), overloaded]
    result, sink, client, clock = stream([events, text_message("never asked")])
    assert result.error is overloaded and result.error.status_code == 200
    assert (result.attempts, len(client.requests), clock.sleeps) == (1, 1, [])
    assert result.text == sink.text == "Half an answer"
    assert sink.notices == []


# -- a stream that stops early --------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [stall, drop], ids=["stall", "drop"])
def test_a_stall_or_drop_after_text_keeps_the_partial_text_and_sets_the_error(failure: Any) -> None:
    clock = FakeClock(start=0.0)
    exc = failure()
    events = [message_start(), text_start(0), clock.advance(0.2), text_delta(0, "The first"),
              text_delta(0, " half"), clock.advance(60.0), exc]
    result, sink, client, _ = stream([events, text_message("never")], clock=clock)
    assert result.error is exc
    assert isinstance(exc, (httpx2.ReadTimeout, httpx2.RemoteProtocolError))
    assert result.text == sink.text == "The first half"
    assert result.content == []  # the message never completed: only the partial text is kept
    assert result.attempts == 1 and len(client.requests) == 1
    assert result.duration_s == pytest.approx(60.2) and result.ttft_s == pytest.approx(0.2)


def test_a_cut_stream_counts_each_delta_as_at_least_one_output_token() -> None:
    events = [message_start(input_tokens=30, output_tokens=1), text_start(0),
              *(text_delta(0, w) for w in ("one ", "two ", "three ", "four ", "five")), drop()]
    result, *_ = stream([events])
    assert result.final_usage is False
    assert (result.input_tokens, result.output_tokens) == (30, 5)


def test_a_stream_that_ends_without_message_delta_is_settled_too() -> None:
    events = [message_start(output_tokens=1), text_start(0), text_delta(0, "a"), text_delta(0, "b"),
              text_delta(0, "c"), block_stop(0)]
    result, *_ = stream([events])
    assert result.error is None and result.final_usage is False and result.output_tokens == 3


def test_message_deltas_count_is_kept_when_it_arrived_even_below_the_delta_count() -> None:
    events = [message_start(output_tokens=1), text_start(0), *(text_delta(0, c) for c in "abcde"), block_stop(0),
              message_delta(output_tokens=2), message_stop()]
    result, *_ = stream([events])
    assert result.final_usage is True and result.output_tokens == 2


def test_a_cancelled_stream_keeps_its_partial_text_and_its_duration() -> None:
    clock = FakeClock(start=0.0)
    shown = asyncio.Event()

    async def run() -> tuple[RoundResult, RecordingSink]:
        hang = asyncio.Event()
        events = [message_start(), text_start(0), text_delta(0, "so far"), shown.set, clock.advance(2.0), hang.wait]
        sink = RecordingSink()
        streamer = RoundStreamer(FakeClient([events]), sink, policy=RetryPolicy(),  # type: ignore[arg-type]
                                 clock=clock, sleep=clock.sleep)
        task = asyncio.ensure_future(streamer.run(dict(PARAMS)))
        await shown.wait()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return streamer.result, sink

    result, sink = asyncio.run(run())
    assert result.text == sink.text == "so far"
    assert result.error is None and result.duration_s == pytest.approx(2.0)
    assert result.output_tokens == 1  # one delta arrived, message_start said 1: settled


# -- lanes -----------------------------------------------------------------------------------------------


def test_text_blocks_around_a_tool_call_are_separated_by_a_paragraph_break() -> None:
    events = [message_start(), text_start(0), text_delta(0, "Before."), block_stop(0),
              tool_start(1), json_delta(1, "{}"), block_stop(1),
              text_start(2), text_delta(2, "After."), block_stop(2),
              message_delta("tool_use"), message_stop()]
    result, sink, *_ = stream([events])
    assert sink.of(Text) == [Text("Before."), Text("\n\n"), Text("After.")]
    assert result.text == "Before.\n\nAfter."
    # The separator is for display; the content blocks sent back stay as the model wrote them.
    assert [b.get("text") for b in result.content] == ["Before.", None, "After."]


def test_an_empty_first_text_block_adds_no_leading_break() -> None:
    events = [message_start(), text_start(0), block_stop(0), text_start(1), text_delta(1, "Only."), block_stop(1),
              message_delta(), message_stop()]
    result, sink, *_ = stream([events])
    assert sink.of(Text) == [Text("Only.")] and result.text == "Only."


def test_a_recorded_tool_call_forms_its_input_lane_by_lane() -> None:
    events = fixture_events("tool_use_response.txt")
    fragments = [e.delta.partial_json for e in events
                 if e.type == "content_block_delta" and e.delta.type == "input_json_delta"]
    whole = "".join(fragments)
    assert whole == '{"location": "Paris"}'
    result, sink, *_ = stream([events])
    lanes = sink.of(ToolInput)
    # One at the start (empty delta), one per fragment, one done at the block's end.
    assert [lane.delta for lane in lanes] == ["", *fragments, ""]
    assert [lane.done for lane in lanes] == [False] * (len(fragments) + 1) + [True]
    assert {lane.name for lane in lanes} == {"get_weather"}
    # What each lane showed when it came: the input so far, the whole of it when done.
    assert sink.tool_so_far == ["", *("".join(fragments[: i + 1]) for i in range(len(fragments))), whole]
    assert lanes[-1].so_far == whole
    assert sink.text == "I'll check the current weather in Paris for you."
    assert result.stop_reason == "tool_use"
    assert result.content[1] == {"type": "tool_use", "id": "toolu_01NRLabsLyVHZPKxbKvkfSMn", "name": "get_weather",
                                 "input": {"location": "Paris"}}
    assert (result.input_tokens, result.output_tokens) == (377, 65)


def test_thinking_streams_in_its_own_lane_and_is_kept_with_its_signature() -> None:
    events = [message_start(), thinking_start(0), thinking_delta(0, "Let me "), thinking_delta(0, "think."),
              signature_delta(0, "sig-abc"), block_stop(0), redacted_thinking_start(1), block_stop(1),
              text_start(2), text_delta(2, "42."), block_stop(2), message_delta(), message_stop()]
    result, sink, *_ = stream([events])
    assert sink.lanes == [Thinking("Let me "), Thinking("think."), Thinking("", redacted=True), Text("42.")]
    assert result.text == "42."  # thinking is not answer text
    assert result.first_text_at is not None
    assert result.content == [
        {"type": "thinking", "thinking": "Let me think.", "signature": "sig-abc"},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va"},
        {"type": "text", "text": "42."},
    ]


def test_a_recorded_refusal_ends_with_no_text_and_its_stop_reason() -> None:
    result, sink, *_ = stream([fixture_events("refusal_response.txt")])
    assert (result.text, sink.lanes, result.stop_reason, result.output_tokens) == ("", [], "refusal", 0)
    assert result.final_usage is True


def test_thinking_time_runs_from_the_first_thinking_to_the_first_answer_text() -> None:
    clock = FakeClock()
    events = [message_start(), thinking_start(0), thinking_delta(0, "Hmm."), clock.advance(2.5),
              signature_delta(0, "sig"), block_stop(0), text_start(1), text_delta(1, "Yes."), block_stop(1),
              message_delta(), message_stop()]
    result, *_ = stream([events], clock=clock)
    assert result.thinking_s == 2.5
    assert result.shown_anything


def test_omitted_thinking_is_a_lane_of_its_own_and_keeps_its_signature() -> None:
    events = [message_start(), thinking_start(0), signature_delta(0, "sig-only"), block_stop(0),
              text_start(1), text_delta(1, "Yes."), block_stop(1), message_delta(), message_stop()]
    result, sink, *_ = stream([events])
    assert sink.lanes == [Thinking("", omitted=True), Text("Yes.")]
    assert result.content[0] == {"type": "thinking", "thinking": "", "signature": "sig-only"}
