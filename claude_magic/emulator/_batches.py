"""The Message Batches API: create, retrieve, list, cancel, delete, and results as JSON lines.

A batch processes for ``processing_s`` seconds (the whole batch at once, as the API reports
it: ``request_counts`` stay at zero except ``processing`` until the batch ends), then every
request is answered as ``POST /v1/messages`` would answer it, script rules included. A request
the Messages API would refuse ends ``errored``; custom ids listed in ``errored_ids`` or
``expired_ids`` end that way on purpose. Results are served at the batch's ``results_url``
(on this server) in shuffled order, since the API does not promise any.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import _app
from ._catalog import is_known_model, page_body, paginate
from ._events import final_message, new_id, plan_reply
from ._faults import error_body
from ._request import RequestError, check_messages_request
from ._script import FAULT_STATUSES

__all__ = ["BatchStore", "batch_routes"]

MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024
_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_COUNTS = ("processing", "succeeded", "errored", "canceled", "expired")


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class _Batch:
    id: str
    requests: list[dict[str, Any]]
    created: float
    ends_at: float
    cancel_initiated: float | None = None
    ended: float | None = None
    results: list[dict[str, Any]] | None = None

    def body(self, base_url: str) -> dict[str, Any]:
        counts = dict.fromkeys(_COUNTS, 0)
        if self.results is None:
            counts["processing"] = len(self.requests)
        else:
            for result in self.results:
                counts[result["result"]["type"]] += 1
        status = "ended" if self.ended is not None else ("canceling" if self.cancel_initiated else "in_progress")
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "created_at": _iso(self.created),
            "expires_at": _iso(self.created + timedelta(hours=24).total_seconds()),
            "ended_at": None if self.ended is None else _iso(self.ended),
            "cancel_initiated_at": None if self.cancel_initiated is None else _iso(self.cancel_initiated),
            "archived_at": None,
            "results_url": None if self.ended is None else f"{base_url}v1/messages/batches/{self.id}/results",
        }


@dataclass
class BatchStore:
    """Every batch of one server, and the knobs tests turn (from any thread)."""

    processing_s: float = 1.0
    #: Seconds between a cancel and the batch's end.
    cancel_s: float = 0.1
    errored_ids: set[str] = field(default_factory=set)
    expired_ids: set[str] = field(default_factory=set)
    seed: int | None = None
    batches: dict[str, _Batch] = field(default_factory=dict)
    #: Number of batches ever created (deleting one does not lower it).
    created: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reset(self) -> None:
        with self._lock:
            self.batches.clear()
            self.created = 0
        self.processing_s, self.cancel_s, self.seed = 1.0, 0.1, None
        self.errored_ids.clear()
        self.expired_ids.clear()

    def add(self, requests: list[dict[str, Any]]) -> _Batch:
        now = time.time()
        batch = _Batch(id=new_id("msgbatch_"), requests=requests, created=now, ends_at=now + self.processing_s)
        with self._lock:
            self.batches[batch.id] = batch
            self.created += 1
        return batch

    def settle(self, batch: _Batch, state: Any) -> _Batch:
        """End ``batch`` if its time has come, answering every request once."""
        with self._lock:
            if batch.ended is None and time.time() >= batch.ends_at:
                if batch.cancel_initiated is not None:
                    results = [_line(r["custom_id"], {"type": "canceled"}) for r in batch.requests]
                else:
                    results = [self._answer(r, state) for r in batch.requests]
                random.Random(self.seed).shuffle(results)
                batch.results, batch.ended = results, time.time()
        return batch

    def _answer(self, request: dict[str, Any], state: Any) -> dict[str, Any]:
        custom_id, params = request["custom_id"], request["params"]
        if custom_id in self.expired_ids:
            return _line(custom_id, {"type": "expired"})
        if custom_id in self.errored_ids:
            return _errored(custom_id, "api_error", "Internal server error")
        try:
            check_messages_request(params, need_max_tokens=True)
        except RequestError as exc:
            return _errored(custom_id, "invalid_request_error", str(exc))
        if params.get("stream"):
            return _errored(custom_id, "invalid_request_error", "stream: streaming is not supported in batches")
        script = state.script
        if not (is_known_model(params["model"]) or script.names_model(params["model"])):
            return _errored(custom_id, "not_found_error", f"model: {params['model']}")
        rule = script.first_match(params)
        if rule is not None and rule.status is not None and (rule.times is None or state.attempts.next(rule) <= rule.times):
            return _errored(custom_id, FAULT_STATUSES[rule.status], rule.message or FAULT_STATUSES[rule.status])
        message = final_message(plan_reply(params, rule)).model_dump(mode="json", exclude_unset=True)
        return _line(custom_id, {"type": "succeeded", "message": message})


def _line(custom_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"custom_id": custom_id, "result": result}


def _errored(custom_id: str, error_type: str, message: str) -> dict[str, Any]:
    return _line(custom_id, {"type": "errored", "error": error_body(error_type, message, new_id("req_"))})


def _store(request: Request) -> BatchStore:
    return _app._state(request).batches  # type: ignore[no-any-return]


async def _authorised(request: Request) -> Response | None:
    record = await _app._record(request)
    if not _app._api_key(record.headers):
        return _app._error(request, 401, "authentication_error", "x-api-key header is required")
    return None


def _invalid(request: Request, message: str) -> Response:
    return _app._error(request, 400, "invalid_request_error", message)


def _check_create(body: Any) -> str | None:
    """What is wrong with a create request, in the API's words, or None."""
    if not isinstance(body, dict) or "requests" not in body:
        return "requests: Field required"
    requests = body["requests"]
    if not isinstance(requests, list) or not requests:
        return "requests: List should have at least 1 item after validation, not 0"
    if len(requests) > MAX_REQUESTS:
        return f"requests: List should have at most {MAX_REQUESTS} items after validation, not {len(requests)}"
    seen: set[str] = set()
    for index, item in enumerate(requests):
        if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
            return f"requests.{index}.params: Field required"
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str) or not _CUSTOM_ID.fullmatch(custom_id):
            return f"requests.{index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
        if custom_id in seen:
            return f"requests.{index}.custom_id: Duplicate custom_id {custom_id!r}: each request needs its own"
        seen.add(custom_id)
    return None


