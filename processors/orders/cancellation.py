"""Cancelling and compensating: release exactly what was reserved, ask warehouses about what they were sent.

Before a unit is in a fulfilment request it is cancelled at once (its claim released); after, cancelling is a
request the warehouse may refuse (DOMAIN §1.3, §8.3): the units stay open until it answers.
"""
from __future__ import annotations

from collections.abc import Collection

from processors.values import evolve
from processors.orders.decisions import (
    ErpCommand, ErpCommandKind, ErpLine, ErpPriority, FulfilmentCancelRequested, FulfilmentItem, OrderDecision,
    OrderException, OrderExceptionType, ReleaseLine)
from processors.orders.facts import CancellationRequested, FulfilmentCancelAnswered, OrderFact, ShipmentConfirmed
from processors.orders.policy import OrderPolicy
from processors.orders.state import CancelState, Fulfilment, Order, OrderLine, line_index, with_fulfilment
from processors.orders.status import Acceptance, OrderStatus
from processors.orders.steps import Applied, Cause, Hold, Ignore, Outcome, illegal


def request_cancellation(order: Order, fact: CancellationRequested, policy: OrderPolicy, cause: Cause) -> Outcome:
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        return Ignore(f"the order is already {order.status}")
    named = fact.line_ids or tuple(line.line_id for line in order.lines)
    unknown = [line_id for line_id in named if line_index(order, line_id) is None]
    if unknown:
        return illegal(f"the cancellation names line(s) {', '.join(unknown)}, which the order does not have")
    targets = {line.line_id for line in order.lines if line.line_id in named and line.open}
    if not targets:
        return Ignore("those lines are already cancelled")
    pending = _pending_cancellation(order, targets)
    changed, decisions = cancel_lines(order, targets, cause, fact.reason or "the customer cancelled")
    if decisions or pending or _units_cancelled(changed) > _units_cancelled(order):
        return changed, decisions
    reason = f"line(s) {', '.join(sorted(targets))} have shipped: nothing is left to cancel"
    return changed, (OrderException(*cause.head, OrderExceptionType.LATE_CANCELLATION, reason),)


def cancel_lines(order: Order, line_ids: Collection[str], cause: Cause, reason: str) -> Applied:
    """Cancel what no warehouse holds yet, release the lines' claims, and ask the warehouses about the rest."""
    in_fulfilment = _open_in_fulfilments(order)
    lines, decisions, erp_lines = [], [], []
    for line in order.lines:
        if line.line_id in line_ids:
            line, releases = _released(line, cause)
            decisions.extend(releases)
            now = line.open - line.shipped - in_fulfilment.get(line.line_id, 0)
            if now > 0:
                line = evolve(line, cancelled=line.cancelled + now)
                erp_lines.append(ErpLine(line.line_id, line.sku, now, line.kind))
            line = evolve(line, cancel_requested=True)
        lines.append(line)
    order = evolve(order, lines=tuple(lines))
    order, requests = _ask_warehouses(order, line_ids, cause)
    return order, (*decisions, *requests, *erp_cancel(order, erp_lines, cause, reason))


def release_claims(order: Order, cause: Cause) -> Applied:
    """Compensation without cancelling lines (the ERP rejected): release every claim that may hold units."""
    lines, decisions = [], []
    for line in order.lines:
        line, releases = _released(line, cause)
        lines.append(line)
        decisions.extend(releases)
    return evolve(order, lines=tuple(lines)), tuple(decisions)


