"""Rate limits that count down in the API's headers, and a real 429 with retry-after past them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import anthropic
import pytest

from claude_magic.emulator import Emulator, Script
from claude_magic.emulator._rate_limits import RateLimiter
from claude_magic.emulator._script import RateLimits

from .helpers import MODEL, user


def test_every_reply_carries_rate_limit_headers_that_count_down(server: Emulator, client: anthropic.Anthropic) -> None:
    # Small limits refill slowly (one request per 12 s), so a loaded machine reads the same numbers.
    server.set_script({"rate_limits": {"requests_per_minute": 5, "input_tokens_per_minute": 600}})

    first = client.messages.with_raw_response.create(model=MODEL, max_tokens=20, messages=user("x" * 400))
    second = client.messages.with_raw_response.create(model=MODEL, max_tokens=20, messages=user("x" * 400))

    for response in (first, second):
        assert response.headers["request-id"].startswith("req_")
        for name in ("requests", "tokens", "input-tokens", "output-tokens"):
            reset = response.headers[f"anthropic-ratelimit-{name}-reset"]
            assert datetime.strptime(reset, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert first.headers["anthropic-ratelimit-requests-limit"] == "5"
    assert int(first.headers["anthropic-ratelimit-requests-remaining"]) == 4
    assert int(second.headers["anthropic-ratelimit-requests-remaining"]) == 3
    # 400 characters are 100 input tokens; the bucket gives 10 back a second meanwhile.
    first_left = int(first.headers["anthropic-ratelimit-input-tokens-remaining"])
    second_left = int(second.headers["anthropic-ratelimit-input-tokens-remaining"])
    assert 500 <= first_left < 600 and second_left < first_left
    assert first.headers["anthropic-ratelimit-output-tokens-limit"] == "400000"


def test_a_streamed_reply_carries_the_headers_too(server: Emulator, client: anthropic.Anthropic) -> None:
    with client.messages.with_streaming_response.create(
        model=MODEL, max_tokens=20, messages=user("hi"), stream=True
    ) as response:
        assert response.headers["anthropic-ratelimit-requests-limit"] == "4000"
        assert response.headers["content-type"].startswith("text/event-stream")


def test_a_class_runs_into_the_request_limit_for_real(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rate_limits": {"requests_per_minute": 2}})
    client.messages.create(model=MODEL, max_tokens=5, messages=user("one"))
    client.messages.create(model=MODEL, max_tokens=5, messages=user("two"))

    with pytest.raises(anthropic.RateLimitError) as raised:
        client.messages.create(model=MODEL, max_tokens=5, messages=user("three"))

    error = raised.value
    assert (error.status_code, error.type) == (429, "rate_limit_error")
    assert error.api_message.startswith(
        "This request would exceed the rate limit for your organization of 2 requests per minute."
    )
    assert 1 <= int(error.response.headers["retry-after"]) <= 30  # one request back every 30 s
    assert error.response.headers["anthropic-ratelimit-requests-remaining"] == "0"


def test_max_tokens_beyond_the_output_limit_is_refused_up_front(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rate_limits": {"output_tokens_per_minute": 1000}})

    with pytest.raises(anthropic.RateLimitError) as raised:
        client.messages.create(model=MODEL, max_tokens=2000, messages=user("hi"))

    assert "of 1,000 output tokens per minute" in raised.value.api_message
    assert raised.value.response.headers["retry-after"]


def test_a_scripted_429_carries_retry_after(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"status": 429}]})

    with pytest.raises(anthropic.RateLimitError) as raised:
        client.messages.create(model=MODEL, max_tokens=5, messages=user("hi"))

    assert raised.value.response.headers["retry-after"] == "1"
    assert "anthropic-ratelimit-requests-remaining" in raised.value.response.headers


def test_buckets_refill_continuously() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0], wall=lambda: 1_800_000_000.0)
    limits = RateLimits(requests_per_minute=60)
    for _ in range(60):
        limiter.admit(limits, input_tokens=1, max_tokens=1)

    now[0] = 1.0  # a limit of 60 a minute gives one request back every second
    limiter.admit(limits, input_tokens=1, max_tokens=1)

    assert limiter.headers(limits)["anthropic-ratelimit-requests-remaining"] == "0"


def test_rate_limits_load_from_a_toml_script(tmp_path: Path) -> None:
    path = tmp_path / "class.toml"
    path.write_text('[rate_limits]\nrequests_per_minute = 5\n\n[[rules]]\nmatch = "hi"\n')

    script = Script.load(path)

    assert script.rate_limits.requests_per_minute == 5 and len(script.rules) == 1
