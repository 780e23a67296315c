"""The order saga ⇄ the inventory model (processors.inventory): the SKU owner's facts for the saga's requests,
and the saga's facts for the SKU owner's answers. For the shell's translators and for tests that run both models.
"""
from __future__ import annotations

from processors import inventory as inv
from processors.orders.decisions import AllocateLine, CancelAllocation, OrderDecision, ReleaseLine, ReserveLine
from processors.orders.facts import AnswerStatus, OrderFact, PickShort, ReservationAnswer


def inventory_fact(decision: OrderDecision, event_id: str, occurred_at: int) -> inv.InventoryFact | None:
    """The SKU owner's fact for a saga decision addressed to it (None for the other decisions)."""
    match decision:
        case ReserveLine():
            return inv.ReservationRequested(
                event_id, occurred_at, decision.sku, decision.order_id, decision.line_claim_id, decision.quantity,
                decision.ordered_at, decision.preferred_locations, decision.max_locations)
        case ReleaseLine():
            return inv.ReservationReleased(event_id, occurred_at, decision.sku, decision.order_id,
                                           decision.line_claim_id)
        case AllocateLine():
            return inv.AllocationRequested(event_id, occurred_at, decision.sku, decision.order_id,
                                           decision.line_claim_id, decision.location)
        case CancelAllocation():
            return inv.AllocationCancelled(event_id, occurred_at, decision.sku, decision.order_id,
                                           decision.line_claim_id, decision.location)
    return None


def order_fact(decision: inv.InventoryDecision, event_id: str, occurred_at: int,
               correlation_id: str = "") -> OrderFact | None:
    """The saga's fact for a SKU owner's decision about an order line (None for the other decisions)."""
    match decision:
        case inv.ReservationAnswered():
            return ReservationAnswer(
                event_id, occurred_at, decision.order_id, decision.line_id, decision.sku,
                AnswerStatus(str(decision.status)), decision.reserved, decision.allocated, decision.backordered,
                decision.released, correlation_id=correlation_id)
        case inv.BackorderFilled():
            return ReservationAnswer(
                event_id, occurred_at, decision.order_id, decision.line_id, decision.sku, AnswerStatus.FILLED,
                reserved=decision.filled, backordered=decision.still_backordered, correlation_id=correlation_id)
        case inv.LineAllocated():
            return ReservationAnswer(
                event_id, occurred_at, decision.order_id, decision.line_id, decision.sku, AnswerStatus.ALLOCATED,
                reserved=decision.still_reserved, allocated=decision.allocated, correlation_id=correlation_id)
        case inv.AllocationReleased():
            released = (inv.LocationQuantity(decision.location, decision.quantity),) if decision.quantity else ()
            return ReservationAnswer(
                event_id, occurred_at, decision.order_id, decision.line_id, decision.sku,
                AnswerStatus.ALLOCATION_RELEASED, released=released, correlation_id=correlation_id)
        case inv.ShortPickRecorded():
            return PickShort(event_id, occurred_at, decision.order_id, decision.line_id, decision.location,
                             decision.short_quantity, correlation_id=correlation_id)
    return None


def unknown_sku_answer(request: ReserveLine, event_id: str, occurred_at: int) -> ReservationAnswer:
    """What the shell answers when the SKU of a ReserveLine was never seen (inventory.is_known is false)."""
    return ReservationAnswer(event_id, occurred_at, request.order_id, request.line_claim_id, request.sku,
                             AnswerStatus.UNKNOWN_SKU, correlation_id=request.correlation_id)
