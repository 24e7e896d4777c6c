"""The retry policy for requests that fail before their first token.

One policy, not two stacked: the client is built with the SDK's own retries off
(``max_retries=0``) because the SDK retries silently, and a workshop on bad wifi needs to see
"Overloaded (529): retrying in 2.3 s, retry 1 of 4" while it waits. Nothing is retried once
text has been shown: a retry then would repeat the answer, so the user decides
(``%claude_retry``).
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from typing import Callable

import anthropic

__all__ = ["RetryPolicy", "retry_after_s"]


def retry_after_s(exc: BaseException) -> float | None:
    """What the server asked us to wait, from ``retry-after-ms`` or ``retry-after``."""
    if not isinstance(exc, anthropic.APIStatusError):
        return None
    headers = exc.response.headers
    try:
        return max(0.0, float(headers["retry-after-ms"]) / 1000)
    except (KeyError, TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped, honouring the server's retry-after."""

    max_retries: int = 4
    base_s: float = 0.5
    cap_s: float = 30.0

    def delay_s(self, retry: int, exc: BaseException, *, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        asked = retry_after_s(exc)
        if asked is not None:
            # The server knows its load better than our backoff; the cap still protects the user.
            return min(asked, self.cap_s)
        # Full jitter (uniform in [0, min(cap, base * 2^n)]) spreads thirty workshop laptops
        # hitting one rate limit so they do not retry in lockstep.
        return float(rand() * min(self.cap_s, self.base_s * 2 ** (retry - 1)))
