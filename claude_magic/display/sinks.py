"""Where a streaming answer goes: the Sink interface and the plain display and terminal sinks.

The widget sink lives in ``_widget.py``. Every sink gets each text delta as it arrives and
decides itself how often to repaint (a :class:`Coalescer`), so the streaming core never knows
what a front end is.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, TextIO

from ..core.lanes import Sink
from .coalesce import DEFAULT_INTERVAL_S, Coalescer
from .lanes import LaneRenderer

__all__ = ["Sink", "MarkdownSink", "TerminalSink", "EMPTY_BUNDLE", "answer_bundle", "show_final"]

#: Bytes of full-text repaint allowed per second on the plain display path. The plain path
#: must resend the whole text each time (a display update replaces its output), so past 400
#: characters it repaints less often (a 4 KB answer: twice a second) instead of flooding
#: IOPub: an 8 KB answer streamed over 10 s then costs under 150 KB in all (measured by
#: benchmarks/stream_cost.py). The widget path sends only new text and repaints 12.5 a second.
REPAINT_BYTES_PER_S = 8_000


def answer_bundle(text: str, *, markdown: bool = True) -> dict[str, str]:
    """The final answer as a display bundle: safe Markdown for people, the raw text for nbval."""
    if not markdown:
        return {"text/plain": text}
    from .markdown import safe_markdown

    return {"text/markdown": safe_markdown(text), "text/plain": text}


def footer_bundle(footer: str) -> dict[str, str]:
    return {"text/plain": footer}


def error_bundle(error: str) -> dict[str, str]:
    return {"text/plain": f"⚠ {error}"}


def show_final(
    text: str, *, footer: str, error: str | None, markdown: bool = True, display: Callable[..., Any] | None = None
) -> None:
    """How every kernel sink ends: the answer, the footer, the error line, each a new output,
    so a notebook saves alike whichever sink showed the stream."""
    if display is None:
        from IPython.display import display
    if text:
        display(answer_bundle(text, markdown=markdown), raw=True)
    if footer:
        display(footer_bundle(footer), raw=True)
    if error:
        display(error_bundle(error), raw=True)


#: The live area's first display, the same every time: nbval compares a display_id's first
#: display and ignores its updates, and the area ends empty again.
EMPTY_BUNDLE: dict[str, str] = {"text/plain": ""}


class MarkdownSink(LaneRenderer):
    """A display_id output repainted with the text so far, then the answer as a new output.

    Used where widgets do not render (nbclient, nbval, classic front ends).
    """

    def __init__(
        self,
        *,
        markdown: bool = True,
        display: Callable[..., Any] | None = None,
        interval: float = DEFAULT_INTERVAL_S,
    ) -> None:
        super().__init__()
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self._display = display
        self._markdown = markdown
        self._shown = ""
        self._notice = ""
        self._handle: Any = None
        self._coalescer = Coalescer(self._repaint, interval=interval)
        self._min_interval = interval

    def begin(self) -> None:
        self._handle = self._display(EMPTY_BUNDLE, raw=True, display_id=True)
        self.start_waiting()

    def clear_waiting(self) -> None:
        self._notice = ""  # the repaint that follows (the first text, a tool line) drops it

    def text(self, delta: str) -> None:
        self._coalescer.push(delta)

    def notice(self, line: str) -> None:
        self._notice = line
        self._coalescer.drain()
        self._update()

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        self.stop_waiting()
        self._coalescer.cancel()
        if self._handle is not None:
            self._handle.update(EMPTY_BUNDLE, raw=True)
        show_final(text, footer=footer, error=error, markdown=self._markdown, display=self._display)

    def _repaint(self, batch: str) -> None:
        self._shown += batch
        self._update()
        # Keep full-text repaints under a byte budget: long answers repaint less often.
        self._coalescer._interval = max(self._min_interval, len(self._shown) / REPAINT_BYTES_PER_S)

    def _update(self) -> None:
        if self._handle is None:
            return
        body = self._shown + (f"\n\n*{self._notice}*" if self._notice and self._markdown else "")
        if self._markdown:
            from .markdown import safe_markdown

            bundle = {"text/markdown": safe_markdown(body)}
        else:
            bundle = {"text/plain": body + (f"\n{self._notice}" if self._notice else "")}
        self._handle.update(bundle, raw=True)


class TerminalSink(LaneRenderer):
    """Terminal IPython: print each delta as it comes, and never print the answer twice."""

    def __init__(self, *, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._printed_any = False
        self._notice_shown = False
        self._terminal_md = self._new_markdown()

    def _new_markdown(self) -> Any:
        from .terminal_markdown import TerminalMarkdown

        # Readable Markdown (no "**"); bold only where the output is a terminal.
        isatty = getattr(self._out, "isatty", None)
        return TerminalMarkdown(ansi=bool(isatty and isatty()))

    @property
    def _out(self) -> TextIO:
        return self._stream or sys.stdout

    def begin(self) -> None:
        self._printed_any = False
        self._terminal_md = self._new_markdown()
        self.start_waiting()

    def text(self, delta: str) -> None:
        self._clear_notice()
        self._out.write(self._terminal_md.feed(delta))
        self._out.flush()
        self._printed_any = True

    def notice(self, line: str) -> None:
        if not line:
            self._clear_notice()
            return
        if self._printed_any:
            self._out.write("\n")
            self._printed_any = False
        self._out.write(f"\r{line}")
        self._out.flush()
        self._notice_shown = True

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        self.stop_waiting()
        self._clear_notice()
        self._out.write(self._terminal_md.flush())
        if self._printed_any:
            self._out.write("\n")
        if error:
            self._out.write(f"⚠ {error}\n")
        if footer:
            self._out.write(f"{footer}\n")
        self._out.flush()

    def _clear_notice(self) -> None:
        if self._notice_shown:
            self._out.write("\r\x1b[2K")
            self._notice_shown = False
