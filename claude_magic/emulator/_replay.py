"""Replay: serve a recorded SSE transcript byte for byte, as fast as possible or paced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ._sse import Send, Sleep, Step

__all__ = ["Transcript"]

# A record ends at a blank line; the separator stays with its record so bytes are kept.
_RECORD = re.compile(rb".*?(?:\r?\n\r?\n|\Z)", re.DOTALL)
_EVENT = re.compile(rb"^event:\s?(.*?)\r?$", re.MULTILINE)


class Transcript:
    """An SSE file cut into records whose concatenation is the file."""

    def __init__(self, data: bytes, *, name: str = "transcript") -> None:
        self.name = name
        self.records = [chunk for chunk in _RECORD.findall(data) if chunk]
        if not any(_EVENT.search(record) for record in self.records):
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
            match = _EVENT.search(record)
            kind = match.group(1).decode("utf-8", "replace").strip() if match else ""
            yield Send(record, kind)
