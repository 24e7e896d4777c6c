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
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import _context
from ._batch_store import MAX_BYTES, MAX_REQUESTS, BatchStore, _CUSTOM_ID
from ._catalog import LIMIT_MESSAGE, page_body, page_limit, paginate

__all__ = ["BatchStore", "batch_routes"]

def _store(request: Request) -> BatchStore:
    return _context.state(request).batches  # type: ignore[no-any-return]


async def _authorised(request: Request) -> Response | None:
    record = await _context.record(request)
    if not _context.api_key(record.headers):
        return _context.error(request, 401, "authentication_error", "x-api-key header is required")
    return None


def _invalid(request: Request, message: str) -> Response:
    return _context.error(request, 400, "invalid_request_error", message)


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
        return _context.error(request, 413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
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
        return _context.error(request, 404, "not_found_error", f"message_batch: {request.path_params['batch_id']}")
    return store.settle(batch, _context.state(request))


async def retrieve(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    batch = _found(request)
    return batch if isinstance(batch, Response) else JSONResponse(batch.body(str(request.base_url)))


async def list_batches(request: Request) -> Response:
    if (refusal := await _authorised(request)) is not None:
        return refusal
    params = request.query_params
    limit = page_limit(params)
    if limit is None:
        return _invalid(request, LIMIT_MESSAGE)
    store = _store(request)
    newest_first = list(reversed(store.batches))
    page, has_more = paginate(newest_first, limit=limit, after_id=params.get("after_id"),
                              before_id=params.get("before_id"))
    state, base = _context.state(request), str(request.base_url)
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
