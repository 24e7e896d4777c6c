"""Rate limits that count down: token buckets for requests, input and output tokens per minute.

Like the API, each limit is a bucket that refills continuously (a limit of 60 a minute gives
one back every second), not a window that resets on the minute. A request needs one
request, its input tokens, and room for ``max_tokens`` output tokens (the API estimates
output with ``max_tokens`` at the start); it then spends the output tokens it really used.
Every reply carries the ``anthropic-ratelimit-*`` headers; a refusal is the API's 429
``rate_limit_error`` with ``retry-after``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from ._script import RateLimits

__all__ = ["RateLimited", "RateLimiter"]

_DOCS = "https://docs.claude.com/en/api/rate-limits"


@dataclass
class _Bucket:
    limit: int
    level: float
    at: float

    def refill(self, now: float) -> None:
        self.level = min(self.limit, self.level + (now - self.at) * self.limit / 60)
        self.at = now

    def seconds_until(self, amount: float) -> float:
        """Seconds until the bucket holds ``amount`` (capped at the limit)."""
        missing = min(amount, self.limit) - self.level
        return max(missing, 0) * 60 / self.limit

    def headers(self, name: str, now_wall: float) -> dict[str, str]:
        reset = now_wall + self.seconds_until(self.limit)
        return {
            f"anthropic-ratelimit-{name}-limit": str(self.limit),
            f"anthropic-ratelimit-{name}-remaining": str(max(int(self.level), 0)),
            f"anthropic-ratelimit-{name}-reset": _rfc3339(reset),
        }


def _rfc3339(wall: float) -> str:
    return datetime.fromtimestamp(math.ceil(wall), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RateLimited(Exception):
    """A request over a limit: the API's message, and the seconds to wait."""

    def __init__(self, message: str, retry_after: float, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.message, self.retry_after, self.headers = message, retry_after, headers


class RateLimiter:
    """The buckets of one server; they start full whenever the limits change."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self._clock, self._wall = clock, wall
        self._limits: RateLimits | None = None
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _current(self, limits: RateLimits) -> dict[str, _Bucket]:
        now = self._clock()
        if limits is not self._limits:
            self._limits = limits
            sizes = {
                "requests": limits.requests_per_minute,
                "input-tokens": limits.input_tokens_per_minute,
                "output-tokens": limits.output_tokens_per_minute,
            }
            self._buckets = {name: _Bucket(size, size, now) for name, size in sizes.items()}
        for bucket in self._buckets.values():
            bucket.refill(now)
        return self._buckets

    def headers(self, limits: RateLimits) -> dict[str, str]:
        """The ``anthropic-ratelimit-*`` headers as they stand now."""
        with self._lock:
            return self._headers(self._current(limits))

    def _headers(self, buckets: dict[str, _Bucket]) -> dict[str, str]:
        wall = self._wall()
        headers: dict[str, str] = {}
        for name, bucket in buckets.items():
            headers.update(bucket.headers(name, wall))
        # `tokens-*` is the most restrictive of the token limits in effect.
        tightest = min((buckets["input-tokens"], buckets["output-tokens"]), key=lambda b: b.level / b.limit)
        headers.update(tightest.headers("tokens", wall))
        return headers

    def admit(self, limits: RateLimits, *, input_tokens: int, max_tokens: int) -> None:
        """Take one request and its input tokens, or raise :class:`RateLimited`."""
        with self._lock:
            buckets = self._current(limits)
            needs = {"requests": 1, "input-tokens": input_tokens, "output-tokens": max_tokens}
            units = {"requests": "requests", "input-tokens": "input tokens", "output-tokens": "output tokens"}
            for name, amount in needs.items():
                bucket = buckets[name]
                if bucket.level < min(amount, bucket.limit) or amount > bucket.limit:
                    wait = bucket.seconds_until(amount)
                    message = (
                        f"This request would exceed the rate limit for your organization of {bucket.limit:,} "
                        f"{units[name]} per minute. For details, refer to: {_DOCS}. You can see the response "
                        "headers for current usage. Please reduce the prompt length or the maximum tokens "
                        "requested, or try again later."
                    )
                    raise RateLimited(message, max(wait, 1.0), self._headers(buckets))
            buckets["requests"].level -= 1
            buckets["input-tokens"].level -= input_tokens

    def spend_output(self, limits: RateLimits, output_tokens: int) -> dict[str, str]:
        """Count the output tokens a reply used; returns the headers after it."""
        with self._lock:
            buckets = self._current(limits)
            buckets["output-tokens"].level -= output_tokens
            return self._headers(buckets)
