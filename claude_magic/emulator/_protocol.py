"""Uvicorn's HTTP/1.1 protocol with a deadline on headers, and errors in the API's shape.

Uvicorn times out an idle keep-alive connection, but not one that never completes its
headers: a client sending a byte a second held a connection (and a slot) forever. Here a
request's headers must be complete ``header_timeout`` seconds after its first byte (or after
the connection opened); otherwise the client gets a 408 in the API's JSON and is closed.
A request h11 cannot parse gets a 400 in the API's JSON instead of uvicorn's plain text,
and neither case writes a warning (a room server's terminal stays readable).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from ._events import new_id
from ._faults import error_body

__all__ = ["GuardedH11Protocol"]

# Uvicorn's per-connection messages ("Invalid HTTP request received.", a failed app) go here,
# not to "uvicorn.error": the answer says it already, and a notebook shows stderr in red.
# Add a handler to this logger to see them.
_quiet = logging.getLogger("claude_magic.emulator.http")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def _raw_error(status: int, reason: str, error_type: str, message: str) -> bytes:
    """A complete HTTP/1.1 error response that closes the connection, written without h11."""
    request_id = new_id("req_")
    body = json.dumps(error_body(error_type, message, request_id)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"request-id: {request_id}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedH11Protocol(H11Protocol):
    """``H11Protocol`` plus the header deadline (pass ``header_timeout`` with functools.partial)."""

    def __init__(self, *args: Any, header_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = _quiet
        self.header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._heard = False  # a byte of the pending request has arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            self._heard = True
            if self._header_timer is None:
                self._arm()
        super().data_received(data)
        if self.cycle is not cycle:  # headers complete: the app (and its body deadline) takes over
            self._disarm()
            self._heard = False

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Between requests the keep-alive timeout applies, until the next request's first byte.
        self._disarm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._heard:
            message = f"The request headers did not arrive within {self.header_timeout:g} s."
            self.transport.write(_raw_error(408, "Request Timeout", "timeout_error", message))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        message = "The request is not valid HTTP/1.1."
        self.transport.write(_raw_error(400, "Bad Request", "invalid_request_error", message))
        self.transport.close()

    def _unsupported_upgrade_warning(self) -> None:
        pass  # the emulator speaks no WebSocket; a client asking for one gets plain HTTP, silently
