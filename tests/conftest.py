"""Shared fixtures. Integration fixtures start real servers (Tansu, redis-server) on free loopback ports."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams import devstack

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def service_logs() -> Path:
    path = ARTIFACTS / "service-logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def broker(service_logs: Path) -> Iterator[devstack.Broker]:
    started = devstack.start_broker(service_logs)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def redis_server(service_logs: Path) -> Iterator[devstack.RedisServer]:
    started = devstack.start_redis(service_logs)
    yield started
    started.stop()
