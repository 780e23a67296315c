"""Records as integrators produce them, for the contract's own tests (plain dicts in the catalog's schemas)."""
from __future__ import annotations

from typing import Any

OCCURRED_AT = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch milliseconds


def envelope(event_type: str, source: str, event_id: str = "evt-1") -> dict[str, Any]:
    return {"event_id": event_id, "event_type": event_type, "source": source, "correlation_id": "corr-1",
            "causation_id": None, "occurred_at": OCCURRED_AT, "produced_at": OCCURRED_AT + 5}


def inventory_movement(sku: str = "RETRO-CLOCK", location: str = "EAST", movement_type: str = "RECEIVED",
                       quantity: int = 3, **changes: Any) -> dict[str, Any]:
    record = {"envelope": envelope("InventoryReceived", "wms"), "movement_id": "MOV-1", "sku": sku,
              "location": location, "movement_type": movement_type, "quantity": quantity, "reason": None,
              "from_status": None, "to_status": None, "reference": "PO-100/1"}
    return record | changes


def on_hand_snapshot(sku: str = "RETRO-CLOCK", location: str = "EAST", on_hand: int = 12) -> dict[str, Any]:
    return {"envelope": envelope("OnHandSnapshot", "erp"), "sku": sku, "location": location, "on_hand": on_hand,
            "as_of": OCCURRED_AT}
