"""The saga against the real inventory model: both sides agree on every claim once all answers are in."""
from __future__ import annotations

from processors.orders import (
    CancellationRequested, CarrierStatus, DeadlineKind, ErpVerdict, FulfilmentKind, OrderException,
    OrderExceptionType, OrderStatus, PlacedLine, claims_by_sku)
from tests.unit.orders.factories import POLICY
from tests.unit.orders.world import World

CLOCKS = PlacedLine("1", "RETRO-CLOCK", 3)
SPOONS = PlacedLine("2", "MINIMALIST-SPOON", 2)


def stocked_world() -> World:
    world = World(POLICY)
    world.receive("RETRO-CLOCK", "WH-EAST", 2)
    world.receive("RETRO-CLOCK", "WH-WEST", 5)
    world.receive("MINIMALIST-SPOON", "WH-WEST", 1)
    world.settle()
    return world


def test_an_order_split_over_two_warehouses_ships_and_both_sides_agree_all_along() -> None:
    world = stocked_world()
    world.place("O-1", CLOCKS, SPOONS)
    world.settle()
    assert world.orders["O-1"].status is OrderStatus.PARTIALLY_BACKORDERED
    assert world.order_claims() == world.inventory_claims() == {"RETRO-CLOCK": 3, "MINIMALIST-SPOON": 1}

    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.settle()
    world.receive("MINIMALIST-SPOON", "WH-EAST", 4)
    world.settle()
    assert world.orders["O-1"].status is OrderStatus.ALLOCATED
    assert world.order_claims() == world.inventory_claims()

    shipments = [world.ship(request.fulfilment_id) for request in world.open_requests("O-1")]
    world.settle()
    for shipment_id in shipments:
        world.track("O-1", shipment_id, CarrierStatus.DELIVERED)
    world.settle()

    assert world.orders["O-1"].status is OrderStatus.DELIVERED
    assert world.order_claims() == world.inventory_claims() == {}
    on_hand = {stock.location: stock.on_hand for stock in world.stock["RETRO-CLOCK"].locations}
    assert on_hand == {"WH-EAST": 0, "WH-WEST": 4}


def test_a_credit_hold_timeout_gives_every_reserved_unit_back() -> None:
    world = stocked_world()
    world.place("O-1", CLOCKS, SPOONS)
    world.settle()
    world.erp_decides("O-1", ErpVerdict.CREDIT_HOLD)
    world.settle()

    world.fire("O-1", DeadlineKind.CREDIT_HOLD_TIMEOUT)
    world.settle()

    assert world.orders["O-1"].status is OrderStatus.CANCELLED
    assert world.inventory_claims() == {} and world.stock["MINIMALIST-SPOON"].backorders == ()
    world.receive("MINIMALIST-SPOON", "WH-EAST", 3)  # arrives for nobody
    world.settle()
    assert world.inventory_claims() == {}


def test_a_rejection_while_lines_are_still_being_answered_releases_them_too() -> None:
    world = stocked_world()
    world.place("O-1", CLOCKS, SPOONS)
    world.step_order("O-1")  # the requests are out, no answer yet
    world.erp_decides("O-1", ErpVerdict.REJECTED)
    world.step_order("O-1")

    world.settle()

    assert world.orders["O-1"].status is OrderStatus.REJECTED
    assert world.inventory_claims() == world.order_claims() == {}


def test_a_cancellation_after_allocation_refused_by_one_warehouse_keeps_its_claim_until_it_ships() -> None:
    world = stocked_world()
    world.receive("MINIMALIST-SPOON", "WH-WEST", 1)
    world.place("O-1", CLOCKS, SPOONS)
    world.settle()
    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.settle()
    east, west = sorted(world.open_requests("O-1"), key=lambda request: request.location)

    world.send(CancellationRequested("cancel-1", world.clock, "O-1"))
    world.settle()
    assert world.orders["O-1"].status is OrderStatus.CANCEL_REQUESTED
    world.answer_cancel(east.fulfilment_id, accept=True)
    world.answer_cancel(west.fulfilment_id, accept=False)
    world.settle()

    order = world.orders["O-1"]
    assert order.status is OrderStatus.ALLOCATED
    assert world.order_claims() == world.inventory_claims() == claims_by_sku(order)
    world.ship(west.fulfilment_id)
    world.settle()
    assert world.orders["O-1"].status is OrderStatus.SHIPPED
    assert world.inventory_claims() == {}


def test_a_short_pick_is_resourced_from_another_warehouse() -> None:
    world = stocked_world()
    world.place("O-1", PlacedLine("1", "RETRO-CLOCK", 2))
    world.settle()
    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.settle()
    [east] = world.open_requests("O-1")
    assert east.location == "WH-EAST"

    world.short_pick(east.fulfilment_id, 1)
    world.settle()

    order = world.orders["O-1"]
    assert [claim.claim_id for claim in order.lines[0].claims] == ["1", "1~r1"]
    assert order.status is OrderStatus.ALLOCATED
    assert {request.location for request in world.open_requests("O-1")} == {"WH-EAST", "WH-WEST"}
    assert world.order_claims() == world.inventory_claims() == {"RETRO-CLOCK": 2}


