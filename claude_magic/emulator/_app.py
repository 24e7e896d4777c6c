"""The HTTP routes: ``/v1/messages``, ``/v1/messages/count_tokens``, ``/v1/models``, ``/v1/files``.

Every request is recorded; every response carries a ``request-id`` header; every error has
the API's JSON shape. Checks run in the API's order: key, JSON, fields, model, then rules.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._answer import estimate_input_tokens
from ._catalog import LIMIT_MESSAGE, is_known_model, model_info, model_page, page_limit
from ._events import final_message, new_id, stream_events
from ._faults import error_response, faults_apply, message_schedule, status_response, stream_schedule
from ._files import StoredFile, UploadError, list_query, not_downloadable, parse_upload
from ._media import Media, MediaError, inspect_media
from ._rate_limits import RateLimited
from ._sse import ScheduledResponse
from ._reply import plan_reply
from ._validate import Refusal, validate
from ._batches import batch_routes
from ._context import EmulatorState, RecordedRequest, api_key as _api_key, error as _error, record as _record, state as _state
from ._traffic import TrafficGate

__all__ = ["EmulatorState", "RecordedRequest", "build_app"]


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


def _media(request: Request, body: dict[str, Any]) -> Media | Response:
    """The request's images and documents, or the API's refusal of a malformed one."""
    try:
        return inspect_media(body, _state(request).files)
    except MediaError as exc:
        return JSONResponse(exc.body(request.state.request_id), status_code=exc.status)


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
    if isinstance(media := _media(request, body), Response):
        return media
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
    answer = plan_reply(body, rule, media=media, prompt_cache=state.prompt_cache)
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
    if isinstance(media := _media(request, record.body), Response):
        return media
    return JSONResponse({"input_tokens": estimate_input_tokens(record.body) + media.tokens})


async def list_models(request: Request) -> Response:
    record = await _record(request)
    if not _api_key(record.headers):
        return _error(request, 401, "authentication_error", "x-api-key header is required")
    params = request.query_params
    limit = page_limit(params)
    if limit is None:
        return _error(request, 400, "invalid_request_error", LIMIT_MESSAGE)
    return JSONResponse(model_page(limit=limit, after_id=params.get("after_id"), before_id=params.get("before_id")))


async def get_model(request: Request) -> Response:
    record = await _record(request)
    if not _api_key(record.headers):
        return _error(request, 401, "authentication_error", "x-api-key header is required")
    model_id = request.path_params["model_id"]
    if (refusal := _unknown_model(request, model_id)) is not None:
        return refusal
    return JSONResponse(model_info(model_id).model_dump(mode="json", exclude_unset=True))


async def _file_request(request: Request) -> Response | None:
    """Record a Files API request and check its key (the beta header is optional, as in the SDK)."""
    record = await _record(request)
    if not _api_key(record.headers):
        return _error(request, 401, "authentication_error", "x-api-key header is required")
    return None


def _file_or_404(request: Request) -> StoredFile | Response:
    stored = _state(request).files.live(request.path_params["file_id"])
    if stored is None:
        return _error(request, 404, "not_found_error", f"File not found: {request.path_params['file_id']}")
    return stored


async def upload_file(request: Request) -> Response:
    files = _state(request).files
    # Refuse an oversized upload on its declared length, before reading it into memory.
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > files.max_bytes:
        return _error(request, 413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
    if (refusal := await _file_request(request)) is not None:
        return refusal
    raw = await request.body()
    if len(raw) > files.max_bytes:
        return _error(request, 413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
    try:
        part, expires = parse_upload(raw, request.headers.get("content-type", ""))
    except UploadError as exc:
        return _error(request, 400, "invalid_request_error", str(exc))
    stored = files.add(
        part.filename or "", part.data, mime_type=part.content_type, downloadable=False, expires_in_seconds=expires
    )
    # The log keeps what was uploaded, not the bytes: uploads go up to 500 MB.
    _state(request).requests[-1].body = {"file": stored.metadata()}
    return JSONResponse(stored.metadata())


async def list_files(request: Request) -> Response:
    if (refusal := await _file_request(request)) is not None:
        return refusal
    params = request.query_params
    try:
        # The SDK sends lists as ``ids[]=a&ids[]=b``.
        ids = params.getlist("ids[]") + params.getlist("ids")
        return JSONResponse(_state(request).files.page(**list_query(params, ids)))
    except UploadError as exc:
        return _error(request, 400, "invalid_request_error", str(exc))


async def get_file(request: Request) -> Response:
    if (refusal := await _file_request(request)) is not None:
        return refusal
    stored = _file_or_404(request)
    return stored if isinstance(stored, Response) else JSONResponse(stored.metadata())


async def delete_file(request: Request) -> Response:
    if (refusal := await _file_request(request)) is not None:
        return refusal
    stored = _file_or_404(request)
    if isinstance(stored, Response):
        return stored
    _state(request).files.delete(stored.id)
    return JSONResponse({"id": stored.id, "type": "file_deleted"})


async def download_file(request: Request) -> Response:
    if (refusal := await _file_request(request)) is not None:
        return refusal
    stored = _file_or_404(request)
    if isinstance(stored, Response):
        return stored
    if not stored.downloadable:
        return JSONResponse(not_downloadable(stored.id, request.state.request_id), status_code=400)
    return Response(_state(request).files.content(stored.id), media_type=stored.mime_type)


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
            Route("/v1/files", upload_file, methods=["POST"]),
            Route("/v1/files", list_files, methods=["GET"]),
            Route("/v1/files/{file_id}", get_file, methods=["GET"]),
            Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
            Route("/v1/files/{file_id}/content", download_file, methods=["GET"]),
            *batch_routes(),
        ],
        middleware=[Middleware(_RequestIds), Middleware(TrafficGate)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.emulator = state
    return app
