"""The order read model in Redis: one JSON document per order (status, lines, timeline), for the API.

Written after the batch is durable, one pipeline per flush, with a compare-and-set on the order's version so an
older document never replaces a newer one (two workers during a rebalance, a replay after a crash). Held while
Redis is down and written when it returns; the tables stay the truth.

A flush sends one script call per chunk of orders (as the availability snapshot does), not one per order, and
renders each order's document once, at flush, from the newest Order staged for it.
"""
from __future__ import annotations

import json
from typing import Any

import orjson
import redis
from redis.client import Pipeline

from processors import orders as o
from streams.agents.order_outputs import line_statuses
from streams.versioned_view import VersionedViewWriter

# KEYS[i] an order's key; ARGV[2i-1] its version, ARGV[2i] its document. Per key: a newer version wins; equal or
# older is skipped. Returns how many were written.
_CAS = """
local written = 0
for i, key in ipairs(KEYS) do
  local current = redis.call('HGET', key, 'version')
  if not (current and tonumber(current) >= tonumber(ARGV[2 * i - 1])) then
    redis.call('HSET', key, 'version', ARGV[2 * i - 1], 'document', ARGV[2 * i])
    written = written + 1
  end
end
return written
"""
ORDERS_PER_CALL = 200  # a script call blocks Redis while it runs; an order's document is ~1-3 KB


def order_key(prefix: str, order_id: str) -> str:
    return f"{prefix}order:{order_id}"


def order_document(order: o.Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id, "status": str(order.status) if order.status else None,
        "acceptance": str(order.acceptance), "customer": order.customer, "channel": order.channel,
        "correlation_id": order.correlation_id, "placed_at": order.placed_at, "version": order.version,
        "as_of": order.as_of, "lines": line_statuses(order),
        "fulfilments": [{"fulfilment_id": f.fulfilment_id, "location": f.location, "requested_at": f.requested_at,
                         "lines": [{"line_id": item.line_id, "claim_id": item.claim_id, "sku": item.sku,
                                    "quantity": item.quantity, "shipped": item.shipped, "short": item.short,
                                    "cancel": str(item.cancel)} for item in f.lines]} for f in order.fulfilments],
        "shipments": [{"shipment_id": s.shipment_id, "location": s.location, "shipped_at": s.shipped_at,
                       "carrier": s.carrier, "tracking_number": s.tracking_number,
                       "milestone": str(s.milestone) if s.milestone else None, "milestone_at": s.milestone_at,
                       "flags": [str(flag.flag) for flag in s.flags],
                       "lines": [{"line_id": line.line_id, "quantity": line.quantity} for line in s.lines]}
                      for s in order.shipments],
        "returns": [{"return_id": r.return_id, "status": str(r.status), "requested_at": r.requested_at,
                     "units": r.units, "received": r.received, "restocked": r.restocked, "scrapped": r.scrapped,
                     "credit_memo_id": r.credit_memo_id or None,
                     "lines": [{"line_id": line.line_id, "quantity": line.quantity} for line in r.lines]}
                    for r in order.returns],
        "held_facts": len(order.held),
        "deadlines": [{"kind": str(d.kind), "due_at": d.due_at} for d in order.deadlines],
        "timeline": [{"at": entry.at, "axis": entry.axis, "from": entry.old, "to": entry.new,
                      "reason": entry.reason, "caused_by": entry.caused_by, "correlation_id": entry.correlation_id}
                     for entry in order.timeline],
        "timeline_dropped": order.timeline_dropped,
    }


class OrderViewWriter(VersionedViewWriter[o.Order]):
    """Each order's document is rendered once, at flush, from the newest Order staged for it."""

    what = "order views"

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        super().__init__(client, prefix, _CAS)

    def identity(self, order: o.Order) -> str:
        return order.order_id

    def write(self, pipe: Pipeline, orders: list[o.Order]) -> None:
        for start in range(0, len(orders), ORDERS_PER_CALL):
            chunk = orders[start:start + ORDERS_PER_CALL]
            args: list[object] = []
            for order in chunk:
                args += [order.version, orjson.dumps(order_document(order))]
            self._script(keys=[order_key(self.prefix, order.order_id) for order in chunk], args=args, client=pipe)


def read_order_document(client: redis.Redis, prefix: str, order_id: str) -> dict[str, Any] | None:
    raw = client.hget(order_key(prefix, order_id), "document")
    return None if raw is None else json.loads(raw)  # type: ignore[arg-type]
