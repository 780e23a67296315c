"""Units leaving: shipments (partial, per line and location), short picks (re-sourced), and returns.

A shipment is applied only against allocations the order knows of; one that refers to an allocation not answered
yet is held until it is (DESIGN: "a shipment seen before its allocation is held, never applied twice").
"""
from __future__ import annotations

from processors.inventory.quantities import quantity_at, with_added
from processors.values import evolve
from processors.orders.decisions import ReserveLine
from processors.orders.facts import PickShort, ReturnRecorded, ShipmentConfirmed
from processors.orders.policy import OrderPolicy
from processors.orders.sourcing import next_claim_id, reserve
from processors.orders.state import (
    CancelState, FulfilmentLine, Order, OrderLine, Shipment, ShipmentLine, StockClaim, claim_position, line_index,
    shipment_of, with_claim, with_fulfilment, with_line)
from processors.orders.steps import Cause, Hold, Ignore, Outcome, Refuse, illegal


def confirm_shipment(order: Order, fact: ShipmentConfirmed, policy: OrderPolicy, cause: Cause) -> Outcome:
    if shipment_of(order, fact.shipment_id) is not None:
        return Ignore(f"shipment {fact.shipment_id} is already known", duplicate=True)
    units: dict[str, int] = {}
    for shipped in fact.lines:
        units[shipped.line_claim_id] = units.get(shipped.line_claim_id, 0) + shipped.quantity
    problem = next((p for ref, quantity in units.items() if (p := _check(order, fact, ref, quantity))), None)
    if problem is not None:
        return problem
    shipment_lines = []
    for ref, quantity in units.items():
        order, line_id = _ship(order, fact, ref, quantity)
        shipment_lines.append(ShipmentLine(line_id, ref, quantity))
    shipment = Shipment(fact.shipment_id, fact.location, fact.occurred_at, tuple(shipment_lines), fact.carrier,
                        fact.tracking_number)
    return evolve(order, shipments=(*order.shipments, shipment)), ()


def _check(order: Order, fact: ShipmentConfirmed, ref: str, quantity: int) -> Hold | Refuse | None:
    position = claim_position(order, ref)
    if position is None:
        index = line_index(order, ref)
        if index is None or order.lines[index].stocked:
            return Hold(f"shipment {fact.shipment_id} names {ref}, which is not known on this order yet")
        line = order.lines[index]
        if line.supplier_ordered - line.shipped < quantity:
            return Hold(f"shipment {fact.shipment_id} ships {quantity} of line {ref} before its purchase order")
        return None
    claim = order.lines[position[0]].claims[position[1]]
    if quantity_at(claim.allocated, fact.location) < quantity:
        return Hold(f"shipment {fact.shipment_id} ships {quantity} of claim {ref} at {fact.location} before that "
                    f"allocation is known")
    open_units = sum(item.open for item in _items(order, fact.location, ref, fact.fulfilment_id))
    if open_units < quantity:
        return illegal(f"shipment {fact.shipment_id} ships {quantity} of claim {ref} at {fact.location}, but only "
                       f"{open_units} are open in its fulfilment requests (the rest were cancelled)", ref)
    return None


def _ship(order: Order, fact: ShipmentConfirmed, ref: str, quantity: int) -> tuple[Order, str]:
    position = claim_position(order, ref)
    if position is None:
        index = line_index(order, ref)
        assert index is not None
        line = order.lines[index]
        return with_line(order, index, evolve(line, shipped=line.shipped + quantity)), line.line_id
    line_at, claim_at = position
    line = order.lines[line_at]
    claim = line.claims[claim_at]
    claim = evolve(claim, allocated=with_added(claim.allocated, fact.location, -quantity),
                   shipped=claim.shipped + quantity)
    line = evolve(with_claim(line, claim_at, claim), shipped=line.shipped + quantity)
    order = with_line(order, line_at, line)
    return _consume_items(order, fact.location, ref, quantity, "shipped", fact.fulfilment_id)[0], line.line_id


