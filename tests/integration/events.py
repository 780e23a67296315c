"""Source records as integrators produce them (plain dicts in the catalog's schemas)."""
from __future__ import annotations

import time
import uuid

_last = [0]


def now_ms() -> int:
    return int(time.time() * 1000)


def next_event_time() -> int:
    """Strictly increasing event times, as one source's clock would stamp consecutive facts."""
    _last[0] = max(now_ms(), _last[0] + 1)
    return _last[0]


def envelope(event_type: str, source: str, correlation_id: str | None = None, event_id: str | None = None,
             occurred_at: int | None = None) -> dict[str, object]:
    occurred = occurred_at if occurred_at is not None else next_event_time()
    return {"event_id": event_id or str(uuid.uuid4()), "event_type": event_type, "source": source,
            "correlation_id": correlation_id or f"corr-{uuid.uuid4().hex[:8]}", "causation_id": None,
            "occurred_at": occurred, "produced_at": occurred}


def movement(sku: str, location: str, kind: str, quantity: int, **extra: object) -> dict[str, object]:
    record: dict[str, object] = {
        "envelope": envelope("InventoryMovement", "wms", event_id=extra.pop("event_id", None)),  # type: ignore[arg-type]
        "movement_id": f"MOV-{uuid.uuid4().hex[:8]}", "sku": sku, "location": location, "movement_type": kind,
        "quantity": quantity, "reason": None, "from_status": None, "to_status": None, "reference": None}
    record.update(extra)
    return record


def on_hand_snapshot(sku: str, location: str, on_hand: int, as_of: int | None = None) -> dict[str, object]:
    as_of = as_of if as_of is not None else next_event_time()
    return {"envelope": envelope("OnHandSnapshot", "erp", occurred_at=as_of), "sku": sku, "location": location,
            "on_hand": on_hand, "as_of": as_of}


def reserve_command(sku: str, order_id: str, line_id: str, quantity: int, ordered_at: int | None = None,
                    preferred: tuple[str, ...] = ()) -> dict[str, object]:
    ordered = ordered_at if ordered_at is not None else now_ms()
    return {"envelope": envelope("ReserveLine", "distflow", correlation_id=f"corr-{order_id}",
                                 event_id=f"reserve:{order_id}:{line_id}"),
            "command": "RESERVE", "sku": sku, "location": None, "quantity": quantity, "order_id": order_id,
            "line_id": line_id, "ordered_at": ordered, "preferred_locations": list(preferred), "max_locations": 1,
            "reason": None, "reference": None, "from_status": None, "to_status": None, "as_of": None}


def release_command(sku: str, order_id: str, line_id: str) -> dict[str, object]:
    record = reserve_command(sku, order_id, line_id, 1)
    record["envelope"] = envelope("ReleaseLine", "distflow", correlation_id=f"corr-{order_id}",
                                  event_id=f"release:{order_id}:{line_id}")
    record.update(command="RELEASE", quantity=0, ordered_at=None)
    return record


# --- orders ------------------------------------------------------------------------------------------------------------
def order_line(line_id: str, sku: str, quantity: int, kind: str = "STOCKED",
               supplier: str | None = None) -> dict[str, object]:
    return {"line_id": line_id, "sku": sku, "quantity": quantity, "unit_price": "10.00", "price_reference": None,
            "fulfilment_kind": kind, "supplier_id": supplier}


def order_placed(order_id: str, lines: list[dict[str, object]], customer: str = "CUST-1",
                 event_id: str | None = None) -> dict[str, object]:
    return {"envelope": envelope("OrderPlaced", "commerce", correlation_id=f"corr-{order_id}", event_id=event_id),
            "order_id": order_id, "channel": "web", "customer": {"customer_id": customer, "customer_group": None,
                                                               "account_number": None},
            "lines": lines, "currency": "EUR", "ship_by": None, "shipping_address": None}


def erp_decision(order_id: str, decision: str, reason: str | None = None) -> dict[str, object]:
    return {"envelope": envelope("OrderDecision", "erp", correlation_id=f"corr-{order_id}"), "order_id": order_id,
            "decision": decision, "reason": reason, "erp_order_number": None}


def cancellation(order_id: str, line_ids: list[str] | None = None) -> dict[str, object]:
    return {"envelope": envelope("OrderCancellationRequested", "commerce", correlation_id=f"corr-{order_id}"),
            "order_id": order_id, "line_ids": line_ids or [], "reason": "customer changed their mind"}


def fulfilment_cancel_answer(order_id: str, fulfilment_id: str, location: str, accepted: bool) -> dict[str, object]:
    return {"envelope": envelope("FulfilmentCancelAnswered", "wms", correlation_id=f"corr-{order_id}"),
            "order_id": order_id, "fulfilment_id": fulfilment_id, "location": location, "accepted": accepted,
            "reason": None if accepted else "already shipped"}


def shipment(order_id: str, shipment_id: str, location: str, lines: list[tuple[str, str, int]],
             fulfilment_id: str = "") -> dict[str, object]:
    """lines: (line id as on the fulfilment request, sku, quantity)."""
    return {"envelope": envelope("ShipmentConfirmed", "wms", correlation_id=f"corr-{order_id}"),
            "shipment_id": shipment_id, "order_id": order_id, "fulfilment_id": fulfilment_id,
            "location": location, "carrier": "DHL", "tracking_number": f"TRK-{shipment_id}",
            "lines": [{"line_id": line_id, "sku": sku, "quantity": quantity} for line_id, sku, quantity in lines]}


def tracking(order_id: str, shipment_id: str, milestone: str) -> dict[str, object]:
    at = next_event_time()
    return {"envelope": envelope("TrackingMilestone", "carrier", correlation_id=f"corr-{order_id}", occurred_at=at),
            "shipment_id": shipment_id, "order_id": order_id, "carrier": "DHL",
            "tracking_number": f"TRK-{shipment_id}", "milestone": milestone, "detail": None, "milestone_at": at}


def return_requested(order_id: str, return_id: str, lines: list[tuple[str, str, int]]) -> dict[str, object]:
    return {"envelope": envelope("ReturnRequested", "commerce", correlation_id=f"corr-{order_id}"),
            "return_id": return_id, "order_id": order_id,
            "lines": [{"line_id": l, "sku": s, "quantity": q, "reason": "damaged"} for l, s, q in lines]}


def rma_decision(order_id: str, return_id: str, decision: str) -> dict[str, object]:
    return {"envelope": envelope("RmaDecision", "erp", correlation_id=f"corr-{order_id}"), "return_id": return_id,
            "order_id": order_id, "decision": decision, "rma_number": f"RMA-{return_id}",
            "reason": None if decision == "AUTHORISED" else "outside the 30-day window"}


def return_received(order_id: str, return_id: str, location: str,
                    lines: list[tuple[str, str, int, str]]) -> dict[str, object]:
    return {"envelope": envelope("ReturnReceived", "wms", correlation_id=f"corr-{order_id}"), "return_id": return_id,
            "order_id": order_id, "location": location,
            "lines": [{"line_id": l, "sku": s, "quantity": q, "disposition": d} for l, s, q, d in lines]}


def credit_memo(order_id: str, return_id: str) -> dict[str, object]:
    return {"envelope": envelope("CreditMemoIssued", "erp", correlation_id=f"corr-{order_id}"),
            "return_id": return_id, "credit_memo_id": f"CM-{return_id}", "amount": "20.00", "currency": "EUR",
            "order_id": order_id}
