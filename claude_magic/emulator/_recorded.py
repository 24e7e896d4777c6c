"""One request as the emulator received it (what ``server.requests`` lists)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RecordedRequest"]


@dataclass
class RecordedRequest:
    """One request as the emulator received it, and when each SSE event of its reply left."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    sent: list[tuple[float, str]] = field(default_factory=list)
