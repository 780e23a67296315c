"""The checkout routes over in-memory read models: prices with their rule, carts with reasons, never a 500."""
from __future__ import annotations

from typing import Any

from processors.checkout import PriceRule
from streams.readmodel.reader import DictCheckoutReader
from streams.snapshot.entry import AvailabilityEntry
from tests.unit.api.support import NOW_MS, RecordingReader, bearer, run, served
from tests.unit.checkout.factories import DAY_MS, account, item, price

CUSTOMER = "C-1001"


def read_model(*extra: Any, credit_hold: bool = False, allowed: frozenset[str] | None = None) -> DictCheckoutReader:
    return DictCheckoutReader([
        account(CUSTOMER, credit_hold=credit_hold, allowed_skus=allowed, channels=frozenset({"web"})),
        item("SKU-1"), item("SKU-2", category="lighting"), item("OLD-1", active=False),
        price("10.00", sku="SKU-1", breaks=((10, "9.00"), (100, "8.00"))), price("4.00", sku="SKU-2"),
        price("3.00", sku="OLD-1"), *extra])


def stock() -> RecordingReader:
    return RecordingReader([AvailabilityEntry("SKU-1", 3, NOW_MS - 500, 12, {"EAST": 10, "WEST": 2}),
                            AvailabilityEntry("SKU-2", 1, NOW_MS - 900, 0, {"EAST": 0})])


def get(path: str, model: DictCheckoutReader) -> tuple[int, Any]:
    async def scenario() -> tuple[int, Any]:
        async with served(stock(), checkout=model) as client:
            response = await client.get(path, headers=bearer())
            return response.status, await response.json()
    return run(scenario)


def validate(body: Any, model: DictCheckoutReader) -> tuple[int, Any]:
    async def scenario() -> tuple[int, Any]:
        async with served(stock(), checkout=model) as client:
            response = await client.post("/v1/checkout/validate", json=body, headers=bearer())
            return response.status, await response.json()
    return run(scenario)


def cart(*lines: tuple[str, int], customer: str = CUSTOMER, channel: str | None = "web") -> dict[str, Any]:
    return {"customer": customer, "channel": channel,
            "lines": [{"line_id": str(i), "sku": sku, "quantity": qty} for i, (sku, qty) in enumerate(lines, 1)]}


def test_the_price_names_its_rule_break_and_as_of() -> None:
    status, body = get(f"/v1/prices/SKU-1?customer={CUSTOMER}&qty=12", read_model())

    assert status == 200
    assert body["price"]["unit_price"] == "9.00" and body["price"]["line_total"] == "108.00"
    assert (body["price"]["rule"], body["price"]["break_min_quantity"]) == ("PRICE_LIST", 10)
    assert body["as_of"]["price_ms"] and body["as_of"]["account_ms"] and body["as_of"]["item_ms"]


def test_a_contract_price_beats_the_list_price_over_http() -> None:
    contract = price("7.50", sku="SKU-1", rule=PriceRule.CUSTOMER_CONTRACT, scope_id=CUSTOMER, contract_id="K-9")

    _, body = get(f"/v1/prices/SKU-1?customer={CUSTOMER}", read_model(contract))

    assert (body["price"]["unit_price"], body["price"]["rule"], body["price"]["contract_id"]) == (
        "7.50", "CUSTOMER_CONTRACT", "K-9")


def test_a_future_dated_price_reports_when_the_current_one_stops() -> None:
    starts = NOW_MS + 2 * DAY_MS
    later = price("11.00", sku="SKU-1", valid_from_ms=starts, price_id="P-next")

    _, body = get(f"/v1/prices/SKU-1?customer={CUSTOMER}", read_model(later))

    assert body["price"]["unit_price"] == "10.00" and body["price"]["valid_until_ms"] == starts


def test_unknown_customer_and_unknown_sku_are_clear_404s() -> None:
    customer_status, customer_body = get("/v1/prices/SKU-1?customer=NOBODY", read_model())
    sku_status, sku_body = get(f"/v1/prices/GHOST?customer={CUSTOMER}", read_model())

    assert (customer_status, customer_body["error"], customer_body["customer"]) == (404, "unknown_customer", "NOBODY")
    assert (sku_status, sku_body["error"], sku_body["sku"]) == (404, "unknown_sku", "GHOST")


def test_a_cart_gets_one_verdict_with_price_stock_and_as_of_per_line() -> None:
    status, body = validate(cart(("SKU-1", 2), ("SKU-2", 1)), read_model())

    assert status == 200 and body["verdict"] == "ACCEPTABLE"
    first, second = body["lines"]
    assert first["price"]["unit_price"] == "10.00" and first["availability"]["status"] == "IN_STOCK"
    assert first["availability"]["from_locations"] == [{"location": "EAST", "available": 10},
                                                      {"location": "WEST", "available": 2}]
    assert second["availability"]["status"] == "OUT_OF_STOCK"
    assert first["as_of"]["availability_ms"] == NOW_MS - 500 and body["as_of"]["account_ms"]
    assert body["total"] == "24.00"


def test_an_entitlement_removal_blocks_the_line_with_its_reason() -> None:
    _, body = validate(cart(("SKU-1", 1), ("SKU-2", 1)), read_model(allowed=frozenset({"SKU-1"})))

    assert body["verdict"] == "BLOCKED"
    assert [[r["code"] for r in line["reasons"]] for line in body["lines"]] == [[], ["not_entitled"]]


def test_a_credit_hold_blocks_the_cart() -> None:
    _, body = validate(cart(("SKU-1", 1)), read_model(credit_hold=True))

    assert body["verdict"] == "BLOCKED" and [r["code"] for r in body["cart_reasons"]] == ["credit_hold"]
    assert body["lines"][0]["purchasable"] is False


def test_unknown_customer_and_unknown_or_inactive_skus_are_answered_per_line_not_500() -> None:
    _, unknown_customer = validate(cart(("SKU-1", 1), customer="NOBODY"), read_model())
    status, unknown_sku = validate(cart(("GHOST", 1), ("OLD-1", 1), ("SKU-1", 1)), read_model())

    assert unknown_customer["verdict"] == "BLOCKED"
    assert unknown_customer["lines"][0]["reasons"][0]["code"] == "unknown_customer"
    assert status == 200 and [[r["code"] for r in line["reasons"]] for line in unknown_sku["lines"]] == [
        ["unknown_sku"], ["inactive_sku"], []]


def test_malformed_carts_are_400_with_a_code() -> None:
    bad = {"no lines": {"customer": CUSTOMER, "lines": []}, "bad qty": cart(("SKU-1", 0)),
           "bad sku": cart(("../x", 1)), "no customer": {"lines": [{"sku": "SKU-1", "quantity": 1}]},
           "typo": {**cart(("SKU-1", 1)), "cutsomer": "x"},
           "dup": {"customer": CUSTOMER, "lines": [{"line_id": "a", "sku": "SKU-1", "quantity": 1}] * 2}}

    codes = {name: validate(body, read_model()) for name, body in bad.items()}

    assert {name: (status, body["error"]) for name, (status, body) in codes.items()} == {
        "no lines": (400, "invalid_body"), "bad qty": (400, "invalid_quantity"), "bad sku": (400, "invalid_sku"),
        "no customer": (400, "missing_customer"), "typo": (400, "unknown_field"), "dup": (400, "duplicate_line_id")}
