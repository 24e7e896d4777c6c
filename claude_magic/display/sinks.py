"""Where a streaming answer goes: the Sink interface and the plain display and terminal sinks.

The widget sink lives in ``_widget.py``. Every sink gets each text delta as it arrives and
decides itself how often to repaint (a :class:`Coalescer`), so the streaming core never knows
what a front end is.
"""

from __future__ import annotations

import sys
from html import escape
from typing import Any, Callable, TextIO

from ..core.errors import redact
from ..core.lanes import Sink
from .coalesce import DEFAULT_INTERVAL_S, Coalescer
from .html import render_answer_html
from .lanes import LaneRenderer

__all__ = ["Sink", "MarkdownSink", "TerminalSink", "EMPTY_BUNDLE", "answer_bundle", "show_final"]

#: Bytes of repainted HTML allowed per second on the plain display path. The plain path
#: must resend the whole text each time (a display update replaces its output), so past 250
#: bytes of HTML it repaints less often (4.5 KB of HTML: once a second) instead of flooding
#: IOPub: an 8 KB answer streamed over 10 s then costs under 100 KB in all (measured by
#: benchmarks/stream_cost.py). The widget path sends only new text.
REPAINT_BYTES_PER_S = 4_500


def answer_bundle(text: str, *, markdown: bool = True) -> dict[str, str]:
    """The final answer as a display bundle: HTML from the one renderer for people (never
    ``text/markdown``, which a front end would parse again), the raw text for nbval and
    terminals. Secrets are redacted from both."""
    text = redact(text)
    if not markdown:
        return line_bundle(text)  # display="text": shown as escaped text, never linkified
    return {"text/html": render_answer_html(text), "text/plain": text}


#: Drawn like a plain-text output: the code font, lines kept, long lines wrapped.
_LINE_STYLE = "font-family:var(--jp-code-font-family,monospace);font-size:var(--jp-code-font-size,13px);white-space:pre-wrap"


def line_bundle(line: str) -> dict[str, str]:
    """Text that may quote outside text (a server's error message, a model name, an answer
    shown as text) as escaped HTML drawn like plain text, and as text/plain. Shown as
    ``text/plain`` alone, JupyterLab would turn any ``data:``, ``file:`` or ``javascript:``
    URL in it into a link."""
    line = redact(line)
    return {"text/html": f'<div class="claude-line" style="{_LINE_STYLE}">{escape(line, quote=False)}</div>',
            "text/plain": line}


def footer_bundle(footer: str) -> dict[str, str]:
    return line_bundle(footer)


def error_bundle(error: str) -> dict[str, str]:
    return line_bundle(f"⚠ {error}")


def show_final(
    text: str, *, footer: str, error: str | None, markdown: bool = True, display: Callable[..., Any] | None = None,
    thinking: str = "",
) -> None:
    """How every kernel sink ends: the answer, its thinking (collapsed), the footer, the error
    line, each a new output, so a notebook saves alike whichever sink showed the stream."""
    from IPython.display import display as ipython_display

    from .thinking import SUMMARY, thinking_bundle

    show: Callable[..., Any] = display or ipython_display
    if text:
        show(answer_bundle(text, markdown=markdown), raw=True)
    if thinking.strip():
        bundle = thinking_bundle(thinking) if markdown else line_bundle(f"{SUMMARY}:\n{thinking.strip()}")
        show(bundle, raw=True)
    if footer:
        show(footer_bundle(footer), raw=True)
    if error:
        show(error_bundle(error), raw=True)


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
        self.plain_text = not markdown
        self._shown = ""
        self._thought = ""  # the thinking shown so far
        self._folded = False
        self._notice = ""
        self._handle: Any = None
        self._coalescer = Coalescer(self._repaint, interval=interval)
        self._thinking_coalescer = Coalescer(self._repaint_thinking, interval=interval)
        self._min_interval = interval

    def begin(self) -> None:
        self._handle = self._display(EMPTY_BUNDLE, raw=True, display_id=True)
        self.start_waiting()

    def clear_waiting(self) -> None:
        self._notice = ""  # the repaint that follows (the first text, a tool line) drops it

    @property
    def lane_interval(self) -> float:
        # A notice repaints the whole text here: growing lanes keep to the text's byte budget.
        return max(super().lane_interval, self._coalescer._interval)

    def text(self, delta: str) -> None:
        self._coalescer.push(delta)

    def notice(self, line: str) -> None:
        if line == self._notice:
            return  # a repaint here resends the whole text: only for a line that changed
        self._notice = line
        self._coalescer.drain()
        self._update()

    def thinking(self, delta: str) -> None:
        if self._folded:
            self._folded = False
            self._update()
        self._thinking_coalescer.push(delta)

    def fold_thinking(self) -> None:
        self._thinking_coalescer.drain()
        self._folded = True
        self._update()

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        self.stop_waiting()
        self._coalescer.cancel()
        self._thinking_coalescer.cancel()
        if self._handle is not None:
            self._handle.update(EMPTY_BUNDLE, raw=True)
        show_final(text, footer=footer, error=error, markdown=self._markdown, display=self._display,
                   thinking=self.thinking_transcript)

    def _repaint(self, batch: str) -> None:
        self._shown += batch
        self._keep_budget(self._update())

    def _repaint_thinking(self, batch: str) -> None:
        self._thought += batch
        self._keep_budget(self._update())

    def _keep_budget(self, sent: int) -> None:
        # Keep full-text repaints under a byte budget: long answers repaint less often.
        interval = max(self._min_interval, sent / REPAINT_BYTES_PER_S)
        self._coalescer._interval = self._thinking_coalescer._interval = interval

    def _update(self) -> int:
        """Repaint; the bytes that took."""
        if self._handle is None:
            return 0
        body, notice = redact(self._shown), redact(self._notice)
        if not self._markdown:
            from .thinking import SUMMARY

            thought = ""
            if self._thought:
                thought = f"{SUMMARY}: {self._thought.strip()}\n\n" if not self._folded else f"{SUMMARY} (folded)\n\n"
            bundle = line_bundle(redact(thought) + body + (f"\n{notice}" if notice else ""))
            self._handle.update(bundle, raw=True)
            return len(bundle["text/html"])
        # HTML only: nbval ignores updates, and the front end needs nothing else.
        html = render_answer_html(body)
        if self._thought:
            # Thinking above the answer, open while it forms, folded once the answer starts.
            from .thinking import thinking_bundle

            html = thinking_bundle(self._thought, open_=not self._folded)["text/html"] + html
        if notice:
            # The notice may quote model-written tool input: escaped, never parsed.
            html += f'<p class="claude-notice"><em>{escape(notice, quote=False)}</em></p>'
        self._handle.update({"text/html": html}, raw=True)
        return len(html)


class TerminalSink(LaneRenderer):
    """Terminal IPython: print each delta as it comes, and never print the answer twice."""

    plain_text = True

    def __init__(self, *, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._printed_any = False
        self._notice_shown = False
        self._in_thinking = False
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

    def thinking(self, delta: str) -> None:
        # Dim, and marked, so thinking never reads as the answer.
        self._clear_notice()
        if not self._in_thinking:
            self._out.write(("\n" if self._printed_any else "") + "\x1b[2m💭 ")
            self._in_thinking = True
        self._out.write(delta)
        self._out.flush()
        self._printed_any = True

    def fold_thinking(self) -> None:
        self._end_thinking()
        self._out.write("\n")

    def _end_thinking(self) -> None:
        if self._in_thinking:
            self._out.write("\x1b[0m\n")
            self._in_thinking = False
            self._printed_any = False

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
        self._end_thinking()
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
