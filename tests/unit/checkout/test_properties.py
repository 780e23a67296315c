"""Properties of the checkout model: order and duplicates of updates never matter; one bad line blocks the cart;
records round-trip; a contract price always wins when it applies."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.checkout import (AccountStatus, Cart, CartLine, PriceEntry, PriceRule, Verdict, account_from_record,
                                 account_to_record, apply_all, item_from_record, item_to_record, price_from_record,
                                 price_to_record, resolve_price, validate_cart)
from tests.unit.checkout.factories import DAY_MS, MARCH_1, NOW, account, item, price, stock

SKUS = ("RETRO-CLOCK", "DESK-LAMP", "MINIMALIST-SPOON")

price_updates = st.builds(
    lambda sku, rule, scope, unit, starts, days, withdrawn, as_of, n: price(
        f"{unit}.00", sku=sku, rule=rule, scope_id=scope, price_id=f"P-{sku}-{n % 4}",
        valid_from_ms=NOW + starts * DAY_MS, valid_to_ms=None if days is None else NOW + (starts + days) * DAY_MS,
        withdrawn=withdrawn, as_of_ms=MARCH_1 + as_of,
        event_id=f"e{n}:{sku}:{rule.value}:{scope}:{unit}:{starts}:{days}:{withdrawn}"),  # one id, one content
    st.sampled_from(SKUS), st.sampled_from(list(PriceRule)), st.sampled_from(("ACME", "trade", "LIST-EUR", "X")),
    st.integers(1, 99), st.integers(-10, 10), st.none() | st.integers(1, 20), st.booleans(), st.integers(0, 5),
    st.integers(0, 10_000))


def by_id(entry: PriceEntry) -> str:
    return entry.price_id


@given(st.lists(price_updates, max_size=30), st.randoms(use_true_random=False))
@settings(max_examples=200)
def test_replaying_shuffled_and_duplicated_updates_gives_the_same_state(updates: list[PriceEntry],
                                                                        rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = updates + updates[: len(updates) // 2]
    rnd.shuffle(shuffled)

    assert apply_all({}, shuffled, by_id) == apply_all({}, updates, by_id)
    assert apply_all(apply_all({}, updates, by_id), updates, by_id) == apply_all({}, updates, by_id)


@given(st.lists(price_updates, max_size=30))
def test_an_older_update_never_replaces_a_newer_one(updates: list[PriceEntry]) -> None:
    state = apply_all({}, updates, by_id)

    for update in updates:
        assert state[update.price_id].stamp >= update.stamp


line_kinds = st.sampled_from(["ok", "inactive", "unknown", "not_entitled", "no_price"])


@given(st.lists(st.tuples(line_kinds, st.integers(1, 50)), min_size=1, max_size=20), st.booleans(),
       st.sampled_from(list(AccountStatus)))
@settings(max_examples=200)
def test_the_verdict_is_blocked_exactly_when_some_line_is_not_purchasable(
        kinds: list[tuple[str, int]], credit_hold: bool, status: AccountStatus) -> None:
    skus = [f"SKU-{i}-{kind}" for i, (kind, _) in enumerate(kinds)]
    items = {sku: item(sku, active=kind != "inactive", category="blocked" if kind == "not_entitled" else "ok")
             for sku, (kind, _) in zip(skus, kinds) if kind != "unknown"}
    prices = {sku: [price("3.00", sku=sku)] for sku, (kind, _) in zip(skus, kinds) if kind != "no_price"}
    customer = account(credit_hold=credit_hold, status=status, allowed_categories=frozenset({"ok"}))
    cart = Cart("ACME", tuple(CartLine(f"L{i}", sku, qty) for i, (sku, (_, qty)) in enumerate(zip(skus, kinds))))

    answer = validate_cart(cart, customer, items, prices, {sku: stock() for sku in skus}, NOW)

    any_bad = any(kind != "ok" for kind, _ in kinds) or credit_hold or status is not AccountStatus.ACTIVE
    assert (answer.verdict is Verdict.BLOCKED) == any_bad
    assert (answer.verdict is Verdict.BLOCKED) == any(not line.purchasable for line in answer.lines)
    assert [line.line.sku for line in answer.lines] == skus


@given(st.lists(price_updates, max_size=20), st.integers(1, 500), st.integers(-12, 12))
def test_an_applicable_contract_price_always_wins(updates: list[PriceEntry], quantity: int, day: int) -> None:
    at = NOW + day * DAY_MS
    contract = price("1.00", sku="RETRO-CLOCK", rule=PriceRule.CUSTOMER_CONTRACT, scope_id="ACME", price_id="C",
                     valid_from_ms=NOW + 20 * DAY_MS * -1, as_of_ms=MARCH_1 + 10, event_id="zz")
    entries = [u for u in apply_all({}, updates, by_id).values() if u.sku == "RETRO-CLOCK"]
    others = [e for e in entries if not (e.rule is PriceRule.CUSTOMER_CONTRACT and e.scope_id == "ACME")]

    quote = resolve_price(others + [contract], account(), quantity, at)

    assert quote is not None and quote.rule is PriceRule.CUSTOMER_CONTRACT and quote.unit_price == Decimal("1.00")
    if quote.valid_until_ms is not None:
        assert quote.valid_until_ms > at


@given(price_updates)
def test_price_entries_round_trip_through_their_records(entry: PriceEntry) -> None:
    assert price_from_record(price_to_record(entry)) == entry


def test_items_and_accounts_round_trip_through_their_records() -> None:
    customer = account(allowed_skus=frozenset({"A", "B"}), credit_limit="100.50", credit_exposure="3")

    assert item_from_record(item_to_record(item())) == item()
    assert account_from_record(account_to_record(customer)) == customer
