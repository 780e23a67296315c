"""internal/inventory_command records → the pure model's facts (the one place that knows both spellings)."""
from __future__ import annotations

from collections.abc import Callable

from processors import inventory as inv

Record = dict[str, object]


def _base(cmd: Record) -> dict[str, object]:
    envelope: Record = cmd["envelope"]  # type: ignore[assignment]
    return {"event_id": envelope["event_id"], "occurred_at": envelope["occurred_at"], "sku": cmd["sku"]}


def _line(cmd: Record) -> dict[str, object]:
    return {"order_id": cmd["order_id"], "line_id": cmd["line_id"]}


BUILDERS: dict[str, Callable[[Record], inv.InventoryFact]] = {
    "RECEIVE": lambda c: inv.ReceiptConfirmed(**_base(c), location=c["location"], quantity=c["quantity"],
                                              po_line_id=c.get("reference")),
    "ADJUST": lambda c: inv.InventoryAdjusted(**_base(c), location=c["location"], delta=c["quantity"],
                                              reason=str(c.get("reason") or "unspecified")),
    "COUNT": lambda c: inv.CycleCounted(**_base(c), location=c["location"], counted=c["quantity"]),
    "STATUS_MOVE": lambda c: inv.StatusMoved(**_base(c), location=c["location"], quantity=c["quantity"],
                                             from_status=inv.StockStatus(c["from_status"]),
                                             to_status=inv.StockStatus(c["to_status"])),
    "SUPPLY": lambda c: inv.SupplyExpected(**_base(c), location=c["location"], po_line_id=str(c["reference"]),
                                           quantity=c["quantity"], status=inv.SupplyStatus(c["reason"])),
    "SNAPSHOT": lambda c: inv.OnHandSnapshot(**_base(c), location=c["location"], on_hand=c["quantity"],
                                             as_of=c["as_of"]),
    "RESERVE": lambda c: inv.ReservationRequested(**_base(c), **_line(c), quantity=c["quantity"],
                                                  ordered_at=c["ordered_at"],
                                                  preferred_locations=tuple(c.get("preferred_locations") or ()),
                                                  max_locations=c.get("max_locations") or 1),
    "RELEASE": lambda c: inv.ReservationReleased(**_base(c), **_line(c)),
    "ALLOCATE": lambda c: inv.AllocationRequested(**_base(c), **_line(c), location=c.get("location")),
    "CANCEL_ALLOCATION": lambda c: inv.AllocationCancelled(**_base(c), **_line(c), location=c["location"]),
    "PICK_SHORT": lambda c: inv.ShortPicked(**_base(c), **_line(c), location=c["location"],
                                            short_quantity=c["quantity"]),
    "SHIP": lambda c: inv.Shipped(**_base(c), **_line(c), location=c["location"], quantity=c["quantity"]),
    "RETURN_RECEIVE": lambda c: inv.ReturnReceived(**_base(c), location=c["location"], quantity=c["quantity"]),
    "RETURN_RESTOCK": lambda c: inv.ReturnDispositioned(**_base(c), location=c["location"], quantity=c["quantity"],
                                                        disposition=inv.Disposition.RESTOCK),
    "RETURN_SCRAP": lambda c: inv.ReturnDispositioned(**_base(c), location=c["location"], quantity=c["quantity"],
                                                      disposition=inv.Disposition.SCRAP),
}

CLAIMS = frozenset({"RESERVE", "ALLOCATE"})


def to_fact(cmd: Record) -> inv.InventoryFact:
    """Raises KeyError/ValueError/TypeError on a command the model cannot take (the stage dead-letters it)."""
    return BUILDERS[str(cmd["command"])](cmd)  # type: ignore[arg-type]
