"""The per-sign-in rate limit, on a clock the test moves."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import TooManyRequests

from gateway.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_rate_applies() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=5, clock=clock)
    assert [limiter.wait("coach-a") for _ in range(5)] == [0.0] * 5
    assert limiter.wait("coach-a") == pytest.approx(0.5)
    clock.now += 0.5  # one more request's worth
    assert limiter.wait("coach-a") == 0.0
    assert limiter.wait("coach-a") > 0


def test_one_flood_does_not_slow_anyone_else() -> None:
    limiter = RateLimiter(rate=1, burst=2, clock=Clock())
    for _ in range(10):
        limiter.wait("script")
    assert limiter.wait("coach-b") == 0.0


def test_over_the_limit_is_a_429_saying_how_long_to_wait() -> None:
    limiter = RateLimiter(rate=0.25, burst=1, clock=Clock())
    limiter.check("coach-a")
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("coach-a")
    assert refused.value.retry_after == 4
    assert "wait 4s" in str(refused.value.description)


def test_idle_people_are_forgotten_when_many_are_tracked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gateway.ratelimit.MAX_TRACKED", 3)
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=2, clock=clock)
    for key in ("a", "b", "c"):
        limiter.wait(key)
    clock.now += 10  # every bucket is full again
    limiter.wait("d")
    assert set(limiter._buckets) == {"d"}
