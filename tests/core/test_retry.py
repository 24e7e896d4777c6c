"""The retry policy: full jitter under an exponential bound, a cap, and the server's own wait."""

from __future__ import annotations

import email.utils
import time

import pytest
from fake_api import connection_error, status_error

from claude_magic.core.retry import RetryPolicy, retry_after_s


def never() -> float:
    raise AssertionError("the server said how long to wait: no randomness needed")


def overloaded(**headers: str) -> Exception:
    return status_error(529, "overloaded_error", "Overloaded", headers=headers)


@pytest.mark.parametrize("retry,bound", [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 10.0), (12, 10.0)])
def test_the_jitter_bound_doubles_with_each_retry_up_to_the_cap(retry: int, bound: float) -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=10.0)
    # Full jitter: uniform in [0, bound], so the draw scales the bound itself.
    assert policy.delay_s(retry, connection_error(), rand=lambda: 1.0) == pytest.approx(bound)
    assert policy.delay_s(retry, connection_error(), rand=lambda: 0.25) == pytest.approx(bound / 4)
    assert policy.delay_s(retry, connection_error(), rand=lambda: 0.0) == 0.0


def test_an_error_without_a_retry_after_uses_the_jitter() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=30.0)
    assert policy.delay_s(2, overloaded(), rand=lambda: 0.5) == pytest.approx(1.0)


def test_retry_after_seconds_is_honoured_without_jitter() -> None:
    assert RetryPolicy().delay_s(1, overloaded(**{"retry-after": "7"}), rand=never) == 7.0
    assert RetryPolicy().delay_s(3, overloaded(**{"retry-after": "0.25"}), rand=never) == 0.25


def test_retry_after_ms_wins_over_retry_after() -> None:
    exc = overloaded(**{"retry-after-ms": "1500", "retry-after": "9"})
    assert retry_after_s(exc) == 1.5
    assert RetryPolicy().delay_s(1, exc, rand=never) == 1.5


def test_an_unreadable_retry_after_ms_falls_back_to_retry_after() -> None:
    assert retry_after_s(overloaded(**{"retry-after-ms": "soon", "retry-after": "4"})) == 4.0


def test_retry_after_as_an_http_date_is_the_time_until_then() -> None:
    then = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 18.0 <= retry_after_s(overloaded(**{"retry-after": then})) <= 20.5


def test_a_retry_after_in_the_past_or_negative_means_now() -> None:
    assert retry_after_s(overloaded(**{"retry-after": "-3"})) == 0.0
    assert retry_after_s(overloaded(**{"retry-after-ms": "-10"})) == 0.0
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert retry_after_s(overloaded(**{"retry-after": past})) == 0.0


def test_an_unreadable_retry_after_is_ignored() -> None:
    exc = overloaded(**{"retry-after": "in a while"})
    assert retry_after_s(exc) is None
    assert RetryPolicy(base_s=2.0).delay_s(1, exc, rand=lambda: 0.5) == pytest.approx(1.0)


def test_the_cap_bounds_what_the_server_asks_for() -> None:
    assert RetryPolicy(cap_s=30.0).delay_s(1, overloaded(**{"retry-after": "600"}), rand=never) == 30.0


def test_only_status_errors_carry_a_retry_after() -> None:
    assert retry_after_s(connection_error()) is None
    assert retry_after_s(ValueError("x")) is None
