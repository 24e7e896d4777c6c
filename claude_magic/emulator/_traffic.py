"""Traffic on ``POST /v1/messages``: per-request latency, rate-limit storms, an in-flight gauge.

A client that schedules many rows needs a server that pushes back: ``latency_s`` holds each
request before it is answered, :meth:`Traffic.storm` answers every request with a 429 for a
time window (``retry-after`` and ``anthropic-ratelimit-*`` headers as the API sends them), and
the gauge measures how many requests were in flight at once on the server's side, which is
where a concurrency limit has to hold.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from starlette.types import ASGIApp, Receive, Scope, Send

from ._faults import error_response

__all__ = ["Traffic", "TrafficGate"]

#: The requests-per-minute limit the headers announce (the API's tier-1 figure).
_REQUESTS_LIMIT = 50


@dataclass
class Traffic:
    """What the gate applies and measures; change it between requests from any thread."""

    latency_s: float = 0.0
    #: Storm window end (``time.time()``) and the retry-after it announces (None: time left).
    storm_until: float = 0.0
    storm_retry_after: float | None = None
    in_flight: int = 0
    peak_in_flight: int = 0
    #: ``time.time()`` of every request, and of each one answered 429 by a storm.
    arrivals: list[float] = field(default_factory=list)
    limited: list[float] = field(default_factory=list)

    def storm(self, seconds: float, *, retry_after: float | None = None) -> None:
        """Answer every request with 429 ``rate_limit_error`` for ``seconds`` from now."""
        self.storm_until = time.time() + seconds
        self.storm_retry_after = retry_after

    def reset(self) -> None:
        """No latency, no storm, and the gauge and logs start over."""
        self.latency_s = 0.0
        self.storm_until = 0.0
        self.storm_retry_after = None
        self.peak_in_flight = self.in_flight
        self.arrivals.clear()
        self.limited.clear()


def _storm_headers(until: float, retry_after: float) -> dict[str, str]:
    reset = datetime.fromtimestamp(until, tz=timezone.utc).isoformat().replace("+00:00", "Z")
    return {
        # The API sends whole seconds; a fraction is allowed so tests can keep storms short.
        "retry-after": f"{retry_after:g}" if retry_after < 1 else str(math.ceil(retry_after)),
        "anthropic-ratelimit-requests-limit": str(_REQUESTS_LIMIT),
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": reset,
        "x-should-retry": "true",
    }


class TrafficGate:
    """ASGI middleware applying the app's :class:`Traffic` to ``POST /v1/messages``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/v1/messages":
            await self.app(scope, receive, send)
            return
        traffic: Traffic = scope["app"].state.emulator.traffic
        now = time.time()
        traffic.arrivals.append(now)
        if now < traffic.storm_until:
            traffic.limited.append(now)
            wait = traffic.storm_retry_after
            headers = _storm_headers(traffic.storm_until, traffic.storm_until - now if wait is None else wait)
            request_id = scope.get("state", {}).get("request_id", "")
            message = "Number of requests has exceeded your per-minute rate limit"
            response = error_response(429, "rate_limit_error", message, request_id=request_id, headers=headers)
            await response(scope, receive, send)
            return
        traffic.in_flight += 1
        traffic.peak_in_flight = max(traffic.peak_in_flight, traffic.in_flight)
        try:
            if traffic.latency_s > 0:
                await asyncio.sleep(traffic.latency_s)
            await self.app(scope, receive, send)
        finally:
            traffic.in_flight -= 1
