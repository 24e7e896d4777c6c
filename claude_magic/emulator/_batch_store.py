"""The Message Batches' store: batches, their rows' answers, and when they end."""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ._catalog import is_known_model
from ._events import final_message, new_id
from ._faults import error_body
from ._reply import plan_reply
from ._request import RequestError, check_messages_request
from ._script import FAULT_STATUSES

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
        message = final_message(plan_reply(params, rule, prompt_cache=state.prompt_cache)).model_dump(mode="json", exclude_unset=True)
        return _line(custom_id, {"type": "succeeded", "message": message})


def _line(custom_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"custom_id": custom_id, "result": result}


def _errored(custom_id: str, error_type: str, message: str) -> dict[str, Any]:
    return _line(custom_id, {"type": "errored", "error": error_body(error_type, message, new_id("req_"))})
