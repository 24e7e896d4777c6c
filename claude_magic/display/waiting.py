"""The live area's "waiting for the first token… N s" line, ticking once a second.

A slow first token (a long prompt, thinking, a retry's wait) must not look like a hang, so a
display says it is waiting and for how long. It ticks on the running event loop once a second
(one small update each: cheap on IOPub) and stops for good at the first text, tool call or
end; a real notice (a retry countdown) pauses it, and clearing that notice lets it go on.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

__all__ = ["WaitTicker", "WAITING", "waiting_line"]

WAITING = "waiting for the first token…"
TICK_S = 1.0


def waiting_line(seconds: float) -> str:
    return f"{WAITING} {int(seconds)} s"


class WaitTicker:
    """Calls ``show(line)`` every ``every`` seconds from ``start()`` until ``stop()``."""

    def __init__(self, show: Callable[[str], None], *, every: float = TICK_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._show = show
        self._every = every
        self._clock = clock
        self._started: float | None = None
        self._handle: Any = None
        self.done = False
        self.paused = False

    def start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop, no ticks (a display driven by hand)
        self._started = self._clock()
        self._handle = loop.call_later(self._every, self._tick)

    def _tick(self) -> None:
        self._handle = None
        if self.done or self._started is None:
            return
        elapsed = self._clock() - self._started
        if not self.paused:
            self._show(waiting_line(elapsed))
        # Aim at whole seconds since the start, so a slow tick does not drift the count.
        due = self._every - (elapsed % self._every)
        self._handle = asyncio.get_running_loop().call_later(due, self._tick)

    def stop(self) -> None:
        self.done = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
