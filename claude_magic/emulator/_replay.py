"""Replay: serve a recorded SSE transcript byte for byte, as fast as possible or paced.

One file answers every streamed request the same way. A folder of recorded exchanges
(``--record`` then ``--replay DIR``) answers each request with its own: see ``_playback``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ._recording import cut_sse, sse_kind
from ._sse import Send, Sleep, Step

__all__ = ["Transcript"]


class Transcript:
    """An SSE file cut into records whose concatenation is the file."""

    def __init__(self, data: bytes, *, name: str = "transcript") -> None:
        self.name = name
        records, rest = cut_sse(data)
        self.records = [*records, rest] if rest else records
        if not any(sse_kind(record) for record in self.records):
            raise ValueError(f"{name}: no SSE record with an `event:` line; is this an SSE transcript?")

    @classmethod
    def load(cls, path: str | Path) -> Transcript:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read transcript {str(path)!r}: {exc.strerror}") from None
        return cls(data, name=path.name)

    def steps(self, delay: float | None = None) -> Iterator[Step]:
        """Every record as one write, with ``delay`` seconds between records if given."""
        for index, record in enumerate(self.records):
            if delay and index:
                yield Sleep(delay)
            yield Send(record, sse_kind(record))
