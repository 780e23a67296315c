"""The order owner's one entry point: apply a fact to an Order, get the new value and the decisions.

Per fact: skip a duplicate event id (DuplicateIgnored, same state object); a fact that changes nothing (a
business-key duplicate, a stale timer...) is only remembered (DuplicateIgnored or FactIgnored); hold a fact that
refers to state not known yet (FactHeld); otherwise run its handler, then the saga's reactions (reactions.py),
derive the status and check the transition against the table (an illegal one: nothing applied, an
illegal_transition exception); stamp (version + 1, as_of, remember the event id); retry the held facts; bring the
deadlines in line with the state.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from processors.values import evolve
from processors.orders import answers, cancellation, deadlines, erp, placement, returns, shipping, tracking
from processors.orders.decisions import DuplicateIgnored, FactIgnored, OrderDecision, OrderException, OrderStatusChanged
from processors.orders.facts import (
    CancellationRequested, DeadlineReached, ErpDecision, FulfilmentCancelAnswered, OrderFact, OrderPlaced, PickShort,
    CreditMemoIssued, ReservationAnswer, ReturnGoodsReceived, ReturnRecorded, ReturnRequested, RmaDecided,
    ShipmentConfirmed, TrackingMilestone, describe)
from processors.orders.holding import hold
from processors.orders.policy import OrderPolicy
from processors.orders.reactions import react
from processors.orders.state import Order, TimelineEntry, is_placed
from processors.orders.status import STATUS_TRANSITIONS, derive_status
from processors.orders.steps import Cause, Decisions, Hold, Ignore, Outcome, Refuse, illegal
from processors.orders.timeline import recorded

Handler = Callable[[Order, Any, OrderPolicy, Cause], Outcome]

HANDLERS: dict[type[OrderFact], Handler] = {
    OrderPlaced: placement.place,
    ReservationAnswer: answers.answer,
    ErpDecision: erp.decide,
    CancellationRequested: cancellation.request_cancellation,
    FulfilmentCancelAnswered: cancellation.answer_cancellation,
    PickShort: shipping.pick_short,
    ShipmentConfirmed: shipping.confirm_shipment,
    TrackingMilestone: tracking.track,
    DeadlineReached: deadlines.reach,
    ReturnRecorded: shipping.record_return,
    ReturnRequested: returns.request_return,
    RmaDecided: returns.decide_rma,
    ReturnGoodsReceived: returns.receive_return,
    CreditMemoIssued: returns.credit_return,
}


def apply(order: Order, fact: OrderFact, policy: OrderPolicy) -> tuple[Order, Decisions]:
    if fact.order_id != order.order_id:
        raise ValueError(f"fact {fact.event_id} is for order {fact.order_id!r}, not {order.order_id!r}")
    cause = _cause(order, fact)
    if fact.event_id in order.seen_events:
        return order, (DuplicateIgnored(*cause.head),)
    stamp = _stamp(order, fact, policy, cause)
    outcome = _attempt(order, fact, policy, cause)
    if isinstance(outcome, Ignore):
        return evolve(order, **stamp), (_ignored(outcome, cause),)
    if isinstance(outcome, Hold):
        changed, decisions = hold(order, fact, outcome.reason, policy, cause)
    elif isinstance(outcome, Refuse):
        changed, decisions = order, (_exception(outcome, cause),)
    else:
        changed, decisions = outcome
        if changed.held:
            changed, released = _release_held(evolve(changed, **stamp), policy)
            decisions = (*decisions, *released)
    if not deadlines.may_move(order, changed):
        return evolve(changed, **stamp), decisions
    changed, timers = deadlines.synced(changed, policy, cause, stamp)
    return changed, (*decisions, *timers)


def apply_all(order: Order, facts: Iterable[OrderFact], policy: OrderPolicy) -> tuple[Order, Decisions]:
    """Apply one order's facts in order; every decision, in order."""
    decisions: list[OrderDecision] = []
    for fact in facts:
        order, emitted = apply(order, fact, policy)
        decisions.extend(emitted)
    return order, tuple(decisions)


