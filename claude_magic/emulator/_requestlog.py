"""The request log: the last N requests, with large bodies summarized, so memory stays bounded.

A room server runs for hours; keeping every body (up to 32 MB each) would grow without end.
The newest request always keeps its whole body (a test reads ``server.requests[-1].body``);
once a newer one arrives, a body over the size limit is replaced by a summary that keeps its
small scalar fields (``model``, ``max_tokens``, ``stream``...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._recorded import RecordedRequest

__all__ = ["RequestLog", "summarize"]


def summarize(body: Any, size: int, limit: int) -> dict[str, Any]:
    """What stays of a ``size``-byte body: its scalar fields and a note of what went."""
    fields = body.items() if isinstance(body, dict) else ()
    kept = {k: v for k, v in fields if isinstance(v, (str, int, float, bool)) and len(str(v)) <= 200}
    note = f"{size:,} bytes: body not kept (the request log keeps bodies up to {limit:,} bytes)"
    return {**kept, "_summary": note}


def _body_size(record: RecordedRequest) -> int:
    try:
        return int(record.headers.get("content-length", "0"))
    except ValueError:
        return 0


class RequestLog(list["RecordedRequest"]):
    """A list of the newest ``keep`` requests; append drops the oldest and summarizes the last."""

    def __init__(self, keep: int = 1000, keep_body_bytes: int = 64 * 1024) -> None:
        super().__init__()
        self.keep = keep
        self.keep_body_bytes = keep_body_bytes

    def append(self, record: RecordedRequest) -> None:
        if self:
            previous = self[-1]
            size = _body_size(previous)
            if size > self.keep_body_bytes and not _is_summary(previous.body):
                previous.body = summarize(previous.body, size, self.keep_body_bytes)
        super().append(record)
        if len(self) > self.keep:
            del self[: len(self) - self.keep]


def _is_summary(body: Any) -> bool:
    return isinstance(body, dict) and "_summary" in body
