"""The stored-record lane (plain movements, reservations that are met) against the reference model (apply_facts):
the same state, byte for byte in the record, the same decisions (the reservations' answers and the availability
change), and nothing else the model would decide."""
from __future__ import annotations

import json

from hypothesis import event, given, settings
from hypothesis import strategies as st

from processors.inventory import (
    AvailabilityChanged, CycleCounted, InventoryAdjusted, InventoryFact, InventoryPolicy, OnHandSnapshot,
    ReceiptConfirmed, ReservationAnswered, ReservationReleased, ReservationRequested, ReservationStatus,
    SkuInventory, StatusMoved, StockStatus, apply_facts, apply_on_stored_record, availability_of_record,
    empty_inventory, from_record, is_stocked_record, to_record)
from processors.inventory.availability import availability_changed
from tests.unit.processors.factories import START, FactBook

SKU = "RETRO-CLOCK"
LOCATIONS = ("EAST", "STORE-1", "WEST")
STOCKING = ("receipt", "receipt", "receipt", "receipt", "adjustment", "new_line")  # histories: stock, some lines
LANE_RUN = ("receipt", "adjustment", "new_line", "new_line", "new_line")
POLICY = InventoryPolicy(default_safety_stock=2, safety_stock_by_location={"STORE-1": 0})


@st.composite
def policies(draw: st.DrawFn) -> InventoryPolicy:
    return InventoryPolicy(
        default_safety_stock=draw(st.integers(0, 3)),
        safety_stock_by_location={"STORE-1": draw(st.integers(0, 2))},
        dedupe_window_size=draw(st.sampled_from((256, 256, 256, 40, 16, 1))),  # chunks of 32, 5, 2 or 1 ids
        dedupe_window_ms=draw(st.sampled_from((48 * 3_600_000, 48 * 3_600_000, 48 * 3_600_000, 20_000, 0))),
        max_recent_movements=draw(st.sampled_from((64, 3, 1, 0))))


@st.composite
def facts(draw: st.DrawFn, plain_only: bool = False, most: int = 12, prefix: str = "h") -> list[InventoryFact]:
    """Facts of one SKU with fresh event ids and now and then a repeated one, and event times that mostly go
    forward, sometimes late."""
    out: list[InventoryFact] = []
    clock = START + (draw(st.sampled_from((100_000, 20_000, 4_000))) if prefix == "r" else 0)
    kinds = (STOCKING if prefix == "h" else LANE_RUN) if plain_only else (
        "receipt", "adjustment", "receipt_po", "count", "snapshot", "status", "order", "release", "foreign",
        "new_line")
    for number in range(draw(st.integers(1, most))):
        clock += draw(st.sampled_from((1_000, 1_000, 1_000, 3_000, 0, -2_000, -6_000, 9_000)))
        event_id = f"{prefix}{number}" if draw(st.integers(0, 29)) else f"h{draw(st.integers(0, 11))}"
        location = draw(st.sampled_from(LOCATIONS))
        quantity = draw(st.integers(1, 30))
        kind = draw(st.sampled_from(kinds))
        stamp = (event_id, clock, SKU)
        if kind == "receipt":
            out.append(ReceiptConfirmed(*stamp, location, quantity))
        elif kind == "adjustment":
            delta = draw(st.sampled_from((-25, -3, -1, 0, 2, 10)))
            out.append(InventoryAdjusted(*stamp, location, delta, "correction"))
        elif kind == "receipt_po":
            out.append(ReceiptConfirmed(*stamp, location, quantity, "PO-1/1"))
        elif kind == "count":
            out.append(CycleCounted(*stamp, location, quantity))
        elif kind == "snapshot":
            out.append(OnHandSnapshot(*stamp, location, quantity, clock - draw(st.sampled_from((0, 2_000)))))
        elif kind == "status":
            out.append(StatusMoved(*stamp, location, quantity, StockStatus.AVAILABLE, StockStatus.DAMAGED))
        elif kind == "order":
            out.append(ReservationRequested(*stamp, f"O{quantity % 3}", "1", quantity % 7 + 1, clock))
        elif kind == "new_line":  # mostly a line never seen, asking for what is likely there
            preferred = tuple(draw(st.lists(st.sampled_from(LOCATIONS), max_size=3)))
            out.append(ReservationRequested(*stamp, f"N{draw(st.integers(0, 40))}", draw(st.sampled_from("12")),
                                            draw(st.integers(1, 12)), clock, preferred, draw(st.integers(1, 3))))
        elif kind == "release":
            out.append(ReservationReleased(*stamp, f"O{quantity % 3}", "1"))
        else:
            out.append(ReceiptConfirmed(event_id, clock, "OTHER-SKU", location, quantity))
    return out


