"""Short picks, partial shipments, carrier milestones, deliveries and returns."""
from __future__ import annotations

from processors.orders import (
    AllocateLine, CarrierStatus, ErpVerdict, FactHeld, FulfilmentRequested, OrderException, OrderExceptionType,
    OrderStatus, PlacedLine, ReserveLine, SourcingPolicy, claims_by_sku)
from processors.orders.policy import OrderPolicy
from processors.orders.tracking import active_flags
from tests.unit.orders.factories import POLICY, OrderBook, Saga, only

CLOCK = PlacedLine("1", "RETRO-CLOCK", 3)
SPOON = PlacedLine("2", "MINIMALIST-SPOON", 2)


def allocated_order(policy: OrderPolicy = POLICY) -> tuple[OrderBook, Saga]:
    book, saga = OrderBook(), Saga(policy=policy)
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.reserved("2", "MINIMALIST-SPOON", ("WH-WEST", 2)), book.erp(ErpVerdict.ACCEPTED),
              book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.allocated("2", "MINIMALIST-SPOON", ("WH-WEST", 2)))
    return book, saga


def test_a_short_pick_is_resourced_under_a_new_claim_id_avoiding_the_short_location() -> None:
    book, saga = allocated_order()

    decisions = saga.feed(book.short("1", "WH-EAST", 2))

    [request] = only(ReserveLine, decisions)
    assert (request.line_claim_id, request.quantity, request.preferred_locations) == ("1~r1", 2, ("WH-WEST",))
    assert request.ordered_at == saga.order.placed_at  # keeps its place in the backorder queue
    assert saga.order.status is OrderStatus.ACCEPTED
    assert claims_by_sku(saga.order) == {"RETRO-CLOCK": 1, "MINIMALIST-SPOON": 2}

    follow_up = saga.feed(book.reserved("1~r1", "RETRO-CLOCK", ("WH-WEST", 2)))

    assert [(d.line_claim_id, d.location) for d in only(AllocateLine, follow_up)] == [("1~r1", "WH-WEST")]
    [fulfilment] = only(FulfilmentRequested, follow_up)
    assert (fulfilment.fulfilment_id, fulfilment.lines[0].line_claim_id) == ("O-1001/F3", "1~r1")
    saga.feed(book.allocated("1~r1", "RETRO-CLOCK", ("WH-WEST", 2)))
    assert saga.order.status is OrderStatus.ALLOCATED
    saga.feed(book.short("1~r1", "WH-WEST", 1))
    assert only(ReserveLine, saga.last)[0].line_claim_id == "1~r2"


def test_a_short_location_stays_preferred_when_the_policy_says_so() -> None:
    keep = OrderPolicy(sourcing=SourcingPolicy(("WH-EAST", "WH-WEST"), 2, exclude_short_location_on_resource=False),
                       slas=POLICY.slas)
    book, saga = allocated_order(keep)

    [request] = only(ReserveLine, saga.feed(book.short("1", "WH-EAST", 1)))

    assert request.preferred_locations == ("WH-EAST", "WH-WEST")


def test_partial_shipments_then_delivery_complete_the_order() -> None:
    book, saga = allocated_order()

    saga.feed(book.shipped("S1", "WH-EAST", ("1", 2)))
    assert saga.order.status is OrderStatus.PARTIALLY_SHIPPED
    saga.feed(book.shipped("S2", "WH-EAST", ("1", 1)), book.shipped("S3", "WH-WEST", ("2", 2)))
    assert saga.order.status is OrderStatus.SHIPPED
    assert claims_by_sku(saga.order) == {}
    saga.feed(book.tracking("S1", CarrierStatus.DELIVERED), book.tracking("S2", CarrierStatus.DELIVERED))
    assert saga.order.status is OrderStatus.SHIPPED
    saga.feed(book.tracking("S3", CarrierStatus.IN_TRANSIT), book.tracking("S3", CarrierStatus.DELIVERED))

    assert saga.order.status is OrderStatus.DELIVERED
    assert [line.delivered for line in saga.order.lines] == [3, 2]
    assert saga.order.deadlines == ()


