"""Sending on a schedule: the ASGI response that writes SSE records, waits, stalls and drops.

A reply is a list of steps (:class:`Send`, :class:`Sleep`, :class:`Stall`, :class:`Drop`)
run by :class:`ScheduledResponse`. Each response waits with ``asyncio.sleep`` on its own,
so thirty concurrent streams keep their own pace; nothing here takes a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.types import Receive, Scope
from starlette.types import Send as ASGISend

if TYPE_CHECKING:
    from ._recorded import RecordedRequest

__all__ = ["Drop", "ScheduledResponse", "Send", "Sleep", "Stall", "Step", "watch_disconnect"]

# Seconds to wait for the socket to close after a deliberate drop.
_DROP_GRACE_S = 5.0


@dataclass(frozen=True)
class Send:
    """Write one SSE record (starting the event-stream response on the first one)."""

    data: bytes
    kind: str


@dataclass(frozen=True)
class Sleep:
    """Pace: wait so that this step happens ``seconds`` after the previous paced one."""

    seconds: float


@dataclass(frozen=True)
class Stall:
    """Send nothing for ``seconds`` (``None``: until the client goes away), then go on."""

    seconds: float | None


@dataclass(frozen=True)
class Drop:
    """Close the connection mid-response, leaving the chunked body incomplete."""


Step = Send | Sleep | Stall | Drop


class ScheduledResponse(Response):
    """Runs steps; ends with the SSE stream's last chunk, or with ``final`` if nothing was sent."""

    def __init__(
        self,
        steps: Iterable[Step],
        *,
        record: RecordedRequest,
        closing: asyncio.Event,
        headers: dict[str, str],
        final: Response | None = None,
    ) -> None:
        super().__init__(headers=headers)
        self._steps = steps
        self._record = record
        self._closing = closing
        self._final = final
        self._extra_headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: ASGISend) -> None:
        gone = asyncio.Event()
        watcher = asyncio.create_task(watch_disconnect(receive, gone))
        try:
            await self._run(scope, receive, send, gone)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _run(self, scope: Scope, receive: Receive, send: ASGISend, gone: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        started = False
        for step in self._steps:
            if gone.is_set():
                return
            if self._closing.is_set():
                # The server is stopping: do not hold its shutdown up with a long stream.
                await _drop(receive, gone)
                return
            if isinstance(step, Send):
                if not started:
                    await send({"type": "http.response.start", "status": 200, "headers": self._sse_headers()})
                    started = True
                await send({"type": "http.response.body", "body": step.data, "more_body": True})
                self._record.sent.append((time.time(), step.kind))
            elif isinstance(step, Sleep):
                # Deadlines accumulate, so per-delta overhead does not slow the pace down.
                deadline += step.seconds
                if (delay := deadline - loop.time()) > 0:
                    await asyncio.sleep(delay)
            elif isinstance(step, Stall):
                await _first_of(gone, self._closing, timeout=step.seconds)
                deadline = loop.time()
            else:
                await _drop(receive, gone)
                return
        if started:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            final = self._final or Response(status_code=204, headers=self._extra_headers)
            await final(scope, receive, send)

    def _sse_headers(self) -> list[tuple[bytes, bytes]]:
        headers = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
        headers.update(self._extra_headers)
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


async def watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    """Set ``gone`` when the client disconnects."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def _first_of(*events: asyncio.Event, timeout: float | None) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


async def _drop(receive: Receive, gone: asyncio.Event) -> None:
    """Close the socket under the response so the client sees an incomplete body.

    ASGI has no "abort" message. Uvicorn's ``receive`` is a method of its request cycle,
    which holds the transport; closing it flushes what was written, then ends the TCP
    stream without the last chunk. Waiting for the disconnect before returning keeps
    uvicorn from logging "returned without completing response". Any other server gets
    an exception, which also ends the response without its last chunk.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("claude_magic emulator: connection dropped on purpose")
    transport.close()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(gone.wait(), _DROP_GRACE_S)
