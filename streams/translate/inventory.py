"""WMS and ERP inventory facts → SKU-keyed inventory commands for the SKU's owner."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from streams.translate.validation import (
    MAX_ID_LENGTH, Invalid, check_envelope, check_location, check_quantity, check_sku, check_text)

Record = dict[str, object]


@dataclass(frozen=True)
class Command:
    """One internal command: the SKU is the key (the owner's partition), the record is internal/inventory_command."""

    sku: str
    record: Record


def command(source: Record, business_key: str | None, kind: str, sku: str, **fields: object) -> Command:
    """``business_key`` set: the command's event id is that key, so the same business fact reported twice by the
    source under two event ids (a receipt, then a disposition of the same return line) still applies once."""
    envelope = dict(source["envelope"])  # type: ignore[call-overload]
    parent_id = str(envelope["event_id"])
    envelope["event_id"] = business_key or parent_id
    envelope["causation_id"] = parent_id
    envelope["event_type"] = kind
    record: Record = {"envelope": envelope, "command": kind, "sku": sku, "location": None, "quantity": 0,
                      "order_id": None, "line_id": None, "ordered_at": None, "preferred_locations": [],
                      "max_locations": 1, "reason": None, "reference": None, "from_status": None,
                      "to_status": None, "as_of": None}
    record.update(fields)
    return Command(sku, record)


def inventory_movement(event: Record, now_ms: int) -> list[Command]:
    check_envelope(event["envelope"], now_ms)  # type: ignore[arg-type]
    sku, location = check_sku(event["sku"]), check_location(event["location"])
    _check_texts(event, ids=("movement_id",), texts=("reason", "reference"))
    kind = event["movement_type"]
    common = {"location": location, "reason": event.get("reason"), "reference": event.get("reference")}
    if kind == "RECEIVED":
        return [command(event, None, "RECEIVE", sku, quantity=check_quantity(event["quantity"], "quantity"), **common)]
    if kind == "ADJUSTED":
        quantity = check_quantity(event["quantity"], "quantity", allow_negative=True)
        return [command(event, None, "ADJUST", sku, quantity=quantity, **common)]
    if kind == "COUNTED":
        quantity = check_quantity(event["quantity"], "counted quantity", allow_zero=True)
        return [command(event, None, "COUNT", sku, quantity=quantity, as_of=_occurred(event), **common)]
    if kind == "STATUS_MOVED":
        return [_status_move(event, sku, common)]
    raise Invalid("unknown_movement_type", f"movement_type {kind!r} is not one this pipeline knows")


def _status_move(event: Record, sku: str, common: Record) -> Command:
    source, target = event.get("from_status"), event.get("to_status")
    if not source or not target or source == target:
        raise Invalid("invalid_status_move", f"a status move needs two different statuses, got {source!r} -> "
                                             f"{target!r}")
    quantity = check_quantity(event["quantity"], "quantity")
    return command(event, None, "STATUS_MOVE", sku, quantity=quantity, from_status=source, to_status=target, **common)


def on_hand_snapshot(event: Record, now_ms: int) -> list[Command]:
    check_envelope(event["envelope"], now_ms)  # type: ignore[arg-type]
    sku, location = check_sku(event["sku"]), check_location(event["location"])
    quantity = check_quantity(event["on_hand"], "on_hand", allow_zero=True)
    return [command(event, None, "SNAPSHOT", sku, location=location, quantity=quantity, as_of=event["as_of"])]


def supply_expected(event: Record, now_ms: int) -> list[Command]:
    check_envelope(event["envelope"], now_ms)  # type: ignore[arg-type]
    sku, location = check_sku(event["sku"]), check_location(event["location"])
    quantity = check_quantity(event["quantity"], "quantity", allow_zero=True)
    _check_texts(event, ids=("po_id", "po_line_id", "supplier_id"))
    return [command(event, None, "SUPPLY", sku, location=location, quantity=quantity,
                    reference=str(event["po_line_id"]), reason=str(event["status"]))]


def pick_confirmed(event: Record, now_ms: int) -> list[Command]:
    check_envelope(event["envelope"], now_ms)  # type: ignore[arg-type]
    _check_texts(event, ids=("fulfilment_id", "order_id"), lines=True)
    location = check_location(event["location"])
    commands = []
    for line in event["lines"]:  # type: ignore[attr-defined]
        short = check_quantity(line["short_quantity"], "short_quantity", allow_zero=True)
        if short:
            commands.append(command(event, f"pick:{event['fulfilment_id']}:{line['line_id']}:short", "PICK_SHORT", check_sku(line["sku"]),
                                    location=location, quantity=short, order_id=event["order_id"],
                                    line_id=line["line_id"]))
    return commands


def shipment_confirmed(event: Record, now_ms: int) -> list[Command]:
    check_envelope(event["envelope"], now_ms)  # type: ignore[arg-type]
    _check_texts(event, ids=("shipment_id", "order_id", "fulfilment_id", "tracking_number"), lines=True)
    location = check_location(event["location"])
    return [command(event, f"shipment:{event['shipment_id']}:{line['line_id']}", "SHIP", check_sku(line["sku"]), location=location,
                    quantity=check_quantity(line["quantity"], "quantity"), order_id=event["order_id"],
                    line_id=line["line_id"], reference=event.get("shipment_id"))
            for line in event["lines"]]  # type: ignore[attr-defined]


def return_received(event: Record, now_ms: int) -> list[Command]:
    check_envelope(event["envelope"], now_ms)  # type: ignore[arg-type]
    _check_texts(event, ids=("return_id", "order_id"), lines=True)
    location = check_location(event["location"])
    commands: list[Command] = []
    for line in event["lines"]:  # type: ignore[attr-defined]
        sku, quantity = check_sku(line["sku"]), check_quantity(line["quantity"], "quantity")
        fields = {"location": location, "quantity": quantity, "order_id": event["order_id"],
                  "line_id": line["line_id"], "reference": event["return_id"]}
        business_key = f"return:{event['return_id']}:{line['line_id']}"
        commands.append(command(event, f"{business_key}:received", "RETURN_RECEIVE", sku, **fields))
        disposition = line.get("disposition")
        if disposition in ("RESTOCK", "SCRAP"):
            commands.append(command(event, f"{business_key}:{disposition.lower()}", f"RETURN_{disposition}",
                                    sku, **fields))
    return commands


def _check_texts(event: Record, ids: tuple[str, ...] = (), texts: tuple[str, ...] = (), lines: bool = False) -> None:
    for name in ids:
        check_text(event.get(name), name, MAX_ID_LENGTH)
    for name in texts:
        check_text(event.get(name), name)
    for line in event.get("lines", ()) if lines else ():  # type: ignore[attr-defined]
        check_text(line.get("line_id"), "lines[].line_id", MAX_ID_LENGTH)


def _occurred(event: Record) -> object:
    return event["envelope"]["occurred_at"]  # type: ignore[index]


Translator = Callable[[Record, int], list[Command]]
