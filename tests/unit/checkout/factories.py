"""Checkout facts for tests, with realistic names; every argument has a sensible default."""
from __future__ import annotations

from decimal import Decimal

from processors.checkout import (AccountStatus, Availability, CustomerAccount, ItemMaster, PriceBreak, PriceEntry,
                                 PriceRule, Sourcing, Stamp)

DAY_MS = 86_400_000
MARCH_1 = 1_772_323_200_000  # 2026-03-01T00:00:00Z
NOW = MARCH_1 + 10 * DAY_MS


def item(sku: str = "RETRO-CLOCK", *, active: bool = True, category: str | None = "clocks",
         sourcing: Sourcing = Sourcing.STOCKED, supplier_id: str | None = None, lead_time_days: int | None = None,
         as_of_ms: int = MARCH_1, event_id: str = "item-1") -> ItemMaster:
    return ItemMaster(sku, f"{sku} (test)", "EA", category, sourcing, supplier_id, lead_time_days, active,
                      Stamp(as_of_ms, event_id))


def price(unit_price: str = "10.00", *, sku: str = "RETRO-CLOCK", rule: PriceRule = PriceRule.PRICE_LIST,
          scope_id: str = "LIST-EUR", price_id: str | None = None, first_break: int = 1,
          breaks: tuple[tuple[int, str], ...] = (),
          valid_from_ms: int = MARCH_1 - 30 * DAY_MS, valid_to_ms: int | None = None, withdrawn: bool = False,
          currency: str = "EUR", contract_id: str | None = None, as_of_ms: int = MARCH_1,
          event_id: str | None = None) -> PriceEntry:
    price_id = price_id or f"{rule.value}:{scope_id}:{sku}:{valid_from_ms}"
    all_breaks = ((first_break, unit_price),) + breaks
    return PriceEntry(price_id, sku, rule, scope_id, currency,
                      tuple(PriceBreak(q, Decimal(p)) for q, p in sorted(all_breaks)), valid_from_ms, valid_to_ms,
                      withdrawn, contract_id, Stamp(as_of_ms, event_id or f"evt-{price_id}-{as_of_ms}"))


def contract_price(unit_price: str, customer_id: str = "ACME", **kw: object) -> PriceEntry:
    return price(unit_price, rule=PriceRule.CUSTOMER_CONTRACT, scope_id=customer_id,
                 contract_id=kw.pop("contract_id", "CTR-1"), **kw)  # type: ignore[arg-type]


def group_price(unit_price: str, group: str = "trade", **kw: object) -> PriceEntry:
    return price(unit_price, rule=PriceRule.CUSTOMER_GROUP, scope_id=group, **kw)  # type: ignore[arg-type]


def account(customer_id: str = "ACME", *, status: AccountStatus = AccountStatus.ACTIVE, credit_hold: bool = False,
            price_list_id: str = "LIST-EUR", customer_group: str | None = "trade",
            channels: frozenset[str] = frozenset({"web", "edi"}), allowed_skus: frozenset[str] | None = None,
            allowed_categories: frozenset[str] | None = None, credit_limit: str | None = None,
            credit_exposure: str | None = None, currency: str | None = "EUR", as_of_ms: int = MARCH_1,
            event_id: str = "acct-1") -> CustomerAccount:
    return CustomerAccount(customer_id, status, credit_hold, price_list_id, customer_group, channels, allowed_skus,
                           allowed_categories, currency, None if credit_limit is None else Decimal(credit_limit),
                           None if credit_exposure is None else Decimal(credit_exposure), Stamp(as_of_ms, event_id))


def stock(east: int = 10, west: int = 0, as_of_ms: int = NOW - 1000) -> Availability:
    return Availability(east + west, tuple(sorted({"EAST": east, "WEST": west}.items())), as_of_ms)
