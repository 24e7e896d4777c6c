"""Errors and faults: the API's error shape, attempt counting, and the schedule of a reply.

A rule's faults (``status``, ``error_after``, ``drop_after``, ``stall_after``) apply to its
first ``times`` matching attempts, counted per rule for each server, or to every attempt
when ``times`` is absent. A mid-stream fault set to fire after more deltas than the reply
has fires just before ``message_delta``, so it always happens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.responses import JSONResponse, Response

from ._events import StreamItem, sse
from ._script import FAULT_STATUSES, Rule
from ._sse import Drop, Send, Sleep, Stall, Step

__all__ = [
    "Attempts",
    "error_body",
    "error_response",
    "message_schedule",
    "status_response",
    "stream_schedule",
]

_DEFAULT_MESSAGES = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
    "api_error": "Internal server error",
    "overloaded_error": "Overloaded",
}


def error_body(error_type: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    """``{"type": "error", "error": {...}, "request_id": ...}`` as the API sends it."""
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def error_response(
    status: int, error_type: str, message: str, *, request_id: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error as a JSON response with the API's body shape."""
    return JSONResponse(error_body(error_type, message, request_id), status_code=status, headers=headers)


class Attempts:
    """How many times each rule has matched on this server, for ``times``."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        # Handlers all run on the server's loop; the lock only guards reset() from other threads.
        self._lock = threading.Lock()

    def next(self, rule: Rule) -> int:
        """Count one more attempt for ``rule``; returns its number, from 1."""
        with self._lock:
            count = self._counts.get(id(rule), 0) + 1
            self._counts[id(rule)] = count
            return count

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


def faults_apply(rule: Rule | None, attempt: int) -> bool:
    """Whether this attempt of ``rule`` gets the rule's faults."""
    return rule is not None and rule.has_fault and (rule.times is None or attempt <= rule.times)


def _message(rule: Rule, default: str, key: str | None) -> str:
    message = rule.message or default
    if rule.echo_key:
        # Lets a test prove its client never shows a key that travels back in an error.
        message = f"{message} (API key received: {key})"
    return message


def status_response(rule: Rule, *, key: str | None, request_id: str) -> JSONResponse:
    """The error a ``status`` rule answers with, retry headers included."""
    assert rule.status is not None
    error_type = FAULT_STATUSES[rule.status]
    headers: dict[str, str] = {}
    if rule.retry_after is not None:
        headers["retry-after"] = f"{rule.retry_after:g}"
    if rule.retry_after_ms is not None:
        headers["retry-after-ms"] = str(rule.retry_after_ms)
    if rule.status == 429 and rule.retry_after is None:
        headers["retry-after"] = "1"  # the API sends it with every 429
    message = _message(rule, _DEFAULT_MESSAGES[error_type], key)
    return error_response(rule.status, error_type, message, request_id=request_id, headers=headers)


def _overloaded(rule: Rule, key: str | None) -> dict[str, Any]:
    return error_body("overloaded_error", _message(rule, "Overloaded", key))


def stream_schedule(items: Iterable[StreamItem], rule: Rule | None, *, faulty: bool, key: str | None) -> Iterator[Step]:
    """Steps of a streamed reply: events, pacing sleeps, and the rule's mid-stream fault."""
    sent = 0
    stalled = False
    for item in items:
        at_delta = item.is_delta
        at_end = item.kind == "message_delta"
        if rule is not None and faulty and (at_delta or at_end):
            if rule.error_after is not None and (sent == rule.error_after or at_end):
                yield Send(sse(_overloaded(rule, key), name="error"), "error")
                return
            if rule.drop_after is not None and (sent == rule.drop_after or at_end):
                yield Drop()
                return
            if rule.stall_after is not None and not stalled and (sent == rule.stall_after or at_end):
                stalled = True
                yield Stall(rule.stall_s)
        if rule is not None and at_delta:
            if sent == 0 and rule.ttft:
                yield Sleep(rule.ttft)
            elif sent > 0 and rule.tokens_per_second:
                yield Sleep(1 / rule.tokens_per_second)
        if at_delta:
            sent += 1
        yield Send(sse(item.event), item.kind)


def message_schedule(
    deltas: int, rule: Rule | None, *, faulty: bool, key: str | None, request_id: str
) -> tuple[list[Step], Response | None]:
    """Steps before a non-streamed reply (its whole generation time), and a fault to send instead."""
    steps: list[Step] = []
    if rule is None:
        return steps, None
    if faulty and rule.stall_after is not None:
        steps.append(Stall(rule.stall_s))
    delay = (rule.ttft or 0) + (max(deltas - 1, 0) / rule.tokens_per_second if rule.tokens_per_second else 0)
    if delay:
        steps.append(Sleep(delay))
    if faulty and rule.drop_after is not None:
        steps.append(Drop())
    if faulty and rule.error_after is not None:
        body = _overloaded(rule, key) | {"request_id": request_id}
        return steps, JSONResponse(body, status_code=529)
    return steps, None
