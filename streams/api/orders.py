"""Order routes: an order's status and lines, and its timeline, from the order read model in Redis.

The worker writes one document per order (streams/order_view.py) after each durable batch; these routes read it.
An order id the read model has never seen is a 404 that says so (it may not have been placed, or not yet seen).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from streams.api.queries import BadRequest
from streams.api.responses import error_response, json_response
from streams.snapshot.reader import SnapshotUnavailable, unavailable

ORDERS_READ = "orders:read"
ORDER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
SUMMARY_FIELDS = ("order_id", "status", "acceptance", "customer", "channel", "correlation_id", "placed_at", "version",
                  "as_of", "lines", "fulfilments", "shipments", "held_facts", "deadlines")


class OrderReader(Protocol):
    async def order(self, order_id: str) -> dict[str, Any] | None: ...


class RedisOrderReader:
    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    async def order(self, order_id: str) -> dict[str, Any] | None:
        import redis

        try:
            raw = await self.client.hget(f"{self.prefix}order:{order_id}", "document")
        except redis.RedisError as error:
            raise unavailable(error, "an order") from error
        return None if raw is None else json.loads(raw)  # type: ignore[no-any-return]


@dataclass
class DictOrderReader:
    documents: dict[str, dict[str, Any]]
    reachable: bool = True

    async def order(self, order_id: str) -> dict[str, Any] | None:
        if not self.reachable:
            raise SnapshotUnavailable("in-memory order read model switched to unreachable")
        return self.documents.get(order_id)


ORDERS = web.AppKey("order_reader", OrderReader)  # type: ignore[type-abstract]


async def order_status(request: web.Request) -> web.Response:
    order_id = _order_id(request.match_info["order_id"])
    document = await request.app[ORDERS].order(order_id)
    if document is None:
        return _unknown(order_id)
    return json_response(200, {name: document.get(name) for name in SUMMARY_FIELDS})


async def order_timeline(request: web.Request) -> web.Response:
    order_id = _order_id(request.match_info["order_id"])
    document = await request.app[ORDERS].order(order_id)
    if document is None:
        return _unknown(order_id)
    return json_response(200, {"order_id": order_id, "status": document.get("status"),
                               "version": document.get("version"), "entries": document.get("timeline", []),
                               "earlier_entries_dropped": document.get("timeline_dropped", 0)})


def _order_id(raw: str) -> str:
    if not ORDER_ID_PATTERN.fullmatch(raw):
        raise BadRequest("invalid_order_id", f"order id {raw[:64]!r} does not match {ORDER_ID_PATTERN.pattern}")
    return raw


def _unknown(order_id: str) -> web.Response:
    return error_response(404, "unknown_order", f"no order {order_id!r} in the order read model: not placed, or not "
                                                "yet seen by the pipeline", order_id=order_id)
