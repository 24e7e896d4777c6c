"""The job's progress: one small text display updated a few times a second, or a line in a terminal.

Only counts travel (rows done, failed, in flight, tokens, cost, rate, time left, and each
batch's status): never model text, so the bar is safe to show and costs a few hundred bytes
per update on IOPub however long the answers are. In a notebook it is a single ``display_id``
updated at most ``1 / min_interval`` times a second; in a terminal a line rewritten in place
(or printed every few seconds when stderr is not a terminal).
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

__all__ = ["Progress", "Tally"]

_BAR = 24


@dataclass
class Tally:
    """The job's counts so far."""

    total: int
    from_journal: int = 0
    done: int = 0
    failed: int = 0
    in_flight: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    #: Batch id -> (status, seconds since created), in creation order.
    batches: dict[str, tuple[str, float]] = field(default_factory=dict)


def _count(n: float) -> str:
    return f"{n / 1000:.1f}k" if n >= 10_000 else f"{n:,.0f}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def progress_line(job: str, tally: Tally, elapsed: float) -> str:
    """The bar as one line of text (pure, for tests)."""
    finished = tally.from_journal + tally.done + tally.failed
    share = finished / tally.total if tally.total else 1.0
    filled = int(share * _BAR)
    bar = "█" * filled + "░" * (_BAR - filled)
    parts = [f"{job} {bar} {finished:,}/{tally.total:,}"]
    if tally.failed:
        parts.append(f"{tally.failed:,} failed")
    if tally.in_flight:
        parts.append(f"{tally.in_flight} in flight")
    parts.append(f"{_count(tally.input_tokens + tally.output_tokens)} tokens")
    parts.append(f"${tally.cost_usd:.4f}")
    ran = tally.done + tally.failed
    if elapsed > 0 and ran:
        rate = ran / elapsed
        parts.append(f"{rate:,.1f} rows/s")
        left = tally.total - finished
        if left and not tally.batches:
            parts.append(f"{_duration(left / rate)} left")
    return " · ".join(parts)


def batch_lines(tally: Tally) -> list[str]:
    return [f"  {batch_id}: {status}, {_duration(age)}" for batch_id, (status, age) in tally.batches.items()]


Where = Literal["kernel", "terminal", "none"]


def _where() -> Where:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return "terminal"
    shell = get_ipython()
    return "kernel" if type(shell).__name__ == "ZMQInteractiveShell" else "terminal"


class Progress:
    """Shows a :class:`Tally`; call :meth:`changed` freely, it repaints only when due."""

    def __init__(self, job: str, tally: Tally, *, where: Where | None = None, min_interval: float = 0.25,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.job, self.tally = job, tally
        self.where = where or _where()
        self.min_interval = min_interval
        self._clock = clock
        self._started = clock()
        self._display_id = f"claude-map-{uuid.uuid4().hex[:8]}"
        self._shown = False
        self._tty = self.where == "terminal" and sys.stderr.isatty()
        # A log file's first line waits 5 s too: a short job prints only its summary.
        self._last = clock() if self.where == "terminal" and not self._tty else float("-inf")
        self.repaints = 0

    def text(self) -> str:
        return "\n".join([progress_line(self.job, self.tally, self._clock() - self._started), *batch_lines(self.tally)])

    def changed(self, *, force: bool = False) -> None:
        now = self._clock()
        # A terminal that is not a TTY (a log file) gets a line every 5 s instead of a repaint.
        interval = self.min_interval if self.where == "kernel" or self._tty else 5.0
        # A log file gets no forced lines (batch status changes): one every 5 s is plenty.
        if (not force or (self.where == "terminal" and not self._tty)) and now - self._last < interval:
            return
        self._last = now
        self._paint(self.text())

    def _paint(self, text: str) -> None:
        self.repaints += 1
        if self.where == "kernel":
            from IPython.display import display, update_display

            bundle: dict[str, Any] = {"text/plain": text}
            if self._shown:
                update_display(bundle, raw=True, display_id=self._display_id)
            else:
                display(bundle, raw=True, display_id=self._display_id)
                self._shown = True
        elif self.where == "terminal":
            if self._tty:
                sys.stderr.write("\r\x1b[K" + text.replace("\n", "  "))
            else:
                sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def finish(self, summary: str) -> None:
        """Replace the bar by the one-line summary (printed below it in a terminal)."""
        if self.where == "kernel":
            if self._shown:
                from IPython.display import update_display

                update_display({"text/plain": summary}, raw=True, display_id=self._display_id)
                return
            self._paint(summary)
            return
        if self._tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        if self.where != "none":
            print(summary)