def stored(state: SkuInventory) -> dict | None:  # type: ignore[type-arg]
    return to_record(state) if state.version else None  # a SKU never changed has no record yet


def reference(history: list[InventoryFact], run: list[InventoryFact], policy: InventoryPolicy
              ) -> tuple[SkuInventory, SkuInventory, tuple]:  # type: ignore[type-arg]
    before, _ = apply_facts(empty_inventory(SKU), [f for f in history if f.sku == SKU], policy)
    try:
        after, decisions = apply_facts(before, run, policy)
    except ValueError:  # a fact of another SKU: the model refuses the run
        return before, before, ("refused",)
    return before, after, decisions


@settings(max_examples=600, deadline=None)
@given(history=st.one_of(facts(plain_only=True), facts(plain_only=True), facts()),
       run=st.one_of(*[facts(plain_only=True, most=4, prefix="r")] * 3, facts(most=4, prefix="r")), policy=policies())
def test_the_lane_agrees_with_the_model_or_declines(history: list[InventoryFact], run: list[InventoryFact],
                                                     policy: InventoryPolicy) -> None:
    agrees_or_declines(history, run, policy)


@settings(max_examples=400, deadline=None)
@given(history=facts(plain_only=True, most=20), run=facts(plain_only=True, most=4, prefix="r"),
       policy=st.sampled_from((POLICY, InventoryPolicy(), InventoryPolicy(default_safety_stock=5))))
def test_reservations_met_from_stock_take_the_lane_as_the_model_would(
        history: list[InventoryFact], run: list[InventoryFact], policy: InventoryPolicy) -> None:
    """Stocked SKUs and dedupe windows that rarely seal: most runs with a new line take the lane."""
    agrees_or_declines(history, run, policy)


def agrees_or_declines(history: list[InventoryFact], run: list[InventoryFact], policy: InventoryPolicy) -> None:
    before, after, decisions = reference(history, run, policy)
    record = stored(before)
    original = None if record is None else to_record(from_record(record))
    lane = apply_on_stored_record(record, SKU, run, policy)
    assert record == original  # the stored record is never changed, whatever the outcome
    reserving = any(isinstance(fact, ReservationRequested) for fact in run)
    event("declined" if lane is None else "taken with a reservation" if reserving else "taken")
    if lane is None:
        return
    moved, changed, answers = lane
    assert decisions != ("refused",)
    # the layout to_record writes, key order included, so the changelog bytes are the model's
    assert json.dumps(moved) == json.dumps(to_record(after))
    assert from_record(moved) == after
    # nothing else was the model's to decide: the answers, then at most the net availability change
    assert answers == tuple(d for d in decisions if not isinstance(d, AvailabilityChanged))
    assert changed == isinstance(decisions[-1:] and decisions[-1], AvailabilityChanged)
    if changed:
        assert availability_of_record(moved, policy, run[-1].event_id) == decisions[-1]


@settings(max_examples=300, deadline=None)
@given(history=facts(plain_only=True), policy=policies())
def test_the_availability_of_a_record_is_the_models(history: list[InventoryFact], policy: InventoryPolicy) -> None:
    state, _ = apply_facts(empty_inventory(SKU), history, policy)
    assert availability_of_record(to_record(state), policy, "x") == availability_changed(state, policy, "x")
    assert is_stocked_record(to_record(state)) == bool(state.locations)


def test_plain_movements_on_a_claim_free_sku_take_the_lane() -> None:
    book = FactBook(SKU)
    state, _ = apply_facts(empty_inventory(SKU), [book.receipt("EAST", 10)], POLICY)
    run = [book.receipt("EAST", 5), book.adjustment("WEST", 3), book.adjustment("EAST", -2)]
    lane = apply_on_stored_record(to_record(state), SKU, run, POLICY)
    assert lane is not None
    moved, changed, answers = lane
    assert changed and not answers and moved == to_record(apply_facts(state, run, POLICY)[0])
    assert [(s["location"], s.get("on_hand")) for s in moved["locations"]] == [("EAST", 13), ("WEST", 3)]


def test_movements_leave_open_claims_as_they_are() -> None:
    book = FactBook(SKU)
    state, _ = apply_facts(empty_inventory(SKU), [book.receipt("EAST", 10), book.order("O1", 4)], POLICY)
    run = [book.adjustment("EAST", -5), book.receipt("EAST", 2)]
    lane = apply_on_stored_record(to_record(state), SKU, run, POLICY)
    assert lane is not None
    after, decisions = apply_facts(state, run, POLICY)
    assert lane == (to_record(after), True, ()) and after.claims == state.claims
    assert availability_of_record(lane[0], POLICY, run[-1].event_id) == decisions[-1]
    shortfall = book.adjustment("EAST", -4)  # 7 on hand, 4 reserved: 3 sellable, then -1 (claims exceed stock)
    assert apply_on_stored_record(lane[0], SKU, [shortfall], POLICY) is None


