"""The SKU owner's decisions → records for the derived and internal topics (deterministic event ids)."""
from __future__ import annotations

from processors import inventory as inv
from streams.exceptions_catalog import exception_record

Record = dict[str, object]


def envelope(event_id: str, event_type: str, correlation_id: str, causation_id: str, now_ms: int,
             occurred_at: int | None = None) -> Record:
    return {"event_id": event_id, "event_type": event_type, "source": "distflow", "correlation_id": correlation_id,
            "causation_id": causation_id, "occurred_at": occurred_at if occurred_at is not None else now_ms,
            "produced_at": now_ms}


def availability_record(decision: inv.AvailabilityChanged, source_offsets: dict[str, int], correlation_id: str,
                        now_ms: int) -> Record:
    return {
        "envelope": envelope(f"availability:{decision.sku}:v{decision.version}", "AvailabilityChanged",
                             correlation_id, decision.caused_by, now_ms, decision.as_of),
        "sku": decision.sku, "version": decision.version, "total_available": decision.total,
        "locations": [{"location": loc, "available": qty} for loc, qty in decision.locations],
        "as_of": decision.as_of, "source_offsets": source_offsets,
    }


def _pairs(pairs: tuple[inv.LocationQuantity, ...]) -> list[Record]:
    return [{"location": location, "quantity": quantity} for location, quantity in pairs]


def reservation_record(decision: inv.InventoryDecision, version: int, correlation_id: str,
                       now_ms: int) -> Record | None:
    """What the order saga needs to hear about one of its lines, or None for decisions it does not."""
    fields = _reservation_fields(decision)
    if fields is None:
        return None
    status, reserved, backordered, extra = fields
    order_id, line_id = decision.order_id, decision.line_id  # type: ignore[attr-defined]
    return {
        "envelope": envelope(f"reservation:{decision.caused_by}:{order_id}:{line_id}:{status}",
                             "ReservationResult", correlation_id, decision.caused_by, now_ms),
        "order_id": order_id, "line_id": line_id, "sku": decision.sku, "status": status,
        "reserved": _pairs(reserved), "backordered": backordered, "inventory_version": version, **extra,
    }


def _reservation_fields(decision: inv.InventoryDecision) -> tuple[str, tuple, int, Record] | None:  # type: ignore[type-arg]
    match decision:
        case inv.ReservationAnswered():
            return (str(decision.status), decision.reserved, decision.backordered,
                    {"allocated": _pairs(decision.allocated), "released": _pairs(decision.released)})
        case inv.BackorderFilled():
            return "FILLED", decision.filled, decision.still_backordered, {}
        case inv.LineAllocated():
            return "ALLOCATED", decision.still_reserved, 0, {"allocated": _pairs(decision.allocated)}
        case inv.AllocationReleased():
            return ("ALLOCATION_RELEASED", (), 0,
                    {"released": _pairs((inv.LocationQuantity(decision.location, decision.quantity),))})
        case inv.ShortPickRecorded():
            return ("SHORT_PICKED", (), 0,
                    {"released": _pairs((inv.LocationQuantity(decision.location, decision.short_quantity),))})
    return None


def unknown_sku_record(sku: str, order_id: str, line_id: str, caused_by: str, correlation_id: str,
                       now_ms: int) -> Record:
    return {
        "envelope": envelope(f"reservation:{caused_by}:{order_id}:{line_id}:UNKNOWN_SKU", "ReservationResult",
                             correlation_id, caused_by, now_ms),
        "order_id": order_id, "line_id": line_id, "sku": sku, "status": "UNKNOWN_SKU", "reserved": [],
        "backordered": 0, "inventory_version": 0,
    }


def exception_for(decision: inv.InventoryDecision, correlation_id: str, now_ms: int) -> Record | None:
    match decision:
        case inv.ShortfallDetected():
            return exception_record("shortfall", "sku", decision.sku, decision.caused_by, correlation_id, now_ms,
                                    f"claims {decision.claimed} exceed sellable stock {decision.sellable} at "
                                    f"{decision.location} by {decision.shortfall}",
                                    {"location": decision.location, "claimed": str(decision.claimed),
                                     "sellable": str(decision.sellable)})
        case inv.DriftDetected():
            return exception_record("inventory_drift", "sku", decision.sku, decision.caused_by, correlation_id,
                                    now_ms,
                                    f"ERP on hand {decision.snapshot_on_hand} as of {decision.snapshot_as_of} "
                                    f"reconciles to {decision.reconciled_on_hand}, ours was "
                                    f"{decision.previous_on_hand} at {decision.location} "
                                    f"(difference {decision.difference:+d}); the ERP figure was applied",
                                    {"location": decision.location, "difference": str(decision.difference),
                                     "previous_on_hand": str(decision.previous_on_hand),
                                     "reconciled_on_hand": str(decision.reconciled_on_hand)})
        case inv.ClaimMismatch():
            return exception_record("claim_mismatch", "order_line", f"{decision.order_id}/{decision.line_id}",
                                    decision.caused_by, correlation_id, now_ms, decision.reason,
                                    {"sku": decision.sku, "location": decision.location,
                                     "unmatched": str(decision.unmatched)})
        case inv.StaleFactIgnored():
            return exception_record("stale_fact", "sku", decision.sku, decision.caused_by, correlation_id, now_ms,
                                    decision.reason, {"location": decision.location})
    return None