def _attempt(order: Order, fact: OrderFact, policy: OrderPolicy, cause: Cause) -> Outcome:
    if not is_placed(order) and not isinstance(fact, (OrderPlaced, DeadlineReached)):
        return Hold("the order has not been placed yet")
    handler = HANDLERS.get(type(fact))
    if handler is None:
        raise TypeError(f"no order handler for {type(fact).__name__}")
    outcome = handler(order, fact, policy, cause)
    if not isinstance(outcome, tuple):
        return outcome
    changed, decisions = outcome
    changed, reactions = react(changed, policy, cause)
    return _transition(order, changed, (*decisions, *reactions), fact, policy, cause)


def _transition(before: Order, after: Order, decisions: Decisions, fact: OrderFact, policy: OrderPolicy,
                cause: Cause) -> Outcome:
    """Derive the status; refuse the whole step if the table does not allow the move; record both axes."""
    status = derive_status(after)
    if status is before.status and after.acceptance is before.acceptance:
        return after, decisions
    why = describe(fact)
    entries = []
    if after.acceptance is not before.acceptance:
        entries.append(TimelineEntry(cause.at, cause.event_id, cause.correlation_id, "acceptance",
                                     str(before.acceptance), str(after.acceptance), why))
    if status is not before.status:
        if status is None or status not in STATUS_TRANSITIONS[before.status]:
            return illegal(f"{why} would move the order from {before.status} to {status}, which the transition "
                           f"table does not allow: not applied")
        entries.append(TimelineEntry(cause.at, cause.event_id, cause.correlation_id, "status",
                                     str(before.status or ""), str(status), why))
        decisions = (*decisions, OrderStatusChanged(*cause.head, before.status, status, after.acceptance, why,
                                                    cause.at))
    return recorded(after, tuple(entries), policy.timeline_limit, status=status), decisions


def _release_held(order: Order, policy: OrderPolicy) -> tuple[Order, Decisions]:
    """Apply every held fact that fits now, in arrival order, until none does."""
    decisions: list[OrderDecision] = []
    progress = True
    while progress and order.held:
        progress = False
        for held in order.held:
            base = evolve(order, held=tuple(other for other in order.held if other is not held))
            cause = _cause(base, held.fact)
            outcome = _attempt(base, held.fact, policy, cause)
            if isinstance(outcome, Hold):
                continue
            if isinstance(outcome, Ignore):
                order = base
                decisions.append(_ignored(outcome, cause))
            elif isinstance(outcome, Refuse):
                order = base
                decisions.append(_exception(outcome, cause))
            else:
                order, emitted = outcome
                decisions.extend(emitted)
            progress = True
            break
    return order, tuple(decisions)


def _cause(order: Order, fact: OrderFact) -> Cause:
    at = fact.occurred_at if order.as_of is None else max(order.as_of, fact.occurred_at)
    return Cause(order.order_id, order.correlation_id or fact.correlation_id or fact.event_id, fact.event_id, at)


def _stamp(order: Order, fact: OrderFact, policy: OrderPolicy, cause: Cause) -> dict[str, Any]:
    """The bookkeeping every new event id changes: version + 1, the latest event time, the remembered ids."""
    seen = order.seen_events.remember(
        fact.event_id, fact.occurred_at, cause.at, policy.dedupe_window_size, policy.dedupe_window_ms)
    return {"version": order.version + 1, "as_of": cause.at, "seen_events": seen}


def _ignored(outcome: Ignore, cause: Cause) -> OrderDecision:
    return DuplicateIgnored(*cause.head) if outcome.duplicate else FactIgnored(*cause.head, outcome.reason)


def _exception(refusal: Refuse, cause: Cause) -> OrderException:
    return OrderException(*cause.head, refusal.exception_type, refusal.reason, refusal.subject)
