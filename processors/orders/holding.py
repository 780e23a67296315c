"""Early facts: kept until the state they refer to arrives (retried after every applied fact), or expired.

A held fact expires `held_fact_timeout_ms` after it was held (in event time); the HELD_FACT_TIMEOUT deadline
tracks the earliest expiry. At most `max_held_facts` are kept: beyond that the oldest expires at once.
"""
from __future__ import annotations

from processors.values import evolve
from processors.orders.decisions import FactHeld, OrderDecision, OrderException, OrderExceptionType
from processors.orders.facts import DeadlineReached, OrderFact
from processors.orders.policy import OrderPolicy
from processors.orders.state import HeldFact, Order
from processors.orders.steps import Applied, Cause, Ignore, Outcome


def hold(order: Order, fact: OrderFact, reason: str, policy: OrderPolicy, cause: Cause) -> Applied:
    expires_at = cause.at + policy.slas.held_fact_timeout_ms
    held = (*order.held, HeldFact(fact, expires_at, reason))
    decisions: list[OrderDecision] = [FactHeld(*cause.head, reason, expires_at)]
    while len(held) > policy.max_held_facts:
        decisions.append(_expired(held[0], cause, f"more than {policy.max_held_facts} facts are held"))
        held = held[1:]
    return evolve(order, held=held), tuple(decisions)


def expire_held(order: Order, fact: DeadlineReached, policy: OrderPolicy, cause: Cause) -> Outcome:
    due = [held for held in order.held if held.expires_at <= fact.occurred_at]
    if not due:
        return Ignore("no held fact expires by then")
    kept = tuple(held for held in order.held if held.expires_at > fact.occurred_at)
    return evolve(order, held=kept), tuple(_expired(held, cause, "its time ran out") for held in due)


def _expired(held: HeldFact, cause: Cause, why: str) -> OrderException:
    fact = held.fact
    reason = (f"{type(fact).__name__} {fact.event_id} was held ({held.reason}) and is dropped: {why}; "
              f"check the order against the source system")
    return OrderException(*cause.head, OrderExceptionType.HELD_FACT_EXPIRED, reason, fact.event_id)
