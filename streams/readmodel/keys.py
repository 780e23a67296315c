"""The Redis layout of the checkout read model, shared by the writer (worker) and the reader (API).

* ``{prefix}checkout:item:{sku}`` — the item master record (JSON string).
* ``{prefix}checkout:customer:{customer_id}`` — the customer account record (JSON string).
* ``{prefix}checkout:prices:{sku}`` — a hash; field ``{rule}:{scope_id}`` (e.g. ``PRICE_LIST:LIST-EUR``) holds that
  scope's entries of the SKU: ``{"<price_id>": [as_of_ms, "event_id", "<entry JSON>"], ...}``. A checkout asks one
  HMGET per SKU for the three scopes of its customer: one read, whatever the number of contracts on the SKU.

SKUs and customer ids become part of a key only through these methods, which refuse anything outside a strict
pattern (path traversal, whitespace and CR/LF never reach Redis).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from processors.checkout import CustomerAccount, PriceRule
from processors.checkout.pricing import scope_of
from streams.snapshot.keys import checked_sku

CUSTOMER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


class InvalidCustomerId(ValueError):
    """A customer id outside CUSTOMER_PATTERN."""


def is_valid_customer_id(customer_id: object) -> bool:
    return isinstance(customer_id, str) and CUSTOMER_PATTERN.fullmatch(customer_id) is not None


def checked_customer_id(customer_id: object) -> str:
    if not is_valid_customer_id(customer_id):
        raise InvalidCustomerId(f"customer id {customer_id!r} does not match {CUSTOMER_PATTERN.pattern}")
    return customer_id  # type: ignore[return-value]


def price_field(rule: PriceRule, scope_id: str) -> str:
    return f"{rule.value}:{scope_id}"


def price_fields_for(account: CustomerAccount) -> list[str]:
    """The hash fields that may hold this customer's prices, strongest rule first."""
    fields = []
    for rule in PriceRule:
        scope = scope_of(rule, account)
        if scope is not None:
            fields.append(price_field(rule, scope))
    return fields


@dataclass(frozen=True, slots=True)
class ReadModelKeys:
    prefix: str

    def item(self, sku: str) -> str:
        return f"{self.prefix}checkout:item:{checked_sku(sku)}"

    def customer(self, customer_id: str) -> str:
        return f"{self.prefix}checkout:customer:{checked_customer_id(customer_id)}"

    def prices(self, sku: str) -> str:
        return f"{self.prefix}checkout:prices:{checked_sku(sku)}"
