"""The server's guard: every request answered in the API's error shape, within limits.

It wraps whichever app serves (the emulator's routes, the recording proxy, a replay). Before
the app: the room token is checked; a body over the route's cap is refused with 413
``request_too_large``, from ``Content-Length`` before a byte is read or while a chunked body
arrives; the body is read within the deadlines (a client that stops gets 408); JSON that
would crash the app (nested too deep, a lone surrogate) is refused as invalid JSON. The app
then gets the whole body at once. Around the app: a write to a client that has gone is
dropped (asyncio logs "socket.send() raised exception." for each write to a lost
connection), and an exception becomes the API's 500 ``api_error``, not a traceback on stderr.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._events import new_id
from ._faults import error_response
from ._limits import MB, Limits

__all__ = ["MAX_JSON_DEPTH", "ROOM_TOKEN_MARK", "Guard", "api_error_handler", "json_problem", "request_key"]

logger = logging.getLogger("claude_magic.emulator")

#: What the app sees in place of the room token, so no request log ever holds the token.
ROOM_TOKEN_MARK = "room-token"
#: Deeper JSON is refused: Python's own parser and encoder give up near 1,000 levels.
MAX_JSON_DEPTH = 200
# A JSON escape of a surrogate, high or low; only then can a string hold a lone one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_TOO_LARGE = "Request exceeds the maximum allowed number of bytes."


class _Refused(Exception):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


class _ClientGone(Exception):
    """The client hung up before its request was complete: there is nobody to answer."""


def request_key(headers: dict[str, str]) -> str | None:
    """The key a request carries, as the SDK sends it: ``x-api-key`` or ``Authorization: Bearer``."""
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def json_problem(body: bytes) -> str | None:
    """Why ``body`` is JSON the app must not get, or None (invalid JSON is the app's to refuse)."""
    try:
        # Strictly: Python's own decoder lets UTF-8-encoded surrogates through, which crash an echo.
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "request body is not valid JSON: it is not UTF-8"
    deep_enough = text.count("[") + text.count("{") > MAX_JSON_DEPTH
    escaped_surrogate = _SURROGATE_ESCAPE.search(body) is not None
    if not (deep_enough or escaped_surrogate):
        return None  # the common case: nothing to parse here (a 30 MB body is parsed once, by the app)
    try:
        parsed = json.loads(text)
    except RecursionError:
        return f"request body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels"
    except ValueError:
        return None
    if deep_enough and _deeper_than(parsed, MAX_JSON_DEPTH):
        return f"request body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels"
    if escaped_surrogate:
        try:
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return "request body is not valid JSON: a string holds a lone surrogate (\\ud800 to \\udfff, unpaired)"
    return None


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _transport(receive: Receive) -> asyncio.BaseTransport | None:
    # Uvicorn's `receive` is a method of its request cycle, which holds the transport.
    return getattr(getattr(receive, "__self__", None), "transport", None)


class _Body:
    """The app's ``receive``: the whole body at once, then the server's own (for disconnects).

    It keeps ``transport`` so that ``_sse._drop`` can still close the connection under a response.
    """

    def __init__(self, body: bytes, receive: Receive) -> None:
        self._body: bytes | None = body
        self._receive = receive
        self.transport = _transport(receive)

    async def receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        return await self._receive()


class _Reply:
    """The app's ``send``: knows whether a response started; drops writes once the client left."""

    def __init__(self, send: Send, receive: Receive) -> None:
        self._send = send
        self._transport = _transport(receive)
        self.started = False

    async def send(self, message: Message) -> None:
        if self._transport is not None and self._transport.is_closing():
            # Let the server see the lost connection, so the app's disconnect watch fires.
            await asyncio.sleep(0)
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class Guard:
    """ASGI middleware that answers every HTTP request (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, limits: Limits | None = None, token: str | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reply = _Reply(send, receive)
        try:
            scope = self._admit(scope)
            body = await self._read_body(scope, receive)
            if body and (problem := self._json_problem(scope, body)):
                await self._answer(scope, receive, reply, _Refused(400, "invalid_request_error", problem), close=False)
                return
            scope = _with_length(scope, len(body))
            await self.app(scope, _Body(body, receive).receive, reply.send)
        except _ClientGone:
            return
        except _Refused as refusal:
            # The body is (partly) unread: answer, then close rather than read the rest.
            await self._answer(scope, receive, reply, refusal, close=True)
        except Exception:
            logger.debug("emulator: request failed", exc_info=True)
            await self._answer(scope, receive, reply, _Refused(500, "api_error", "Internal server error"), close=True)

    def _admit(self, scope: Scope) -> Scope:
        """Check the token and the announced size; returns the scope the app gets."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.token is not None:
            key = request_key(headers)
            if key is None:
                raise _Refused(401, "authentication_error", "x-api-key header is required")
            if not hmac.compare_digest(key.encode("utf-8", "replace"), self.token.encode()):
                raise _Refused(401, "authentication_error", "invalid x-api-key")
            scope = _without_token(scope)
        announced = headers.get("content-length", "")
        cap = self.limits.max_body(scope["path"])
        if announced.isdigit() and int(announced) > cap:
            raise _Refused(413, "request_too_large", _too_large(scope, cap))
        return scope

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        loop = asyncio.get_running_loop()
        limits = self.limits
        cap = limits.max_body(scope["path"])
        deadline = loop.time() + limits.body_timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            wait = max(min(limits.client_timeout, deadline - loop.time()), 0)
            try:
                message = await asyncio.wait_for(receive(), wait)
            except asyncio.TimeoutError:
                raise _Refused(408, "timeout_error", _too_slow(limits)) from None
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise _Refused(413, "request_too_large", _too_large(scope, cap))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    def _json_problem(scope: Scope, body: bytes) -> str | None:
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        return None if content_type.startswith(b"multipart/") else json_problem(body)

    @staticmethod
    async def _answer(scope: Scope, receive: Receive, reply: _Reply, refusal: _Refused, *, close: bool) -> None:
        if reply.started:
            return  # too late for a status: the response ends where it stopped
        request_id = new_id("req_")
        headers = {"request-id": request_id} | ({"connection": "close"} if close else {})
        response = error_response(
            refusal.status, refusal.error_type, refusal.message, request_id=request_id, headers=headers
        )
        try:
            await response(scope, receive, reply.send)
        except Exception:  # the client left while we answered: nothing to tell anyone
            logger.debug("emulator: could not send an error", exc_info=True)


def _too_large(scope: Scope, cap: int) -> str:
    return f"{_TOO_LARGE} The limit for {scope['method']} {scope['path']} is {cap // MB} MB."


def _too_slow(limits: Limits) -> str:
    return (
        f"The request body did not arrive in time (silent for {limits.client_timeout:g} s, "
        f"or longer than {limits.body_timeout:g} s in all)."
    )


def _without_token(scope: Scope) -> Scope:
    """The scope with the room token replaced by a mark in whichever header carried it."""
    headers = []
    for name, value in scope["headers"]:
        lowered = name.lower()
        if lowered == b"x-api-key":
            value = ROOM_TOKEN_MARK.encode()
        elif lowered == b"authorization":
            value = b"Bearer " + ROOM_TOKEN_MARK.encode()
        headers.append((name, value))
    return {**scope, "headers": headers}


def _with_length(scope: Scope, length: int) -> Scope:
    """The body is read in full: say so with its length, whatever framing it came in."""
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-length", b"transfer-encoding")]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's handler of last resort: the API's 500 instead of a plain-text one."""
    request_id = getattr(request.state, "request_id", None) or new_id("req_")
    logger.debug("emulator: %s %s failed", request.method, request.url.path, exc_info=exc)
    response: JSONResponse = error_response(
        500, "api_error", "Internal server error", request_id=request_id, headers={"request-id": request_id}
    )
    return response
