"""Every route, declared once: the router (app.py) and the OpenAPI document (openapi.py) are both built from ROUTES."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streams.api import queries
from streams.api.auth import AVAILABILITY_READ
from streams.api.checkout import CHECKOUT_VALIDATE, PRICES_READ, price_for_customer, validate_checkout
from streams.api.exceptions import (
    EXCEPTIONS_READ, EXCEPTIONS_WRITE, act_on_exception, list_exceptions, operations_summary)
from streams.api.exceptions_replay import replay_dead_letter
from streams.api.ops_page import operations_page
from streams.api.orders import ORDERS_READ, order_status, order_timeline
from streams.api.responses import (availability_answer_json, batch_answer_json, error_response, json_bytes_response,
                                   json_response)
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.reader import AvailabilityReader

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ServingContext:
    """What the handlers need, built once by build_api."""

    reader: AvailabilityReader
    channels: Mapping[str, frozenset[str]]
    read_your_writes_wait_ms: int
    batch_max_skus: int
    clock_ms: Callable[[], int]
    registry: CollectorRegistry


CONTEXT = web.AppKey("serving_context", ServingContext)
OPENAPI_DOCUMENT = web.AppKey("openapi_document", dict)


@dataclass(frozen=True)
class RouteSpec:
    name: str  # the router's route name and the OpenAPI operationId
    method: str
    path: str  # OpenAPI path template
    handler: Handler
    summary: str
    scope: str | None  # None: public (probes, metrics, this document)
    answer: str  # component schema of the 200 body ("" for non-JSON bodies)
    statuses: tuple[int, ...] = ()  # documented non-200 answers, besides the 401/403/429 every secured route has
    parameters: tuple[str, ...] = ()  # names in openapi.PARAMETERS
    request_body: str | None = None  # component schema of the JSON body
    content_type: str = "application/json"
    path_patterns: Mapping[str, str] = field(default_factory=dict)  # router regex of a path parameter
    ok_status: int = 200  # the success status (202: accepted for the pipeline to apply)

    @property
    def router_path(self) -> str:
        path = self.path
        for name, pattern in self.path_patterns.items():
            path = path.replace("{" + name + "}", "{" + name + ":" + pattern + "}")
        return path


async def availability_of_one_sku(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    sku = queries.requested_sku(request.match_info["sku"])
    scope = queries.location_scope(request.query.get("location"), request.query.get("channel"), context.channels)
    wanted = queries.min_version(request.query.get("min_version"))
    if wanted is None:
        entry = await context.reader.get(sku)
    else:
        entry = await context.reader.wait_for_version(sku, wanted, context.read_your_writes_wait_ms)
        if entry is None or entry.version < wanted:
            return _not_visible_yet(sku, wanted, entry, context.read_your_writes_wait_ms)
    if entry is None:
        return error_response(404, "unknown_sku", f"the snapshot has no availability for SKU {sku!r}: not stocked "
                                                  "anywhere yet, or not yet seen by the pipeline")
    return json_bytes_response(200, availability_answer_json(entry, scope, context.clock_ms()))


def _not_visible_yet(sku: str, wanted: int, entry: AvailabilityEntry | None, waited_ms: int) -> web.Response:
    visible = None if entry is None else entry.version
    return error_response(409, "version_not_visible_yet",
                          f"SKU {sku!r} is visible at version {visible} after waiting {waited_ms} ms; version "
                          f"{wanted} or later was asked for. Retry shortly.",
                          {"Retry-After": "1"}, sku=sku, min_version=wanted, visible_version=visible)


async def availability_of_many_skus(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    query = queries.batch_query(await queries.json_body(request), context.channels, context.batch_max_skus)
    found = await context.reader.get_many(query.skus)
    return json_bytes_response(200, batch_answer_json(found, query.scope, context.clock_ms()))


async def liveness(_: web.Request) -> web.Response:
    return json_response(200, {"status": "alive"})


async def readiness(request: web.Request) -> web.Response:
    """Ready when Redis answers; the writer heartbeat is reported, not required (a quiet pipeline is healthy)."""
    context = request.app[CONTEXT]
    await context.reader.check_reachable()
    heartbeat_ms = await context.reader.writer_heartbeat_ms()
    age_ms = None if heartbeat_ms is None else max(0, context.clock_ms() - heartbeat_ms)
    answer: dict[str, object] = {"ready": True, "writer_last_flush_ms": heartbeat_ms, "writer_heartbeat_age_ms": age_ms}
    near_cache = context.reader.near_cache_status()
    if near_cache is not None:
        answer["near_cache"] = near_cache.as_dict()
    return json_response(200, answer)


async def openapi_document(request: web.Request) -> web.Response:
    return json_response(200, request.app[OPENAPI_DOCUMENT])


async def prometheus_metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[CONTEXT].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("availability_of_one_sku", "GET", "/v1/availability/{sku}", availability_of_one_sku,
              "Available to promise of one SKU: in total, at one location, or for a sales channel",
              AVAILABILITY_READ, "AvailabilityAnswer", (400, 404, 409, 503),
              parameters=("sku", "location", "channel", "min_version"), path_patterns={"sku": r"[\s\S]+"}),
    RouteSpec("availability_of_many_skus", "POST", "/v1/availability/query", availability_of_many_skus,
              "Available to promise of up to 500 SKUs in one call; unknown SKUs are listed, not an error",
              AVAILABILITY_READ, "BatchAnswer", (400, 413, 503), request_body="BatchQuery"),
    RouteSpec("price_for_customer", "GET", "/v1/prices/{sku}", price_for_customer,
              "The price a customer pays for a quantity of a SKU now: unit price, the rule that gave it, valid until",
              PRICES_READ, "PriceAnswer", (400, 404, 503), parameters=("sku", "customer", "qty"),
              path_patterns={"sku": r"[\s\S]+"}),
    RouteSpec("validate_checkout", "POST", "/v1/checkout/validate", validate_checkout,
              "A cart validated in one round trip: per line purchasable or why not, price and rule, available to "
              "promise and from where; one verdict", CHECKOUT_VALIDATE, "CartAnswer", (400, 413, 503),
              request_body="Cart"),
    RouteSpec("order_status", "GET", "/v1/orders/{order_id}", order_status,
              "An order's status (derived from its lines), ERP acceptance, lines, fulfilments and shipments",
              ORDERS_READ, "OrderAnswer", (400, 404, 503), parameters=("order_id",),
              path_patterns={"order_id": r"[^/]+"}),
    RouteSpec("order_timeline", "GET", "/v1/orders/{order_id}/timeline", order_timeline,
              "Every transition of an order: when, from what to what, why, the event that caused it",
              ORDERS_READ, "OrderTimeline", (400, 404, 503), parameters=("order_id",),
              path_patterns={"order_id": r"[^/]+"}),
    RouteSpec("list_exceptions", "GET", "/v1/exceptions", list_exceptions,
              "Open and claimed business exceptions, oldest first, filtered by owning team, type, state and age",
              EXCEPTIONS_READ, "ExceptionList", (400, 503), parameters=("owner", "type", "state", "older_than_s")),
    RouteSpec("act_on_exception", "POST", "/v1/exceptions/{exception_id}/{action}", act_on_exception,
              "Claim, release, resolve (with a note), dismiss, approve or replay (a dead letter) an exception: recorded for the pipeline "
              "and answered 202 with the action id; the audit topic shows the outcome", EXCEPTIONS_WRITE,
              "ActionAccepted", (400, 404, 409, 413, 503), parameters=("exception_id", "action"),
              request_body="OperatorActionRequest", ok_status=202,
              path_patterns={"exception_id": r"[\s\S]+", "action": "claim|release|resolve|dismiss|approve|replay"}),
    RouteSpec("replay_dead_letter", "POST", "/v1/dead-letters/replay", replay_dead_letter,
              "Re-inject a dead-lettered source record (named by its source position) with its original headers, "
              "after its cause was fixed; de-duplication still applies; audited", EXCEPTIONS_WRITE, "ReplayAccepted",
              (400, 404, 413, 503), request_body="ReplayRequest", ok_status=202),
    RouteSpec("operations_summary", "GET", "/v1/ops/summary", operations_summary,
              "Order backlog by state and sync lag per source system, added up over the workers reporting now",
              EXCEPTIONS_READ, "OpsSummary", (503,)),
    RouteSpec("operations_page", "GET", "/ops", operations_page,
              "The operations page: exception queues by owner with claim and resolve, order backlog, sync lag, "
              "availability lookup (asks for an API key)", None, "", content_type="text/html"),
    RouteSpec("liveness", "GET", "/healthz", liveness, "The process is up (no Redis call)", None, "Liveness"),
    RouteSpec("readiness", "GET", "/readyz", readiness, "Redis answers; reports the snapshot writer's heartbeat",
              None, "Readiness", (503,)),
    RouteSpec("openapi_document", "GET", "/openapi.json", openapi_document, "This OpenAPI 3.1 document", None,
              "OpenApiDocument"),
    RouteSpec("prometheus_metrics", "GET", "/metrics", prometheus_metrics, "Prometheus metrics of this process",
              None, "", content_type="text/plain"),
)
