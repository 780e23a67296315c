"""The answers' shapes: availability with its staleness made explicit, and one error body for every failure.

staleness_ms = now − as_of_ms (floored at 0): how old the newest fact behind the figure is. It never under-reports:
an answer written a moment ago from a fact ten minutes old is ten minutes stale. A quiet SKU (no fact for hours)
is honestly reported as hours old; written_at says when the pipeline last confirmed it.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import orjson
from aiohttp import web

from streams.api.queries import LocationScope
from streams.snapshot.entry import AvailabilityEntry


def dumps(body: object) -> bytes:
    """Compact UTF-8 JSON; keys that are not strings (a location id given as a number) are written as strings."""
    return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=dumps(body), content_type="application/json", charset="utf-8",
                        headers=headers)


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> web.Response:
    return json_response(status, {"error": code, "detail": detail, **extra}, headers)


@lru_cache(maxsize=8192)  # the same moments recur across answers (price validity ends, entries' as-of)
def rfc3339(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def availability_answer_json(entry: AvailabilityEntry, scope: LocationScope, now_ms: int) -> bytes:
    """dumps(availability_answer(...)), byte for byte. For all locations everything but the staleness (the last
    field) is rendered once per entry object and kept on it, so a near-cached entry costs a format per answer."""
    if scope.locations is not None:
        return dumps(availability_answer(entry, scope, now_ms))
    rendered = entry.rendered_answer
    if rendered is None:
        whole = dumps(availability_answer(entry, scope, entry.as_of_ms))
        rendered = whole[:whole.rindex(b":") + 1]  # ...,"staleness_ms":
        object.__setattr__(entry, "rendered_answer", rendered)
    return b"%b%d}" % (rendered, max(0, now_ms - entry.as_of_ms))


def batch_answer_json(found: Mapping[str, AvailabilityEntry | None], scope: LocationScope, now_ms: int) -> bytes:
    """{"results": [answer, ...], "not_found": [sku, ...]} in request order, byte for byte the dict form's dumps;
    one loop over the entries, an answer already rendered costing one format."""
    answers: list[bytes] = []
    not_found: list[str] = []
    all_locations = scope.locations is None
    for sku, entry in found.items():
        if entry is None:
            not_found.append(sku)
        elif all_locations and entry.rendered_answer is not None:
            answers.append(b"%b%d}" % (entry.rendered_answer, max(0, now_ms - entry.as_of_ms)))
        else:
            answers.append(availability_answer_json(entry, scope, now_ms))
    return b'{"results":[%b],"not_found":%b}' % (b",".join(answers), dumps(not_found))


def json_bytes_response(status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json", charset="utf-8")


def availability_answer(entry: AvailabilityEntry, scope: LocationScope, now_ms: int) -> dict[str, Any]:
    if scope.locations is None:
        locations, available = dict(sorted(entry.locations.items())), entry.total_available
    else:
        locations = {location: entry.locations.get(location, 0) for location in sorted(scope.locations)}
        available = sum(locations.values())
    return {
        "sku": entry.sku, "available": available, "locations": locations, "version": entry.version,
        "as_of": rfc3339(entry.as_of_ms), "as_of_ms": entry.as_of_ms, "written_at": rfc3339(entry.written_at_ms),
        "staleness_ms": max(0, now_ms - entry.as_of_ms),
    }
