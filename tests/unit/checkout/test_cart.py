"""One verdict for a cart: entitlements, item master, credit, prices and stock, each line with its reasons."""
from __future__ import annotations

from decimal import Decimal

from processors.checkout import (AccountStatus, Cart, CartLine, PriceRule, Reason, Sourcing, StockStatus, Verdict,
                                 validate_cart)
from tests.unit.checkout.factories import NOW, account, contract_price, item, price, stock

CLOCK, LAMP = "RETRO-CLOCK", "DESK-LAMP"


def cart(*lines: tuple[str, int], channel: str | None = "web", customer: str = "ACME") -> Cart:
    return Cart(customer, tuple(CartLine(f"L{i}", sku, qty) for i, (sku, qty) in enumerate(lines, 1)), channel)


def world(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "account": account(),
        "items": {CLOCK: item(CLOCK), LAMP: item(LAMP, category="lighting")},
        "prices": {CLOCK: [price("10.00", sku=CLOCK), contract_price("8.00", sku=CLOCK)],
                   LAMP: [price("25.00", sku=LAMP)]},
        "availability": {CLOCK: stock(east=7, west=5), LAMP: stock(east=1)},
    }
    base.update(changes)
    return base


def check(c: Cart, **changes: object):  # type: ignore[no-untyped-def]
    w = world(**changes)
    return validate_cart(c, w["account"], w["items"], w["prices"], w["availability"], NOW)  # type: ignore[arg-type]


def test_an_entitled_active_customer_gets_prices_stock_and_an_acceptable_verdict() -> None:
    answer = check(cart((CLOCK, 3), (LAMP, 1)))

    assert answer.verdict is Verdict.ACCEPTABLE
    clock, lamp = answer.lines
    assert clock.price is not None and (clock.price.unit_price, clock.price.rule) == (
        Decimal("8.00"), PriceRule.CUSTOMER_CONTRACT)
    assert (clock.supply.status, clock.supply.available, clock.supply.locations) == (
        StockStatus.IN_STOCK, 12, (("EAST", 7), ("WEST", 5)))
    assert (answer.total, answer.currency) == (Decimal("49.00"), "EUR")


def test_removing_an_entitlement_blocks_that_line_and_the_cart() -> None:
    restricted = account(allowed_skus=frozenset({CLOCK}), event_id="acct-2")

    answer = check(cart((CLOCK, 1), (LAMP, 1)), account=restricted)

    assert answer.verdict is Verdict.BLOCKED
    assert [line.reasons for line in answer.lines] == [(), (Reason.NOT_ENTITLED,)]
    assert answer.cart_reasons == ()


def test_a_category_entitlement_allows_every_sku_of_that_category() -> None:
    answer = check(cart((CLOCK, 1), (LAMP, 1)), account=account(allowed_categories=frozenset({"lighting"})))

    assert [line.reasons for line in answer.lines] == [(Reason.NOT_ENTITLED,), ()]


def test_a_credit_hold_blocks_every_line_of_the_cart() -> None:
    answer = check(cart((CLOCK, 1), (LAMP, 1)), account=account(credit_hold=True))

    assert answer.verdict is Verdict.BLOCKED
    assert answer.cart_reasons == (Reason.CREDIT_HOLD,)
    assert all(line.reasons == (Reason.CREDIT_HOLD,) for line in answer.lines)
    assert all(line.price is not None for line in answer.lines)  # still priced: the storefront can show it


def test_a_suspended_account_and_a_channel_it_may_not_use_are_cart_reasons() -> None:
    answer = check(cart((CLOCK, 1), channel="marketplace"), account=account(status=AccountStatus.SUSPENDED))

    assert answer.cart_reasons == (Reason.ACCOUNT_SUSPENDED, Reason.CHANNEL_NOT_ALLOWED)


def test_an_unknown_customer_gets_a_blocked_answer_with_the_reason_on_every_line() -> None:
    answer = check(cart((CLOCK, 1), customer="NOBODY"), account=None)

    assert answer.verdict is Verdict.BLOCKED
    assert answer.lines[0].reasons == (Reason.UNKNOWN_CUSTOMER,)
    assert answer.lines[0].price is None
    assert answer.lines[0].supply.available == 12  # stock is still answered


def test_an_unknown_sku_and_an_inactive_sku_block_their_lines_only() -> None:
    items = {CLOCK: item(CLOCK, active=False)}

    answer = check(cart((CLOCK, 1), ("GHOST-1", 1)), items=items)

    assert [line.reasons for line in answer.lines] == [(Reason.INACTIVE_SKU,), (Reason.UNKNOWN_SKU,)]
    assert answer.lines[1].supply.status is StockStatus.UNKNOWN


def test_a_line_without_any_applicable_price_is_blocked() -> None:
    answer = check(cart((LAMP, 1)), prices={LAMP: [price("25.00", sku=LAMP, scope_id="LIST-USD")]})

    assert answer.lines[0].reasons == (Reason.NO_PRICE,)


def test_stock_is_answered_but_never_blocks_a_line() -> None:
    answer = check(cart((LAMP, 3), (CLOCK, 20)), availability={LAMP: stock(east=1), CLOCK: stock(east=0)})

    assert answer.verdict is Verdict.ACCEPTABLE
    assert [line.supply.status for line in answer.lines] == [StockStatus.PARTIAL, StockStatus.OUT_OF_STOCK]


def test_a_channels_locations_limit_available_to_promise() -> None:
    w = world()
    answer = validate_cart(cart((CLOCK, 6)), w["account"], w["items"], w["prices"], w["availability"],  # type: ignore[arg-type]
                           NOW, locations=frozenset({"EAST"}))

    assert (answer.lines[0].supply.available, answer.lines[0].supply.locations) == (7, (("EAST", 7),))


def test_drop_ship_and_special_order_lines_come_from_the_supplier_with_its_lead_time() -> None:
    items = {CLOCK: item(CLOCK, sourcing=Sourcing.DROP_SHIP, supplier_id="SUP-9", lead_time_days=4)}

    supply = check(cart((CLOCK, 1)), items=items).lines[0].supply

    assert (supply.status, supply.sourcing, supply.supplier_id, supply.lead_time_days) == (
        StockStatus.FROM_SUPPLIER, Sourcing.DROP_SHIP, "SUP-9", 4)


def test_a_cart_over_the_published_credit_limit_is_blocked() -> None:
    near_limit = account(credit_limit="1000.00", credit_exposure="980.00")

    small, large = check(cart((CLOCK, 2)), account=near_limit), check(cart((CLOCK, 3)), account=near_limit)

    assert small.verdict is Verdict.ACCEPTABLE  # 980 + 16 ≤ 1000
    assert large.cart_reasons == (Reason.OVER_CREDIT_LIMIT,)  # 980 + 24 > 1000


def test_every_part_carries_its_as_of() -> None:
    answer = check(cart((CLOCK, 1)))

    line = answer.lines[0]
    assert answer.account_as_of_ms is not None and line.item_as_of_ms is not None
    assert line.price is not None and line.price.as_of_ms > 0 and line.supply.as_of_ms is not None
