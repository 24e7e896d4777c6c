"""The HTTP routes: ``/v1/messages``, ``/v1/messages/count_tokens`` and ``/v1/models``.

Every request is recorded; every response carries a ``request-id`` header; every error has
the API's JSON shape. Checks run in the API's order: key, JSON, fields, model, then rules.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _script
from ._answer import default_answer, estimate_input_tokens
from ._catalog import find_model, is_known_model, model_info, model_page
from ._events import final_message, new_id, plan_answer, stream_events
from ._faults import Attempts, error_response, faults_apply, message_schedule, status_response, stream_schedule
from ._honour import answer_blocks
from ._prompt_cache import PromptCache
from ._rate_limits import RateLimited, RateLimiter
from ._replay import Transcript
from ._sse import ScheduledResponse
from ._validate import Refusal, validate

__all__ = ["EmulatorState", "RecordedRequest", "build_app"]


@dataclass
class RecordedRequest:
    """One request as the emulator received it, and when each SSE event of its reply left."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    sent: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class EmulatorState:
    """What the routes share: the script, attempt counts, recorded requests, replay."""

    script: _script.Script = field(default_factory=_script.Script)
    requests: list[RecordedRequest] = field(default_factory=list)
    attempts: Attempts = field(default_factory=Attempts)
    replay: Transcript | None = None
    replay_delay: float | None = None
    prompt_cache: PromptCache = field(default_factory=PromptCache)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    # Set when the server stops, so open streams end instead of holding shutdown up.
    closing: asyncio.Event = field(default_factory=asyncio.Event)


