"""The OpenAPI 3.1 document, generated from the route table so the two cannot drift (a test checks it too).

`python -m streams.api.openapi` prints it.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from streams.api import checkout_openapi, exceptions_openapi, orders_openapi
from streams.api.queries import CHANNEL_PATTERN, LOCATION_PATTERN
from streams.api.routes import ROUTES, RouteSpec
from streams.snapshot.keys import SKU_PATTERN

API_VERSION = "1.0.0"
SECURITY_SCHEMES = ("bearerAuth", "apiKeyHeader")
SCOPES = {
    "availability:read": "read the availability snapshot",
    **exceptions_openapi.SCOPES,
    **checkout_openapi.SCOPES,
    **orders_openapi.SCOPES,
}
STATUS_TEXT = {
    400: ("Malformed request: bad JSON, an invalid SKU/location, an unknown channel, too many SKUs", "Error"),
    401: ("No API key, or an unknown one", "Error"),
    403: ("The API key lacks this route's scope", "Error"),
    404: ("The snapshot has no entry for this SKU", "Error"),
    409: ("min_version is not visible yet after the read-your-writes wait; retry after Retry-After",
          "VersionNotVisible"),
    413: ("The body is larger than 256 KiB", "Error"),
    429: ("This API key exceeded its rate limit; retry after Retry-After", "Error"),
    503: ("The snapshot (Redis) is unreachable, or this instance is at capacity: no figure is given rather than "
          "a guess", "Error"),
}
RETRY_AFTER_STATUSES = (409, 429, 503)

_COUNT = {"type": "integer", "minimum": 0}
_EPOCH_MS = {"type": "integer", "minimum": 0, "description": "milliseconds since the Unix epoch"}
_SKU = {"type": "string", "pattern": f"^{SKU_PATTERN.pattern}$",
        "description": "may contain '/', but no empty, '.' or '..' segment"}
_LOCATION = {"type": "string", "pattern": f"^{LOCATION_PATTERN.pattern}$"}

PARAMETERS: dict[str, dict[str, Any]] = {
    "sku": {"name": "sku", "in": "path", "required": True, "schema": _SKU, "example": "SKU-00001"},
    "location": {"name": "location", "in": "query", "required": False, "schema": _LOCATION,
                 "description": "count only this location (not with channel)"},
    "channel": {"name": "channel", "in": "query", "required": False,
                "schema": {"type": "string", "pattern": f"^{CHANNEL_PATTERN.pattern}$"},
                "description": "count only the locations that sell to this channel (DISTFLOW_API_CHANNELS)"},
    "min_version": {"name": "min_version", "in": "query", "required": False,
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "read your writes: wait up to DISTFLOW_API_READ_YOUR_WRITES_WAIT_MS for this "
                                   "version; 409 if it is still not visible"},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {"type": "object", "required": ["error", "detail"],
              "properties": {"error": {"type": "string", "description": "machine-readable code"},
                             "detail": {"type": "string", "description": "one sentence for a person"}}},
    "VersionNotVisible": {"allOf": [{"$ref": "#/components/schemas/Error"}, {
        "type": "object", "required": ["sku", "min_version", "visible_version"],
        "properties": {"sku": _SKU, "min_version": _COUNT, "visible_version": {"type": ["integer", "null"]}}}]},
    "AvailabilityAnswer": {
        "type": "object",
        "required": ["sku", "available", "locations", "version", "as_of", "as_of_ms", "written_at", "staleness_ms"],
        "properties": {
            "sku": _SKU,
            "available": {**_COUNT, "description": "available to promise in the asked scope"},
            "locations": {"type": "object", "additionalProperties": _COUNT,
                          "description": "per location in the asked scope (0 where the SKU has none)"},
            "version": {**_COUNT, "description": "the SKU's snapshot version (monotonic)"},
            "as_of": {"type": "string", "format": "date-time", "description": "event time of the newest fact"},
            "as_of_ms": _EPOCH_MS,
            "written_at": {"type": "string", "format": "date-time",
                           "description": "when the pipeline wrote this entry to the snapshot"},
            "staleness_ms": {**_COUNT, "description": "now − as_of: age of the newest fact behind the figure"},
        }},
    "BatchQuery": {
        "type": "object", "required": ["skus"], "additionalProperties": False,
        "properties": {"skus": {"type": "array", "minItems": 1, "maxItems": 500, "items": _SKU,
                                "description": "at most DISTFLOW_API_BATCH_MAX_SKUS (default 500)"},
                       "location": _LOCATION, "channel": {"type": "string"}},
        "example": {"skus": ["SKU-00001", "SKU-00002"], "channel": "web"}},
    "BatchAnswer": {
        "type": "object", "required": ["results", "not_found"],
        "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/AvailabilityAnswer"}},
                       "not_found": {"type": "array", "items": _SKU}}},
    "Liveness": {"type": "object", "required": ["status"], "properties": {"status": {"const": "alive"}}},
    "Readiness": {
        "type": "object", "required": ["ready", "writer_last_flush_ms", "writer_heartbeat_age_ms"],
        "properties": {"ready": {"const": True}, "writer_last_flush_ms": {"type": ["integer", "null"]},
                       "writer_heartbeat_age_ms": {"type": ["integer", "null"],
                                                   "description": "informational: quiet is not dead"},
                       "near_cache": {
                           "type": "object",
                           "description": "the availability near cache (absent: off); tracking false: Redis "
                                          "invalidations are not being received, every read goes to Redis",
                           "required": ["enabled", "tracking", "entries", "max_entries"],
                           "properties": {"enabled": {"type": "boolean"}, "tracking": {"type": "boolean"},
                                          "entries": {"type": "integer"}, "max_entries": {"type": "integer"}}}}},
    "OpenApiDocument": {"type": "object", "required": ["openapi", "paths"]},
}
PARAMETERS.update(checkout_openapi.PARAMETERS)
PARAMETERS.update(orders_openapi.PARAMETERS)
PARAMETERS.update(exceptions_openapi.PARAMETERS)
SCHEMAS.update(checkout_openapi.SCHEMAS)
SCHEMAS.update(orders_openapi.SCHEMAS)
SCHEMAS.update(exceptions_openapi.SCHEMAS)


def build_document(routes: Sequence[RouteSpec] = ROUTES, *, batch_max_skus: int = 500) -> dict[str, Any]:
    schemas = copy.deepcopy(SCHEMAS)
    schemas["BatchQuery"]["properties"]["skus"]["maxItems"] = batch_max_skus
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "distflow storefront API", "version": API_VERSION,
                 "description": "Availability to promise from the Redis snapshot, with its staleness made "
                                "explicit. See docs/api.md."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "Authorization: Bearer <API key>. Scopes: " + _scope_list()},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                                 "description": "X-API-Key: <API key>. Scopes: " + _scope_list()},
            },
            "headers": {"Retry-After": {"description": "seconds to wait before retrying",
                                        "schema": {"type": "integer", "minimum": 1}}},
        },
    }


def _operation(route: RouteSpec) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.name, "summary": route.summary,
        "security": [] if route.scope is None else [{name: [route.scope]} for name in SECURITY_SCHEMES],
        "responses": {str(route.ok_status): _ok(route)},
    }
    if route.parameters:
        operation["parameters"] = [PARAMETERS[name] for name in route.parameters]
    if route.request_body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{route.request_body}"}}}}
    statuses = set(route.statuses) | ({401, 403, 429} if route.scope else set())
    for status in sorted(statuses):
        operation["responses"][str(status)] = _failure(status, route)
    return operation


def _ok(route: RouteSpec) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{route.answer}"} if route.answer else {"type": "string"}
    return {"description": route.summary, "content": {route.content_type: {"schema": schema}}}


def _failure(status: int, route: RouteSpec) -> dict[str, Any]:
    description, schema = exceptions_openapi.FAILURES.get((route.name, status), STATUS_TEXT[status])
    if route.name == "readiness" and status == 503:
        description = "Redis does not answer: take this replica out of rotation"
    if route.name == "price_for_customer" and status == 404:
        description, schema = "No account for the customer, or no item master for the SKU", "PriceNotFound"
    answer: dict[str, Any] = {"description": description,
                              "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    headers: dict[str, Any] = {}
    if status in RETRY_AFTER_STATUSES:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    if status == 401:
        headers["WWW-Authenticate"] = {"schema": {"type": "string", "const": "Bearer"}}
    if headers:
        answer["headers"] = headers
    return answer


def _scope_list() -> str:
    return "; ".join(f"{scope} ({meaning})" for scope, meaning in SCOPES.items())


if __name__ == "__main__":
    print(json.dumps(build_document(), indent=2))
