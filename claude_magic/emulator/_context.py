"""What every route shares: the emulator's state, the request as recorded, the API's error shape."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from . import _script
from ._batch_store import BatchStore
from ._faults import Attempts, error_response
from ._guard import request_key
from ._recorded import RecordedRequest
from ._files import FileStore
from ._prompt_cache import PromptCache
from ._rate_limits import RateLimiter
from ._replay import Transcript
from ._traffic import Traffic

__all__ = ["EmulatorState", "RecordedRequest", "record", "state", "api_key", "error"]


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
    files: FileStore = field(default_factory=FileStore)
    # Set when the server stops, so open streams end instead of holding shutdown up.
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    batches: BatchStore = field(default_factory=BatchStore)
    traffic: Traffic = field(default_factory=Traffic)


_NOT_JSON = object()


async def record(request: Request) -> RecordedRequest:
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
    state(request).requests.append(record)
    request.state.not_json = body is _NOT_JSON
    return record


def state(request: Request) -> EmulatorState:
    return request.app.state.emulator  # type: ignore[no-any-return]


#: The key a request carries (``x-api-key`` or ``Authorization: Bearer``): the guard's reading.
api_key = request_key


def error(request: Request, status: int, error_type: str, message: str) -> JSONResponse:
    return error_response(status, error_type, message, request_id=request.state.request_id)