def test_a_shipment_of_cancelled_units_is_refused() -> None:
    book, saga = allocated_order()
    saga.feed(book.cancel("1"), book.cancel_answer("O-1001/F1", accepted=True))

    decisions = saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)))

    [exception] = only(OrderException, decisions)
    assert exception.exception_type is OrderExceptionType.ILLEGAL_TRANSITION
    assert saga.order.lines[0].shipped == 0


def test_a_shipment_confirmed_before_its_allocation_is_known_is_held_and_applied_when_it_arrives() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED))

    held = saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)))
    assert [type(d) for d in held[:1]] == [FactHeld]
    assert saga.order.lines[0].shipped == 0 and len(saga.order.held) == 1

    released = saga.feed(book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    assert saga.order.status is OrderStatus.SHIPPED
    assert saga.order.held == () and saga.order.lines[0].shipped == 3
    assert [d.new_status for d in released if hasattr(d, "new_status")] == [OrderStatus.ALLOCATED, OrderStatus.SHIPPED]
    assert saga.order.timeline[-1].caused_by == held[0].caused_by


def test_carrier_milestones_apply_by_rank_then_event_time() -> None:
    book, saga = allocated_order()
    saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)))
    t = book.now

    saga.feed(book.tracking("S1", CarrierStatus.OUT_FOR_DELIVERY, t + 5000))
    saga.feed(book.tracking("S1", CarrierStatus.IN_TRANSIT, t + 9000))  # lower rank, later: ignored
    saga.feed(book.tracking("S1", CarrierStatus.AVAILABLE_FOR_PICKUP, t + 4000))  # same rank, earlier: ignored
    assert saga.order.shipments[0].milestone is CarrierStatus.OUT_FOR_DELIVERY
    saga.feed(book.tracking("S1", CarrierStatus.AVAILABLE_FOR_PICKUP, t + 6000))  # same rank, later: applied

    shipment = saga.order.shipments[0]
    assert (shipment.milestone, shipment.milestone_at) == (CarrierStatus.AVAILABLE_FOR_PICKUP, t + 6000)


def test_carrier_problems_are_flags_raised_once_per_shipment() -> None:
    book, saga = allocated_order()
    saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)), book.tracking("S1", CarrierStatus.IN_TRANSIT))

    first = saga.feed(book.tracking("S1", CarrierStatus.ATTEMPT_FAILED))
    again = saga.feed(book.tracking("S1", CarrierStatus.ATTEMPT_FAILED))

    assert [e.exception_type for e in only(OrderException, first)] == [OrderExceptionType.DELIVERY_EXCEPTION]
    assert not only(OrderException, again)
    assert active_flags(saga.order.shipments[0]) == (CarrierStatus.ATTEMPT_FAILED,)
    saga.feed(book.tracking("S1", CarrierStatus.DELIVERED))
    assert active_flags(saga.order.shipments[0]) == ()
    assert saga.order.shipments[0].milestone is CarrierStatus.DELIVERED


def test_tracking_for_an_unknown_shipment_is_held_until_the_shipment_is_confirmed() -> None:
    book, saga = allocated_order()

    saga.feed(book.tracking("S1", CarrierStatus.DELIVERED))
    assert len(saga.order.held) == 1
    saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)))

    assert saga.order.held == ()
    assert saga.order.lines[0].delivered == 3


def test_drop_shipped_lines_ship_from_the_supplier_once_ordered() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(PlacedLine("1", "FERN-POT", 2)))
    saga.feed(book.shipped("S1", "GREENHOUSE-CO", ("1", 2)))
    assert len(saga.order.held) == 1  # no purchase order yet

    saga.feed(book.erp(ErpVerdict.ACCEPTED))

    assert saga.order.status is OrderStatus.SHIPPED


def test_returns_count_against_shipped_lines_without_changing_the_status() -> None:
    book, saga = allocated_order()
    saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)), book.shipped("S2", "WH-WEST", ("2", 2)),
              book.tracking("S1", CarrierStatus.DELIVERED), book.tracking("S2", CarrierStatus.DELIVERED))

    saga.feed(book.returned(("1", 1)))

    assert saga.order.lines[0].returned == 1
    assert saga.order.status is OrderStatus.DELIVERED
    saga.feed(book.returned(("2", 5)))
    assert len(saga.order.held) == 1  # more than shipped: waits for a shipment we may not know yet
