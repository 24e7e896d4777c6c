"""Default renderings of the core's content lanes, shared by every display.

A display inherits :class:`LaneRenderer` and implements three primitives: ``text`` (append
answer text), ``notice`` (a transient status line) and ``finish`` (the final output). Each lane
then renders through them by default, and a display that knows better overrides one lane's
``on_...`` method. The renderer keeps the transcript (answer text plus tool lines) that the
final output shows, so every display ends with the same text.
"""

from __future__ import annotations

import time


from ..core.lanes import Citation, Ending, Lane, Notice, Text, Thinking, ToolInput, ToolResult
from .waiting import WaitTicker

__all__ = ["LaneRenderer", "short"]

#: A tool call's input repaints at most this often while it forms.
TOOL_INPUT_REFRESH_S = 0.1
#: A plain glyph (text presentation): an emoji shows as an empty box where no emoji font is installed.
TOOL_MARK = "⚙"


def short(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LaneRenderer:
    """Dispatches lanes to ``on_<lane>`` methods with plain defaults; keeps the transcript."""

    def __init__(self) -> None:
        self._transcript: list[str] = []
        self._tool_input_shown_at = 0.0
        self._waiting = WaitTicker(self._show_waiting)
        #: The notice shows the waiting line now (cleared when the wait is over).
        self._waiting_shown = False

    # -- what a display implements ---------------------------------------------------------
    def text(self, delta: str) -> None:
        raise NotImplementedError

    def notice(self, line: str) -> None:
        raise NotImplementedError

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        raise NotImplementedError

    def clear_waiting(self) -> None:
        """The waiting line is over; a display whose next repaint replaces it overrides this."""
        self.notice("")

    # -- the Sink protocol -----------------------------------------------------------------
    def begin(self) -> None:
        self.start_waiting()

    def start_waiting(self, *, shown: bool = False) -> None:
        """Tick "waiting for the first token… N s" until something arrives (``shown``: the
        display already shows the bare waiting line)."""
        self._waiting_shown = shown
        self._waiting.start()

    def stop_waiting(self) -> None:
        """No more ticks (every ``finish`` calls it, also when driven without ``end``)."""
        self._waiting.stop()

    def _show_waiting(self, line: str) -> None:
        self._waiting_shown = True
        self.notice(line)

    def _end_waiting(self, lane: Lane | None) -> None:
        if self._waiting.done:
            return
        if isinstance(lane, Notice):
            # A real notice replaces the waiting line; clearing it lets the wait show again.
            self._waiting.paused = bool(lane.line)
            self._waiting_shown = False
            return
        self._waiting.stop()
        if self._waiting_shown and lane is not None:
            self._waiting_shown = False
            self.clear_waiting()

    def push(self, lane: Lane) -> None:
        if not self._waiting.done and not isinstance(lane, (Thinking, Citation)):
            self._end_waiting(lane)
        if isinstance(lane, Text):
            self.on_text(lane)
        elif isinstance(lane, Notice):
            self.on_notice(lane)
        elif isinstance(lane, ToolInput):
            self.on_tool_input(lane)
        elif isinstance(lane, ToolResult):
            self.on_tool_result(lane)
        elif isinstance(lane, Thinking):
            self.on_thinking(lane)
        elif isinstance(lane, Citation):
            self.on_citation(lane)

    def end(self, ending: Ending) -> None:
        self._end_waiting(None)
        self.finish(self.transcript, footer=ending.footer, error=ending.error)

    @property
    def transcript(self) -> str:
        return "".join(self._transcript)

    # -- lanes -----------------------------------------------------------------------------
    def append(self, text: str) -> None:
        """Text that belongs to the answer as shown: on screen now and in the final output."""
        self._transcript.append(text)
        self.text(text)

    def on_text(self, lane: Text) -> None:
        self.append(lane.text)

    def on_notice(self, lane: Notice) -> None:
        self.notice(lane.line)

    def on_tool_input(self, lane: ToolInput) -> None:
        if lane.done:
            self.notice(f"{TOOL_MARK} {lane.name}({short(lane.so_far)})")
        elif not lane.delta:
            self.notice(f"{TOOL_MARK} {lane.name}(…)")
        else:
            now = time.monotonic()
            if now - self._tool_input_shown_at >= TOOL_INPUT_REFRESH_S:
                self._tool_input_shown_at = now
                self.notice(f"{TOOL_MARK} {lane.name}({short(lane.so_far)}")

    def on_tool_result(self, lane: ToolResult) -> None:
        self.notice("")
        mark = "⚠ " if lane.is_error else ""
        self.append(f"\n\n> {TOOL_MARK} `{lane.name}({short(lane.input)})`\n")
        self.append(f"> ↳ {mark}{short(lane.display)}\n\n")

    def on_thinking(self, lane: Thinking) -> None:
        """Not shown by default."""

    def on_citation(self, lane: Citation) -> None:
        """Not shown by default."""

