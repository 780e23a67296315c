"""One answer for a whole cart: per line purchasable or why not, the price and its rule, available to promise and
from where, and a single verdict. Pure: everything it needs is read by the caller and passed in.

Stock never blocks a line: a stocked line beyond what is available is backordered by the order saga, so the line
says how much is available now (``stock``: IN_STOCK, PARTIAL, OUT_OF_STOCK, or UNKNOWN when the availability
snapshot has no entry) and the storefront decides what to show. Special-order and drop-ship lines come from the
supplier, with its lead time.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from processors.checkout.entitlement import Reason, account_reasons, item_reasons
from processors.checkout.pricing import PriceQuote, resolve_price
from processors.checkout.values import Availability, CustomerAccount, ItemMaster, PriceEntry, Sourcing
from processors.values import fast_init


class Verdict(str, Enum):
    ACCEPTABLE = "ACCEPTABLE"  # every line may be ordered as asked
    BLOCKED = "BLOCKED"  # at least one line, or the whole cart, may not


class StockStatus(str, Enum):
    IN_STOCK = "IN_STOCK"
    PARTIAL = "PARTIAL"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    UNKNOWN = "UNKNOWN"
    FROM_SUPPLIER = "FROM_SUPPLIER"


@fast_init
@dataclass(frozen=True, slots=True)
class CartLine:
    line_id: str
    sku: str
    quantity: int


@fast_init
@dataclass(frozen=True, slots=True)
class Cart:
    customer_id: str
    lines: tuple[CartLine, ...]
    channel: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Supply:
    """Where the units would come from: our locations' available to promise, or the supplier."""

    status: StockStatus
    sourcing: Sourcing | None
    available: int | None  # in the asked locations; None for supplier lines and unknown availability
    locations: tuple[tuple[str, int], ...]  # locations with units available, most first
    supplier_id: str | None
    lead_time_days: int | None
    as_of_ms: int | None  # the availability snapshot's as-of (stocked lines)


@fast_init
@dataclass(frozen=True, slots=True)
class LineAnswer:
    line: CartLine
    reasons: tuple[Reason, ...]  # empty: purchasable
    price: PriceQuote | None
    supply: Supply
    item_as_of_ms: int | None

    @property
    def purchasable(self) -> bool:
        return not self.reasons


@fast_init
@dataclass(frozen=True, slots=True)
class CartAnswer:
    customer_id: str
    verdict: Verdict
    cart_reasons: tuple[Reason, ...]
    lines: tuple[LineAnswer, ...]
    total: Decimal | None  # sum of the priced lines when they share one currency
    currency: str | None
    account_as_of_ms: int | None
    at_ms: int


def validate_cart(cart: Cart, account: CustomerAccount | None, items: Mapping[str, ItemMaster | None],
                  prices: Mapping[str, Sequence[PriceEntry]], availability: Mapping[str, Availability | None],
                  at_ms: int, locations: frozenset[str] | None = None) -> CartAnswer:
    """The cart's answer at at_ms; ``locations`` limits available to promise to a channel's locations."""
    cart_reasons = account_reasons(account, cart.channel)
    answers = [_line(line, account, items.get(line.sku), prices.get(line.sku, ()), availability.get(line.sku),
                     at_ms, locations) for line in cart.lines]
    total, currency = _total(answers)
    if account is not None and _over_credit_limit(account, answers, total, currency):
        cart_reasons.append(Reason.OVER_CREDIT_LIMIT)
    lines = tuple(LineAnswer(a.line, tuple(cart_reasons) + a.reasons, a.price, a.supply, a.item_as_of_ms)
                  for a in answers)
    verdict = Verdict.ACCEPTABLE if all(line.purchasable for line in lines) and lines else Verdict.BLOCKED
    return CartAnswer(cart.customer_id, verdict, tuple(cart_reasons), lines, total, currency,
                      None if account is None else account.stamp.as_of_ms, at_ms)


def _line(line: CartLine, account: CustomerAccount | None, item: ItemMaster | None, entries: Sequence[PriceEntry],
          availability: Availability | None, at_ms: int, locations: frozenset[str] | None) -> LineAnswer:
    reasons = item_reasons(item, account)
    price = None if account is None or item is None else resolve_price(entries, account, line.quantity, at_ms)
    if price is None and account is not None and item is not None:
        reasons.append(Reason.NO_PRICE)
    return LineAnswer(line, tuple(reasons), price, supply_for(item, line.quantity, availability, locations),
                      None if item is None else item.stamp.as_of_ms)


def supply_for(item: ItemMaster | None, quantity: int, availability: Availability | None,
               locations: frozenset[str] | None = None) -> Supply:
    if item is not None and item.sourcing is not Sourcing.STOCKED:
        return Supply(StockStatus.FROM_SUPPLIER, item.sourcing, None, (), item.supplier_id, item.lead_time_days,
                      None)
    sourcing = None if item is None else item.sourcing
    if availability is None:
        return Supply(StockStatus.UNKNOWN, sourcing, None, (), None, None, None)
    counted = [(loc, qty) for loc, qty in availability.locations if locations is None or loc in locations]
    available = availability.total if locations is None else sum(qty for _, qty in counted)
    holding = tuple(sorted(((loc, qty) for loc, qty in counted if qty > 0), key=lambda lq: (-lq[1], lq[0])))
    status = (StockStatus.IN_STOCK if available >= quantity else
              StockStatus.PARTIAL if available > 0 else StockStatus.OUT_OF_STOCK)
    return Supply(status, sourcing, available, holding, None, None, availability.as_of_ms)


def _total(answers: Sequence[LineAnswer]) -> tuple[Decimal | None, str | None]:
    priced = [answer.price for answer in answers if answer.price is not None]
    currencies = {price.currency for price in priced}
    if len(currencies) != 1:
        return None, None
    return sum((price.line_total for price in priced), Decimal(0)), currencies.pop()


def _over_credit_limit(account: CustomerAccount, answers: Sequence[LineAnswer], total: Decimal | None,
                       currency: str | None) -> bool:
    """Only when the ERP publishes both figures, in the cart's currency; the ERP stays the judge of credit."""
    if account.credit_limit is None or account.credit_exposure is None or total is None:
        return False
    if account.currency is not None and account.currency != currency:
        return False
    purchasable = sum((a.price.line_total for a in answers if a.price is not None and not a.reasons), Decimal(0))
    return account.credit_exposure + purchasable > account.credit_limit