def test_an_order_for_a_sku_nobody_has_seen_is_held_and_nothing_is_claimed() -> None:
    world = stocked_world()
    world.place("O-1", CLOCKS, PlacedLine("2", "NO-SUCH-SKU", 1))
    world.settle()

    order = world.orders["O-1"]
    assert order.status is OrderStatus.ON_HOLD
    assert [d.exception_type for d in world.decisions if isinstance(d, OrderException)] == [
        OrderExceptionType.UNKNOWN_SKU]
    assert world.accept_requests() == []
    assert "NO-SUCH-SKU" not in world.stock


def test_drop_shipped_and_special_order_lines_never_touch_warehouse_stock() -> None:
    world = stocked_world()
    world.place("O-1", PlacedLine("1", "FERN-POT", 2),
                PlacedLine("2", "WALNUT-DESK", 1, FulfilmentKind.SPECIAL_ORDER, "WOODWORKS"))
    world.settle()
    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.settle()

    assert world.orders["O-1"].status is OrderStatus.ALLOCATED
    assert set(world.to_inventory) == {"RETRO-CLOCK", "MINIMALIST-SPOON"}  # only the receipts ever went there


def test_units_the_sku_owner_allocated_beyond_the_request_are_requested_once_the_hold_ends() -> None:
    world = World(POLICY)
    world.receive("MINIMALIST-SPOON", "STORE-1", 1)
    world.settle()
    world.place("O-1", PlacedLine("1", "MINIMALIST-SPOON", 2), PlacedLine("2", "NO-SUCH-SKU", 1))
    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.step_order("O-1")
    world.step_inventory("MINIMALIST-SPOON")  # 1 reserved, 1 backordered
    world.step_order("O-1")  # accepted: allocate the 1 and ask STORE-1 for it
    world.step_order("O-1")  # the answer: PARTIAL
    world.receive("MINIMALIST-SPOON", "STORE-1", 1)
    world.step_inventory("NO-SUCH-SKU")
    world.step_order("O-1")  # on hold now
    world.settle()  # the fill reaches the order while on hold; the allocation then takes both units

    order = world.orders["O-1"]
    assert order.status is OrderStatus.ON_HOLD
    assert [request.open for request in world.open_requests("O-1")] == [1]
    assert world.order_claims() == world.inventory_claims() == {"MINIMALIST-SPOON": 2}
    world.send(CancellationRequested("cancel-unknown", world.clock, "O-1", ("2",)))
    world.settle()

    assert world.orders["O-1"].status is OrderStatus.ALLOCATED
    assert sorted(request.open for request in world.open_requests("O-1")) == [1, 1]


def test_units_allocated_beyond_any_request_are_given_back_when_the_line_is_cancelled() -> None:
    world = World(POLICY)
    world.receive("MINIMALIST-SPOON", "STORE-1", 1)
    world.settle()
    world.place("O-1", PlacedLine("1", "MINIMALIST-SPOON", 2), PlacedLine("2", "NO-SUCH-SKU", 1))
    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.step_order("O-1")
    world.step_inventory("MINIMALIST-SPOON")
    world.step_order("O-1")
    world.step_order("O-1")
    world.receive("MINIMALIST-SPOON", "STORE-1", 1)
    world.step_inventory("NO-SUCH-SKU")
    world.step_order("O-1")
    world.settle()
    [request] = world.open_requests("O-1")

    world.send(CancellationRequested("cancel-all", world.clock, "O-1"))
    world.settle()
    world.answer_cancel(request.fulfilment_id, accept=True)
    world.settle()

    assert world.orders["O-1"].status is OrderStatus.CANCELLED
    assert world.order_claims() == world.inventory_claims() == {}


def test_a_short_pick_heard_after_the_cancellation_it_preceded_leaves_the_other_request_free_to_ship() -> None:
    """One claim in two requests at one location, the whole order being cancelled. The warehouse short-picks a unit
    of the first request, then accepts its cancellation, then ships the second request anyway. The answer reaches
    the order before the SKU owner's short pick: the short unit was among those the answer cancelled, so the
    second request keeps its unit, its shipment is counted, and the units add up on both sides."""
    world = World(POLICY)
    world.receive("MINIMALIST-SPOON", "WH-WEST", 2)
    world.settle()
    world.place("O-1", PlacedLine("1", "MINIMALIST-SPOON", 3))  # 2 reserved, 1 backordered
    world.settle()
    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.settle()
    world.receive("MINIMALIST-SPOON", "WH-WEST", 1)  # the fill: a second request at the same location
    world.settle()
    first, second = world.open_requests("O-1")
    assert (first.open, second.open, second.location) == (2, 1, "WH-WEST")
    world.send(CancellationRequested("cancel-all", world.clock, "O-1"))
    world.settle()

    world.short_pick(first.fulfilment_id, 1)
    world.answer_cancel(first.fulfilment_id, accept=True)
    world.step_order("O-1")  # the answer, before the short pick the SKU owner has not recorded yet
    world.settle()
    world.ship(second.fulfilment_id)
    world.settle()

    order = world.orders["O-1"]
    line, [claim] = order.lines[0], order.lines[0].claims
    assert (line.shipped, line.cancelled, claim.shipped, claim.short, order.held) == (1, 2, 1, 1, ())
    assert order.status is OrderStatus.SHIPPED
    assert not [d for d in world.decisions if isinstance(d, OrderException)]
    assert world.order_claims() == world.inventory_claims() == {}
    on_hand = sum(stock.on_hand for stock in world.stock["MINIMALIST-SPOON"].locations)
    assert on_hand + claim.shipped + claim.short == 3
