"""Composition root of the API process: build_api wires routes, auth, rate limit, metrics and logs; run_api serves.

Nothing connects at import: run_api builds the Redis client inside the server's event loop and closes it on exit.
"""
from __future__ import annotations

import logging
from typing import Any
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from streams.api import middleware
from streams.api.auth import ApiKeyAuthenticator
from streams.api.checkout import CHECKOUT, CheckoutContext
from streams.api.exceptions import (
    WORKBENCH, ActionSink, DictExceptionReader, ExceptionReader, RecordingActionSink, WorkbenchContext)
from streams.api.exceptions_replay import REPLAYER, DeadLetterReplayer, RecordingReplayer
from streams.api.metrics import ApiMetrics, NearCacheCollector
from streams.api.orders import ORDERS, DictOrderReader, OrderReader, RedisOrderReader
from streams.api.openapi import build_document
from streams.api.queries import parse_channels
from streams.api.rate_limit import TokenBucketLimiter
from streams.api.routes import CONTEXT, OPENAPI_DOCUMENT, ROUTES, ServingContext
from streams.readmodel.reader import CheckoutReader, DictCheckoutReader
from streams.settings import Settings
from streams.snapshot.reader import AvailabilityReader
from streams.snapshot.writer import wall_clock_ms

log = logging.getLogger("distflow.api")
MAX_BODY_BYTES = 256 * 1024


def build_api(settings: Settings, reader: AvailabilityReader, *, registry: CollectorRegistry | None = None,
              clock_ms: Callable[[], int] = wall_clock_ms,
              limiter: TokenBucketLimiter | None = None,
              checkout_reader: CheckoutReader | None = None,
              order_reader: OrderReader | None = None,
              exception_reader: ExceptionReader | None = None,
              action_sink: ActionSink | None = None,
              replayer: DeadLetterReplayer | None = None) -> web.Application:
    """checkout_reader: the checkout read model (default: an empty in-memory one, every customer unknown).

    exception_reader / action_sink: the workbench read model and where operator actions go (default: in memory).
    """
    registry = registry if registry is not None else CollectorRegistry()
    authenticator = ApiKeyAuthenticator(settings.api_keys)
    if authenticator.client_count == 0:
        log.warning("no API keys configured (DISTFLOW_API_KEYS): every /v1 request will be answered 401")
    limiter = limiter or TokenBucketLimiter(settings.api_rate_limit_per_s, settings.api_rate_limit_burst)
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[
        middleware.observe_requests(ApiMetrics.create(registry)),
        middleware.answer_errors,
        middleware.authorize(authenticator, limiter, {route.name: route.scope for route in ROUTES}),
    ])
    near_cache = getattr(reader, "cache", None)
    if near_cache is not None:
        registry.register(NearCacheCollector(near_cache))
    app[CONTEXT] = ServingContext(reader, parse_channels(settings.api_channels),
                                  settings.api_read_your_writes_wait_ms, settings.api_batch_max_skus, clock_ms,
                                  registry)
    app[CHECKOUT] = CheckoutContext(checkout_reader if checkout_reader is not None else DictCheckoutReader(),
                                    reader, app[CONTEXT].channels, clock_ms)
    app[ORDERS] = order_reader if order_reader is not None else DictOrderReader({})
    app[WORKBENCH] = WorkbenchContext(exception_reader if exception_reader is not None else DictExceptionReader({}),
                                      action_sink if action_sink is not None else RecordingActionSink(), clock_ms)
    app[REPLAYER] = replayer if replayer is not None else RecordingReplayer()
    app[OPENAPI_DOCUMENT] = build_document(ROUTES, batch_max_skus=settings.api_batch_max_skus)
    for route in ROUTES:
        app.router.add_route(route.method, route.router_path, route.handler, name=route.name)

    async def reader_lifecycle(_: web.Application) -> AsyncIterator[None]:
        await reader.start()  # the near cache's invalidation listener runs in the server's loop
        yield
        await reader.stop()

    app.cleanup_ctx.append(reader_lifecycle)
    return app


async def _serving_app(settings: Settings) -> web.Application:
    from streams.api.exceptions import KafkaActionSink, RedisExceptionReader
    from streams.api.exceptions_replay import KafkaReplayer
    from streams.snapshot.connection import snapshot_reader_client
    from streams.readmodel.reader import RedisCheckoutReader

    client = snapshot_reader_client(settings)
    app = build_api(settings, availability_reader(settings, client),
                    checkout_reader=RedisCheckoutReader(client, settings.redis_key_prefix),
                    order_reader=RedisOrderReader(client, settings.redis_key_prefix),
                    exception_reader=RedisExceptionReader(client, settings.redis_key_prefix),
                    action_sink=(actions := KafkaActionSink(settings)), replayer=(replays := KafkaReplayer(settings)))

    async def close_redis(_: web.Application) -> None:
        await client.aclose()
        actions.close()
        replays.close()

    app.on_cleanup.append(close_redis)
    return app


def availability_reader(settings: Settings, client: Any) -> AvailabilityReader:
    """Redis, behind the near cache unless DISTFLOW_API_NEAR_CACHE_ENTRIES is 0."""
    from streams.snapshot.near_cache import NearCachedAvailabilityReader
    from streams.snapshot.reader import RedisAvailabilityReader

    redis_reader = RedisAvailabilityReader(client, settings.redis_key_prefix)
    if settings.api_near_cache_entries == 0:
        return redis_reader
    return NearCachedAvailabilityReader(redis_reader, client, settings.redis_key_prefix,
                                        settings.api_near_cache_entries,
                                        answer_timeout_s=settings.api_redis_timeout_ms / 1000,
                                        refresh_ahead=settings.api_near_cache_refresh_ahead)


# The cyclic GC: a request allocates thousands of short-lived objects, and the decoded-value caches keep tens of
# thousands alive; Python's default young-generation threshold (700) ran a collection every few requests and a full
# one often enough to add tens of ms to the tail. Start-up objects are frozen (never scanned again).
API_GC_THRESHOLDS = (50_000, 20, 100)


def settle_gc() -> None:
    """What the API process does once everything it starts with is built: freeze it, then the thresholds above."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*API_GC_THRESHOLDS)


def run_api(settings: Settings) -> None:
    """Serve on settings.api_host:api_port until SIGTERM/SIGINT (the `distflow api` command)."""
    settle_gc()
    log.info("API listening on %s:%d", settings.api_host, settings.api_port)
    web.run_app(_serving_app(settings), host=settings.api_host, port=settings.api_port, access_log=None,
                print=None)
