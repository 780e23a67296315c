"""Redis clients for the snapshot, built from Settings: URL, password, TLS, and timeouts that fail fast.

Nothing connects here; connections open on first use. Retries are few and immediate: a reader answers 503 and a
writer keeps its entries rather than stalling on a dead Redis.
"""
from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from streams.settings import Settings


class RedisConfigError(ValueError):
    pass


def _options(settings: Settings, timeout_ms: int) -> tuple[str, dict[str, Any]]:
    url = settings.redis_url.get_secret_value()
    options: dict[str, Any] = {"socket_timeout": timeout_ms / 1000, "socket_connect_timeout": timeout_ms / 1000}
    if settings.redis_password is not None:
        options["password"] = settings.redis_password.get_secret_value()
    if settings.redis_tls_ca_file:
        if not url.startswith("rediss://"):
            raise RedisConfigError("DISTFLOW_REDIS_TLS_CA_FILE is set but DISTFLOW_REDIS_URL is not rediss://")
        options["ssl_ca_certs"] = settings.redis_tls_ca_file
    return url, options


def snapshot_writer_client(settings: Settings) -> redis.Redis:
    """Synchronous client for the worker's SnapshotWriter."""
    url, options = _options(settings, settings.snapshot_redis_timeout_ms)
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1), **options)


def snapshot_reader_client(settings: Settings) -> aioredis.Redis:
    """asyncio client for the API's RedisAvailabilityReader; create it inside the running event loop.

    A burst of requests waits (up to the Redis timeout) for a pooled connection instead of failing at the pool's
    limit: with a plain pool, overload showed up as "snapshot unavailable" 503s although Redis was up.
    """
    url, options = _options(settings, settings.api_redis_timeout_ms)
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=64,
                                                    timeout=settings.api_redis_timeout_ms / 1000, **options)
    return aioredis.Redis(connection_pool=pool, retry=AsyncRetry(NoBackoff(), 1))
