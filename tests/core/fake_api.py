"""Fakes for the core's unit tests: the SDK's own events and errors, a fake client, sink and clock.

Nothing here opens a socket. Events are built with ``anthropic.types`` classes, errors with the
SDK's own mapping from a response to an exception class, and the recorded transcripts in
``tests/fixtures/sse`` are decoded by the SDK's own stream (``messages.create(stream=True)``
over an in-process ``httpx2.MockTransport``), so the core sees exactly what the SDK hands it.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import anthropic
import httpx2
from anthropic.types import (
    InputJSONDelta,
    Message,
    MessageDeltaUsage,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    RedactedThinkingBlock,
    SignatureDelta,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    Usage,
)
from anthropic._error_classes import make_status_error
from anthropic.types.raw_message_delta_event import Delta

from claude_magic.core.lanes import Ending, Lane, Notice, Text, Thinking, ToolInput, ToolResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sse"
REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/messages")
MODEL = "claude-sonnet-4-6"

# -- events ------------------------------------------------------------------------------------


def message_start(*, input_tokens: int = 12, output_tokens: int = 1, cache_read: int | None = None,
                  cache_creation: int | None = None, model: str = MODEL, id: str = "msg_fake") -> RawMessageStartEvent:
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_input_tokens=cache_read,
                  cache_creation_input_tokens=cache_creation)
    message = Message(id=id, type="message", role="assistant", content=[], model=model, stop_reason=None,
                      stop_sequence=None, usage=usage)
    return RawMessageStartEvent(type="message_start", message=message)


def text_start(index: int) -> RawContentBlockStartEvent:
    return RawContentBlockStartEvent(type="content_block_start", index=index,
                                     content_block=TextBlock(type="text", text=""))


def text_delta(index: int, text: str) -> RawContentBlockDeltaEvent:
    return RawContentBlockDeltaEvent(type="content_block_delta", index=index, delta=TextDelta(type="text_delta", text=text))


def tool_start(index: int, *, id: str = "toolu_1", name: str = "get_weather") -> RawContentBlockStartEvent:
    return RawContentBlockStartEvent(type="content_block_start", index=index,
                                     content_block=ToolUseBlock(type="tool_use", id=id, name=name, input={}))


def json_delta(index: int, partial: str) -> RawContentBlockDeltaEvent:
    return RawContentBlockDeltaEvent(type="content_block_delta", index=index,
                                     delta=InputJSONDelta(type="input_json_delta", partial_json=partial))


def thinking_start(index: int) -> RawContentBlockStartEvent:
    return RawContentBlockStartEvent(type="content_block_start", index=index,
                                     content_block=ThinkingBlock(type="thinking", thinking="", signature=""))


def thinking_delta(index: int, text: str) -> RawContentBlockDeltaEvent:
    return RawContentBlockDeltaEvent(type="content_block_delta", index=index,
                                     delta=ThinkingDelta(type="thinking_delta", thinking=text))


def signature_delta(index: int, signature: str) -> RawContentBlockDeltaEvent:
    return RawContentBlockDeltaEvent(type="content_block_delta", index=index,
                                     delta=SignatureDelta(type="signature_delta", signature=signature))


def redacted_thinking_start(index: int, data: str = "EmwKAhgBEgy3va") -> RawContentBlockStartEvent:
    return RawContentBlockStartEvent(type="content_block_start", index=index,
                                     content_block=RedactedThinkingBlock(type="redacted_thinking", data=data))


def block_stop(index: int) -> RawContentBlockStopEvent:
    return RawContentBlockStopEvent(type="content_block_stop", index=index)


def message_delta(stop_reason: str = "end_turn", *, output_tokens: int = 5, **usage: int) -> RawMessageDeltaEvent:
    return RawMessageDeltaEvent(type="message_delta", delta=Delta(stop_reason=stop_reason, stop_sequence=None),  # type: ignore[arg-type]
                                usage=MessageDeltaUsage(output_tokens=output_tokens, **usage))


def message_stop() -> RawMessageStopEvent:
    return RawMessageStopEvent(type="message_stop")


def text_message(*pieces: str, input_tokens: int = 12, output_tokens: int | None = None,
                 stop_reason: str = "end_turn") -> list[Any]:
    """A whole answer of one text block streamed as ``pieces``."""
    return [
        message_start(input_tokens=input_tokens),
        text_start(0),
        *(text_delta(0, piece) for piece in pieces),
        block_stop(0),
        message_delta(stop_reason, output_tokens=len(pieces) if output_tokens is None else output_tokens),
        message_stop(),
    ]


def fixture_events(name: str) -> list[Any]:
    """A recorded transcript as the SDK's own stream yields it (``ping`` consumed, as in the SDK).

    The SDK's SSE decoder dispatches an event only at the blank line that ends it, as the SSE
    standard says; a transcript whose last record has no blank line after it loses that record.
    """
    body = (FIXTURES / name).read_bytes()

    def reply(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    with anthropic.Anthropic(api_key="test-key", max_retries=0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(reply))) as client:
        stream = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}],
                                        stream=True)
        return list(stream)


# -- errors ------------------------------------------------------------------------------------


def status_error(status: int, error_type: str | None = None, message: str = "something went wrong", *,
                 headers: dict[str, str] | None = None) -> anthropic.APIStatusError:
    """The exception the SDK raises for this response (status 200: an ``event: error`` mid-stream)."""
    body = {"type": "error", "error": {"type": error_type, "message": message}} if error_type else None
    response = httpx2.Response(status, headers=headers or {}, request=REQUEST)
    # The function the SDK's client calls for an error response and for an `event: error`.
    return make_status_error(f"Error code: {status} - {body}", body=body, response=response)


def connection_error() -> anthropic.APIConnectionError:
    return anthropic.APIConnectionError(request=REQUEST)


def stall() -> httpx2.ReadTimeout:
    return httpx2.ReadTimeout("timed out", request=REQUEST)


def drop() -> httpx2.RemoteProtocolError:
    return httpx2.RemoteProtocolError("peer closed connection without sending complete message body", request=REQUEST)


# -- the client --------------------------------------------------------------------------------

#: One step of a scripted stream: an event to yield, an exception to raise, or a callable to call
#: (and await if it returns an awaitable): advance a fake clock, signal a test, hang.
Step = Any
#: What one request gets: an exception raised by ``create`` (nothing streamed), or a stream script.
Reply = BaseException | Iterable[Step]


class FakeStream:
    """What ``await messages.create(stream=True)`` returns: an async context manager and iterator."""

    def __init__(self, steps: Iterable[Step], *, request_id: str) -> None:
        self._steps = list(steps)
        self.response = httpx2.Response(200, headers={"request-id": request_id}, request=REQUEST)
        self.closed = False

    async def __aenter__(self) -> FakeStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.closed = True

    def __aiter__(self) -> Any:
        return self._events()

    async def _events(self) -> Any:
        for step in self._steps:
            if isinstance(step, BaseException):
                raise step
            if callable(step):
                result = step()
                if inspect.isawaitable(result):
                    await result
                continue
            yield step


class _Messages:
    def __init__(self, client: FakeClient) -> None:
        self._client = client

    async def create(self, **params: Any) -> FakeStream:
        assert params.pop("stream") is True, "the core streams every request"
        client = self._client
        client.requests.append(copy.deepcopy(params))
        reply = client._reply(params)
        if isinstance(reply, BaseException):
            raise reply
        stream = FakeStream(reply, request_id=client.request_id(len(client.requests), params))
        client.streams.append(stream)
        return stream


class FakeClient:
    """Stands in for ``anthropic.AsyncAnthropic``: answers from a list of replies, one per request,
    or from a function of the request's parameters (deterministic, like an emulator).

    Each stream's ``request-id`` is ``req_<n>`` for the n-th request, or what ``request_id``
    makes of (n, params).
    """

    def __init__(self, replies: list[Reply] | Callable[[dict[str, Any]], Reply], *,
                 request_id: Callable[[int, dict[str, Any]], str] = lambda n, params: f"req_{n}") -> None:
        self._replies = replies
        self.request_id = request_id
        self.requests: list[dict[str, Any]] = []
        self.streams: list[FakeStream] = []
        self.messages = _Messages(self)

    def _reply(self, params: dict[str, Any]) -> Reply:
        if callable(self._replies):
            return self._replies(params)
        assert self._replies, f"unexpected request number {len(self.requests)}"
        return self._replies.pop(0)


# -- the sink and the clock --------------------------------------------------------------------


class RecordingSink:
    """Records every call of the Sink protocol, and what a ToolInput lane showed when it came."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        #: ``so_far`` of each ToolInput lane at the moment it was pushed.
        self.tool_so_far: list[str] = []

    def begin(self) -> None:
        self.calls.append(("begin", None))

    def push(self, lane: Lane) -> None:
        self.calls.append(("push", lane))
        if isinstance(lane, ToolInput):
            self.tool_so_far.append(lane.so_far)

    def end(self, ending: Ending) -> None:
        self.calls.append(("end", ending))

    @property
    def lanes(self) -> list[Lane]:
        return [lane for kind, lane in self.calls if kind == "push"]

    def of(self, kind: type) -> list[Any]:
        return [lane for lane in self.lanes if isinstance(lane, kind)]

    @property
    def text(self) -> str:
        return "".join(lane.text for lane in self.of(Text))

    @property
    def notices(self) -> list[str]:
        return [lane.line for lane in self.of(Notice)]

    @property
    def endings(self) -> list[Ending]:
        return [ending for kind, ending in self.calls if kind == "end"]


class FakeClock:
    """An injected ``clock`` and ``sleep``: time moves only when a test or a wait moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> Callable[[], None]:
        """A stream step that lets ``seconds`` pass."""

        def step() -> None:
            self.now += seconds

        return step

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


__all__ = [
    "FIXTURES", "MODEL", "REQUEST", "FakeClient", "FakeClock", "FakeStream", "RecordingSink",
    "Notice", "Text", "Thinking", "ToolInput", "ToolResult",
    "block_stop", "connection_error", "drop", "fixture_events", "json_delta", "message_delta", "message_start",
    "message_stop", "redacted_thinking_start", "signature_delta", "stall", "status_error", "text_delta",
    "text_message", "text_start", "thinking_delta", "thinking_start", "tool_start",
]
