"""The saga's forward decisions, taken from the state after every applied fact (so a late answer, a fill or a
re-sourced claim is handled the same way as the first one):

* ask the ERP to accept once every stocked line is answered (reserved or backordered) and none is on hold;
* once accepted and not on hold: allocate what is reserved and ask the warehouses for it (one fulfilment request
  per location), and put the supplier lines on purchase orders;
* for lines being cancelled: give back allocations no warehouse may still ship.

"Covered" units of a claim at a location are those still open in its live fulfilment requests. The SKU owner
allocates everything the claim has reserved at a location, which can be more than the saga asked for (a backorder
filled while the request was on its way): allocated units that no request covers are requested like reserved ones,
or given back if the line is being cancelled.
"""
from __future__ import annotations

from processors.inventory.quantities import LocationQuantity, merged, quantity_at
from processors.orders.decisions import (
    AllocateLine, CancelAllocation, ErpCommand, ErpCommandKind, ErpLine, ErpPriority, FulfilmentItem,
    FulfilmentRequested, OrderDecision)
from processors.orders.policy import OrderPolicy
from processors.orders.state import Fulfilment, FulfilmentLine, Order, OrderLine, StockClaim
from processors.orders.status import Acceptance
from processors.orders.steps import Applied, Cause
from processors.values import evolve

Covered = dict[tuple[str, str], int]  # (claim id, location) → units open in live fulfilment requests


def react(order: Order, policy: OrderPolicy, cause: Cause) -> Applied:
    order, asked = _request_acceptance(order, cause)
    requests: tuple[OrderDecision, ...] = ()
    purchases: tuple[OrderDecision, ...] = ()
    covered = _covered(order) if order.fulfilments else {}
    if (order.acceptance is Acceptance.ACCEPTED and _anything_to_order(order, covered)
            and not any(line.open and line.on_hold for line in order.lines)):
        order, requests = _request_fulfilment(order, covered, cause)
        order, purchases = _order_from_suppliers(order, policy, cause)
    order, given_back = _give_back_allocations(order, covered, cause)
    return order, (*asked, *requests, *purchases, *given_back)


def _covered(order: Order) -> Covered:
    covered: Covered = {}
    for fulfilment in order.fulfilments:
        for item in fulfilment.lines:
            if item.open:
                key = (item.claim_id, fulfilment.location)
                covered[key] = covered.get(key, 0) + item.open
    return covered


def _to_request(claim: StockClaim, covered: Covered) -> list[tuple[str, int, int]]:
    """(location, units to allocate now, units to put in a fulfilment request) for one claim."""
    wanted = []
    for location in sorted({pair.location for pair in (*claim.reserved, *claim.allocated)}):
        asked = quantity_at(claim.allocating, location)
        ready = quantity_at(claim.reserved, location) - asked
        uncovered = quantity_at(claim.allocated, location) + asked - covered.get((claim.claim_id, location), 0)
        if ready > 0 or uncovered > 0:
            wanted.append((location, max(ready, 0), max(ready, 0) + max(uncovered, 0)))
    return wanted


def _fulfillable(line: OrderLine) -> bool:
    return bool(line.open) and not line.cancel_requested


def _anything_to_order(order: Order, covered: Covered) -> bool:
    """A quick look: units to allocate or to request, or supplier units not on a purchase order yet."""
    for line in order.lines:
        if not _fulfillable(line):
            continue
        if not line.stocked and line.supplier_ordered < line.open:
            return True
        for claim in line.claims:
            if (claim.reserved or claim.allocated) and not claim.released and _to_request(claim, covered):
                return True
    return False


def _request_acceptance(order: Order, cause: Cause) -> Applied:
    if order.acceptance_requested or order.acceptance is not Acceptance.PENDING or order.placed_at is None:
        return order, ()
    lines = [line for line in order.lines if line.open]
    if not lines or any(line.awaiting_answer or line.on_hold for line in lines):
        return order, ()
    erp_lines = tuple(ErpLine(line.line_id, line.sku, line.open, line.kind) for line in lines)
    command = ErpCommand(*cause.head, f"{order.order_id}/accept", ErpCommandKind.ACCEPT_ORDER,
                         ErpPriority.CHECKOUT_CRITICAL, erp_lines, order.customer)
    return evolve(order, acceptance_requested=True), (command,)


