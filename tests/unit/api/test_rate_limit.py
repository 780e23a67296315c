"""The per-key token bucket, on its own and behind the API (429 with Retry-After)."""
from __future__ import annotations

from typing import Any

import pytest

from streams.api.rate_limit import TokenBucketLimiter
from tests.unit.api.support import OPS_KEY, api_settings, bearer, run, served


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_client_may_burst_then_waits_for_tokens() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_s=2.0, burst=3, clock=clock)

    burst = [limiter.take("key-a").allowed for _ in range(3)]
    refused = limiter.take("key-a")
    clock.now += 0.5
    refilled = limiter.take("key-a")

    assert burst == [True, True, True]
    assert not refused.allowed and refused.retry_after_s == pytest.approx(0.5)
    assert refused.retry_after_header == "1"
    assert refilled.allowed


def test_each_client_has_its_own_bucket() -> None:
    limiter = TokenBucketLimiter(rate_per_s=1.0, burst=1, clock=Clock())

    assert limiter.take("key-a").allowed and not limiter.take("key-a").allowed
    assert limiter.take("key-b").allowed


def test_a_bucket_never_holds_more_than_the_burst() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_s=10.0, burst=2, clock=clock)
    limiter.take("key-a")
    clock.now += 3_600

    assert [limiter.take("key-a").allowed for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize("rate, burst", [(0.0, 5), (-1.0, 5), (10.0, 0)])
def test_a_nonsensical_limit_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucketLimiter(rate, burst)


def test_the_api_answers_429_with_retry_after_once_the_burst_is_spent() -> None:
    settings = api_settings(api_rate_limit_per_s=0.01, api_rate_limit_burst=3)

    async def scenario() -> tuple[list[int], Any, str | None, int]:
        async with served(settings=settings) as client:
            statuses = [(await client.get("/v1/availability/SKU-1", headers=bearer())).status for _ in range(3)]
            limited = await client.get("/v1/availability/SKU-1", headers=bearer())
            other_key = await client.get("/v1/availability/SKU-1", headers=bearer(OPS_KEY))
            return statuses, await limited.json() | {"status": limited.status}, \
                limited.headers.get("Retry-After"), other_key.status

    statuses, limited, retry_after, other_key = run(scenario)

    assert statuses == [200, 200, 200]
    assert (limited["status"], limited["error"]) == (429, "rate_limited")
    assert retry_after is not None and int(retry_after) >= 1
    assert other_key == 403  # its own bucket: refused for its scope, not for the other key's traffic


def test_probes_are_not_rate_limited() -> None:
    settings = api_settings(api_rate_limit_per_s=0.01, api_rate_limit_burst=1)

    async def scenario() -> list[int]:
        async with served(settings=settings) as client:
            return [(await client.get("/healthz")).status for _ in range(5)]

    assert run(scenario) == [200] * 5
