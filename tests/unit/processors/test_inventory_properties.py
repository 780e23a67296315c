"""Property tests: a random stream of facts for two SKUs, checked against invariants after every fact and
replayed (one by one, in batches, interleaved differently across SKUs) at the end of every run."""
from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from processors.inventory import (
    AllocationCancelled, AllocationRequested, AvailabilityChanged, CycleCounted, Disposition, DuplicateIgnored,
    InventoryAdjusted, InventoryDecision, InventoryFact, InventoryPolicy, OnHandSnapshot, ReceiptConfirmed,
    ReservationAnswered, ReservationReleased, ReservationRequested, ReservationStatus, ReturnDispositioned,
    ReturnReceived, ShortfallDetected, Shipped, ShortPicked, SkuInventory, StatusMoved, StockStatus, SupplyExpected,
    SupplyStatus, apply_fact, apply_facts, available_to_promise, empty_inventory, from_record,
    published_availability, to_record)
from processors.inventory.claims import backorder_for, find_claim
from processors.inventory.quantities import quantity_at, total_of

SKUS = ("RETRO-CLOCK", "MINIMALIST-SPOON")
LOCATIONS = ("WH-EAST", "WH-WEST", "STORE-1")
POLICY = InventoryPolicy(
    default_safety_stock=1, safety_stock_by_location={"STORE-1": 0}, dedupe_window_size=100_000,
    dedupe_window_ms=10**12, drift_tolerance=1, max_recent_movements=100_000)
SECOND = 1000

skus = st.sampled_from(SKUS)
locations = st.sampled_from(LOCATIONS)
lateness = st.sampled_from((0, 0, 0, 1, 2, 5)).map(lambda seconds: seconds * SECOND)


@dataclass(frozen=True)
class OrderLine:
    sku: str
    order_id: str
    line_id: str


def physical_change(fact: InventoryFact) -> tuple[str, int, int] | None:
    """("delta" | "absolute", event time, value) for a fact that moves on hand."""
    match fact:
        case ReceiptConfirmed(quantity=q) | ReturnReceived(quantity=q):
            return ("delta", fact.occurred_at, q)
        case InventoryAdjusted(delta=d):
            return ("delta", fact.occurred_at, d)
        case Shipped(quantity=q) | ShortPicked(short_quantity=q):
            return ("delta", fact.occurred_at, -q)
        case ReturnDispositioned(quantity=q, disposition=Disposition.SCRAP):
            return ("delta", fact.occurred_at, -q)
        case CycleCounted(counted=c):
            return ("absolute", fact.occurred_at, c)
        case OnHandSnapshot(on_hand=o, as_of=a):
            return ("absolute", a, o)
    return None


def expected_on_hand(changes: list[tuple[str, int, int]]) -> int:
    """The rule of docs/inventory-model.md, computed from scratch: the latest absolute figure by event time (the
    later arrival on a tie) plus every delta that occurred after it."""
    bases = [(at, arrival, value) for arrival, (kind, at, value) in enumerate(changes) if kind == "absolute"]
    base_at, _, base = max(bases) if bases else (None, 0, 0)
    return base + sum(v for kind, at, v in changes if kind == "delta" and (base_at is None or at > base_at))


def published_figures(state: SkuInventory) -> tuple[dict[str, int], int]:
    """Published ATP per location (a location not seen yet publishes 0, like a seen one at 0) and the total."""
    per_location, total = published_availability(state, POLICY)
    return {pair.location: pair.quantity for pair in per_location if pair.quantity}, total


def shortfall_locations(before: SkuInventory, after: SkuInventory) -> set[str]:
    was = {stock.location: stock.sellable for stock in before.locations}
    return {s.location for s in after.locations if s.sellable < 0 and was.get(s.location, 0) >= 0}


class InventoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.states = {sku: empty_inventory(sku) for sku in SKUS}
        self.delivered: list[InventoryFact] = []
        self.applied_ids: set[str] = set()
        self.physical: dict[tuple[str, str], list[tuple[str, int, int]]] = defaultdict(list)
        self.lines: list[OrderLine] = []
        self.clock = 1_700_000_000_000
        self.count = 0
        self.interleaving = random.Random(0)

    def stamp(self, sku: str, late: int = 0) -> tuple[str, int, str]:
        self.count += 1
        self.clock += SECOND
        return f"e{self.count}", self.clock - late, sku

    def deliver(self, fact: InventoryFact) -> None:
        before = self.states[fact.sku]
        after, decisions = apply_fact(before, fact, POLICY)
        if fact.event_id in self.applied_ids:
            assert after is before and decisions == (DuplicateIgnored(fact.sku, fact.event_id),)
        else:
            self.check_applied(before, after, decisions)
            self.applied_ids.add(fact.event_id)
            change = physical_change(fact)
            if change is not None:
                self.physical[(fact.sku, fact.location)].append(change)  # type: ignore[attr-defined]
        self.states[fact.sku] = after
        self.delivered.append(fact)

    def check_applied(self, before: SkuInventory, after: SkuInventory, decisions: tuple[InventoryDecision, ...]
                      ) -> None:
        assert after.version == before.version + 1
        raised = {d.location for d in decisions if isinstance(d, ShortfallDetected)}
        assert raised == shortfall_locations(before, after)
        published_moved = published_figures(before) != published_figures(after)
        changes = [d for d in decisions if isinstance(d, AvailabilityChanged)]
        assert len(changes) == (1 if published_moved else 0)
        for change in changes:
            assert (change.locations, change.total) == published_availability(after, POLICY)
            assert change.version == after.version
        for answer in decisions:
            if isinstance(answer, ReservationAnswered):
                assert total_of(answer.reserved) + total_of(answer.allocated) + answer.backordered <= max(
                    answer.requested, 0)
            if isinstance(answer, ReservationAnswered) and answer.status == ReservationStatus.RELEASED:
                was = find_claim(before.claims, answer.order_id, answer.line_id)
                assert answer.released == (was.reserved if was else ())
                assert backorder_for(after.backorders, answer.order_id, answer.line_id) is None

    # -- the stream -------------------------------------------------------------------------------------------
    @initialize(seed=st.integers(0, 2**16))
    def choose_interleaving(self, seed: int) -> None:
        self.interleaving = random.Random(seed)

    @rule(sku=skus, location=locations, quantity=st.integers(1, 5), po=st.sampled_from((None, "PO-1", "PO-2")),
          late=lateness)
    def receive(self, sku: str, location: str, quantity: int, po: str | None, late: int) -> None:
        self.deliver(ReceiptConfirmed(*self.stamp(sku, late), location, quantity, po))

    @rule(sku=skus, location=locations, delta=st.integers(-3, 3), late=lateness)
    def adjust(self, sku: str, location: str, delta: int, late: int) -> None:
        self.deliver(InventoryAdjusted(*self.stamp(sku, late), location, delta, "correction"))

    @rule(sku=skus, location=locations, counted=st.integers(0, 12), late=lateness)
    def count_cycle(self, sku: str, location: str, counted: int, late: int) -> None:
        self.deliver(CycleCounted(*self.stamp(sku, late), location, counted))

    @rule(sku=skus, location=locations, on_hand=st.integers(0, 12), lag=lateness)
    def snapshot(self, sku: str, location: str, on_hand: int, lag: int) -> None:
        event_id, at, _ = self.stamp(sku)
        self.deliver(OnHandSnapshot(event_id, at, sku, location, on_hand, at - lag))

    @rule(sku=skus, location=locations, quantity=st.integers(1, 3),
          statuses=st.lists(st.sampled_from(StockStatus), min_size=2, max_size=2))
    def move_status(self, sku: str, location: str, quantity: int, statuses: list[StockStatus]) -> None:
        self.deliver(StatusMoved(*self.stamp(sku), location, quantity, statuses[0], statuses[1]))

    @rule(sku=skus, location=locations, po=st.sampled_from(("PO-1", "PO-2")), quantity=st.integers(0, 10),
          status=st.sampled_from(SupplyStatus), late=lateness)
    def expect_supply(self, sku: str, location: str, po: str, quantity: int, status: SupplyStatus, late: int) -> None:
        self.deliver(SupplyExpected(*self.stamp(sku, late), location, po, quantity, status))

    @rule(sku=skus, quantity=st.integers(1, 6), preferred=st.lists(locations, unique=True, max_size=2),
          max_locations=st.integers(1, 3), ordered_back=st.integers(0, 20))
    def reserve(self, sku: str, quantity: int, preferred: list[str], max_locations: int, ordered_back: int) -> None:
        event_id, at, _ = self.stamp(sku)
        line = OrderLine(sku, f"O-{self.count}", "1")
        self.lines.append(line)
        self.deliver(ReservationRequested(
            event_id, at, sku, line.order_id, line.line_id, quantity, at - ordered_back * SECOND, tuple(preferred),
            max_locations))

    @precondition(lambda self: self.lines)
    @rule(data=st.data(), quantity=st.integers(1, 6))
    def repeat_request(self, data: st.DataObject, quantity: int) -> None:
        line = data.draw(st.sampled_from(self.lines))
        event_id, at, _ = self.stamp(line.sku)
        self.deliver(ReservationRequested(event_id, at, line.sku, line.order_id, line.line_id, quantity, at))

    @rule(data=st.data(), unknown=st.booleans())
    def release(self, data: st.DataObject, unknown: bool) -> None:
        line = self.some_line(data, unknown)
        self.deliver(ReservationReleased(*self.stamp(line.sku), line.order_id, line.line_id))

    @rule(data=st.data(), location=st.one_of(st.none(), locations))
    def allocate(self, data: st.DataObject, location: str | None) -> None:
        line = self.some_line(data, unknown=False)
        self.deliver(AllocationRequested(*self.stamp(line.sku), line.order_id, line.line_id, location))

    @rule(data=st.data())
    def cancel_allocation(self, data: st.DataObject) -> None:
        line = self.some_line(data, unknown=False)
        location = data.draw(self.held_location(line))
        self.deliver(AllocationCancelled(*self.stamp(line.sku), line.order_id, line.line_id, location))

    @rule(data=st.data(), quantity=st.integers(1, 3))
    def short_pick(self, data: st.DataObject, quantity: int) -> None:
        line = self.some_line(data, unknown=False)
        location = data.draw(self.held_location(line))
        self.deliver(ShortPicked(*self.stamp(line.sku), line.order_id, line.line_id, location, quantity))

    @rule(data=st.data(), quantity=st.integers(1, 4), late=lateness)
    def ship(self, data: st.DataObject, quantity: int, late: int) -> None:
        line = self.some_line(data, unknown=False)
        location = data.draw(self.held_location(line))
        self.deliver(Shipped(*self.stamp(line.sku, late), line.order_id, line.line_id, location, quantity))

    @rule(sku=skus, location=locations, quantity=st.integers(1, 3))
    def receive_return(self, sku: str, location: str, quantity: int) -> None:
        self.deliver(ReturnReceived(*self.stamp(sku), location, quantity))

    @rule(sku=skus, location=locations, quantity=st.integers(1, 3), disposition=st.sampled_from(Disposition))
    def disposition_return(self, sku: str, location: str, quantity: int, disposition: Disposition) -> None:
        self.deliver(ReturnDispositioned(*self.stamp(sku), location, quantity, disposition))

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def deliver_again(self, data: st.DataObject) -> None:
        self.deliver(data.draw(st.sampled_from(self.delivered)))

    def some_line(self, data: st.DataObject, unknown: bool) -> OrderLine:
        if unknown or not self.lines:
            return OrderLine(data.draw(skus), f"O-unknown-{self.count}", "1")
        return data.draw(st.sampled_from(self.lines))

    def held_location(self, line: OrderLine) -> st.SearchStrategy[str]:
        claim = next((c for c in self.states[line.sku].claims if (c.order_id, c.line_id) == (
            line.order_id, line.line_id)), None)
        held = [pair.location for pair in (*claim.allocated, *claim.reserved)] if claim else []
        return st.sampled_from([*held, *held, *LOCATIONS])

    # -- invariants ----------------------------------------------------------------------------------------------
    @invariant()
    def published_availability_is_never_negative(self) -> None:
        for state in self.states.values():
            per_location, total = published_availability(state, POLICY)
            assert all(pair.quantity >= 0 for pair in per_location)
            assert total == sum(pair.quantity for pair in per_location)

    @invariant()
    def on_hand_moves_only_with_physical_facts(self) -> None:
        for state in self.states.values():
            for stock in state.locations:
                assert stock.on_hand == expected_on_hand(self.physical[(state.sku, stock.location)])

    @invariant()
    def claims_never_exceed_what_was_requested_and_add_up_per_location(self) -> None:
        for state in self.states.values():
            for claim in state.claims:
                entry = backorder_for(state.backorders, claim.order_id, claim.line_id)
                backordered = entry.outstanding if entry else 0
                assert claim.held + backordered + claim.shipped + claim.short_picked <= claim.requested
                assert all(pair.quantity > 0 for pair in (*claim.reserved, *claim.allocated))
            for stock in state.locations:
                assert stock.reserved == sum(quantity_at(c.reserved, stock.location) for c in state.claims)
                assert stock.allocated == sum(quantity_at(c.allocated, stock.location) for c in state.claims)
                assert min(stock.damaged, stock.quality_control, stock.hold) >= 0
            queue = [entry.fill_order for entry in state.backorders]
            assert queue == sorted(queue)
            assert all(entry.outstanding > 0 for entry in state.backorders)

    @invariant()
    def no_backorder_waits_while_stock_it_may_use_is_available(self) -> None:
        for state in self.states.values():
            available = {s.location for s in state.locations if available_to_promise(s, POLICY) > 0}
            for entry in state.backorders:
                claim = find_claim(state.claims, entry.order_id, entry.line_id)
                assert claim is not None and not claim.released
                usable = available if len(claim.held_locations) < claim.max_locations else claim.held_locations
                assert not available & usable, f"{entry} waits while {available} has stock"

    @invariant()
    def an_open_line_holds_or_waits_for_something(self) -> None:
        for state in self.states.values():
            for claim in state.claims:
                waiting = backorder_for(state.backorders, claim.order_id, claim.line_id) is not None
                assert claim.held or waiting
                assert not (claim.released and (claim.reserved or waiting))

    @invariant()
    def the_state_survives_its_changelog_record(self) -> None:
        for state in self.states.values():
            assert from_record(json.loads(json.dumps(to_record(state)))) == state

    # -- replays ---------------------------------------------------------------------------------------------
    def teardown(self) -> None:
        for sku in SKUS:
            facts = [fact for fact in self.delivered if fact.sku == sku]
            first, decisions = replay(sku, facts)
            second, _ = replay(sku, facts)
            assert first == second == self.states[sku]
            batched, batch_decisions = replay_in_batches(sku, facts, self.interleaving)
            assert batched == self.states[sku]
            assert without_availability(batch_decisions) == without_availability(decisions)
        assert replay_interleaved(self.delivered, self.interleaving) == self.states


