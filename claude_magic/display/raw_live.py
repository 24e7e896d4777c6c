"""``%%claude --raw``: the stream's events shown live as a table, and kept in claude_magic.events.

In a kernel the live view is a bounded window (the counts, the first rows, the latest rows)
repainted a few times a second, and the saved output a bounded table (``RawTable``), so
neither grows with the square of the stream, nor the notebook with its length.
"""

from __future__ import annotations

import time
from typing import Any

from .raw_view import TEXT_HEADER, RawTable, render_text
from .sinks import EMPTY_BUNDLE

__all__ = ["RawEventsView"]

#: Events the SDK's stream helper derives from the raw ones; the raw view shows the wire.
_DERIVED = {"text", "input_json", "citation", "thinking", "signature"}


class RawEventsView:
    """Collects raw events; repaints a window at most every REFRESH_S, or prints rows in a terminal."""

    #: About 2 KB a repaint: four a second cost under 100 KB over a 10 s stream.
    REFRESH_S = 0.25

    def __init__(self, *, events: list[Any], in_kernel: bool) -> None:
        self._events = events
        self._events.clear()
        self.table = RawTable()
        self._in_kernel = in_kernel
        self._painted = 0.0
        self._handle: Any = None
        if self._in_kernel:
            from IPython.display import display

            self._handle = display(EMPTY_BUNDLE, raw=True, display_id=True)
        else:
            print(TEXT_HEADER.rstrip())

    def on_event(self, event: Any, ms: float) -> None:
        if event.type in _DERIVED:
            return
        self._events.append(event)
        row = self.table.add(event, ms=ms)
        if not self._in_kernel:
            print(render_text([row]))
            return
        now = time.monotonic()
        if now - self._painted >= self.REFRESH_S:
            self._painted = now
            # HTML only: nbval ignores updates, and the front end needs nothing else.
            self._handle.update({"text/html": self.table.live_html()}, raw=True)

    def close(self) -> None:
        """End with the live area empty and the bounded table as an output of its own (nbval)."""
        if not self._in_kernel:
            print(self.table.summary())
            return
        from IPython.display import display

        self._handle.update(EMPTY_BUNDLE, raw=True)
        display(self._bundle(), raw=True)

    def _bundle(self) -> dict[str, str]:
        return {"text/html": self.table._repr_html_(), "text/plain": repr(self.table)}
