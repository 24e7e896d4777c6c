"""The recording proxy: forward every request upstream, stream the answer back, save the exchange.

The key sent upstream is the client's own (``x-api-key`` or ``Authorization: Bearer``), or
``ANTHROPIC_API_KEY`` from the proxy's environment when the client sent none (or sent the
room token). It goes upstream and nowhere else: the recording keeps no auth header, and the
key is replaced wherever the upstream echoed it. Each answer is sent on as it arrives, and
saved (see :mod:`._recording`) once complete, as one numbered file per exchange. A client that
leaves mid-answer ends the upstream request, and nothing is saved for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from ._events import new_id
from ._faults import error_response
from ._guard import ROOM_TOKEN_MARK, request_key
from ._recording import Exchange, cut_sse, kept_request_headers, safe_headers, sse_kind
from ._sse import watch_disconnect

if TYPE_CHECKING:
    from ._context import EmulatorState, RecordedRequest

__all__ = ["RecordingProxy", "error_reply", "logged_request"]

# Not forwarded: framing httpx redoes, the host, and auth (the proxy sets its own).
_NOT_FORWARDED = {
    "host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding",
    "x-api-key", "authorization",
}  # fmt: skip
_SECRET_HEADERS = ("x-api-key", "authorization")


def logged_request(request: Request, body: bytes) -> RecordedRequest:
    """The request as ``Emulator.requests`` keeps it: auth headers redacted, body parsed."""
    from ._recorded import RecordedRequest

    headers = {k: ("[redacted]" if k in _SECRET_HEADERS else v) for k, v in request.headers.items()}
    try:
        parsed: Any = json.loads(body) if body else None
    except (ValueError, RecursionError):
        parsed = None
    return RecordedRequest(request.method, request.url.path, headers, parsed, received_at=time.time())


class RecordingProxy:
    """ASGI app: the recording proxy in front of ``upstream``, saving into ``folder``."""

    def __init__(self, upstream: str, folder: str | Path, state: EmulatorState, *, key: str | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.state = state
        self._key = key
        self._saved = len(list(self.folder.glob("*.json")))  # a second session numbers on
        self._client: httpx2.AsyncClient | None = None

    def _upstream_key(self, headers: dict[str, str]) -> str | None:
        sent = request_key(headers)
        if sent is not None and sent != ROOM_TOKEN_MARK:
            return sent
        return self._key or os.environ.get("ANTHROPIC_API_KEY") or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        headers = dict(request.headers)
        record = logged_request(request, body)
        self.state.requests.append(record)
        key = self._upstream_key(headers)
        if key is None:
            message = "x-api-key header is required (or start the recording proxy with ANTHROPIC_API_KEY set)"
            await error_reply(401, "authentication_error", message)(scope, receive, send)
            return
        forwarded = {k: v for k, v in headers.items() if k not in _NOT_FORWARDED}
        if headers.get("authorization", "").lower().startswith("bearer ") and request_key(headers) == key:
            forwarded["authorization"] = f"Bearer {key}"
        else:
            forwarded["x-api-key"] = key
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        exchange = Exchange(scope["method"], scope["path"], query, kept_request_headers(headers), body)
        if self._client is None:
            self._client = httpx2.AsyncClient(timeout=httpx2.Timeout(600.0, connect=10.0))
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            response = await self._client.send(
                self._client.build_request(scope["method"], url, headers=forwarded, content=body), stream=True
            )
        except httpx2.HTTPError as exc:
            message = f"the upstream {self.upstream} did not answer: {type(exc).__name__}"
            await error_reply(502, "api_error", message)(scope, receive, send)
            return
        gone = asyncio.Event()
        watcher = asyncio.create_task(watch_disconnect(receive, gone))
        try:
            await self._relay(response, exchange, record, send, started, gone)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await response.aclose()  # a client that left ends the upstream request too
        if gone.is_set():
            return  # an answer cut short is not kept: its replay would be cut short as well
        # Saved before the answer ends, so a client that has its answer finds it recorded.
        self._save(exchange, secret=key)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _relay(
        self,
        response: httpx2.Response,
        exchange: Exchange,
        record: RecordedRequest,
        send: Send,
        started: float,
        gone: asyncio.Event,
    ) -> None:
        """Send the upstream's answer on as it arrives (all but its end), keeping chunks and times."""
        loop = asyncio.get_running_loop()
        exchange.status = response.status_code
        exchange.headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED]
        exchange.headers_at = loop.time() - started
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in exchange.headers]
        await send({"type": "http.response.start", "status": response.status_code, "headers": raw_headers})
        pending = b""
        async for data in response.aiter_bytes():
            if gone.is_set():
                return
            await send({"type": "http.response.body", "body": data, "more_body": True})
            at = loop.time() - started
            if exchange.streamed:
                records, pending = cut_sse(pending + data)
                for sse_record in records:
                    exchange.chunks.append((at, sse_record))
                    record.sent.append((time.time(), sse_kind(sse_record)))
            else:
                pending += data
        if pending:
            exchange.chunks.append((loop.time() - started, pending))

    def _save(self, exchange: Exchange, *, secret: str) -> None:
        exchange.headers = safe_headers(exchange.headers)
        self._saved += 1
        slug = exchange.path.strip("/").replace("/", "_") or "root"
        path = self.folder / f"{self._saved:04d}-{slug}-{exchange.key[:8]}.json"
        partial = path.with_suffix(".json.partial")
        partial.write_text(exchange.to_json(secret=secret), encoding="utf-8")
        partial.replace(path)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# Dropped before the answer goes to the client: the server redoes the framing.
_DROPPED = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


def error_reply(status: int, error_type: str, message: str) -> Any:
    request_id = new_id("req_")
    return error_response(status, error_type, message, request_id=request_id, headers={"request-id": request_id})
