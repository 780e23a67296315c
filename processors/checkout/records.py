"""The read model's values as plain JSON-ready dicts (what the worker stores, what the API reads) and back.

Money stays a decimal string; times are epoch milliseconds. ``as_of_ms`` and ``event_id`` are top-level fields of
every record so the store can compare stamps without knowing the rest.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from processors.checkout.values import (AccountStatus, CustomerAccount, ItemMaster, PriceBreak, PriceEntry, PriceRule,
                                        Sourcing, Stamp)

Record = dict[str, Any]


def _stamp(record: Record) -> Stamp:
    return Stamp(int(record["as_of_ms"]), str(record["event_id"]))


def _names(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def item_to_record(item: ItemMaster) -> Record:
    return {"sku": item.sku, "description": item.description, "unit_of_measure": item.unit_of_measure,
            "category": item.category, "sourcing": item.sourcing.value, "supplier_id": item.supplier_id,
            "lead_time_days": item.lead_time_days, "active": item.active,
            "as_of_ms": item.stamp.as_of_ms, "event_id": item.stamp.event_id}


def item_from_record(record: Record) -> ItemMaster:
    return ItemMaster(str(record["sku"]), str(record["description"]), str(record["unit_of_measure"]),
                      record.get("category"), Sourcing(record["sourcing"]), record.get("supplier_id"),
                      record.get("lead_time_days"), bool(record["active"]), _stamp(record))


def price_to_record(entry: PriceEntry) -> Record:
    return {"price_id": entry.price_id, "sku": entry.sku, "rule": entry.rule.value, "scope_id": entry.scope_id,
            "currency": entry.currency,
            "breaks": [{"min_quantity": b.min_quantity, "unit_price": str(b.unit_price)} for b in entry.breaks],
            "valid_from_ms": entry.valid_from_ms, "valid_to_ms": entry.valid_to_ms, "withdrawn": entry.withdrawn,
            "contract_id": entry.contract_id, "as_of_ms": entry.stamp.as_of_ms, "event_id": entry.stamp.event_id}


def price_from_record(record: Record) -> PriceEntry:
    breaks = tuple(sorted((PriceBreak(int(b["min_quantity"]), Decimal(str(b["unit_price"])))
                           for b in record["breaks"]), key=lambda b: b.min_quantity))
    valid_to = record.get("valid_to_ms")
    return PriceEntry(str(record["price_id"]), str(record["sku"]), PriceRule(record["rule"]), str(record["scope_id"]),
                      str(record["currency"]), breaks, int(record["valid_from_ms"]),
                      None if valid_to is None else int(valid_to), bool(record["withdrawn"]),
                      record.get("contract_id"), _stamp(record))


def account_to_record(account: CustomerAccount) -> Record:
    return {"customer_id": account.customer_id, "status": account.status.value, "credit_hold": account.credit_hold,
            "price_list_id": account.price_list_id, "customer_group": account.customer_group,
            "channels": sorted(account.channels), "allowed_skus": _names(account.allowed_skus),
            "allowed_categories": _names(account.allowed_categories), "currency": account.currency,
            "credit_limit": _money(account.credit_limit), "credit_exposure": _money(account.credit_exposure),
            "as_of_ms": account.stamp.as_of_ms, "event_id": account.stamp.event_id}


def account_from_record(record: Record) -> CustomerAccount:
    def names(key: str) -> frozenset[str] | None:
        value = record.get(key)
        return None if value is None else frozenset(str(v) for v in value)

    def money(key: str) -> Decimal | None:
        value = record.get(key)
        return None if value is None else Decimal(str(value))

    return CustomerAccount(str(record["customer_id"]), AccountStatus(record["status"]), bool(record["credit_hold"]),
                           str(record["price_list_id"]), record.get("customer_group"),
                           frozenset(str(c) for c in record["channels"]), names("allowed_skus"),
                           names("allowed_categories"), record.get("currency"), money("credit_limit"),
                           money("credit_exposure"), _stamp(record))
