"""The order owner's decisions → records for the derived and internal topics (deterministic event ids).

A replayed batch produces the same ids, so consumers (the SKU owner, the WMS, the ERP, portals) can de-duplicate.
"""
from __future__ import annotations

import orjson

from processors import orders as o
from streams.agents.inventory_outputs import envelope
from streams.exceptions_catalog import exception_record

Record = dict[str, object]
STOCKED = o.FulfilmentKind.STOCKED

INVENTORY_COMMAND_KIND: dict[type, str] = {
    o.ReserveLine: "RESERVE", o.ReleaseLine: "RELEASE", o.AllocateLine: "ALLOCATE",
    o.CancelAllocation: "CANCEL_ALLOCATION",
}


def inventory_command(decision: o.OrderDecision, now_ms: int) -> Record | None:
    """The SKU owner's command for a saga decision addressed to it, or None."""
    kind = INVENTORY_COMMAND_KIND.get(type(decision))
    if kind is None:
        return None
    location = getattr(decision, "location", None)
    claim_id: str = decision.line_claim_id  # type: ignore[attr-defined]
    event_id = f"{decision.caused_by}/{kind}/{decision.order_id}/{claim_id}/{location or ''}"
    record: Record = {
        "envelope": envelope(event_id, kind, decision.correlation_id, decision.caused_by, now_ms),
        "command": kind, "sku": decision.sku, "location": location, "quantity": 0,  # type: ignore[attr-defined]
        "order_id": decision.order_id, "line_id": claim_id, "ordered_at": None, "preferred_locations": [],
        "max_locations": 1, "reason": None, "reference": None, "from_status": None, "to_status": None, "as_of": None,
    }
    if isinstance(decision, o.ReserveLine):
        record.update(quantity=decision.quantity, ordered_at=decision.ordered_at,
                      preferred_locations=list(decision.preferred_locations), max_locations=decision.max_locations)
    return record


def status_record(decision: o.OrderStatusChanged, order: o.Order, now_ms: int) -> Record:
    return {
        "envelope": envelope(f"order-status:{order.order_id}:{decision.caused_by}:{decision.new_status}",
                             "OrderStatusChanged", decision.correlation_id, decision.caused_by, now_ms, decision.at),
        "order_id": order.order_id, "previous_status": str(decision.old_status) if decision.old_status else None,
        "status": str(decision.new_status), "reason": decision.reason, "lines": line_statuses(order),
        "financial_status": str(decision.acceptance),
    }


def line_statuses(order: o.Order) -> list[Record]:
    """Per line what OrderLine.reserved / .allocated / .backordered say, summed in one pass over its claims (this
    runs for every status record and every order view document)."""
    statuses: list[Record] = []
    for line in order.lines:
        reserved = allocated = backordered = 0
        for claim in line.claims:
            for pair in claim.reserved:
                reserved += pair[1]
            for pair in claim.allocated:
                allocated += pair[1]
            if not claim.released:
                backordered += claim.backordered
        statuses.append({
            "line_id": line.line_id, "sku": line.sku, "requested": line.quantity, "reserved": reserved,
            "backordered": backordered,
            "allocated": allocated if line.kind is STOCKED else max(0, line.supplier_ordered - line.shipped),
            "shipped": line.shipped, "delivered": line.delivered, "cancelled": line.cancelled,
            "returned": line.returned})
    return statuses


def fulfilment_record(decision: o.FulfilmentRequested | o.FulfilmentCancelRequested, now_ms: int) -> Record:
    kind = "REQUEST" if isinstance(decision, o.FulfilmentRequested) else "CANCEL_REQUEST"
    return {
        "envelope": envelope(f"fulfilment:{decision.fulfilment_id}:{kind}:{decision.caused_by}",
                             f"Fulfilment{kind.title().replace('_', '')}", decision.correlation_id,
                             decision.caused_by, now_ms),
        "fulfilment_id": decision.fulfilment_id, "order_id": decision.order_id, "location": decision.location,
        "kind": kind, "ship_by": None, "shipping_address": None,
        # the warehouse echoes line_id on picks and shipments: it is the saga's claim id
        "lines": [{"line_id": item.line_claim_id, "sku": item.sku, "quantity": item.quantity}
                  for item in decision.lines],
    }


def erp_command_record(decision: o.ErpCommand, now_ms: int) -> Record:
    lines = [{"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity,
              "fulfilment_kind": str(line.fulfilment_kind)} for line in decision.lines]
    payload = {"customer": decision.customer, "reason": decision.reason, "lines": orjson.dumps(lines).decode()}
    if decision.supplier is not None:
        payload["supplier"] = decision.supplier
    if decision.expected_by is not None:
        payload["expected_by"] = str(decision.expected_by)
    return {
        "envelope": envelope(f"erp-command:{decision.command_id}", str(decision.command), decision.correlation_id,
                             decision.caused_by, now_ms),
        "command_id": decision.command_id, "order_id": decision.order_id, "command": str(decision.command),
        "priority": str(decision.priority), "payload": payload,
    }


def order_exception_record(decision: o.OrderException, now_ms: int) -> Record:
    subject = decision.subject or decision.order_id
    return exception_record(str(decision.exception_type), "order", decision.order_id, decision.caused_by,
                            decision.correlation_id, now_ms, decision.reason,
                            {"subject": subject} if subject != decision.order_id else {})
