"""Replaying a recording folder: each request gets the recording of the same request, at its pace.

The answer goes out as it was recorded: status, headers, and the body's chunks byte for byte,
each at the time it arrived when recorded (counted from when this request came in). A
request with no recording gets a 404 ``not_found_error`` naming it, and ``on_miss`` (the
command line prints it) hears about it in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._guard import request_key
from ._proxy import error_reply, logged_request
from ._recording import Exchange, Recordings, describe_request, sse_kind
from ._sse import ScheduledResponse, Sleep, Step
from ._sse import Send as SendStep

if TYPE_CHECKING:
    from ._context import EmulatorState, RecordedRequest

__all__ = ["Playback"]


class Playback:
    """ASGI app answering from ``recordings``."""

    def __init__(
        self, recordings: Recordings, state: EmulatorState, *, on_miss: Callable[[str], None] | None = None
    ) -> None:
        self.recordings = recordings
        self.state = state
        self.on_miss = on_miss

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        record = logged_request(request, body)
        self.state.requests.append(record)
        if request_key(dict(request.headers)) is None:
            await error_reply(401, "authentication_error", "x-api-key header is required")(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        exchange = self.recordings.next_for(scope["method"], scope["path"], query, body)
        if exchange is None:
            what = describe_request(scope["method"], scope["path"], body)
            if self.on_miss is not None:
                self.on_miss(f"replay: no recording for {what}")
            message = f"no recording for {what} in {self.recordings.name}: record it with --record"
            await error_reply(404, "not_found_error", message)(scope, receive, send)
            return
        await _answer(exchange, record, self.state)(scope, receive, send)


def _answer(exchange: Exchange, record: RecordedRequest, state: EmulatorState) -> Response:
    """The recorded answer as a response that keeps the recorded pace."""
    steps: list[Step] = []
    previous = 0.0
    for at, data in exchange.chunks:
        steps.append(Sleep(max(at - previous, 0.0)))
        previous = max(at, previous)
        steps.append(SendStep(data, sse_kind(data)))
    headers = dict(exchange.headers)
    if exchange.streamed and exchange.status == 200:
        return ScheduledResponse(steps, record=record, closing=state.closing, headers=headers)
    final = Response(b"".join(data for _, data in exchange.chunks), status_code=exchange.status, headers=headers)
    waits = [Sleep(previous)] if previous else []
    return ScheduledResponse(waits, record=record, closing=state.closing, headers=headers, final=final)
