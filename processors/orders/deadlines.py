"""Deadlines: derived from the order after every fact, so the shell's timers always match the state.

Each kind has a window that opens once (ACCEPTANCE_SLA at placement, CREDIT_HOLD_TIMEOUT at a credit hold,
ALLOCATION_SLA at acceptance, SHIPMENT_SLA at the first fulfilment request) and runs while its condition holds.
A window that stops running (met, breached or moot) is closed for good, so each SLA breach is raised once.
HELD_FACT_TIMEOUT follows the earliest held fact's expiry.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from processors.values import evolve
from processors.orders.cancellation import cancel_lines
from processors.orders.decisions import DeadlineCleared, DeadlineSet, OrderDecision, OrderException
from processors.orders.decisions import OrderExceptionType as X
from processors.orders.facts import DeadlineKind, DeadlineReached
from processors.orders.holding import expire_held
from processors.orders.policy import OrderPolicy
from processors.orders.state import Deadline, Order, deadline_of
from processors.orders.status import TERMINAL, Acceptance, OrderStatus
from processors.orders.steps import Applied, Cause, Ignore, Outcome

K = DeadlineKind
SLA_BREACHES = {K.ACCEPTANCE_SLA: X.SLA_BREACH_ACCEPTANCE, K.ALLOCATION_SLA: X.SLA_BREACH_ALLOCATION,
                K.SHIPMENT_SLA: X.SLA_BREACH_SHIPMENT, K.RETURN_SLA: X.SLA_BREACH_RETURN}
_WHAT_LATE = {K.ACCEPTANCE_SLA: "the ERP has not decided on the order",
              K.ALLOCATION_SLA: "the order is not fully allocated since its acceptance",
              K.SHIPMENT_SLA: "the order is not fully shipped since its first fulfilment request",
              K.RETURN_SLA: "the order's return is not completed (credited or refused) since it was requested"}


def reach(order: Order, fact: DeadlineReached, policy: OrderPolicy, cause: Cause) -> Outcome:
    """A timer fired: act if the stored deadline of that kind is due by then, else it was moved or cleared."""
    kind = fact.deadline_kind
    if kind is K.HELD_FACT_TIMEOUT:
        return expire_held(order, fact, policy, cause)
    deadline = deadline_of(order, kind)
    if deadline is None or deadline.due_at > fact.occurred_at:
        return Ignore(f"no {kind} deadline is due by {fact.occurred_at}")
    order = evolve(order, deadlines=tuple(d for d in order.deadlines if d.kind is not kind),
                   closed_deadlines=(*order.closed_deadlines, kind))
    if kind in SLA_BREACHES:
        late_ms = fact.occurred_at - deadline.due_at
        reason = f"{_WHAT_LATE[kind]} by its deadline {deadline.due_at} (timer fired {late_ms} ms after it)"
        order = evolve(order, breached=(*order.breached, kind))
        return order, (OrderException(*cause.head, SLA_BREACHES[kind], reason),)
    order, decisions = cancel_lines(order, [line.line_id for line in order.lines if line.open], cause,
                                    "the credit hold was not released in time")
    reason = f"the credit hold since {order.credit_hold_since} was not released by {deadline.due_at}: cancelled"
    return order, (*decisions, OrderException(*cause.head, X.CREDIT_HOLD_TIMEOUT, reason))


def synced(order: Order, policy: OrderPolicy, cause: Cause, changes: Mapping[str, Any]) -> Applied:
    """The order with the deadlines its state calls for (and `changes`, in the same copy), and the
    DeadlineSet/Cleared that tell the shell."""
    closed = set(order.closed_deadlines)
    wanted: dict[DeadlineKind, int] = {}
    for kind, due_at, running in _windows(order, policy):
        if not running:
            closed.add(kind)
        elif kind not in closed:
            wanted[kind] = due_at
    if order.held:
        wanted[K.HELD_FACT_TIMEOUT] = min(held.expires_at for held in order.held)
    current = {deadline.kind: deadline.due_at for deadline in order.deadlines}
    if wanted == current and len(closed) == len(order.closed_deadlines):
        return evolve(order, **changes), ()
    decisions: list[OrderDecision] = [DeadlineCleared(*cause.head, kind) for kind in current if kind not in wanted]
    decisions.extend(DeadlineSet(*cause.head, kind, due_at) for kind, due_at in sorted(wanted.items())
                     if current.get(kind) != due_at)
    deadlines = tuple(Deadline(kind, wanted[kind]) for kind in sorted(wanted))
    newly_closed = tuple(kind for kind in sorted(closed) if kind not in order.closed_deadlines)
    order = evolve(order, deadlines=deadlines, closed_deadlines=(*order.closed_deadlines, *newly_closed), **changes)
    return order, tuple(decisions)


def may_move(before: Order, after: Order) -> bool:
    """False when nothing the deadlines depend on changed (the common case: most facts move no timer)."""
    return (before.status is not after.status or before.acceptance is not after.acceptance
            or before.held is not after.held or before.deadlines is not after.deadlines
            or bool(before.fulfilments) is not bool(after.fulfilments) or before.returns is not after.returns)


def _windows(order: Order, policy: OrderPolicy) -> list[tuple[DeadlineKind, int, bool]]:
    """(kind, due at, still running) for every window that has opened."""
    slas, status = policy.slas, order.status
    live = status is not None and status not in TERMINAL
    windows = []
    if order.placed_at is not None:
        windows.append((K.ACCEPTANCE_SLA, order.placed_at + slas.acceptance_ms,
                        live and order.acceptance is Acceptance.PENDING))
    if order.credit_hold_since is not None:
        windows.append((K.CREDIT_HOLD_TIMEOUT, order.credit_hold_since + slas.credit_hold_timeout_ms,
                        live and order.acceptance is Acceptance.CREDIT_HOLD))
    if order.accepted_at is not None:
        windows.append((K.ALLOCATION_SLA, order.accepted_at + slas.allocation_ms,
                        status in (OrderStatus.ACCEPTED, OrderStatus.ON_HOLD)))
    if order.fulfilments:
        windows.append((K.SHIPMENT_SLA, order.fulfilments[0].requested_at + slas.shipment_confirmation_ms,
                        live and status is not OrderStatus.SHIPPED))
    if order.returns:  # the first return's window (a later return of the same order shares no new one)
        windows.append((K.RETURN_SLA, order.returns[0].requested_at + slas.return_completion_ms,
                        any(case.open for case in order.returns)))
    return windows

