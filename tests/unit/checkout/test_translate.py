"""ERP records become read model values, or an Invalid with a reason the person on call can act on."""
from __future__ import annotations

from decimal import Decimal

import pytest

from processors.checkout import AccountStatus, PriceRule, Sourcing, Stamp
from streams.readmodel import translate
from streams.translate.validation import Invalid
from tests.unit.checkout import erp_records as erp

NOW = erp.MARCH_1 + 1000


def test_an_item_master_record_keeps_its_sourcing_supplier_and_lead_time() -> None:
    record = erp.item_master("PUMP-7", sourcing="DROP_SHIP", supplier_id="SUP-3", lead_time_days=5)

    item = translate.item_master(record, NOW)

    assert (item.sourcing, item.supplier_id, item.lead_time_days) == (Sourcing.DROP_SHIP, "SUP-3", 5)
    assert item.stamp == Stamp(erp.MARCH_1, record["envelope"]["event_id"])


def test_a_price_record_becomes_an_entry_with_sorted_breaks() -> None:
    record = erp.price("PUMP-7", "10.00", scope="CUSTOMER_CONTRACT", scope_id="C-1", breaks=((50, "8.00"),))
    record["breaks"].reverse()

    entry = translate.price_entry(record, NOW)

    assert entry.rule is PriceRule.CUSTOMER_CONTRACT
    assert [(b.min_quantity, b.unit_price) for b in entry.breaks] == [(1, Decimal("10.00")), (50, Decimal("8.00"))]


def test_an_account_record_keeps_none_as_no_restriction() -> None:
    account = translate.customer_account(erp.customer_account("C-1", allowed_skus=["A"]), NOW)

    assert (account.status, account.allowed_skus, account.allowed_categories) == (
        AccountStatus.ACTIVE, frozenset({"A"}), None)


@pytest.mark.parametrize("change, reason", [
    (lambda r: r.update(breaks=[]), "no_price_breaks"),
    (lambda r: r["breaks"].append({"min_quantity": 0, "unit_price": "1"}), "invalid_price_break"),
    (lambda r: r["breaks"][0].update(unit_price="ten"), "invalid_amount"),
    (lambda r: r["breaks"][0].update(unit_price="-1"), "invalid_amount"),
    (lambda r: r.update(currency="euro"), "invalid_currency"),
    (lambda r: r.update(valid_to=r["valid_from"]), "empty_validity_window"),
    (lambda r: r.update(sku="../etc"), "invalid_sku"),
    (lambda r: r.update(scope_id="LIST EUR\r\n"), "invalid_scope_id"),  # a scope id becomes part of a Redis key
    (lambda r: r.update(scope="CUSTOMER_GROUP", scope_id=""), "invalid_scope_id"),
    (lambda r: r["envelope"].update(event_id=" "), "missing_event_id"),
    (lambda r: r["envelope"].update(occurred_at=NOW + 2 * 86_400_000), "occurred_in_future"),
])
def test_a_bad_price_record_is_invalid_with_a_reason(change, reason: str) -> None:  # type: ignore[no-untyped-def]
    record = erp.price("PUMP-7", "10.00")
    change(record)

    with pytest.raises(Invalid) as raised:
        translate.price_entry(record, NOW)

    assert raised.value.reason_code == reason


def test_a_drop_ship_item_without_a_supplier_and_a_bad_customer_id_are_invalid() -> None:
    with pytest.raises(Invalid, match="supplier"):
        translate.item_master(erp.item_master("PUMP-7", sourcing="DROP_SHIP"), NOW)
    with pytest.raises(Invalid, match="customer_id"):
        translate.customer_account(erp.customer_account("bad id\r\n"), NOW)
