"""ERP records (decoded Avro dicts) → the checkout model's values, validated; Invalid(reason) otherwise.

The as-of of every value is the envelope's occurred_at (the ERP's clock). No "too old" check here, unlike stock
facts: an item master record of a SKU created years ago is still the item master.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from processors.checkout import (AccountStatus, CustomerAccount, ItemMaster, PriceBreak, PriceEntry, PriceRule,
                                 Sourcing, Stamp)
from streams.readmodel.keys import CUSTOMER_PATTERN, SCOPE_PATTERN, is_valid_customer_id, is_valid_scope_id
from streams.translate.validation import MAX_FUTURE_MS, Invalid, check_sku

Record = Mapping[str, Any]
CURRENCY_LENGTH = 3
MAX_LEAD_TIME_DAYS = 3650


def stamp(record: Record, now_ms: int) -> Stamp:
    envelope = record["envelope"]
    event_id = str(envelope.get("event_id") or "").strip()
    if not event_id:
        raise Invalid("missing_event_id", "envelope.event_id is empty: it is the tie-break between two records "
                                          "of the same moment, every event needs one")
    occurred = int(envelope["occurred_at"])
    if occurred > now_ms + MAX_FUTURE_MS:
        raise Invalid("occurred_in_future", f"occurred_at {occurred} is more than a day after now ({now_ms}): it "
                                            f"would win over every later correction; check the ERP's clock")
    return Stamp(occurred, event_id)


def item_master(record: Record, now_ms: int) -> ItemMaster:
    sourcing = Sourcing(record["sourcing"])
    lead_time = record.get("lead_time_days")
    if lead_time is not None and not 0 <= lead_time <= MAX_LEAD_TIME_DAYS:
        raise Invalid("invalid_lead_time", f"lead_time_days {lead_time} is outside 0..{MAX_LEAD_TIME_DAYS}")
    if sourcing is not Sourcing.STOCKED and not record.get("supplier_id"):
        raise Invalid("missing_supplier", f"a {sourcing.value} item needs its supplier_id: the order saga routes "
                                          f"its lines to that supplier")
    return ItemMaster(check_sku(record["sku"]), str(record["description"]), str(record["unit_of_measure"]),
                      record.get("category"), sourcing, record.get("supplier_id"), lead_time,
                      bool(record["active"]), stamp(record, now_ms))


def price_entry(record: Record, now_ms: int) -> PriceEntry:
    breaks = tuple(sorted((_break(b) for b in record["breaks"]), key=lambda b: b.min_quantity))
    if not breaks:
        raise Invalid("no_price_breaks", "a price entry needs at least one break (min_quantity 1 for a plain price)")
    if len({b.min_quantity for b in breaks}) != len(breaks):
        raise Invalid("duplicate_price_break", "two breaks of the entry start at the same quantity")
    valid_from, valid_to = int(record["valid_from"]), record.get("valid_to")
    if valid_to is not None and valid_to <= valid_from:
        raise Invalid("empty_validity_window", f"valid_to {valid_to} is not after valid_from {valid_from}")
    rule = PriceRule(record["scope"])
    scope_id = str(record["scope_id"])
    if not is_valid_scope_id(scope_id):
        raise Invalid("invalid_scope_id", f"scope_id {scope_id!r} is not a valid {rule.value} id (it must match "
                                          f"{SCOPE_PATTERN.pattern})")
    return PriceEntry(str(record["price_id"]), check_sku(record["sku"]), rule, scope_id,
                      _currency(record["currency"]), breaks, valid_from, valid_to, record["status"] == "WITHDRAWN",
                      record.get("contract_id"), stamp(record, now_ms))


def customer_account(record: Record, now_ms: int) -> CustomerAccount:
    customer_id = record["customer_id"]
    if not is_valid_customer_id(customer_id):
        raise Invalid("invalid_customer_id", f"customer_id {customer_id!r} does not match "
                                             f"{CUSTOMER_PATTERN.pattern}")
    currency = record.get("currency")

    def names(key: str) -> frozenset[str] | None:
        value = record.get(key)
        return None if value is None else frozenset(str(v) for v in value)

    return CustomerAccount(customer_id, AccountStatus(record["account_status"]), bool(record["credit_hold"]),
                           str(record["price_list_id"]), record.get("customer_group"),
                           frozenset(str(c) for c in record["channels"]), names("allowed_skus"),
                           names("allowed_categories"), None if currency is None else _currency(currency),
                           _money(record.get("credit_limit"), "credit_limit"),
                           _money(record.get("credit_exposure"), "credit_exposure"), stamp(record, now_ms))


def _break(record: Record) -> PriceBreak:
    quantity = record["min_quantity"]
    if not isinstance(quantity, int) or quantity < 1:
        raise Invalid("invalid_price_break", f"min_quantity {quantity!r} must be a whole number ≥ 1")
    price = _money(record["unit_price"], "unit_price")
    assert price is not None
    return PriceBreak(quantity, price)


def _money(value: object, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Invalid("invalid_amount", f"{field} {value!r} is not a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise Invalid("invalid_amount", f"{field} {value!r} must be a finite amount ≥ 0")
    return amount


def _currency(value: object) -> str:
    if not isinstance(value, str) or len(value) != CURRENCY_LENGTH or not value.isalpha() or not value.isupper():
        raise Invalid("invalid_currency", f"currency {value!r} is not an ISO 4217 code such as EUR")
    return value