def replay(sku: str, facts: list[InventoryFact]) -> tuple[SkuInventory, list[InventoryDecision]]:
    state, decisions = empty_inventory(sku), []
    for fact in facts:
        state, emitted = apply_fact(state, fact, POLICY)
        decisions.extend(emitted)
    return state, decisions


def replay_in_batches(sku: str, facts: list[InventoryFact], rng: random.Random
                      ) -> tuple[SkuInventory, list[InventoryDecision]]:
    state, decisions, start = empty_inventory(sku), [], 0
    while start < len(facts):
        size = rng.randint(1, 5)
        state, emitted = apply_facts(state, facts[start : start + size], POLICY)
        decisions.extend(emitted)
        start += size
    return state, decisions


def replay_interleaved(facts: list[InventoryFact], rng: random.Random) -> dict[str, SkuInventory]:
    """Shuffle the stream across SKUs while keeping each SKU's own order, as partitions interleave."""
    queues = {sku: [fact for fact in facts if fact.sku == sku] for sku in SKUS}
    states = {sku: empty_inventory(sku) for sku in SKUS}
    while any(queues.values()):
        sku = rng.choice([sku for sku, queue in queues.items() if queue])
        states[sku], _ = apply_fact(states[sku], queues[sku].pop(0), POLICY)
    return states


def without_availability(decisions: list[InventoryDecision]) -> list[InventoryDecision]:
    return [decision for decision in decisions if not isinstance(decision, AvailabilityChanged)]


InventoryMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
test_inventory_behaves_under_any_stream_of_facts = InventoryMachine.TestCase
