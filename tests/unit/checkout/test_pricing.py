"""The price a customer pays: contract over group over list, quantity breaks, validity windows at checkout time."""
from __future__ import annotations

from decimal import Decimal

from processors.checkout import PriceRule, resolve_price
from tests.unit.checkout.factories import DAY_MS, NOW, account, contract_price, group_price, price


def test_a_contract_price_beats_the_group_price_and_the_list_price() -> None:
    entries = [price("10.00"), group_price("9.50"), contract_price("8.75")]

    quote = resolve_price(entries, account(), 1, NOW)

    assert quote is not None
    assert (quote.unit_price, quote.rule, quote.contract_id) == (Decimal("8.75"), PriceRule.CUSTOMER_CONTRACT,
                                                                 "CTR-1")


def test_a_group_price_beats_the_list_price_when_there_is_no_contract() -> None:
    quote = resolve_price([price("10.00"), group_price("9.50")], account(), 1, NOW)

    assert quote is not None and (quote.unit_price, quote.rule) == (Decimal("9.50"), PriceRule.CUSTOMER_GROUP)


def test_another_customers_contract_and_another_price_list_do_not_apply() -> None:
    entries = [price("10.00"), price("7.00", scope_id="LIST-USD"), contract_price("5.00", customer_id="OTHER")]

    quote = resolve_price(entries, account(), 1, NOW)

    assert quote is not None and (quote.unit_price, quote.rule, quote.scope_id) == (
        Decimal("10.00"), PriceRule.PRICE_LIST, "LIST-EUR")


def test_the_highest_quantity_break_at_or_below_the_quantity_gives_the_unit_price() -> None:
    entry = price("10.00", breaks=((10, "9.00"), (50, "8.00"), (100, "7.25")))

    prices = {qty: resolve_price([entry], account(), qty, NOW) for qty in (1, 9, 10, 49, 50, 99, 100, 5000)}

    assert {qty: (q.unit_price, q.break_min_quantity) for qty, q in prices.items() if q} == {
        1: (Decimal("10.00"), 1), 9: (Decimal("10.00"), 1), 10: (Decimal("9.00"), 10), 49: (Decimal("9.00"), 10),
        50: (Decimal("8.00"), 50), 99: (Decimal("8.00"), 50), 100: (Decimal("7.25"), 100),
        5000: (Decimal("7.25"), 100)}
    assert prices[100] is not None and prices[100].line_total == Decimal("725.00")


def test_a_contract_starting_at_a_higher_quantity_leaves_smaller_quantities_to_the_list_price() -> None:
    entries = [price("10.00"), contract_price("6.00", first_break=20)]

    small, large = resolve_price(entries, account(), 5, NOW), resolve_price(entries, account(), 20, NOW)

    assert small is not None and small.rule is PriceRule.PRICE_LIST
    assert large is not None and (large.rule, large.unit_price) == (PriceRule.CUSTOMER_CONTRACT, Decimal("6.00"))


def test_a_price_outside_its_validity_window_does_not_apply() -> None:
    expired = contract_price("7.00", valid_from_ms=NOW - 20 * DAY_MS, valid_to_ms=NOW - DAY_MS)
    ends_exactly_now = group_price("8.00", valid_to_ms=NOW)

    quote = resolve_price([price("10.00"), expired, ends_exactly_now], account(), 1, NOW)

    assert quote is not None and quote.rule is PriceRule.PRICE_LIST


def test_a_future_dated_price_takes_effect_on_its_date_with_no_new_event() -> None:
    starts = NOW + 3 * DAY_MS
    entries = [price("10.00"), price("11.00", valid_from_ms=starts)]  # one set of entries, never updated

    before = resolve_price(entries, account(), 1, starts - 1)
    on_the_date = resolve_price(entries, account(), 1, starts)

    assert before is not None and before.unit_price == Decimal("10.00")
    assert before.valid_until_ms == starts  # the answer says when it changes
    assert on_the_date is not None and on_the_date.unit_price == Decimal("11.00")
    assert on_the_date.valid_until_ms is None


def test_valid_until_is_the_end_of_the_chosen_window_when_nothing_supersedes_it_sooner() -> None:
    ends = NOW + 5 * DAY_MS
    later_list_price = price("12.00", valid_from_ms=NOW + 9 * DAY_MS)

    quote = resolve_price([contract_price("8.00", valid_to_ms=ends), later_list_price], account(), 1, NOW)

    assert quote is not None and quote.valid_until_ms == ends  # a weaker rule starting later does not shorten it


def test_a_withdrawn_price_does_not_apply() -> None:
    quote = resolve_price([price("10.00"), contract_price("8.00", withdrawn=True)], account(), 1, NOW)

    assert quote is not None and quote.rule is PriceRule.PRICE_LIST


def test_no_applicable_entry_means_no_price() -> None:
    assert resolve_price([price("10.00", scope_id="LIST-USD")], account(), 1, NOW) is None