def answer_cancellation(order: Order, fact: FulfilmentCancelAnswered, policy: OrderPolicy, cause: Cause) -> Outcome:
    index = next((i for i, f in enumerate(order.fulfilments) if f.fulfilment_id == fact.fulfilment_id), None)
    if index is None:
        return illegal(f"a cancellation answer for fulfilment {fact.fulfilment_id}, which this order never sent",
                       fact.fulfilment_id)
    fulfilment = order.fulfilments[index]
    if not any(item.cancel is CancelState.REQUESTED for item in fulfilment.lines):
        return Ignore(f"no cancellation of {fact.fulfilment_id} is waiting for an answer", duplicate=True)
    if any(_ships_from(held.fact, fulfilment) for held in order.held):
        return Hold(f"a shipment from {fulfilment.fulfilment_id} confirmed before this answer is still held")
    if not fact.accepted:
        items = tuple(evolve(item, cancel=CancelState.NONE) if item.cancel is CancelState.REQUESTED else item
                      for item in fulfilment.lines)
        order = with_fulfilment(order, index, evolve(fulfilment, lines=items))
        reason = (f"{fulfilment.location} refused to cancel {fulfilment.fulfilment_id}: "
                  f"{fact.reason or 'already shipped'}; the order goes on")
        return order, (OrderException(*cause.head, OrderExceptionType.LATE_CANCELLATION, reason,
                                      fulfilment.fulfilment_id),)
    cancelled: dict[str, int] = {}
    items = []
    for item in fulfilment.lines:
        if item.cancel is CancelState.REQUESTED:
            cancelled[item.line_id] = cancelled.get(item.line_id, 0) + item.open
            item = evolve(item, cancel=CancelState.CANCELLED)
        items.append(item)
    order = with_fulfilment(order, index, evolve(fulfilment, lines=tuple(items)))
    lines, erp_lines = [], []
    for line in order.lines:
        if cancelled.get(line.line_id):
            line = evolve(line, cancelled=line.cancelled + cancelled[line.line_id])
            erp_lines.append(ErpLine(line.line_id, line.sku, cancelled[line.line_id], line.kind))
        lines.append(line)
    order = evolve(order, lines=tuple(lines))
    return order, erp_cancel(order, erp_lines, cause, f"{fulfilment.location} cancelled {fulfilment.fulfilment_id}")


def erp_cancel(order: Order, erp_lines: list[ErpLine], cause: Cause, reason: str) -> tuple[ErpCommand, ...]:
    """CANCEL_ORDER for units just cancelled, once the ERP has heard of the order."""
    if not erp_lines or not (order.acceptance_requested or order.acceptance is not Acceptance.PENDING):
        return ()
    return (ErpCommand(*cause.head, f"{order.order_id}/cancel/{cause.event_id}", ErpCommandKind.CANCEL_ORDER,
                       ErpPriority.NORMAL, tuple(erp_lines), order.customer, reason=reason),)


def _released(line: OrderLine, cause: Cause) -> tuple[OrderLine, tuple[ReleaseLine, ...]]:
    claims, releases = [], []
    for claim in line.claims:
        if claim.needs_release:
            releases.append(ReleaseLine(*cause.head, claim.sku, claim.claim_id))
            claim = evolve(claim, released=True)
        claims.append(claim)
    return (evolve(line, claims=tuple(claims)) if releases else line), tuple(releases)


def _open_in_fulfilments(order: Order) -> dict[str, int]:
    """Units per line a warehouse may still ship (asked to cancel or not)."""
    units: dict[str, int] = {}
    for fulfilment in order.fulfilments:
        for item in fulfilment.lines:
            if item.open:
                units[item.line_id] = units.get(item.line_id, 0) + item.open
    return units


def _ships_from(fact: OrderFact, fulfilment: Fulfilment) -> bool:
    """The warehouse answered after shipping: its answer counts only what that shipment left open."""
    if not isinstance(fact, ShipmentConfirmed):
        return False
    if fact.fulfilment_id is not None:
        return fact.fulfilment_id == fulfilment.fulfilment_id
    claims = {item.claim_id for item in fulfilment.lines}
    return fact.location == fulfilment.location and any(line.line_claim_id in claims for line in fact.lines)


def _units_cancelled(order: Order) -> int:
    return sum(line.cancelled for line in order.lines)


def _pending_cancellation(order: Order, line_ids: Collection[str]) -> bool:
    return any(item.cancel_pending and item.line_id in line_ids
               for fulfilment in order.fulfilments for item in fulfilment.lines)


def _ask_warehouses(order: Order, line_ids: Collection[str], cause: Cause) -> Applied:
    fulfilments: list[Fulfilment] = []
    requests: list[OrderDecision] = []
    for fulfilment in order.fulfilments:
        asked = [item for item in fulfilment.lines
                 if item.line_id in line_ids and item.cancel is CancelState.NONE and item.open]
        if asked:
            requests.append(FulfilmentCancelRequested(
                *cause.head, fulfilment.fulfilment_id, fulfilment.location,
                tuple(FulfilmentItem(item.line_id, item.claim_id, item.sku, item.open) for item in asked)))
            asked_ids = {id(item) for item in asked}
            fulfilment = evolve(fulfilment, lines=tuple(
                evolve(item, cancel=CancelState.REQUESTED) if id(item) in asked_ids else item
                for item in fulfilment.lines))
        fulfilments.append(fulfilment)
    return (evolve(order, fulfilments=tuple(fulfilments)) if requests else order), tuple(requests)
