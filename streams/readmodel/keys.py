"""The Redis layout of the checkout read model, shared by the writer (worker) and the reader (API).

* ``{prefix}checkout:item:{sku}`` — the item master record (JSON string).
* ``{prefix}checkout:customer:{customer_id}`` — the customer account record (JSON string).
* ``{prefix}checkout:prices:{rule}:{scope_id}`` (e.g. ``…prices:PRICE_LIST:LIST-EUR``) — a hash per price scope;
  field ``{sku}`` holds that scope's entries of the SKU: ``{"<price_id>": [as_of_ms, "event_id", "<entry JSON>"],
  ...}``. A cart asks one HMGET of all its SKUs per scope of its customer (at most three): the cost of a cart's prices
  grows with its lines, not with its number of Redis commands or the contracts on a SKU.

SKUs, customer ids and scope ids become part of a key only through these methods, which refuse anything outside a
strict pattern (path traversal, whitespace and CR/LF never reach Redis).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from processors.checkout import CustomerAccount, PriceRule
from processors.checkout.pricing import SCOPE_FIELD, scope_of
from streams.snapshot.keys import checked_sku

CUSTOMER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
SCOPE_PATTERN = CUSTOMER_PATTERN  # price list and customer group ids: the same shape as customer ids


class InvalidCustomerId(ValueError):
    """A customer id outside CUSTOMER_PATTERN."""


def is_valid_customer_id(customer_id: object) -> bool:
    return isinstance(customer_id, str) and CUSTOMER_PATTERN.fullmatch(customer_id) is not None


def checked_customer_id(customer_id: object) -> str:
    if not is_valid_customer_id(customer_id):
        raise InvalidCustomerId(f"customer id {customer_id!r} does not match {CUSTOMER_PATTERN.pattern}")
    return customer_id  # type: ignore[return-value]


class InvalidScopeId(ValueError):
    """A price list, customer group or contract customer id outside SCOPE_PATTERN."""


def is_valid_scope_id(scope_id: object) -> bool:
    return isinstance(scope_id, str) and SCOPE_PATTERN.fullmatch(scope_id) is not None


ACCOUNT_SCOPE_FIELD = SCOPE_FIELD  # the stored account record's field naming each rule's scope (cart script)


def price_scopes_for(account: CustomerAccount) -> list[tuple[PriceRule, str]]:
    """The price scopes that may hold this customer's prices, strongest rule first (an id no price can carry is
    skipped: the translator dead-letters price entries with such a scope id)."""
    scopes = []
    for rule in PriceRule:
        scope = scope_of(rule, account)
        if scope is not None and is_valid_scope_id(scope):
            scopes.append((rule, scope))
    return scopes


@dataclass(frozen=True, slots=True)
class ReadModelKeys:
    prefix: str

    @property
    def item_prefix(self) -> str:
        return f"{self.prefix}checkout:item:"

    def item(self, sku: str) -> str:
        return f"{self.item_prefix}{checked_sku(sku)}"

    def customer(self, customer_id: str) -> str:
        return f"{self.prefix}checkout:customer:{checked_customer_id(customer_id)}"

    @property
    def prices_prefix(self) -> str:
        return f"{self.prefix}checkout:prices:"

    def prices(self, rule: PriceRule, scope_id: str) -> str:
        if not is_valid_scope_id(scope_id):
            raise InvalidScopeId(f"scope id {scope_id!r} does not match {SCOPE_PATTERN.pattern}")
        return f"{self.prefix}checkout:prices:{rule.value}:{scope_id}"
