"""Order facts for tests, in business words: fresh event ids and a clock that ticks one second per fact."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from processors.inventory import LocationQuantity
from processors.inventory.dedupe import RecentKeys
from processors.values import evolve
from processors.orders import (
    AnswerStatus, CancellationRequested, CarrierStatus, DeadlineKind, ErpDecision, ErpVerdict,
    FulfilmentCancelAnswered, Order, OrderDecision, OrderFact, OrderPlaced, OrderPolicy, OrderSlas,
    PickShort, PlacedLine, ReservationAnswer, ReturnedLine, ReturnRecorded, ShipmentConfirmed, ShippedLine,
    SourcingPolicy, TrackingMilestone, apply, deadline_reached, new_order)

D = TypeVar("D", bound=OrderDecision)
START = 1_700_000_000_000
SECOND = 1000
MINUTE = 60 * SECOND
POLICY = OrderPolicy(
    sourcing=SourcingPolicy(location_priority=("WH-EAST", "WH-WEST"), max_locations_per_line=2,
                            drop_ship_skus={"FERN-POT": "GREENHOUSE-CO"},
                            lead_time_days_by_supplier={"GREENHOUSE-CO": 3}),
    slas=OrderSlas(acceptance_ms=30 * MINUTE, allocation_ms=60 * MINUTE, shipment_confirmation_ms=120 * MINUTE,
                   credit_hold_timeout_ms=240 * MINUTE, held_fact_timeout_ms=10 * MINUTE))


def at(*pairs: tuple[str, int]) -> tuple[LocationQuantity, ...]:
    return tuple(sorted(LocationQuantity(location, quantity) for location, quantity in pairs))


class OrderBook:
    """Facts about one order, each with a new event id, one second after the previous one."""

    def __init__(self, order_id: str = "O-1001", start: int = START) -> None:
        self.order_id = order_id
        self.now = start
        self._count = 0

    def _stamp(self, when: int | None = None) -> tuple[str, int, str]:
        self._count += 1
        self.now += SECOND
        return f"{self.order_id}-e{self._count}", self.now if when is None else when, self.order_id

    def placed(self, *lines: PlacedLine, customer: str = "C-42", channel: str = "web") -> OrderPlaced:
        lines = lines or (PlacedLine("1", "RETRO-CLOCK", 2),)
        return OrderPlaced(*self._stamp(), customer, channel, lines, correlation_id=f"corr-{self.order_id}")

    def answer(self, claim: str, sku: str, status: AnswerStatus, reserved: tuple[LocationQuantity, ...] = (),
               backordered: int = 0, allocated: tuple[LocationQuantity, ...] = (),
               released: tuple[LocationQuantity, ...] = ()) -> ReservationAnswer:
        return ReservationAnswer(*self._stamp(), claim, sku, status, reserved, allocated, backordered, released)

    def reserved(self, claim: str, sku: str, *pairs: tuple[str, int]) -> ReservationAnswer:
        return self.answer(claim, sku, AnswerStatus.RESERVED, at(*pairs))

    def backordered(self, claim: str, sku: str, quantity: int, *pairs: tuple[str, int]) -> ReservationAnswer:
        status = AnswerStatus.PARTIAL if pairs else AnswerStatus.BACKORDERED
        return self.answer(claim, sku, status, at(*pairs), quantity)

    def filled(self, claim: str, sku: str, still: int, *pairs: tuple[str, int]) -> ReservationAnswer:
        return self.answer(claim, sku, AnswerStatus.FILLED, at(*pairs), still)

    def allocated(self, claim: str, sku: str, *pairs: tuple[str, int], still: tuple[tuple[str, int], ...] = ()
                  ) -> ReservationAnswer:
        return self.answer(claim, sku, AnswerStatus.ALLOCATED, at(*still), allocated=at(*pairs))

    def released(self, claim: str, sku: str, *pairs: tuple[str, int]) -> ReservationAnswer:
        return self.answer(claim, sku, AnswerStatus.RELEASED, released=at(*pairs))

    def allocation_released(self, claim: str, sku: str, location: str, quantity: int) -> ReservationAnswer:
        return self.answer(claim, sku, AnswerStatus.ALLOCATION_RELEASED, released=at((location, quantity)))

    def unknown_sku(self, claim: str, sku: str) -> ReservationAnswer:
        return self.answer(claim, sku, AnswerStatus.UNKNOWN_SKU)

    def erp(self, verdict: ErpVerdict, reason: str = "") -> ErpDecision:
        return ErpDecision(*self._stamp(), verdict, reason)

    def cancel(self, *line_ids: str) -> CancellationRequested:
        return CancellationRequested(*self._stamp(), line_ids, "customer changed their mind")

    def cancel_answer(self, fulfilment_id: str, accepted: bool, reason: str = "") -> FulfilmentCancelAnswered:
        return FulfilmentCancelAnswered(*self._stamp(), fulfilment_id, accepted, reason)

    def short(self, claim: str, location: str, quantity: int) -> PickShort:
        return PickShort(*self._stamp(), claim, location, quantity)

    def shipped(self, shipment_id: str, location: str, *lines: tuple[str, int], fulfilment_id: str | None = None
                ) -> ShipmentConfirmed:
        return ShipmentConfirmed(*self._stamp(), shipment_id, location,
                                 tuple(ShippedLine(claim, quantity) for claim, quantity in lines), fulfilment_id,
                                 "UPS", f"1Z{shipment_id}")

    def tracking(self, shipment_id: str, status: CarrierStatus, when: int | None = None) -> TrackingMilestone:
        return TrackingMilestone(*self._stamp(when), shipment_id, status)

    def returned(self, *lines: tuple[str, int]) -> ReturnRecorded:
        return ReturnRecorded(*self._stamp(), tuple(ReturnedLine(line, quantity) for line, quantity in lines))

    def deadline(self, kind: DeadlineKind, when: int) -> OrderFact:
        self.now = max(self.now, when)
        return deadline_reached(self.order_id, kind, when)


class Saga:
    """One order driven fact by fact: the state and every decision so far (and those of the last fact)."""

    def __init__(self, order_id: str = "O-1001", policy: OrderPolicy = POLICY) -> None:
        self.order: Order = new_order(order_id)
        self.policy = policy
        self.decisions: list[OrderDecision] = []
        self.last: tuple[OrderDecision, ...] = ()
        self.facts: list[OrderFact] = []

    def feed(self, *facts: OrderFact) -> tuple[OrderDecision, ...]:
        emitted: list[OrderDecision] = []
        for fact in facts:
            self.order, decisions = apply(self.order, fact, self.policy)
            self.facts.append(fact)
            emitted.extend(decisions)
        self.decisions.extend(emitted)
        self.last = tuple(emitted)
        return self.last


def business(order: Order) -> Order:
    """The order without its bookkeeping (version, event time, remembered event ids): what the business sees."""
    return evolve(order, version=0, as_of=None, seen_events=RecentKeys())


def only(kind: type[D], decisions: Iterable[OrderDecision]) -> list[D]:
    return [decision for decision in decisions if isinstance(decision, kind)]


