"""The saga's requests become the inventory model's facts, and its answers become the saga's facts."""
from __future__ import annotations

from processors import inventory as inv
from processors.orders import (
    AllocateLine, AnswerStatus, CancelAllocation, OrderStatusChanged, PickShort, ReleaseLine, ReservationAnswer,
    ReserveLine, inventory_fact, order_fact, unknown_sku_answer)
from tests.unit.orders.factories import at

HEAD = ("O-1", "corr-1", "e-1")
EAST = at(("WH-EAST", 2))


def test_saga_requests_become_sku_owner_facts() -> None:
    request = ReserveLine(*HEAD, "RETRO-CLOCK", "1~r1", 2, 100, ("WH-WEST",), 2)

    assert inventory_fact(request, "c-1", 200) == inv.ReservationRequested(
        "c-1", 200, "RETRO-CLOCK", "O-1", "1~r1", 2, 100, ("WH-WEST",), 2)
    assert inventory_fact(ReleaseLine(*HEAD, "RETRO-CLOCK", "1"), "c-2", 200) == inv.ReservationReleased(
        "c-2", 200, "RETRO-CLOCK", "O-1", "1")
    assert inventory_fact(AllocateLine(*HEAD, "RETRO-CLOCK", "1", "WH-EAST"), "c-3", 200) == \
        inv.AllocationRequested("c-3", 200, "RETRO-CLOCK", "O-1", "1", "WH-EAST")
    assert inventory_fact(CancelAllocation(*HEAD, "RETRO-CLOCK", "1", "WH-EAST"), "c-4", 200) == \
        inv.AllocationCancelled("c-4", 200, "RETRO-CLOCK", "O-1", "1", "WH-EAST")
    assert inventory_fact(OrderStatusChanged(*HEAD, None, None, None, "", 0), "c-5", 200) is None  # type: ignore


def test_sku_owner_answers_become_saga_facts() -> None:
    sku = "RETRO-CLOCK"
    answered = inv.ReservationAnswered(sku, "q", "O-1", "1", inv.ReservationStatus.PARTIAL, 3, EAST, (), 1)
    filled = inv.BackorderFilled(sku, "r", "O-1", "1", EAST, 0)
    allocated = inv.LineAllocated(sku, "a", "O-1", "1", EAST, ())
    given_back = inv.AllocationReleased(sku, "x", "O-1", "1", "WH-EAST", 2)
    short = inv.ShortPickRecorded(sku, "s", "O-1", "1", "WH-EAST", 1)

    assert order_fact(answered, "f1", 1) == ReservationAnswer("f1", 1, "O-1", "1", sku, AnswerStatus.PARTIAL, EAST,
                                                             backordered=1)
    assert order_fact(filled, "f2", 1) == ReservationAnswer("f2", 1, "O-1", "1", sku, AnswerStatus.FILLED, EAST)
    assert order_fact(allocated, "f3", 1) == ReservationAnswer("f3", 1, "O-1", "1", sku, AnswerStatus.ALLOCATED,
                                                               allocated=EAST)
    assert order_fact(given_back, "f4", 1) == ReservationAnswer(
        "f4", 1, "O-1", "1", sku, AnswerStatus.ALLOCATION_RELEASED, released=EAST)
    assert order_fact(short, "f5", 1) == PickShort("f5", 1, "O-1", "1", "WH-EAST", 1)
    assert order_fact(inv.DuplicateIgnored(sku, "d"), "f6", 1) is None


def test_an_unknown_sku_answer_mirrors_the_request() -> None:
    request = ReserveLine(*HEAD, "NO-SUCH-SKU", "2", 1, 100, (), 1)

    answer = unknown_sku_answer(request, "u-1", 300)

    assert (answer.order_id, answer.line_claim_id, answer.sku, answer.status, answer.correlation_id) == (
        "O-1", "2", "NO-SUCH-SKU", AnswerStatus.UNKNOWN_SKU, "corr-1")
