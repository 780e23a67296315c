"""Checkout routes: the price a customer pays for a SKU, and a whole cart validated in one round trip.

Answered only from Redis: the checkout read model (item master, prices, customer accounts) and the availability
snapshot, read concurrently. Unknown customers and SKUs are answers, not errors: a cart gets a BLOCKED verdict with
the reason on each line; /v1/prices of an unknown SKU or customer is a 404 that says which one.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from processors.checkout import (EXPLANATIONS, Availability, Cart, CartAnswer, CartLine, LineAnswer, PriceQuote,
                                 Reason, resolve_price, validate_cart)
from streams.api.queries import BadRequest, _shown, json_body
from streams.api.responses import error_response, json_response, rfc3339
from streams.readmodel.keys import CUSTOMER_PATTERN, is_valid_customer_id
from streams.readmodel.reader import CheckoutReader
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.reader import AvailabilityReader
from topics.identifiers import SKU_PATTERN, is_valid_sku

PRICES_READ = "prices:read"
CHECKOUT_VALIDATE = "checkout:validate"
MAX_QUANTITY = 1_000_000
MAX_CART_LINES = 200
CART_FIELDS = frozenset({"customer", "channel", "lines"})
LINE_FIELDS = frozenset({"line_id", "sku", "quantity"})


@dataclass(frozen=True)
class CheckoutContext:
    checkout: CheckoutReader
    availability: AvailabilityReader
    channels: Mapping[str, frozenset[str]]
    clock_ms: Callable[[], int]


CHECKOUT = web.AppKey("checkout_context", CheckoutContext)


# -- GET /v1/prices/{sku}?customer=…&qty=… ------------------------------------------------------------------------------
async def price_for_customer(request: web.Request) -> web.Response:
    context = request.app[CHECKOUT]
    sku = _sku(request.match_info["sku"], "sku")
    customer_id = _customer(request.query.get("customer"))
    quantity = _quantity(request.query.get("qty", "1"), "qty")
    account, view = await context.checkout.cart_view(customer_id, [sku])
    if account is None:
        return error_response(404, "unknown_customer", f"the ERP has published no account for customer "
                                                       f"{customer_id!r}", customer=customer_id, sku=sku)
    item = view.items.get(sku)
    if item is None:
        return error_response(404, "unknown_sku", f"the item master has no SKU {sku!r}", customer=customer_id,
                              sku=sku)
    now_ms = context.clock_ms()
    quote = resolve_price(view.prices.get(sku, []), account, quantity, now_ms)
    reasons = [] if quote is not None else [Reason.NO_PRICE]
    if not item.active:
        reasons.insert(0, Reason.INACTIVE_SKU)
    return json_response(200, {
        "sku": sku, "customer": customer_id, "quantity": quantity, "priced": quote is not None,
        "price": None if quote is None else price_answer(quote), "reasons": reason_list(reasons),
        "at": rfc3339(now_ms), "at_ms": now_ms,
        "as_of": {"item_ms": item.stamp.as_of_ms, "account_ms": account.stamp.as_of_ms,
                  "price_ms": None if quote is None else quote.as_of_ms}})


# -- POST /v1/checkout/validate ---------------------------------------------------------------------------------------
async def validate_checkout(request: web.Request) -> web.Response:
    context = request.app[CHECKOUT]
    cart = parse_cart(await json_body(request), context.channels)
    skus = [line.sku for line in cart.lines]
    read = await context.checkout.cart_with_stock(cart.customer_id, skus, context.availability)
    now_ms = context.clock_ms()
    locations = context.channels.get(cart.channel) if cart.channel is not None else None
    answer = validate_cart(cart, read.account, read.catalog.items, read.catalog.prices,
                           {sku: _availability(entry) for sku, entry in read.stock.items()}, now_ms, locations)
    return json_response(200, cart_answer(answer, cart.channel))


def parse_cart(body: object, channels: Mapping[str, frozenset[str]]) -> Cart:
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", 'the body must be a JSON object: {"customer": "C-1", "lines": [...]}')
    unknown = sorted(set(body) - CART_FIELDS)
    if unknown:
        raise BadRequest("unknown_field", f"unknown field(s) {unknown}; allowed: {sorted(CART_FIELDS)}")
    customer_id = _customer(body.get("customer"))
    channel = body.get("channel")
    if channel is not None and not (isinstance(channel, str) and channel and len(channel) <= 64):
        raise BadRequest("invalid_channel", f"channel {_shown(channel)} must be a short string, e.g. 'web'")
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines:
        raise BadRequest("invalid_body", f'"lines" must be a list of 1 to {MAX_CART_LINES} lines')
    if len(lines) > MAX_CART_LINES:
        raise BadRequest("too_many_lines", f"{len(lines)} lines, at most {MAX_CART_LINES} per cart")
    parsed = tuple(_line(index, line) for index, line in enumerate(lines))
    if len({line.line_id for line in parsed}) != len(parsed):
        raise BadRequest("duplicate_line_id", "every line needs its own line_id")
    return Cart(customer_id, parsed, channel)


def _line(index: int, line: object) -> CartLine:
    if not isinstance(line, dict):
        raise BadRequest("invalid_body", f'lines[{index}] must be an object: {{"sku": "SKU-1", "quantity": 2}}')
    unknown = sorted(set(line) - LINE_FIELDS)
    if unknown:
        raise BadRequest("unknown_field", f"lines[{index}]: unknown field(s) {unknown}; allowed: "
                                          f"{sorted(LINE_FIELDS)}")
    line_id = line.get("line_id", str(index + 1))
    if not isinstance(line_id, str) or not line_id or len(line_id) > 64:
        raise BadRequest("invalid_line_id", f"lines[{index}].line_id must be a string of 1-64 characters")
    quantity = line.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise BadRequest("invalid_quantity", f"lines[{index}].quantity must be a whole number from 1 to "
                                             f"{MAX_QUANTITY}")
    return CartLine(line_id, _sku(line.get("sku"), f"lines[{index}].sku"), quantity)


# -- answers ----------------------------------------------------------------------------------------------------------
def money(amount: Decimal) -> str:
    return f"{amount:f}"


def reason_list(reasons: list[Reason] | tuple[Reason, ...]) -> list[dict[str, str]]:
    return [{"code": reason.value, "detail": EXPLANATIONS[reason]} for reason in reasons]


def price_answer(quote: PriceQuote) -> dict[str, Any]:
    return {"unit_price": money(quote.unit_price), "currency": quote.currency,
            "line_total": money(quote.line_total), "rule": quote.rule.value, "price_id": quote.price_id,
            "scope_id": quote.scope_id, "contract_id": quote.contract_id,
            "break_min_quantity": quote.break_min_quantity, "valid_from_ms": quote.valid_from_ms,
            "valid_until": None if quote.valid_until_ms is None else rfc3339(quote.valid_until_ms),
            "valid_until_ms": quote.valid_until_ms, "as_of_ms": quote.as_of_ms}


def line_answer(line: LineAnswer) -> dict[str, Any]:
    supply = line.supply
    return {
        "line_id": line.line.line_id, "sku": line.line.sku, "quantity": line.line.quantity,
        "purchasable": line.purchasable, "reasons": reason_list(line.reasons),
        "price": None if line.price is None else price_answer(line.price),
        "availability": {
            "status": supply.status.value, "sourcing": None if supply.sourcing is None else supply.sourcing.value,
            "available": supply.available, "from_locations": [{"location": loc, "available": qty}
                                                              for loc, qty in supply.locations],
            "supplier_id": supply.supplier_id, "lead_time_days": supply.lead_time_days},
        "as_of": {"item_ms": line.item_as_of_ms, "price_ms": None if line.price is None else line.price.as_of_ms,
                  "availability_ms": supply.as_of_ms},
    }


def cart_answer(answer: CartAnswer, channel: str | None) -> dict[str, Any]:
    return {"customer": answer.customer_id, "channel": channel, "verdict": answer.verdict.value,
            "cart_reasons": reason_list(answer.cart_reasons), "lines": [line_answer(l) for l in answer.lines],
            "total": None if answer.total is None else money(answer.total), "currency": answer.currency,
            "at": rfc3339(answer.at_ms), "at_ms": answer.at_ms, "as_of": {"account_ms": answer.account_as_of_ms}}


def _availability(entry: AvailabilityEntry | None) -> Availability | None:
    if entry is None:
        return None
    return Availability(entry.total_available, tuple(sorted(entry.locations.items())), entry.as_of_ms)


# -- request parts ----------------------------------------------------------------------------------------------------
def _sku(sku: object, where: str) -> str:
    if not is_valid_sku(sku):
        raise BadRequest("invalid_sku", f"{where} {_shown(sku)} must match {SKU_PATTERN.pattern} "
                                        "(1-64 characters; no empty, '.' or '..' segments)")
    return sku  # type: ignore[return-value]


def _customer(customer_id: object) -> str:
    if customer_id is None:
        raise BadRequest("missing_customer", "name the customer: prices and entitlements are per customer")
    if not is_valid_customer_id(customer_id):
        raise BadRequest("invalid_customer", f"customer {_shown(customer_id)} must match {CUSTOMER_PATTERN.pattern}")
    return customer_id  # type: ignore[return-value]


def _quantity(raw: str, where: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7) or not 1 <= int(raw) <= MAX_QUANTITY:
        raise BadRequest("invalid_quantity", f"{where} must be a whole number from 1 to {MAX_QUANTITY}")
    return int(raw)