async def create(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        return _app._error(request, 413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
    if request.state.not_json:
        return _invalid(request, "request body is not valid JSON")
    body = json.loads(raw)
    if (problem := _check_create(body)) is not None:
        return _invalid(request, problem)
    batch = _store(request).add([{"custom_id": r["custom_id"], "params": r["params"]} for r in body["requests"]])
    return JSONResponse(batch.body(str(request.base_url)))


def _found(request: Request) -> Any:
    store = _store(request)
    batch = store.batches.get(request.path_params["batch_id"])
    if batch is None:
        return _app._error(request, 404, "not_found_error", f"message_batch: {request.path_params['batch_id']}")
    return store.settle(batch, _app._state(request))


async def retrieve(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    batch = _found(request)
    return batch if isinstance(batch, Response) else JSONResponse(batch.body(str(request.base_url)))


async def list_batches(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    params = request.query_params
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        return _invalid(request, "limit: Input should be between 1 and 1000")
    store = _store(request)
    newest_first = list(reversed(store.batches))
    page, has_more = paginate(newest_first, limit=limit, after_id=params.get("after_id"),
                              before_id=params.get("before_id"))
    state, base = _app._state(request), str(request.base_url)
    data = [store.settle(store.batches[i], state).body(base) for i in page]
    return JSONResponse(page_body(data, page, has_more))


async def cancel(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    batch = _found(request)
    if isinstance(batch, Response):
        return batch
    if batch.ended is None and batch.cancel_initiated is None:
        batch.cancel_initiated = time.time()
        batch.ends_at = min(batch.ends_at, batch.cancel_initiated + _store(request).cancel_s)
    return JSONResponse(batch.body(str(request.base_url)))


async def delete(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    batch = _found(request)
    if isinstance(batch, Response):
        return batch
    if batch.ended is None:
        return _invalid(request, f"Batch {batch.id} cannot be deleted while it is processing: cancel it first.")
    _store(request).batches.pop(batch.id, None)
    return JSONResponse({"id": batch.id, "type": "message_batch_deleted"})


async def results(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    batch = _found(request)
    if isinstance(batch, Response):
        return batch
    if batch.results is None:
        return _invalid(request, f"Batch {batch.id} has not ended: results are available once it has.")
    lines = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in batch.results)
    return Response(lines, media_type="application/binary")


def batch_routes() -> list[Route]:
    """The Message Batches routes, for :func:`claude_magic.emulator._app.build_app`."""
    prefix = "/v1/messages/batches"
    return [
        Route(prefix, create, methods=["POST"]),
        Route(prefix, list_batches, methods=["GET"]),
        Route(prefix + "/{batch_id}", retrieve, methods=["GET"]),
        Route(prefix + "/{batch_id}", delete, methods=["DELETE"]),
        Route(prefix + "/{batch_id}/cancel", cancel, methods=["POST"]),
        Route(prefix + "/{batch_id}/results", results, methods=["GET"]),
    ]