def test_no_facts_leave_nothing_to_store() -> None:
    assert apply_on_stored_record(None, SKU, [], POLICY) is None  # a SKU never seen gets no empty record


def test_a_new_sku_takes_the_lane() -> None:
    book = FactBook(SKU)
    lane = apply_on_stored_record(None, SKU, [book.receipt("EAST", 1)], POLICY)
    assert lane is not None and lane[1] is False  # 1 unit below a safety stock of 2: published 0 as before
    assert from_record(lane[0]).locations[0].on_hand == 1


def test_what_the_model_must_decide_is_declined() -> None:
    book = FactBook(SKU)
    stocked, _ = apply_facts(empty_inventory(SKU), [book.receipt("EAST", 10)], POLICY)
    backordered, _ = apply_facts(stocked, [book.order("O1", 20)], POLICY)
    count = book.count("EAST", 10)
    counted, _ = apply_facts(stocked, [count], POLICY)
    seen = book.receipt("EAST", 1)
    with_seen, _ = apply_facts(stocked, [seen], POLICY)
    declined = {
        "a receipt against a PO line": (stocked, book.receipt("EAST", 1, "PO-1/1")),
        "backorders waiting (a receipt fills them)": (backordered, book.receipt("EAST", 1)),
        "a movement at the count's base": (counted, book.adjustment("EAST", 1, at=count.occurred_at)),
        "a movement older than the last kept": (stocked, book.adjustment("EAST", 1, at=START)),
        "a duplicate event id": (with_seen, seen),
        "a shortfall starting": (stocked, book.adjustment("EAST", -11)),
        "another kind of fact": (stocked, book.count("EAST", 3)),
    }
    for reason, (state, fact) in declined.items():
        assert apply_on_stored_record(to_record(state), SKU, [fact], POLICY) is None, reason


def test_a_sealing_dedupe_chunk_is_left_to_the_model() -> None:
    policy = InventoryPolicy(dedupe_window_size=16)  # chunks of 2 keys
    book = FactBook(SKU)
    state, _ = apply_facts(empty_inventory(SKU), [book.receipt("EAST", 10)], policy)
    assert apply_on_stored_record(to_record(state), SKU, [book.receipt("EAST", 1)], policy) is None


def test_a_new_line_met_from_stock_takes_the_lane_with_the_models_answer() -> None:
    book = FactBook(SKU)
    state, _ = apply_facts(empty_inventory(SKU), [book.receipt("EAST", 10), book.receipt("WEST", 4)], POLICY)
    run = [book.order("O1", 9, preferred=("WEST",), max_locations=2)]
    lane = apply_on_stored_record(to_record(state), SKU, run, POLICY)
    assert lane is not None
    after, decisions = apply_facts(state, run, POLICY)
    assert lane.record == to_record(after) and lane.published_changed
    answer = lane.answers[0]
    assert answer == decisions[0] and answer.status is ReservationStatus.RESERVED
    assert [tuple(pair) for pair in answer.reserved] == [("EAST", 7), ("WEST", 2)]  # WEST first: 2 above safety


def test_what_the_model_must_decide_about_a_reservation_is_declined() -> None:
    book = FactBook(SKU)
    stocked, _ = apply_facts(empty_inventory(SKU), [book.receipt("EAST", 10)], POLICY)
    two_places, _ = apply_facts(stocked, [book.receipt("WEST", 4)], POLICY)  # 8 and 2 available
    reserved, _ = apply_facts(stocked, [book.order("O1", 2)], POLICY)
    released, _ = apply_facts(stocked, [book.release("O9")], POLICY)  # an unknown line released: closed
    unsafe = InventoryPolicy(default_safety_stock=-2)  # ATP above sellable: reserving all of it goes short
    declined = {
        "a SKU with no location (unknown)": (empty_inventory(SKU), book.order("O1", 1), POLICY),
        "a line already known (its standing answer)": (reserved, book.order("O1", 2), POLICY),
        "a closed line": (released, book.order("O9", 1), POLICY),
        "more than is available (a backorder)": (stocked, book.order("O2", 9), POLICY),
        "more locations than allowed": (two_places, book.order("O2", 9, max_locations=1), POLICY),
        "a location going short": (stocked, book.order("O3", 12), unsafe),
    }
    for reason, (state, fact, policy) in declined.items():
        record = to_record(state) if state.version else None
        assert apply_on_stored_record(record, SKU, [fact], policy) is None, reason
        assert apply_facts(state, [fact], policy)[1], reason  # the model decides something about each
