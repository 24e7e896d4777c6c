"""``%%claude --raw``: the stream's events shown live as a table, and kept in claude_magic.events."""

from __future__ import annotations

import time
from typing import Any

from .raw_view import TEXT_HEADER, RawTable, render_text
from .sinks import EMPTY_BUNDLE

__all__ = ["RawEventsView"]

#: Events the SDK's stream helper derives from the raw ones; the raw view shows the wire.
_DERIVED = {"text", "input_json", "citation", "thinking", "signature"}



class RawEventsView:
    """Collects raw events; repaints a table at most every REFRESH_S, or prints rows in a terminal."""

    REFRESH_S = 0.1

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
            self._handle.update(self._bundle(), raw=True)

    def close(self) -> None:
        """End with the live area empty and the whole table as an output of its own (nbval)."""
        if not self._in_kernel:
            print(self.table.summary())
            return
        from IPython.display import display

        self._handle.update(EMPTY_BUNDLE, raw=True)
        display(self._bundle(), raw=True)

    def _bundle(self) -> dict[str, str]:
        return {"text/html": self.table._repr_html_(), "text/plain": repr(self.table)}