def _request_fulfilment(order: Order, covered: Covered, cause: Cause) -> Applied:
    """AllocateLine for reserved units not being allocated yet; those and allocated units no request covers go
    to the warehouses, one fulfilment request per location (in location order)."""
    by_location: dict[str, list[FulfilmentItem]] = {}
    decisions: list[OrderDecision] = []
    lines: list[OrderLine] = []
    for line in order.lines:
        if _fulfillable(line) and line.stocked:
            line = _allocating(line, covered, cause, by_location, decisions)
        lines.append(line)
    if not by_location:
        return order, ()
    fulfilments = list(order.fulfilments)
    for location in sorted(by_location):
        fulfilment_id = f"{order.order_id}/F{len(fulfilments) + 1}"
        items = tuple(by_location[location])
        fulfilments.append(Fulfilment(fulfilment_id, location, cause.at, tuple(
            FulfilmentLine(item.line_id, item.line_claim_id, item.sku, item.quantity) for item in items)))
        decisions.append(FulfilmentRequested(*cause.head, fulfilment_id, location, items))
    return evolve(order, lines=tuple(lines), fulfilments=tuple(fulfilments)), tuple(decisions)


def _allocating(line: OrderLine, covered: Covered, cause: Cause, by_location: dict[str, list[FulfilmentItem]],
                decisions: list[OrderDecision]) -> OrderLine:
    claims, changed = [], False
    for claim in line.claims:
        if not claim.released and not claim.unknown_sku and (claim.reserved or claim.allocated):
            ready = []
            for location, allocate, request in _to_request(claim, covered):
                if allocate:
                    decisions.append(AllocateLine(*cause.head, claim.sku, claim.claim_id, location))
                    ready.append(LocationQuantity(location, allocate))
                by_location.setdefault(location, []).append(
                    FulfilmentItem(line.line_id, claim.claim_id, claim.sku, request))
                changed = True
            if ready:
                claim = evolve(claim, allocating=merged(claim.allocating, tuple(ready)))
        claims.append(claim)
    return evolve(line, claims=tuple(claims)) if changed else line


def _order_from_suppliers(order: Order, policy: OrderPolicy, cause: Cause) -> Applied:
    """One CREATE_PURCHASE_ORDER per supplier for the supplier lines' units not on a purchase order yet."""
    by_supplier: dict[str, list[ErpLine]] = {}
    lines = []
    for line in order.lines:
        missing = line.open - line.supplier_ordered
        if not line.stocked and not line.cancel_requested and missing > 0:
            by_supplier.setdefault(line.supplier or "", []).append(ErpLine(line.line_id, line.sku, missing, line.kind))
            line = evolve(line, supplier_ordered=line.open)
        lines.append(line)
    if not by_supplier:
        return order, ()
    commands = tuple(
        ErpCommand(*cause.head, f"{order.order_id}/po/{supplier or '-'}/{cause.event_id}",
                   ErpCommandKind.CREATE_PURCHASE_ORDER, ErpPriority.NORMAL, tuple(erp_lines), order.customer,
                   supplier or None, cause.at + _lead_time_ms(erp_lines, supplier or None, policy))
        for supplier, erp_lines in sorted(by_supplier.items()))
    return evolve(order, lines=tuple(lines)), commands


def _lead_time_ms(lines: list[ErpLine], supplier: str | None, policy: OrderPolicy) -> int:
    """A purchase order is expected when its slowest line is (the item master's lead time per SKU, else the
    policy's for the supplier)."""
    return max(policy.sourcing.line_lead_time_ms(line.sku, supplier) for line in lines)


def _give_back_allocations(order: Order, covered: Covered, cause: Cause) -> Applied:
    """CancelAllocation for a cancelled line's claim at a location once no request there may still ship any of it
    and no allocation answer is outstanding: the SKU owner gives back the claim's whole allocation at a location,
    so it must not be asked while some of it may still ship. Sent once per claim and location."""
    decisions: list[OrderDecision] = []
    lines = []
    for line in order.lines:
        if line.cancel_requested and any(claim.allocated for claim in line.claims):
            claims = []
            for claim in line.claims:
                for location, _ in claim.allocated:
                    if (location not in claim.allocation_cancels and not quantity_at(claim.allocating, location)
                            and not covered.get((claim.claim_id, location))):
                        decisions.append(CancelAllocation(*cause.head, claim.sku, claim.claim_id, location))
                        claim = evolve(claim, allocation_cancels=(*claim.allocation_cancels, location))
                claims.append(claim)
            line = evolve(line, claims=tuple(claims))
        lines.append(line)
    if not decisions:
        return order, ()
    return evolve(order, lines=tuple(lines)), tuple(decisions)
