"""SkuInventory ⇄ plain builtins (str, int, bool, list, dict): JSON-compatible, for the changelog codec.

Zero, empty and unset fields are left out to keep records small; `format` versions the layout.
"""
from __future__ import annotations

from typing import Any

from processors.inventory.claims import Backorder, LineClaim
from processors.inventory.dedupe import KeyChunk, RecentKeys
from processors.inventory.position import LocationStock, Movement
from processors.inventory.quantities import LocationQuantity
from processors.inventory.state import SkuInventory
from processors.inventory.supply import IncomingLine, Receipt

RECORD_FORMAT = 1
Record = dict[str, Any]
SkuRecord = Record  # a whole SKU's record: what the SKU owner's table stores (to_record's output)
_STOCK_COUNTS = ("on_hand", "reserved", "allocated", "damaged", "quality_control", "hold")


def to_record(state: SkuInventory) -> SkuRecord:
    record: Record = {"format": RECORD_FORMAT, "sku": state.sku, "version": state.version}
    _put_time(record, "as_of", state.as_of)
    _put(record, "locations", [_stock_record(stock) for stock in state.locations])
    _put(record, "claims", [_claim_record(claim) for claim in state.claims])
    _put(record, "backorders", [_backorder_record(entry) for entry in state.backorders])
    _put(record, "closed_lines", _keys_record(state.closed_lines))
    _put(record, "seen_events", _keys_record(state.seen_events))
    return record


def from_record(record: SkuRecord) -> SkuInventory:
    if record.get("format") != RECORD_FORMAT:
        raise ValueError(f"unknown inventory record format {record.get('format')!r} (expected {RECORD_FORMAT})")
    return SkuInventory(
        sku=record["sku"],
        version=record["version"],
        as_of=record.get("as_of"),
        locations=tuple(_stock(item) for item in record.get("locations", ())),
        claims=tuple(_claim(item) for item in record.get("claims", ())),
        backorders=tuple(_backorder(item) for item in record.get("backorders", ())),
        closed_lines=_keys(record.get("closed_lines", {})),
        seen_events=_keys(record.get("seen_events", {})),
    )


def _put(record: Record, name: str, value: Any) -> None:
    """Leave out a count that is 0, a flag that is False, an empty list or dict."""
    if value:
        record[name] = value


def _put_time(record: Record, name: str, value: int | None) -> None:
    """Leave out an unset event time (0 is a real one)."""
    if value is not None:
        record[name] = value


def _pairs_record(pairs: tuple[LocationQuantity, ...]) -> list[list[Any]]:
    return [[pair.location, pair.quantity] for pair in pairs]


def _pairs(items: list[list[Any]]) -> tuple[LocationQuantity, ...]:
    return tuple([LocationQuantity._make(item) for item in items])


def _stock_record(stock: LocationStock) -> Record:
    record: Record = {"location": stock.location}
    for name in _STOCK_COUNTS:
        _put(record, name, getattr(stock, name))
    _put(record, "incoming", [_incoming_record(line) for line in stock.incoming])
    _put_time(record, "base_as_of", stock.base_as_of)
    _put(record, "movements", [[movement.occurred_at, movement.delta] for movement in stock.movements])
    _put_time(record, "forgotten_through", stock.forgotten_through)
    return record


def _stock(record: Record) -> LocationStock:
    get = record.get  # the counts spelled out, not looped over _STOCK_COUNTS: read for every state, every batch
    incoming, movements = get("incoming"), get("movements")
    return LocationStock(
        record["location"], get("on_hand", 0), get("reserved", 0), get("allocated", 0), get("damaged", 0),
        get("quality_control", 0), get("hold", 0),
        incoming=tuple([_incoming(item) for item in incoming]) if incoming else (),
        base_as_of=get("base_as_of"),
        movements=tuple([Movement(at, delta) for at, delta in movements]) if movements else (),
        forgotten_through=get("forgotten_through"),
    )


def _incoming_record(line: IncomingLine) -> Record:
    record: Record = {"po_line_id": line.po_line_id}
    _put(record, "open_quantity", line.open_quantity)
    _put_time(record, "as_of", line.as_of)
    _put(record, "receipts", [[receipt.occurred_at, receipt.quantity] for receipt in line.receipts])
    _put(record, "closed", line.closed)
    return record


def _incoming(record: Record) -> IncomingLine:
    receipts = tuple(Receipt(at, quantity) for at, quantity in record.get("receipts", ()))
    return IncomingLine(
        record["po_line_id"], record.get("open_quantity", 0), record.get("as_of"), receipts,
        record.get("closed", False))


def _claim_record(claim: LineClaim) -> Record:
    record: Record = {
        "order_id": claim.order_id, "line_id": claim.line_id, "requested": claim.requested,
        "max_locations": claim.max_locations}
    _put(record, "reserved", _pairs_record(claim.reserved))
    _put(record, "allocated", _pairs_record(claim.allocated))
    _put(record, "shipped", claim.shipped)
    _put(record, "short_picked", claim.short_picked)
    _put(record, "released", claim.released)
    return record


def _claim(record: Record) -> LineClaim:
    get = record.get
    reserved, allocated = get("reserved"), get("allocated")
    return LineClaim(
        record["order_id"], record["line_id"], record["requested"], record["max_locations"],
        reserved=_pairs(reserved) if reserved else (), allocated=_pairs(allocated) if allocated else (),
        shipped=get("shipped", 0), short_picked=get("short_picked", 0), released=get("released", False))


def _backorder_record(entry: Backorder) -> Record:
    record: Record = {
        "order_id": entry.order_id, "line_id": entry.line_id, "outstanding": entry.outstanding,
        "ordered_at": entry.ordered_at}
    _put(record, "preferred_locations", list(entry.preferred_locations))
    return record


def _backorder(record: Record) -> Backorder:
    return Backorder(
        record["order_id"], record["line_id"], record["outstanding"], record["ordered_at"],
        tuple(record.get("preferred_locations", ())))


def _keys_record(window: RecentKeys) -> Record:
    record: Record = {}
    _put(record, "sealed", [[chunk.newest_at, sorted(chunk.keys)] for chunk in window.sealed])
    _put(record, "filling", list(window.filling))
    _put_time(record, "filling_since", window.filling_since)
    _put_time(record, "filling_newest_at", window.filling_newest_at)
    return record


def _keys(record: Record) -> RecentKeys:
    sealed = tuple(KeyChunk(frozenset(keys), newest_at) for newest_at, keys in record.get("sealed", ()))
    filling = tuple(record.get("filling", ()))
    return RecentKeys(sealed, filling, record.get("filling_since"), record.get("filling_newest_at"))
