"""The streaming core: one request's raw events into a sink, with timing and usage.

Knows nothing of Jupyter. It retries failures that happen before anything was shown (see
``_retry.py``), feeds every text delta to the sink as it arrives, and keeps what arrived so
far on ``self.result`` so an interrupted or failed stream still yields its partial text.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import anthropic

from ..usage.record import TokenCounts
from .accumulate import MessageAccumulator
from .errors import is_retryable, status_name
from .lanes import Citation, Notice, Sink, Text, Thinking, ToolInput
from .retry import RetryPolicy

__all__ = ["RoundResult", "RoundStreamer"]

_RETRYABLE_STREAM_ERRORS = {"overloaded_error", "rate_limit_error", "api_error"}


@dataclass(kw_only=True)
class RoundResult(TokenCounts):
    """What one request produced, complete or not (its token counts included)."""

    #: The text received, in pieces: joining once is linear, `+=` on an attribute per token is not.
    parts: list[str] = field(default_factory=list)
    content: list[Any] = field(default_factory=list)  # blocks as dicts, for the conversation
    stop_reason: str | None = None
    request_id: str | None = None
    started: float = 0.0  # clock() when the first attempt was sent
    attempt_started: float = 0.0  # clock() when the attempt that answered was sent
    first_text_at: float | None = None
    first_thinking_at: float | None = None
    ended: float | None = None
    attempts: int = 0
    error: BaseException | None = None
    accumulator: MessageAccumulator | None = None
    #: Content deltas received, and whether message_delta's final usage arrived.
    deltas: int = 0
    final_usage: bool = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    #: A thinking or tool-input lane went to the sink (text sets first_text_at).
    other_content_shown: bool = False

    @property
    def shown_anything(self) -> bool:
        # Once anything is on screen, a retry would show it twice: no retry past this point.
        return self.first_text_at is not None or self.other_content_shown

    @property
    def thinking_s(self) -> float | None:
        """From the first thinking to the first answer text (or the end, if none came)."""
        if self.first_thinking_at is None:
            return None
        until = self.first_text_at if self.first_text_at is not None else self.ended
        return None if until is None else max(0.0, until - self.first_thinking_at)

    @property
    def ttft_s(self) -> float | None:
        # From the first request: retries before the first token are part of the wait.
        return None if self.first_text_at is None else self.first_text_at - self.started

    @property
    def duration_s(self) -> float | None:
        return None if self.ended is None else self.ended - self.started

    @property
    def output_tokens_per_s(self) -> float | None:
        # Generation rate: tokens over the time from first text to the end.
        if self.first_text_at is None or self.ended is None or not self.output_tokens:
            return None
        span = self.ended - self.first_text_at
        return self.output_tokens / span if span > 0 else None


def _retry_notice(exc: BaseException, delay: float, retry: int, max_retries: int) -> str:
    if isinstance(exc, anthropic.APIStatusError):
        what = f"{status_name(exc.status_code)} ({exc.status_code})" if exc.status_code != 200 else str(exc.type)
    else:
        what = "Connection failed"
    return f"{what}: retrying in {delay:.1f} s, retry {retry} of {max_retries}"


def _worth_retrying(exc: BaseException) -> bool:
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code == 200:
        # An `event: error` before any text: nothing shown, so asking again repeats nothing.
        return exc.type in _RETRYABLE_STREAM_ERRORS
    return is_retryable(exc)


class RoundStreamer:
    """Streams one request (with retries before the first token) into ``sink``."""

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        sink: Sink,
        *,
        policy: RetryPolicy,
        on_event: Callable[[Any, float], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._sink = sink
        self._policy = policy
        self._on_event = on_event
        self._clock = clock
        self._sleep = sleep
        self.result = RoundResult()

    async def run(self, params: dict[str, Any]) -> RoundResult:
        result = self.result
        result.started = self._clock()
        while True:
            result.attempts += 1
            result.attempt_started = self._clock()
            try:
                await self._attempt(params)
                result.ended = self._clock()
                return result
            except Exception as exc:  # noqa: BLE001 - every failure ends in a result the user sees
                retries_done = result.attempts - 1
                if not result.shown_anything and _worth_retrying(exc) and retries_done < self._policy.max_retries:
                    delay = self._policy.delay_s(retries_done + 1, exc)
                    self._sink.push(Notice(_retry_notice(exc, delay, retries_done + 1, self._policy.max_retries)))
                    await self._sleep(delay)
                    self._sink.push(Notice(""))
                    continue
                result.error = exc
                result.ended = self._clock()
                return result
            finally:
                if result.ended is None and result.error is None:
                    # Cancelled (interrupt or Stop): the time it stopped is still its duration.
                    result.ended = self._clock()
                self.settle_usage()

    async def _attempt(self, params: dict[str, Any]) -> None:
        result = self.result
        # A fresh accumulator per attempt: a retried request starts its message again.
        acc = result.accumulator = MessageAccumulator()
        result.deltas, result.final_usage = 0, False
        text_blocks_seen = 0
        stream = await self._client.messages.create(**params, stream=True)
        async with stream:
            result.request_id = stream.response.headers.get("request-id")
            on_event = self._on_event
            async for event in stream:
                kind = event.type
                if kind == "content_block_start" and getattr(event.content_block, "type", None) == "text":
                    if text_blocks_seen and result.parts:
                        # Separate text blocks (around tool calls) as paragraphs.
                        result.parts.append("\n\n")
                        self._sink.push(Text("\n\n"))
                    text_blocks_seen += 1
                text = acc.feed(event)
                if on_event is not None:
                    # After feeding, so a handler sees the accumulator with this event in it.
                    on_event(event, (self._clock() - result.attempt_started) * 1000)
                if kind == "content_block_delta":
                    result.deltas += 1
                if text:
                    if result.first_text_at is None:
                        result.first_text_at = self._clock()
                    result.parts.append(text)
                    self._sink.push(Text(text))
                elif kind in ("content_block_start", "content_block_delta", "content_block_stop"):
                    self._push_block_lane(acc, event)
                elif kind in ("message_start", "message_delta"):
                    for name, value in acc.usage.items():
                        setattr(result, name, value)
                    result.stop_reason = acc.stop_reason
                    result.final_usage = kind == "message_delta"
        result.content = acc.content()

    def _push_block_lane(self, acc: MessageAccumulator, event: Any) -> None:
        """Thinking, tool input and citations as their own lanes (text went out above)."""
        block = acc.blocks.get(event.index)
        if block is not None and block.type == "text" and event.type == "content_block_stop":
            # After the text they cite, so a display can put its marker right behind it.
            for citation in block.citations:
                self._sink.push(Citation(citation))
            return
        if block is None or block.type not in ("tool_use", "thinking", "redacted_thinking"):
            return
        self.result.other_content_shown = True
        if block.type == "tool_use":
            name = block.data.get("name", "?")
            if event.type == "content_block_delta":
                if getattr(event.delta, "type", None) == "input_json_delta":
                    self._sink.push(ToolInput(name, event.delta.partial_json, block.raw_json))
            else:
                self._sink.push(ToolInput(name, "", block.raw_json, done=event.type == "content_block_stop"))
        elif block.type == "thinking":
            if event.type == "content_block_delta" and getattr(event.delta, "type", None) == "thinking_delta":
                self._thinking_started()
                self._sink.push(Thinking(event.delta.thinking))
            elif event.type == "content_block_stop" and not "".join(block.thinking):
                # display "omitted": a signed block with no text.
                self._thinking_started()
                self._sink.push(Thinking("", omitted=True))
        elif block.type == "redacted_thinking" and event.type == "content_block_stop":
            self._thinking_started()
            self._sink.push(Thinking("", redacted=True))

    def _thinking_started(self) -> None:
        if self.result.first_thinking_at is None:
            self.result.first_thinking_at = self._clock()

    def settle_usage(self) -> None:
        """A stream cut before message_delta only has message_start's placeholder output count
        (1): count each delta received as at least one token, a lower bound."""
        result = self.result
        if not result.final_usage:
            result.output_tokens = max(result.output_tokens, result.deltas)
