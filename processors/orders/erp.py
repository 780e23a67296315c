"""The ERP's financial verdict: its own small state machine, kept apart from fulfilment progress."""
from __future__ import annotations

from processors.values import evolve
from processors.orders.cancellation import release_claims
from processors.orders.decisions import OrderException, OrderExceptionType
from processors.orders.facts import ErpDecision, ErpVerdict
from processors.orders.policy import OrderPolicy
from processors.orders.state import Order
from processors.orders.status import ACCEPTANCE_TRANSITIONS, Acceptance
from processors.orders.steps import Cause, Ignore, Outcome, illegal

_TARGET = {
    ErpVerdict.ACCEPTED: Acceptance.ACCEPTED,
    ErpVerdict.CREDIT_RELEASED: Acceptance.ACCEPTED,
    ErpVerdict.CREDIT_HOLD: Acceptance.CREDIT_HOLD,
    ErpVerdict.REJECTED: Acceptance.REJECTED,
}


def decide(order: Order, fact: ErpDecision, policy: OrderPolicy, cause: Cause) -> Outcome:
    """PENDING → ACCEPTED | CREDIT_HOLD | REJECTED; CREDIT_HOLD → ACCEPTED (credit released) | REJECTED.
    A verdict the order already reflects is a duplicate; any other move is an illegal transition."""
    current, target = order.acceptance, _TARGET[fact.verdict]
    if fact.verdict is ErpVerdict.CREDIT_RELEASED and current is Acceptance.PENDING:
        return illegal(f"the ERP said {fact.verdict}, but the order is not on credit hold (acceptance {current})")
    if target is current:
        return Ignore(f"the ERP said {fact.verdict} again", duplicate=True)
    if target not in ACCEPTANCE_TRANSITIONS[current]:
        return illegal(f"the ERP said {fact.verdict}, but the order's acceptance is already {current}")
    if target is Acceptance.ACCEPTED:
        return evolve(order, acceptance=target, accepted_at=fact.occurred_at), ()
    if target is Acceptance.CREDIT_HOLD:
        return evolve(order, acceptance=target, credit_hold_since=fact.occurred_at), ()
    order, releases = release_claims(evolve(order, acceptance=target), cause)
    reason = f"the ERP rejected the order: {fact.reason or 'no reason given'}; its reservations are released"
    return order, (*releases, OrderException(*cause.head, OrderExceptionType.ERP_REJECTED, reason))
