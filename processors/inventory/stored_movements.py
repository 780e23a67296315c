"""Plain stock movements applied to a SKU's stored record directly: the SKU owner's hot path.

Most facts a SKU's owner sees are plain movements (a receipt not against a PO line, an adjustment). The reference
model (apply.apply_facts) costs ~27 us for one of them, two thirds of it
turning the stored record into value objects and back (records.py); here the record itself is changed, in the
layout to_record writes, for the cases whose outcome is simple: on hand moves, the movement is remembered, the
event id joins the open dedupe chunk, version +1, as_of moves on.

Anything else is declined (None) before anything is built, and the caller runs the reference model: another kind
of fact, a duplicate event id, backorders waiting (stock that arrives fills them), a movement at or before the
location's base or older than its newest movement kept, a dedupe chunk that would seal, a location going short.
Open claims stay as they are: a movement changes on hand, never a claim. So the lane never
decides anything the model would decide differently; tests/unit/processors/test_stored_movements.py checks it
against the model (hypothesis: same state, same availability change, declined exactly when it must).
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from processors.inventory.decisions import AvailabilityChanged
from processors.inventory.dedupe import CHUNKS_PER_WINDOW
from processors.inventory.facts import InventoryAdjusted, InventoryFact, ReceiptConfirmed
from processors.inventory.policy import InventoryPolicy
from processors.inventory.quantities import LocationQuantity
from processors.inventory.records import RECORD_FORMAT

Record = dict[str, Any]
_location_of = itemgetter("location")
_KEPT_AS_IS = ("reserved", "allocated", "damaged", "quality_control", "hold", "incoming", "base_as_of")


def apply_stored_movements(record: Record | None, sku: str, facts: Sequence[InventoryFact],
                           policy: InventoryPolicy) -> tuple[Record, bool] | None:
    """The record after `facts` (in order) and whether a published figure changed; None: a case for the model.

    `record` is the SKU's stored record (None: a SKU never seen); it is not changed. No facts: None (nothing to
    store)."""
    if not facts:
        return None
    current = record if record is not None else {"format": RECORD_FORMAT, "sku": sku, "version": 0}
    if current.get("format") != RECORD_FORMAT or current.get("sku") != sku:
        return None
    if current.get("backorders"):
        return None
    published_before: dict[str, int] = {}
    for fact in facts:
        moved = _moved(current, fact, policy, published_before)
        if moved is None:
            return None
        current = moved
    changed = any(_published(_stock_record(current, location), policy) != figure
                  for location, figure in published_before.items())
    return current, changed


def availability_of_record(record: Record, policy: InventoryPolicy, caused_by: str) -> AvailabilityChanged:
    """What availability_changed(from_record(record), ...) gives, read from the record."""
    safety_stock_at = policy.safety_stock_at
    figures = [LocationQuantity(stock["location"], max(0, _sellable(stock) - safety_stock_at(stock["location"])))
               for stock in record.get("locations", ())]
    return AvailabilityChanged(record["sku"], caused_by, tuple(figures), sum(f.quantity for f in figures),
                               record["version"], record.get("as_of") or 0)


def is_stocked_record(record: Record) -> bool:
    """inv.is_known for a stored record: some fact created a location."""
    return bool(record.get("locations"))


def _moved(record: Record, fact: InventoryFact, policy: InventoryPolicy,
           published_before: dict[str, int]) -> Record | None:
    kind = type(fact)
    if kind is ReceiptConfirmed and fact.po_line_id is None:  # type: ignore[attr-defined]
        delta: int = fact.quantity  # type: ignore[attr-defined]
    elif kind is InventoryAdjusted:
        delta = fact.delta  # type: ignore[attr-defined]
    else:
        return None
    if fact.sku != record["sku"]:
        return None
    at, event_id = fact.occurred_at, fact.event_id
    as_of = record.get("as_of")
    as_of = at if as_of is None else max(as_of, at)
    seen = _remembered(record.get("seen_events") or {}, event_id, at, as_of, policy)
    if seen is None:
        return None
    location: str = fact.location  # type: ignore[attr-defined]
    locations: list[Record] = record.get("locations") or []
    index = bisect_left(locations, location, key=_location_of)
    found = index < len(locations) and locations[index]["location"] == location
    stock = locations[index] if found else {"location": location}
    moved = _moved_stock(stock, delta, at, policy.max_recent_movements, is_new=not found)
    if moved is None:
        return None
    published_before.setdefault(location, _published(stock, policy) if found else 0)
    after = index + 1 if found else index
    updated: Record = {"format": RECORD_FORMAT, "sku": record["sku"], "version": record["version"] + 1,
                       "as_of": as_of, "locations": [*locations[:index], moved, *locations[after:]]}
    for name in ("claims", "closed_lines"):  # untouched by a movement; in to_record's order
        if name in record:
            updated[name] = record[name]
    updated["seen_events"] = seen
    return updated


def _moved_stock(stock: Record, delta: int, at: int, kept: int, is_new: bool) -> Record | None:
    """The location's record with on hand moved by `delta` and the movement remembered (move_physically), or
    None when that is not this lane's to decide (at/before the base, older than the last kept, the location
    going short)."""
    base = stock.get("base_as_of")
    if base is not None and at <= base:
        return None  # included in the base: the model keeps on hand as is
    movements: list[list[int]] = stock.get("movements") or []
    if movements and at < movements[-1][0]:
        return None  # out of order: the model inserts it among the kept ones
    on_hand, sellable = stock.get("on_hand", 0), _sellable(stock)
    if sellable + delta < 0 and (is_new or sellable >= 0):
        return None  # a shortfall starts here (claims come to exceed sellable stock): the model raises it
    moved_list = [*movements, [at, delta]]
    forgotten = stock.get("forgotten_through")
    if len(moved_list) > kept:
        latest_dropped = moved_list[len(moved_list) - kept - 1][0]
        moved_list = moved_list[len(moved_list) - kept:]
        forgotten = latest_dropped if forgotten is None else max(forgotten, latest_dropped)
    updated: Record = {"location": stock["location"]}
    if on_hand + delta:
        updated["on_hand"] = on_hand + delta
    for name in _KEPT_AS_IS:
        if name in stock:
            updated[name] = stock[name]
    if moved_list:
        updated["movements"] = moved_list
    if forgotten is not None:
        updated["forgotten_through"] = forgotten
    return updated


def _remembered(seen: Record, event_id: str, at: int, now: int, policy: InventoryPolicy) -> Record | None:
    """RecentKeys.remember on the record of the window, when the key is new and no chunk seals; else None."""
    filling: list[str] = seen.get("filling") or []
    sealed: list[list[Any]] = seen.get("sealed") or []
    if event_id in filling or any(event_id in keys for _, keys in sealed):
        return None  # a duplicate: the model ignores it and says so
    since = seen.get("filling_since")
    since = now if since is None else since
    if len(filling) + 1 >= max(1, policy.dedupe_window_size // CHUNKS_PER_WINDOW) \
            or now - since >= policy.dedupe_window_ms // CHUNKS_PER_WINDOW:
        return None  # the chunk would seal (once per size/8 facts): the model does it
    newest = seen.get("filling_newest_at")
    newest = at if newest is None else max(at, newest)
    oldest_kept_at, start = now - policy.dedupe_window_ms, 0
    while start < len(sealed) and sealed[start][0] < oldest_kept_at:
        start += 1
    updated: Record = {}
    if sealed[start:]:
        updated["sealed"] = sealed[start:] if start else sealed
    updated["filling"] = [*filling, event_id]
    updated["filling_since"] = since
    updated["filling_newest_at"] = newest
    return updated


def _stock_record(record: Record, location: str) -> Record:
    locations: list[Record] = record["locations"]
    return locations[bisect_left(locations, location, key=_location_of)]


def _sellable(stock: Record) -> int:
    get = stock.get
    return (get("on_hand", 0) - get("damaged", 0) - get("quality_control", 0) - get("hold", 0)
            - get("reserved", 0) - get("allocated", 0))


def _published(stock: Record, policy: InventoryPolicy) -> int:
    return max(0, _sellable(stock) - policy.safety_stock_at(stock["location"]))
