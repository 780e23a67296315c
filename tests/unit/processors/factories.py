"""Facts for tests, in business words: fresh event ids and a clock that ticks one second per fact."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from processors.inventory import (
    AllocationCancelled, AllocationRequested, CycleCounted, Disposition, InventoryAdjusted, InventoryDecision,
    InventoryFact, InventoryPolicy, OnHandSnapshot, ReceiptConfirmed, ReservationReleased, ReservationRequested,
    ReturnDispositioned, ReturnReceived, Shipped, ShortPicked, SkuInventory, StatusMoved, StockStatus,
    SupplyExpected, SupplyStatus, apply_fact, empty_inventory)

D = TypeVar("D", bound=InventoryDecision)
START = 1_700_000_000_000
SECOND = 1000


class FactBook:
    def __init__(self, sku: str = "RETRO-CLOCK", start: int = START) -> None:
        self.sku = sku
        self.now = start
        self._count = 0

    def _stamp(self, at: int | None) -> tuple[str, int, str]:
        self._count += 1
        self.now += SECOND
        return f"{self.sku}-e{self._count}", self.now if at is None else at, self.sku

    def receipt(self, location: str, quantity: int, po_line_id: str | None = None, at: int | None = None
                ) -> ReceiptConfirmed:
        return ReceiptConfirmed(*self._stamp(at), location, quantity, po_line_id)

    def adjustment(self, location: str, delta: int, reason: str = "correction", at: int | None = None
                   ) -> InventoryAdjusted:
        return InventoryAdjusted(*self._stamp(at), location, delta, reason)

    def count(self, location: str, counted: int, at: int | None = None) -> CycleCounted:
        return CycleCounted(*self._stamp(at), location, counted)

    def snapshot(self, location: str, on_hand: int, as_of: int) -> OnHandSnapshot:
        return OnHandSnapshot(*self._stamp(None), location, on_hand, as_of)

    def status_move(self, location: str, quantity: int, from_status: StockStatus, to_status: StockStatus
                    ) -> StatusMoved:
        return StatusMoved(*self._stamp(None), location, quantity, from_status, to_status)

    def supply(self, location: str, po_line_id: str, quantity: int, status: SupplyStatus = SupplyStatus.OPEN,
               at: int | None = None) -> SupplyExpected:
        return SupplyExpected(*self._stamp(at), location, po_line_id, quantity, status)

    def order(self, order_id: str, quantity: int, line_id: str = "1", preferred: tuple[str, ...] = (),
              max_locations: int = 1, ordered_at: int | None = None) -> ReservationRequested:
        event_id, at, sku = self._stamp(None)
        return ReservationRequested(
            event_id, at, sku, order_id, line_id, quantity, at if ordered_at is None else ordered_at, preferred,
            max_locations)

    def release(self, order_id: str, line_id: str = "1") -> ReservationReleased:
        return ReservationReleased(*self._stamp(None), order_id, line_id)

    def allocation(self, order_id: str, line_id: str = "1", location: str | None = None) -> AllocationRequested:
        return AllocationRequested(*self._stamp(None), order_id, line_id, location)

    def allocation_cancelled(self, order_id: str, location: str, line_id: str = "1") -> AllocationCancelled:
        return AllocationCancelled(*self._stamp(None), order_id, line_id, location)

    def short_pick(self, order_id: str, location: str, short: int, line_id: str = "1") -> ShortPicked:
        return ShortPicked(*self._stamp(None), order_id, line_id, location, short)

    def shipment(self, order_id: str, location: str, quantity: int, line_id: str = "1", at: int | None = None
                 ) -> Shipped:
        return Shipped(*self._stamp(at), order_id, line_id, location, quantity)

    def return_received(self, location: str, quantity: int) -> ReturnReceived:
        return ReturnReceived(*self._stamp(None), location, quantity)

    def disposition(self, location: str, quantity: int, disposition: Disposition) -> ReturnDispositioned:
        return ReturnDispositioned(*self._stamp(None), location, quantity, disposition)


def run(
    facts: Iterable[InventoryFact], policy: InventoryPolicy | None = None, state: SkuInventory | None = None
) -> tuple[SkuInventory, list[InventoryDecision]]:
    """Apply facts one by one; return the final state and every decision in order."""
    policy = policy or InventoryPolicy()
    decisions: list[InventoryDecision] = []
    for fact in facts:
        state = state or empty_inventory(fact.sku)
        state, emitted = apply_fact(state, fact, policy)
        decisions.extend(emitted)
    assert state is not None
    return state, decisions


def only(kind: type[D], decisions: Iterable[InventoryDecision]) -> list[D]:
    return [decision for decision in decisions if isinstance(decision, kind)]