class _RequestIds:
    """Gives every request a ``req_...`` id and puts it in the response's ``request-id`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_id("req_")
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        # `receive` goes through untouched: dropping a connection needs uvicorn's own.
        await self.app(scope, receive, send_with_id)


_NOT_JSON = object()


async def _record(request: Request) -> RecordedRequest:
    raw = await request.body()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = _NOT_JSON
    record = RecordedRequest(
        method=request.method,
        path=request.url.path,
        headers=dict(request.headers),
        body=None if body is _NOT_JSON else body,
        received_at=time.time(),
    )
    _state(request).requests.append(record)
    request.state.not_json = body is _NOT_JSON
    return record


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator  # type: ignore[no-any-return]


def _api_key(headers: dict[str, str]) -> str | None:
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _error(request: Request, status: int, error_type: str, message: str) -> JSONResponse:
    return error_response(status, error_type, message, request_id=request.state.request_id)


async def _checked(request: Request, *, need_max_tokens: bool) -> tuple[RecordedRequest, str, Response | None]:
    """Record the request, then refuse it as the API would: no key, not JSON, bad fields."""
    record = await _record(request)
    key = _api_key(record.headers) or ""
    if not key:
        return record, key, _error(request, 401, "authentication_error", "x-api-key header is required")
    if request.state.not_json:
        return record, key, _error(request, 400, "invalid_request_error", "request body is not valid JSON")
    try:
        state = _state(request)
        validate(
            record.body,
            headers=record.headers,
            script=state.script,
            count_tokens=not need_max_tokens,
            any_model=state.replay is not None,  # a transcript answers for whatever model it recorded
        )
    except Refusal as refusal:
        return record, key, _error(request, refusal.status, refusal.error_type, refusal.message)
    return record, key, None


def _unknown_model(request: Request, model: str) -> Response | None:
    if is_known_model(model) or _state(request).script.names_model(model):
        return None
    return _error(request, 404, "not_found_error", f"model: {model}")


async def messages(request: Request) -> Response:
    record, key, refusal = await _checked(request, need_max_tokens=True)
    if refusal is not None:
        return refusal
    state, body = _state(request), record.body
    request_id: str = request.state.request_id
    if state.replay is not None:
        if not body.get("stream"):
            return _error(request, 400, "invalid_request_error", "stream: replay serves streamed requests only")
        return ScheduledResponse(
            state.replay.steps(state.replay_delay), record=record, closing=state.closing, headers={}
        )
    model: str = body["model"]
    script = state.script  # read once: set_script may swap it from another thread
    limits = script.rate_limits
    try:
        state.rate_limiter.admit(limits, input_tokens=estimate_input_tokens(body), max_tokens=body["max_tokens"])
    except RateLimited as limited:
        headers = {**limited.headers, "retry-after": str(math.ceil(limited.retry_after))}
        return error_response(429, "rate_limit_error", limited.message, request_id=request_id, headers=headers)
    rule = script.first_match(body)
    faulty = rule is not None and faults_apply(rule, state.attempts.next(rule))
    if rule is not None and faulty and rule.status is not None:
        fault = status_response(rule, key=key, request_id=request_id)
        return _with_headers(fault, state.rate_limiter.headers(limits))
    specs = answer_blocks(body, rule.blocks if rule else [], default_text=default_answer(model, body["messages"]))
    catalogued = find_model(model)
    answer = plan_answer(
        specs,
        model=model,
        max_tokens=body["max_tokens"],
        input_tokens=estimate_input_tokens(body),
        cache=state.prompt_cache.use(body, min_tokens=catalogued.cache_min_tokens if catalogued else 1024),
        stop_sequences=body.get("stop_sequences") or (),
        delta_chars=rule.delta_chars if rule else None,
        json_chunk=rule.json_chunk if rule else 8,
        usage=rule.usage if rule else None,
    )
    counted = state.rate_limiter.spend_output(limits, answer.output_tokens)
    if body.get("stream"):
        steps = stream_schedule(stream_events(answer), rule, faulty=faulty, key=key)
        return ScheduledResponse(steps, record=record, closing=state.closing, headers=counted)
    deltas = sum(len(block.deltas) for block in answer.blocks)
    steps_before, fault = message_schedule(deltas, rule, faulty=faulty, key=key, request_id=request_id)
    final = fault or JSONResponse(final_message(answer).model_dump(mode="json", exclude_unset=True))
    return ScheduledResponse(
        steps_before, record=record, closing=state.closing, headers=counted, final=_with_headers(final, counted)
    )


def _with_headers(response: Response, headers: dict[str, str]) -> Response:
    for name, value in headers.items():
        response.headers[name] = value
    return response


async def count_tokens(request: Request) -> Response:
    record, _key, refusal = await _checked(request, need_max_tokens=False)
    if refusal is not None:
        return refusal
    return JSONResponse({"input_tokens": estimate_input_tokens(record.body)})


async def list_models(request: Request) -> Response:
    record = await _record(request)
    if not _api_key(record.headers):
        return _error(request, 401, "authentication_error", "x-api-key header is required")
    params = request.query_params
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        return _error(request, 400, "invalid_request_error", "limit: Input should be between 1 and 1000")
    return JSONResponse(model_page(limit=limit, after_id=params.get("after_id"), before_id=params.get("before_id")))


async def get_model(request: Request) -> Response:
    record = await _record(request)
    if not _api_key(record.headers):
        return _error(request, 401, "authentication_error", "x-api-key header is required")
    model_id = request.path_params["model_id"]
    if (refusal := _unknown_model(request, model_id)) is not None:
        return refusal
    return JSONResponse(model_info(model_id).model_dump(mode="json", exclude_unset=True))


_ERROR_TYPES = {404: "not_found_error", 405: "invalid_request_error", 413: "request_too_large"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    await _record(request)
    error_type = _ERROR_TYPES.get(exc.status_code, "invalid_request_error")
    message = f"{request.method} {request.url.path}: {exc.detail}"
    return _error(request, exc.status_code, error_type, message)


def build_app(state: EmulatorState) -> Starlette:
    """The ASGI app serving ``state``."""
    app = Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
        ],
        middleware=[Middleware(_RequestIds)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.emulator = state
    return app
