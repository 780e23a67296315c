"""The price a customer pays for a quantity of a SKU at a moment, and which rule gave it.

Precedence: the customer's contract price, then its customer group's price, then its price list's price. Within
one rule, one entry is in force: of those valid at the moment, the latest valid_from (a new price supersedes the
one it replaces without withdrawing it), then the newest stamp. The highest quantity break at or below the
quantity gives the unit price; when the quantity is below every break of the entry in force, the rule does not
apply and the next rule is asked (a contract price from 10 units leaves 5 units at the list price).

Time is the checkout's moment passed in, never a clock: a future-dated price becomes the answer when the moment
reaches its valid_from, with no new event. ``valid_until_ms`` says when time alone may change the answer: the end of
the chosen entry's window, or the start of a later entry of the same or a stronger rule, whichever comes first.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from processors.checkout.values import RULE_ORDER, CustomerAccount, PriceEntry, PriceRule
from processors.values import fast_init


@fast_init
@dataclass(frozen=True, slots=True)
class PriceQuote:
    sku: str
    quantity: int
    unit_price: Decimal
    currency: str
    rule: PriceRule
    price_id: str
    scope_id: str
    contract_id: str | None
    break_min_quantity: int
    valid_from_ms: int
    valid_until_ms: int | None  # None: no known change by time alone
    as_of_ms: int  # the ERP's time of the chosen entry

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


# The account field that names the customer's scope of each rule (the same names in its stored record, which the
# checkout read's Redis script looks up).
SCOPE_FIELD = {PriceRule.CUSTOMER_CONTRACT: "customer_id", PriceRule.CUSTOMER_GROUP: "customer_group",
               PriceRule.PRICE_LIST: "price_list_id"}


def scope_of(rule: PriceRule, account: CustomerAccount) -> str | None:
    """Which scope id an entry of this rule must have to apply to this customer."""
    return getattr(account, SCOPE_FIELD[rule])  # type: ignore[no-any-return]


def applicable_entries(entries: Iterable[PriceEntry], account: CustomerAccount) -> list[PriceEntry]:
    """The SKU's entries that concern this customer (any window, not withdrawn)."""
    return [entry for entry in entries
            if not entry.withdrawn and scope_of(entry.rule, account) == entry.scope_id]


def resolve_price(entries: Iterable[PriceEntry], account: CustomerAccount, quantity: int,
                  at_ms: int) -> PriceQuote | None:
    """The price this customer pays at at_ms for quantity units; None when no entry applies."""
    mine = applicable_entries(entries, account)
    for rule in RULE_ORDER:
        entry = _in_force(mine, rule, at_ms)
        price_break = None if entry is None else entry.unit_price_for(quantity)
        if entry is not None and price_break is not None:
            return PriceQuote(entry.sku, quantity, price_break.unit_price, entry.currency, rule, entry.price_id,
                              entry.scope_id, entry.contract_id, price_break.min_quantity, entry.valid_from_ms,
                              _valid_until(entry, mine, at_ms), entry.stamp.as_of_ms)
    return None


def _in_force(mine: list[PriceEntry], rule: PriceRule, at_ms: int) -> PriceEntry | None:
    """The rule's entry in force at at_ms: of those valid then, the latest valid_from, then the newest stamp."""
    valid = [entry for entry in mine if entry.rule is rule and entry.valid_at(at_ms)]
    return max(valid, key=lambda entry: (entry.valid_from_ms, entry.stamp), default=None)


def _valid_until(chosen: PriceEntry, mine: list[PriceEntry], at_ms: int) -> int | None:
    moments = [entry.valid_from_ms for entry in mine
               if entry.valid_from_ms > at_ms and entry.rule.precedence <= chosen.rule.precedence]
    if chosen.valid_to_ms is not None:
        moments.append(chosen.valid_to_ms)
    return min(moments) if moments else None
