"""OpenAPI pieces of the order routes (merged into the document by streams.api.openapi)."""
from __future__ import annotations

from typing import Any

from streams.api.orders import ORDER_ID_PATTERN, ORDERS_READ

SCOPES = {ORDERS_READ: "read an order's status, lines and timeline"}
_COUNT = {"type": "integer", "minimum": 0}
_MS = {"type": ["integer", "null"], "description": "milliseconds since the Unix epoch (event time)"}

PARAMETERS: dict[str, dict[str, Any]] = {
    "order_id": {"name": "order_id", "in": "path", "required": True, "example": "O-1001",
                 "schema": {"type": "string", "pattern": f"^{ORDER_ID_PATTERN.pattern}$"}},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "OrderLineStatus": {"type": "object", "required": ["line_id", "sku", "requested"], "properties": {
        "line_id": {"type": "string"}, "sku": {"type": "string"}, "requested": _COUNT, "reserved": _COUNT,
        "backordered": _COUNT, "allocated": _COUNT, "shipped": _COUNT, "delivered": _COUNT, "cancelled": _COUNT,
        "returned": _COUNT}},
    "OrderAnswer": {"type": "object", "required": ["order_id", "status", "acceptance", "version", "lines"],
                    "properties": {
                        "order_id": {"type": "string"},
                        "status": {"type": ["string", "null"], "description": "derived from the lines: RECEIVED, "
                                   "RESERVED, PARTIALLY_BACKORDERED, BACKORDERED, ON_HOLD, ACCEPTED, ALLOCATED, "
                                   "CANCEL_REQUESTED, PARTIALLY_SHIPPED, SHIPPED, DELIVERED, CANCELLED, REJECTED"},
                        "acceptance": {"enum": ["PENDING", "ACCEPTED", "CREDIT_HOLD", "REJECTED"],
                                       "description": "the ERP's financial acceptance, apart from fulfilment"},
                        "customer": {"type": "string"}, "channel": {"type": "string"},
                        "correlation_id": {"type": "string"}, "placed_at": _MS, "version": _COUNT, "as_of": _MS,
                        "lines": {"type": "array", "items": {"$ref": "#/components/schemas/OrderLineStatus"}},
                        "fulfilments": {"type": "array", "items": {"type": "object"}},
                        "shipments": {"type": "array", "items": {"type": "object"}},
                        "held_facts": {**_COUNT, "description": "events that arrived before what they refer to"},
                        "deadlines": {"type": "array", "items": {"type": "object"}}}},
    "TimelineEntry": {"type": "object", "required": ["at", "axis", "from", "to", "reason", "caused_by"],
                      "properties": {"at": _MS, "axis": {"enum": ["status", "acceptance"]},
                                     "from": {"type": "string"}, "to": {"type": "string"},
                                     "reason": {"type": "string"}, "caused_by": {"type": "string",
                                                                                 "description": "event id"},
                                     "correlation_id": {"type": "string"}}},
    "OrderTimeline": {"type": "object", "required": ["order_id", "entries"], "properties": {
        "order_id": {"type": "string"}, "status": {"type": ["string", "null"]}, "version": _COUNT,
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineEntry"}},
        "earlier_entries_dropped": _COUNT}},
}
