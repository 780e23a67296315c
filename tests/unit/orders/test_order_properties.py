"""Property tests: random interleavings of orders, SKU-owner answers (the real inventory model), ERP verdicts,
cancellations, warehouse shipments, short picks and cancellation answers, carrier updates, timers and redeliveries.

After every step: the stored status is the derived one, quantities stay in range, no realistic interleaving is
refused as an illegal transition, and a redelivered event changes nothing. Whenever everything is delivered: the
saga and the SKU owners agree on every claim, a cancelled or rejected order holds nothing (every reservation was
matched by a release), units are conserved, and replaying each order's facts, or its record, gives the same state.
"""
from __future__ import annotations

import json
import random
from collections import Counter

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from processors.inventory.claims import backorder_for
from processors.orders import (
    Acceptance, CancellationRequested, CarrierStatus, DeadlineKind, DuplicateIgnored, ErpVerdict, FactHeld,
    FactIgnored, FulfilmentKind, OrderException, OrderExceptionType, OrderStatus, PlacedLine, apply, apply_all,
    claims_by_sku, derive_status, from_record, new_order, to_record)
from tests.unit.orders.factories import POLICY
from tests.unit.orders.world import World

STOCKED_SKUS = ("RETRO-CLOCK", "MINIMALIST-SPOON")
LOCATIONS = ("WH-EAST", "WH-WEST", "STORE-1")
line_specs = st.tuples(
    st.sampled_from((*STOCKED_SKUS * 6, "FERN-POT", "WALNUT-DESK", "NO-SUCH-SKU")), st.integers(1, 4))


def placed_line(line_id: str, sku: str, quantity: int) -> PlacedLine:
    if sku == "WALNUT-DESK":
        return PlacedLine(line_id, sku, quantity, FulfilmentKind.SPECIAL_ORDER, "WOODWORKS")
    return PlacedLine(line_id, sku, quantity)


class OrderSagaMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World(POLICY)
        self.erp_view: dict[str, Acceptance] = {}
        self.shipments: list[tuple[str, str]] = []
        self.received: Counter[str] = Counter()
        self.refused: list[OrderException] = []
        self.seen_decisions = 0

    # -- sources ----------------------------------------------------------------------------------------------
    @initialize(quantity=st.integers(0, 6))
    def stock_the_warehouses(self, quantity: int) -> None:
        for sku in STOCKED_SKUS:
            for location in LOCATIONS[:2]:
                if quantity:
                    self.receive(sku, location, quantity)

    @rule(sku=st.sampled_from(STOCKED_SKUS), location=st.sampled_from(LOCATIONS), quantity=st.integers(1, 5))
    def receive(self, sku: str, location: str, quantity: int) -> None:
        self.world.receive(sku, location, quantity)
        self.received[sku] += quantity

    @rule(lines=st.lists(line_specs, min_size=1, max_size=3))
    def place(self, lines: list[tuple[str, int]]) -> None:
        order_id = f"O-{len(self.erp_view) + 1}"
        self.erp_view[order_id] = Acceptance.PENDING
        self.world.place(order_id, *(placed_line(str(n + 1), sku, qty) for n, (sku, qty) in enumerate(lines)))

    @precondition(lambda self: self.erp_view)
    @rule(data=st.data())
    def erp_decides(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.erp_view)))
        view = self.erp_view[order_id]
        choices = {Acceptance.PENDING: (*(ErpVerdict.ACCEPTED,) * 4, ErpVerdict.CREDIT_HOLD, ErpVerdict.REJECTED),
                   Acceptance.CREDIT_HOLD: (ErpVerdict.CREDIT_RELEASED, ErpVerdict.REJECTED)}.get(view)
        if choices is None:
            return
        verdict = data.draw(st.sampled_from(choices))
        self.erp_view[order_id] = {ErpVerdict.ACCEPTED: Acceptance.ACCEPTED, ErpVerdict.CREDIT_RELEASED:
                                   Acceptance.ACCEPTED, ErpVerdict.CREDIT_HOLD: Acceptance.CREDIT_HOLD,
                                   ErpVerdict.REJECTED: Acceptance.REJECTED}[verdict]
        self.world.erp_decides(order_id, verdict)

    @precondition(lambda self: self.erp_view)
    @rule(data=st.data())
    def customer_cancels(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.erp_view)))
        line_ids = tuple(data.draw(st.lists(st.sampled_from(("1", "2")), unique=True, max_size=1)))
        order = self.world.orders.get(order_id)
        if line_ids and (order is None or line_ids[0] not in {line.line_id for line in order.lines}):
            line_ids = ()
        event_id, now = self.world.next_id("cancel")
        self.world.send(CancellationRequested(event_id, now, order_id, line_ids))

    # -- warehouses, carriers, timers -------------------------------------------------------------------------------
    @precondition(lambda self: self.world.open_requests())
    @rule(data=st.data(), quantity=st.integers(1, 4))
    def warehouse_ships(self, data: st.DataObject, quantity: int) -> None:
        request = data.draw(st.sampled_from(self.world.open_requests()))
        self.shipments.append((request.order_id, self.world.ship(request.fulfilment_id, quantity)))

    @precondition(lambda self: self.world.open_requests())
    @rule(data=st.data(), quantity=st.integers(1, 2))
    def warehouse_short_picks(self, data: st.DataObject, quantity: int) -> None:
        request = data.draw(st.sampled_from(self.world.open_requests()))
        self.world.short_pick(request.fulfilment_id, quantity)

    @precondition(lambda self: any(r.cancel_asked for r in self.world.warehouse.values()))
    @rule(data=st.data(), accept=st.booleans())
    def warehouse_answers_a_cancellation(self, data: st.DataObject, accept: bool) -> None:
        asked = sorted(r.fulfilment_id for r in self.world.warehouse.values() if r.cancel_asked)
        self.world.answer_cancel(data.draw(st.sampled_from(asked)), accept)

    @precondition(lambda self: self.shipments)
    @rule(data=st.data(), status=st.sampled_from(CarrierStatus))
    def carrier_reports(self, data: st.DataObject, status: CarrierStatus) -> None:
        order_id, shipment_id = data.draw(st.sampled_from(self.shipments))
        self.world.track(order_id, shipment_id, status)

    @precondition(lambda self: any(kind is not DeadlineKind.HELD_FACT_TIMEOUT for _, kind in self.world.timers))
    @rule(data=st.data())
    def a_timer_fires(self, data: st.DataObject) -> None:
        timers = sorted(key for key in self.world.timers if key[1] is not DeadlineKind.HELD_FACT_TIMEOUT)
        self.world.fire(*data.draw(st.sampled_from(timers)))

    # -- delivery -----------------------------------------------------------------------------------------------
    @precondition(lambda self: any(self.world.to_inventory.values()))
    @rule(data=st.data())
    def a_sku_owner_takes_its_next_message(self, data: st.DataObject) -> None:
        waiting = sorted(sku for sku, queue in self.world.to_inventory.items() if queue)
        self.world.step_inventory(data.draw(st.sampled_from(waiting)))

    @precondition(lambda self: any(self.world.to_orders.values()))
    @rule(data=st.data())
    def an_order_takes_its_next_message(self, data: st.DataObject) -> None:
        self.world.step_order(data.draw(st.sampled_from(sorted(k for k, q in self.world.to_orders.items() if q))))

    @rule(seed=st.integers(0, 2**16), count=st.integers(1, 12))
    def some_messages_are_delivered(self, seed: int, count: int) -> None:
        """A few messages from random queues: the interleavings a real cluster produces."""
        pick = random.Random(seed)
        for _ in range(count):
            queues = [("sku", key) for key, queue in self.world.to_inventory.items() if queue] + [
                ("order", key) for key, queue in self.world.to_orders.items() if queue]
            if not queues:
                return
            kind, key = pick.choice(sorted(queues))
            if kind == "sku":
                self.world.step_inventory(key)
            else:
                self.world.step_order(key)

    @precondition(lambda self: self.world.applied)
    @rule(data=st.data())
    def a_message_is_delivered_again(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.world.applied)))
        fact = data.draw(st.sampled_from(self.world.applied[order_id]))
        before = self.world.orders[order_id]
        decisions = self.world.deliver(fact)
        assert self.world.orders[order_id] is before
        assert [type(d) for d in decisions] == [DuplicateIgnored]

    @rule()
    def everything_is_delivered(self) -> None:
        self.world.settle()
        self.check_settled()
        for key in sorted(k for k in self.world.timers if k[1] is DeadlineKind.HELD_FACT_TIMEOUT):
            self.world.fire(*key)  # a fact still held now waits for something that will not come
        self.world.settle()
        self.check_settled()

    # -- invariants ---------------------------------------------------------------------------------------------
    @invariant()
    def the_status_is_a_function_of_the_lines_and_quantities_stay_in_range(self) -> None:
        for order in self.world.orders.values():
            assert order.status is derive_status(order)
            for line in order.lines:
                assert 0 <= line.cancelled and line.cancelled + line.shipped <= line.quantity
                assert 0 <= line.returned <= line.shipped and 0 <= line.delivered <= line.shipped
                for claim in line.claims:
                    pairs = (*claim.reserved, *claim.allocated, *claim.allocating)
                    assert all(pair.quantity > 0 for pair in pairs) and claim.backordered >= 0
            for fulfilment in order.fulfilments:
                assert all(item.shipped + item.short <= item.quantity for item in fulfilment.lines)

    @invariant()
    def realistic_interleavings_are_never_refused(self) -> None:
        new = self.world.decisions[self.seen_decisions:]
        self.seen_decisions = len(self.world.decisions)
        refused = [d for d in new if isinstance(d, OrderException) and d.exception_type in (
            OrderExceptionType.ILLEGAL_TRANSITION, OrderExceptionType.DUPLICATE_ORDER_CONFLICT)]
        assert not refused, refused
        assert not [d for d in new if isinstance(d, FactIgnored) and "answered before" in d.reason]

    def teardown(self) -> None:
        for order in self.world.orders.values():
            replayed, decisions = apply_all(new_order(order.order_id), self.world.applied[order.order_id], POLICY)
            assert replayed == order
            assert list(decisions) == [d for d in self.world.decisions if d.order_id == order.order_id]
            assert from_record(json.loads(json.dumps(to_record(order)))) == order
        reached = {entry.new for order in self.world.orders.values() for entry in order.timeline}
        for status in sorted(reached):
            event(f"an order reached {status}")
        kinds = {d.exception_type for d in self.world.decisions if isinstance(d, OrderException)}
        for kind in sorted(kinds):
            event(f"exception {kind}")
        if any(len(line.claims) > 1 for order in self.world.orders.values() for line in order.lines):
            event("a line was re-sourced")
        if any(isinstance(d, FactHeld) for d in self.world.decisions):
            event("a fact was held")

    def check_settled(self) -> None:
        world = self.world
        assert world.order_claims() == world.inventory_claims()
        for sku, state in world.stock.items():
            for claim in state.claims:
                order = world.orders[claim.order_id]
                mine = next(c for line in order.lines for c in line.claims if c.claim_id == claim.line_id)
                assert (mine.reserved, mine.allocated) == (claim.reserved, claim.allocated), (claim, mine)
                queued = backorder_for(state.backorders, claim.order_id, claim.line_id)
                assert (0 if mine.released else mine.backordered) == (queued.outstanding if queued else 0)
        for order in world.orders.values():
            if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
                assert claims_by_sku(order) == {}
                assert not [item for f in order.fulfilments for item in f.lines if item.cancel_pending]
        for sku in STOCKED_SKUS:
            state = world.stock.get(sku)
            on_hand = sum(stock.on_hand for stock in state.locations) if state else 0
            gone = self.units_gone(sku)
            assert on_hand + gone == self.received[sku], (sku, on_hand, gone)

    def units_gone(self, sku: str) -> int:
        """Units shipped or found missing at pick, as the saga counts them (its claims' shipped and short)."""
        return sum(claim.shipped + claim.short for order in self.world.orders.values() for line in order.lines
                   for claim in line.claims if claim.sku == sku)


OrderSagaMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
test_order_saga_properties = OrderSagaMachine.TestCase


def test_a_replay_in_batches_gives_the_same_state_as_one_by_one() -> None:
    world = World(POLICY)
    world.receive("RETRO-CLOCK", "WH-EAST", 3)
    world.place("O-1", PlacedLine("1", "RETRO-CLOCK", 2), PlacedLine("2", "FERN-POT", 1))
    world.settle()
    world.erp_decides("O-1", ErpVerdict.ACCEPTED)
    world.settle()

    order = new_order("O-1")
    for fact in world.applied["O-1"]:
        order, _ = apply(order, fact, POLICY)

    assert order == world.orders["O-1"] == apply_all(new_order("O-1"), world.applied["O-1"], POLICY)[0]
