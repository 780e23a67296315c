"""The request pipeline around every handler: observe (metrics + access log) → answer errors → authorize."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from streams.api.auth import ApiKeyAuthenticator, presented_key
from streams.api.metrics import UNMATCHED_ROUTE, ApiMetrics
from streams.api.queries import BadRequest
from streams.api.rate_limit import TokenBucketLimiter
from streams.api.responses import error_response
from streams.snapshot.keys import InvalidSku
from streams.snapshot.reader import ApiAtCapacity, SnapshotEntryUnreadable, SnapshotUnavailable

log = logging.getLogger("distflow.api")
access_log = logging.getLogger("distflow.api.access")
CLIENT_ID = web.RequestKey("client_id", str)
HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
CLIENT_GONE = 499  # nginx's convention: the caller hung up before the answer


def route_template(request: web.Request) -> str:
    """The route's path template (bounded label values), never the concrete path."""
    route = request.match_info.route
    if route.name is None or route.resource is None:
        return UNMATCHED_ROUTE
    return route.resource.canonical


def observe_requests(metrics: ApiMetrics) -> Middleware:
    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        started, status = time.perf_counter(), 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except asyncio.CancelledError:
            status = CLIENT_GONE
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_template(request)
            metrics.observe(route, request.method, status, seconds)
            access_log.info("%s %s %d", request.method, route, status, extra={
                "method": request.method, "route": route, "path": request.path[:200], "status": status,
                "duration_ms": round(seconds * 1000, 3), "client_id": request.get(CLIENT_ID),
                "remote": request.remote})
    return observe


@web.middleware
async def answer_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes {"error", "detail"} with the right status; nothing else leaks to the caller."""
    try:
        return await handler(request)
    except BadRequest as bad:
        return error_response(400, bad.code, bad.detail)
    except RecursionError:  # json.loads on a body of thousands of nested brackets (within the size limit)
        return error_response(400, "malformed_json", "the body nests too deeply to be a request")
    except InvalidSku as invalid:  # handlers check first; this guards the key layout itself
        return error_response(400, "invalid_sku", str(invalid))
    except ApiAtCapacity as overload:
        log.warning("answering 503: %s", overload, extra={"reason_code": "at_capacity"})
        return error_response(503, "at_capacity", "This API instance is at capacity; the request was shed before "
                              "it was answered. Retry shortly.", {"Retry-After": "1"})
    except SnapshotUnavailable as outage:
        log.warning("answering 503: %s", outage)
        return error_response(503, "snapshot_unavailable", "The availability snapshot (Redis) cannot be reached; "
                              "no figure is given rather than a guessed one. Retry shortly.", {"Retry-After": "1"})
    except SnapshotEntryUnreadable as unreadable:
        log.error("answering 503: %s", unreadable)
        return error_response(503, "snapshot_entry_unreadable", f"The snapshot entry of SKU {unreadable.sku!r} "
                              "cannot be read; no figure is given. Retry later.", {"Retry-After": "1"})
    except web.HTTPException as http_error:
        if http_error.status < 400:
            raise
        headers = {"Allow": http_error.headers["Allow"]} if "Allow" in http_error.headers else None
        return error_response(http_error.status, HTTP_ERROR_CODES.get(http_error.status, "http_error"),
                              f"{http_error.reason}: {request.method} {request.path[:200]}", headers)
    except Exception:
        log.exception("unexpected error answering %s %s", request.method, route_template(request))
        return error_response(500, "internal_error", "An unexpected error occurred; it has been logged.")


def authorize(authenticator: ApiKeyAuthenticator, limiter: TokenBucketLimiter,
              scope_by_route: Mapping[str, str | None]) -> Middleware:
    """Secured routes: identify the key (401), rate-limit its client (429), check the route's scope (403)."""
    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        scope = scope_by_route.get(request.match_info.route.name or "")
        if scope is None:
            return await handler(request)
        client = authenticator.identify(presented_key(request.headers))
        if client is None:
            return error_response(401, "unauthenticated", "Send a valid API key as 'Authorization: Bearer <key>' "
                                  "or 'X-API-Key: <key>'.", {"WWW-Authenticate": "Bearer"})
        request[CLIENT_ID] = client.client_id
        decision = limiter.take(client.client_id)
        if not decision.allowed:
            return error_response(429, "rate_limited", "This API key exceeded its rate limit; retry after the "
                                  "Retry-After seconds.", {"Retry-After": decision.retry_after_header})
        if not client.may(scope):
            return error_response(403, "forbidden", f"This API key lacks the scope {scope!r} this route needs.")
        return await handler(request)
    return check