def pick_short(order: Order, fact: PickShort, policy: OrderPolicy, cause: Cause) -> Outcome:
    """The claim loses the short units there (allocated first, then reserved, as the SKU owner counts them); the
    line asks for them again under a new claim id, unless the customer is cancelling it."""
    position = claim_position(order, fact.line_claim_id)
    if position is None:
        return Hold(f"no claim {fact.line_claim_id} on this order yet")
    line_at, claim_at = position
    line = order.lines[line_at]
    claim = line.claims[claim_at]
    location, short = fact.location, fact.short_quantity
    from_allocated = min(short, quantity_at(claim.allocated, location))
    if from_allocated < short and quantity_at(claim.allocating, location):
        return Hold(f"short pick of claim {claim.claim_id} at {location} before its allocation is known")
    from_reserved = min(short - from_allocated, quantity_at(claim.reserved, location))
    lost = from_allocated + from_reserved
    if not lost:
        return Ignore(f"claim {claim.claim_id} held nothing at {location} to short-pick")
    claim = evolve(claim, allocated=with_added(claim.allocated, location, -from_allocated),
                   reserved=with_added(claim.reserved, location, -from_reserved), short=claim.short + lost)
    line = with_claim(line, claim_at, claim)
    requested = _items(order, location, claim.claim_id, fact.fulfilment_id, cancelled_too=True)
    # Requests whose cancellation was accepted first: the short reaches the order through the SKU owner, so it may
    # predate a cancellation answer already applied, whose units were counted as cancelled already. Taking it from
    # a live request instead would cancel units the warehouse still holds and may ship (their allocation given back).
    order, already = _consume_items(order, location, claim.claim_id, lost, "short", fact.fulfilment_id,
                                    cancelled=True)
    order, counted = _consume_items(order, location, claim.claim_id, lost - already, "short", fact.fulfilment_id)
    missing = counted if requested else lost  # units of a cancelled request were counted as cancelled already
    line, decisions = _resource(line, claim, missing, location, order, policy, cause)
    return with_line(order, line_at, line), decisions


def _resource(line: OrderLine, claim: StockClaim, lost: int, location: str, order: Order, policy: OrderPolicy,
              cause: Cause) -> tuple[OrderLine, tuple[ReserveLine, ...]]:
    if not lost:
        return line, ()
    if line.cancel_requested:
        return evolve(line, cancelled=line.cancelled + lost), ()
    again = StockClaim(next_claim_id(line), claim.sku, lost)
    avoid = location if policy.sourcing.exclude_short_location_on_resource else None
    assert order.placed_at is not None
    request = reserve(cause, again, order.placed_at, policy.sourcing, avoid)
    return evolve(line, claims=(*line.claims, again)), (request,)


def record_return(order: Order, fact: ReturnRecorded, policy: OrderPolicy, cause: Cause) -> Outcome:
    units: dict[str, int] = {}
    for returned in fact.lines:
        units[returned.line_id] = units.get(returned.line_id, 0) + returned.quantity
    for line_id, quantity in units.items():
        index = line_index(order, line_id)
        if index is None:
            return illegal(f"a return of line {line_id}, which the order does not have", line_id)
        line = order.lines[index]
        if line.returned + quantity > line.shipped:
            return Hold(f"a return of {quantity} of line {line_id} before the shipment of those units is known")
    for line_id, quantity in units.items():
        index = line_index(order, line_id)
        assert index is not None
        order = with_line(order, index, evolve(order.lines[index], returned=order.lines[index].returned + quantity))
    return order, ()


def _items(order: Order, location: str, claim_id: str, fulfilment_id: str | None,
           cancelled_too: bool = False) -> list[FulfilmentLine]:
    return [item for fulfilment in order.fulfilments
            if fulfilment.location == location and fulfilment_id in (None, fulfilment.fulfilment_id)
            for item in fulfilment.lines
            if item.claim_id == claim_id and (cancelled_too or item.cancel is not CancelState.CANCELLED)]


def _consume_items(order: Order, location: str, claim_id: str, quantity: int, counter: str,
                   fulfilment_id: str | None, cancelled: bool = False) -> tuple[Order, int]:
    """Count shipped or short units on the claim's open fulfilment lines there, oldest first; how many fitted.
    `cancelled`: on its lines whose cancellation was accepted instead, up to the units that were cancelled."""
    wanted = quantity
    for index, fulfilment in enumerate(order.fulfilments):
        if not quantity:
            break
        if fulfilment.location != location or fulfilment_id not in (None, fulfilment.fulfilment_id):
            continue
        items = list(fulfilment.lines)
        for at, item in enumerate(items):
            room = _uncounted(item) if cancelled else item.open
            if item.claim_id == claim_id and room and quantity:
                taken = min(quantity, room)
                items[at] = evolve(item, **{counter: getattr(item, counter) + taken})
                quantity -= taken
        if items != list(fulfilment.lines):
            order = with_fulfilment(order, index, evolve(fulfilment, lines=tuple(items)))
    return order, wanted - quantity


def _uncounted(item: FulfilmentLine) -> int:
    """Units of an accepted cancellation not yet known as shipped or short."""
    return item.quantity - item.shipped - item.short if item.cancel is CancelState.CANCELLED else 0
