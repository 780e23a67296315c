"""Facts applied to a SKU's stored record directly: the SKU owner's hot path.

Most facts a SKU's owner sees are plain movements (a receipt not against a PO line, an adjustment) and new order
lines asking for stock that is there. The reference model (apply.apply_facts) costs ~27 us for a movement and ~45
us for a reservation, most of it turning the stored record into value objects and back (records.py); here the
record itself is changed, in the layout to_record writes, for the cases whose outcome is simple
(stored_movements.py, stored_reservations.py): version + 1, as_of moves on, the event id joins the open dedupe
chunk, and the step's own change.

Anything else is declined (None) before anything is built, and the caller runs the reference model: another kind
of fact, a duplicate event id, backorders waiting (stock that arrives fills them), a dedupe chunk that would seal,
or whatever a step leaves to the model. So the lane never decides anything the model would decide differently;
tests/unit/processors/test_stored_record.py checks it against the model (hypothesis: same state, same decisions,
declined exactly when it must).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from processors.inventory.decisions import ReservationAnswered
from processors.inventory.facts import InventoryAdjusted, InventoryFact, ReceiptConfirmed, ReservationRequested
from processors.inventory.policy import InventoryPolicy
from processors.inventory.records import RECORD_FORMAT
from processors.inventory.stored_movements import moved_on_record
from processors.inventory.stored_reservations import reserved_on_record
from processors.inventory.stored_rules import published, remembered, stock_record

Record = dict[str, Any]
Step = Callable[[Record, Any, InventoryPolicy, dict[str, int]], tuple[dict[str, Any], Any] | None]
_STEPS: dict[type[InventoryFact], Step] = {
    ReceiptConfirmed: moved_on_record, InventoryAdjusted: moved_on_record, ReservationRequested: reserved_on_record}


class StoredChange(NamedTuple):
    record: Record  # the SKU's record after the facts
    published_changed: bool  # a published figure differs from before the facts
    answers: tuple[ReservationAnswered, ...]  # the reservations' answers, in order


def apply_on_stored_record(record: Record | None, sku: str, facts: Sequence[InventoryFact],
                           policy: InventoryPolicy) -> StoredChange | None:
    """The record after `facts` (in order), or None: a case for the model.

    `record` is the SKU's stored record (None: a SKU never seen); it is not changed. No facts: None (nothing to
    store)."""
    if not facts:
        return None
    current = record if record is not None else {"format": RECORD_FORMAT, "sku": sku, "version": 0}
    if current.get("format") != RECORD_FORMAT or current.get("sku") != sku or current.get("backorders"):
        return None
    published_before: dict[str, int] = {}
    answers: list[ReservationAnswered] = []
    for fact in facts:
        step = _STEPS.get(type(fact))
        if step is None or fact.sku != sku:
            return None
        as_of = current.get("as_of")
        as_of = fact.occurred_at if as_of is None else max(as_of, fact.occurred_at)
        seen = remembered(current.get("seen_events") or {}, fact.event_id, fact.occurred_at, as_of, policy)
        outcome = None if seen is None else step(current, fact, policy, published_before)
        if outcome is None:
            return None
        changed, answer = outcome
        current = _stamped(current, as_of, seen, changed)  # type: ignore[arg-type]
        if answer is not None:
            answers.append(answer)
    published_changed = any(published(stock_record(current, location), policy) != figure
                            for location, figure in published_before.items())
    return StoredChange(current, published_changed, tuple(answers))


def _stamped(record: Record, as_of: int, seen: Record, changed: dict[str, Any]) -> Record:
    """The record one fact later, in to_record's key order: version + 1, as_of, the event id remembered, and the
    step's changed fields; what the step did not change is carried over."""
    updated: Record = {"format": RECORD_FORMAT, "sku": record["sku"], "version": record["version"] + 1,
                       "as_of": as_of}
    for name in ("locations", "claims", "closed_lines"):
        value = changed[name] if name in changed else record.get(name)
        if value:
            updated[name] = value
    updated["seen_events"] = seen
    return updated
