"""A token bucket per API client: `rate_per_s` requests per second on average, bursts of up to `burst`."""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    refilled_at: float


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after_s: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, at least 1 (HTTP Retry-After has no fractions)."""
        return str(max(1, math.ceil(self.retry_after_s)))


class TokenBucketLimiter:
    """Buckets are keyed by client id; there is one per configured API key, so memory is bounded."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(f"rate limit needs rate_per_s > 0 and burst ≥ 1, got {rate_per_s} and {burst}")
        self._rate, self._burst, self._clock = rate_per_s, float(burst), clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client_id: str) -> RateDecision:
        now = self._clock()
        bucket = self._buckets.setdefault(client_id, _Bucket(self._burst, now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.refilled_at) * self._rate)
        bucket.refilled_at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return RateDecision(True)
        return RateDecision(False, (1 - bucket.tokens) / self._rate)
