"""A flood from one token is slowed down, not served: each signed-in person may send
``GATEWAY_RATE_LIMIT`` requests a second on average, in bursts of up to
``GATEWAY_RATE_BURST``; beyond that the gateway answers 429 with ``Retry-After``.

The buckets live in each gateway process: with several gateways behind a load balancer
the limit applies per gateway, which is enough to keep one runaway app or script from
taking the services from everybody else.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.exceptions import TooManyRequests

from coachops import settings

MAX_TRACKED = 100_000  # people with a bucket before idle ones are forgotten


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def configured(cls) -> RateLimiter:
        configured = settings.current()
        return cls(rate=configured.gateway_rate_limit, burst=configured.gateway_rate_burst)

    def wait(self, key: str) -> float:
        """0 when ``key`` may send a request now (and counts it), else the seconds until
        it may."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def check(self, key: str) -> None:
        """Raise 429 (with the seconds to wait) when ``key`` is over its limit."""
        seconds = self.wait(key)
        if seconds:
            raise TooManyRequests(
                f"too many requests from this sign-in: wait {math.ceil(seconds)}s",
                retry_after=math.ceil(seconds))

    def _forget_idle(self, now: float) -> None:
        # A bucket refilled to its burst holds nothing worth keeping.
        full_after = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.at < full_after}
