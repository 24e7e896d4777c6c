"""Default renderings of the core's content lanes, shared by every display.

A display inherits :class:`LaneRenderer` and implements three primitives: ``text`` (append
answer text), ``notice`` (a transient status line) and ``finish`` (the final output), and
for thinking two more: ``thinking`` (append thinking text, shown apart above the answer) and
``fold_thinking`` (the answer has started: fold the thinking away). Each lane then renders
through them by default, and a display that knows better overrides one lane's ``on_...``
method. The renderer keeps the transcripts (answer text plus tool lines, and the thinking)
that the final output shows, so every display ends with the same text.
"""

from __future__ import annotations

import re
import time
from typing import Callable

from ..core.lanes import Citation, Ending, Lane, Notice, Text, Thinking, ToolInput, ToolResult
from ..secrets import redact
from .citations import CitationIndex
from .thinking import thinking_text
from .waiting import WaitTicker

__all__ = ["LaneRenderer", "short", "code_span", "tool_call"]

#: A growing lane (a tool call's input forming, thinking) repaints at most this often, unless
#: the display asks for less (its ``lane_interval``).
TOOL_INPUT_REFRESH_S = 0.2
#: A plain glyph (text presentation): an emoji shows as an empty box where no emoji font is installed.
TOOL_MARK = "⚙"


def short(text: str, limit: int = 160) -> str:
    """Model-written text (a tool's input) on one line, cut short, secrets redacted."""
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code_span(text: str) -> str:
    """``text`` as one Markdown code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def tool_call(name: str, raw_input: str) -> str:
    """A tool call as one line: the model wrote the name and the input, so both are redacted."""
    return f"{redact(name)}({short(raw_input)})"


class LaneRenderer:
    """Dispatches lanes to ``on_<lane>`` methods with plain defaults; keeps the transcript.

    The byte budget of a growing lane: a lane whose every delta would repaint something
    (a tool call's input forming, thinking) calls :meth:`throttled` with what to show, which
    shows it at most once per ``lane_interval`` (and always when ``final``), so a lane of
    2,000 fragments costs a few repaints, not 2,000.
    """

    #: The transcript is shown as plain text (a terminal, the "text" display), not Markdown.
    plain_text = False

    def __init__(self) -> None:
        self._transcript: list[str] = []
        self._thinking: list[str] = []
        self._thinking_folded = False
        self._last_was_thinking = False
        self._citations = CitationIndex()
        self._waiting = WaitTicker(self._show_waiting)
        #: The notice shows the waiting line now (cleared when the wait is over).
        self._waiting_shown = False
        self._lane_shown_at: dict[str, float] = {}

    @property
    def lane_interval(self) -> float:
        """Seconds between two repaints of one growing lane (a display may ask for more)."""
        return TOOL_INPUT_REFRESH_S

    def throttled(self, lane: str, show: Callable[[], None], *, final: bool = False) -> None:
        """Call ``show`` now if ``lane`` was not shown in the last ``lane_interval``, or ``final``.

        ``show`` builds what it shows only when called, so skipped deltas cost nothing.
        """
        now = time.monotonic()
        if final or now - self._lane_shown_at.get(lane, float("-inf")) >= self.lane_interval:
            self._lane_shown_at[lane] = now
            show()

    # -- what a display implements ---------------------------------------------------------
    def text(self, delta: str) -> None:
        raise NotImplementedError

    def notice(self, line: str) -> None:
        raise NotImplementedError

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        raise NotImplementedError

    def thinking(self, delta: str) -> None:
        """Show thinking text apart from the answer (a display without a thinking area: nothing)."""

    def fold_thinking(self) -> None:
        """The answer has started: fold the thinking away."""

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
        self._last_was_thinking = isinstance(lane, Thinking)

    def end(self, ending: Ending) -> None:
        self._end_waiting(None)
        if self._citations:
            self.append(self._citations.sources(markdown=not self.plain_text))
        self.finish(self.transcript if ending.answer is None else ending.answer, footer=ending.footer,
                    error=ending.error)

    @property
    def transcript(self) -> str:
        return "".join(self._transcript)

    @property
    def thinking_transcript(self) -> str:
        """Every thinking text of the turn (notes where the API sent none), for the final output."""
        return "".join(self._thinking)

    # -- lanes -----------------------------------------------------------------------------
    def append(self, text: str) -> None:
        """Text that belongs to the answer as shown: on screen now and in the final output."""
        self._transcript.append(text)
        self.text(text)

    def on_text(self, lane: Text) -> None:
        if self._thinking and not self._thinking_folded:
            self._thinking_folded = True
            self.fold_thinking()
        self.append(lane.text)

    def on_notice(self, lane: Notice) -> None:
        self.notice(lane.line)

    def on_tool_input(self, lane: ToolInput) -> None:
        if lane.done:
            self.throttled("tool_input", lambda: self.notice(f"{TOOL_MARK} {tool_call(lane.name, lane.so_far)}"),
                           final=True)
        elif not lane.delta:
            self.throttled("tool_input", lambda: self.notice(f"{TOOL_MARK} {redact(lane.name)}(…)"), final=True)
        else:
            self.throttled("tool_input", lambda: self.notice(f"{TOOL_MARK} {tool_call(lane.name, lane.so_far)[:-1]}"))

    def on_tool_result(self, lane: ToolResult) -> None:
        self.notice("")
        mark = "⚠ " if lane.is_error else ""
        # Part of the answer's Markdown, so it goes through the one renderer like the answer.
        self.append(f"\n\n> {TOOL_MARK} {code_span(tool_call(lane.name, lane.input))}\n")
        self.append(f"> ↳ {mark}{short(lane.display)}\n\n")

    def on_thinking(self, lane: Thinking) -> None:
        text = thinking_text(lane)
        if not text:
            return
        if self._thinking and not self._last_was_thinking:
            text = "\n\n" + text  # a later block's thinking (after a tool call or text): a new paragraph
        self._thinking_folded = False
        self._thinking.append(text)
        self.thinking(text)

    def on_citation(self, lane: Citation) -> None:
        """A numbered marker behind the cited text; the sources end the answer (see ``end``)."""
        number = self._citations.number(lane.citation)
        self.append(self._citations.marker(number, markdown=not self.plain_text))

