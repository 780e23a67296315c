"""OrderPlaced: the order's lines, a claim per stocked line, and duplicates told apart from conflicts."""
from __future__ import annotations

import hashlib

from processors.values import evolve
from processors.orders.decisions import OrderExceptionType
from processors.orders.facts import FulfilmentKind, OrderPlaced, PlacedLine
from processors.orders.policy import OrderPolicy, SourcingPolicy
from processors.orders.sourcing import reserve
from processors.orders.state import Order, OrderLine, StockClaim, is_placed
from processors.orders.steps import Cause, Ignore, Outcome, Refuse


def place(order: Order, fact: OrderPlaced, policy: OrderPolicy, cause: Cause) -> Outcome:
    """Take the order and ask for every stocked line; supplier lines wait for the ERP's acceptance.
    The same id with the same content is a duplicate (ignored); with other content, a conflict (refused)."""
    fingerprint = fingerprint_of(fact)
    if is_placed(order):
        if fingerprint == order.fingerprint:
            return Ignore("the same order was placed again", duplicate=True)
        return Refuse(OrderExceptionType.DUPLICATE_ORDER_CONFLICT,
                      f"order {order.order_id} was already placed with other content (customer, channel or lines "
                      f"differ); this OrderPlaced is not applied", order.order_id)
    placed_at = fact.occurred_at if fact.placed_at is None else fact.placed_at
    lines = tuple(_line(placed, policy.sourcing) for placed in fact.lines)
    order = evolve(order, correlation_id=cause.correlation_id, customer=fact.customer, channel=fact.channel,
                   placed_at=placed_at, fingerprint=fingerprint, lines=lines)
    requests = tuple(reserve(cause, claim, placed_at, policy.sourcing) for line in lines for claim in line.claims)
    return order, requests


def fingerprint_of(fact: OrderPlaced) -> str:
    """A digest of what the customer ordered (customer, channel, lines), not of ids or times."""
    lines = sorted((line.line_id, line.sku, line.quantity, str(line.fulfilment_kind), line.supplier or "")
                   for line in fact.lines)
    content = repr((fact.customer, fact.channel, lines)).encode()
    return hashlib.blake2b(content, digest_size=12).hexdigest()


def _line(placed: PlacedLine, sourcing: SourcingPolicy) -> OrderLine:
    kind, supplier = route(placed, sourcing)
    claims = (StockClaim(placed.line_id, placed.sku, placed.quantity),) if kind is FulfilmentKind.STOCKED else ()
    return OrderLine(placed.line_id, placed.sku, placed.quantity, kind, supplier, claims)


def route(placed: PlacedLine, sourcing: SourcingPolicy) -> tuple[FulfilmentKind, str | None]:
    """How a placed line is sourced: (kind, supplier). Precedence in item_sourcing.py: the policy file's
    drop_ship_skus, then the item master, then the line as placed. Supplier lines (DROP_SHIP, SPECIAL_ORDER) get no
    claim on our stock: they go on a purchase order to their supplier once the ERP accepts the order."""
    kind, supplier = placed.fulfilment_kind, placed.supplier
    item = sourcing.items.sourced_item(placed.sku)
    item_supplier = item.supplier if item is not None and item.from_supplier else None
    if kind is FulfilmentKind.STOCKED:
        if placed.sku in sourcing.drop_ship_skus:
            return FulfilmentKind.DROP_SHIP, sourcing.drop_ship_skus[placed.sku] or item_supplier or ""
        if item is not None and item.from_supplier:
            return item.kind, item.supplier
        return kind, supplier
    if supplier is None:
        override = sourcing.drop_ship_skus.get(placed.sku)
        supplier = override or item_supplier or override
    return kind, supplier
