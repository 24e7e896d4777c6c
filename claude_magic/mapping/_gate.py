"""When a live job may send: a concurrency limit that backs off and recovers, and one shared cooldown.

Workers hold numbered slots (0 to ``maximum - 1``); a slot sends only while its number is under
the current limit, so at most ``limit`` requests are in flight. A rate limit (429) or an
overload (529) does two things: the whole job pauses until the server's ``retry-after`` has
passed (every row hammering a limited API only extends the storm), and the limit halves, once
per storm. Each run of ``limit`` successes adds one slot back, up to ``maximum`` (AIMD, as TCP
does it).
"""

from __future__ import annotations

import asyncio
from typing import Callable

__all__ = ["Gate"]


class Gate:
    """Shared by the workers of one job, on one event loop."""

    def __init__(self, maximum: int, *, clock: Callable[[], float] | None = None) -> None:
        self.maximum = maximum
        self.limit = maximum
        self.cooldown_until = 0.0
        self.backoffs = 0
        self._clock = clock or asyncio.get_running_loop().time
        self._successes = 0
        self._raised = asyncio.Event()

    def cooling_for(self) -> float:
        return max(0.0, self.cooldown_until - self._clock())

    async def wait_turn(self, slot: int) -> None:
        """Return when ``slot`` may send: no cooldown running, and the slot under the limit."""
        while True:
            if (wait := self.cooling_for()) > 0:
                await asyncio.sleep(wait)
                continue
            if slot < self.limit:
                return
            self._raised.clear()
            await self._raised.wait()

    def succeeded(self) -> None:
        self._successes += 1
        if self._successes >= self.limit and self.limit < self.maximum:
            self._successes = 0
            self.limit += 1
            self._raised.set()

    def rate_limited(self, wait_s: float) -> None:
        """A 429/529: pause everyone for ``wait_s``; halve the limit unless this storm already did."""
        now = self._clock()
        if now >= self.cooldown_until:
            self.limit = max(1, self.limit // 2)
            self._successes = 0
            self.backoffs += 1
        self.cooldown_until = max(self.cooldown_until, now + wait_s)
