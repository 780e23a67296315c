"""The item master in the saga: drop-ship and special-order routing and lead times per SKU, the policy file as an
override, and SKUs the item master does not know sourced exactly as without it."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from processors.orders import (
    AllocateLine, ErpCommand, ErpCommandKind, ErpVerdict, FulfilmentKind, OrderPolicy, OrderStatus, PlacedLine, ReserveLine,
    claims_by_sku)
from processors.orders.item_sourcing import SourcedItem, StaticItems
from processors.orders.placement import route
from tests.unit.orders.factories import POLICY, OrderBook, Saga, only

DAY = 86_400_000
STOCKED, DROP, SPECIAL = FulfilmentKind.STOCKED, FulfilmentKind.DROP_SHIP, FulfilmentKind.SPECIAL_ORDER
ITEMS = StaticItems([
    SourcedItem("OAK-SOFA", DROP, "SUP-NORDIC", lead_time_days=12),
    SourcedItem("WALNUT-DESK", SPECIAL, "WOODWORKS", lead_time_days=21),
    SourcedItem("RETRO-CLOCK", STOCKED, lead_time_days=2),
    SourcedItem("FERN-POT", STOCKED),  # the policy file drop-ships it anyway (an override)
    SourcedItem("OLD-LAMP", DROP, "LUMEN", lead_time_days=5, active=False),
])


def with_items(items: StaticItems = ITEMS, policy: OrderPolicy = POLICY) -> OrderPolicy:
    return replace(policy, sourcing=replace(policy.sourcing, items=items))


def purchase_orders(saga: Saga) -> list[tuple[str | None, list[tuple[str, int, FulfilmentKind]], int | None]]:
    return [(c.supplier, [(line.line_id, line.quantity, line.fulfilment_kind) for line in c.lines], c.expected_by)
            for c in only(ErpCommand, saga.decisions) if c.command is ErpCommandKind.CREATE_PURCHASE_ORDER]


def test_a_drop_ship_item_goes_to_its_supplier_with_its_lead_time_and_reserves_nothing() -> None:
    book, saga = OrderBook(), Saga(policy=with_items())
    saga.feed(book.placed(PlacedLine("1", "RETRO-CLOCK", 3), PlacedLine("2", "OAK-SOFA", 2)))

    assert [(r.sku, r.quantity) for r in only(ReserveLine, saga.decisions)] == [("RETRO-CLOCK", 3)]
    sofa = saga.order.lines[1]
    assert (sofa.kind, sofa.supplier, sofa.claims) == (DROP, "SUP-NORDIC", ())

    saga.feed(book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED))
    assert purchase_orders(saga) == [("SUP-NORDIC", [("2", 2, DROP)], saga.order.as_of + 12 * DAY)]
    assert claims_by_sku(saga.order) == {"RETRO-CLOCK": 3}


def test_a_special_order_item_is_bought_for_the_order_with_its_lead_time_never_from_our_shelves() -> None:
    book, saga = OrderBook(), Saga(policy=with_items())
    saga.feed(book.placed(PlacedLine("1", "WALNUT-DESK", 1)))

    assert not only(ReserveLine, saga.decisions)
    assert saga.order.status is OrderStatus.RESERVED  # nothing to wait for: the ERP is asked at once
    saga.feed(book.erp(ErpVerdict.ACCEPTED))
    assert purchase_orders(saga) == [("WOODWORKS", [("1", 1, SPECIAL)], saga.order.as_of + 21 * DAY)]
    assert saga.order.status is OrderStatus.ALLOCATED


def test_the_policy_file_overrides_the_item_master_and_fills_in_what_it_lacks() -> None:
    items = StaticItems([SourcedItem("FERN-POT", DROP, "OTHER-GROWER", lead_time_days=9),
                         SourcedItem("BONSAI", DROP, "TREE-CO", lead_time_days=4)])
    sourcing = replace(POLICY.sourcing, drop_ship_skus={"FERN-POT": "GREENHOUSE-CO", "BONSAI": ""}, items=items)

    # the policy's supplier wins; a policy entry without a supplier takes the item master's
    assert route(PlacedLine("1", "FERN-POT", 1), sourcing) == (DROP, "GREENHOUSE-CO")
    assert route(PlacedLine("2", "BONSAI", 1), sourcing) == (DROP, "TREE-CO")
    # the item master's lead time is for its own supplier only; another supplier's comes from the policy
    assert sourcing.line_lead_time_ms("FERN-POT", "GREENHOUSE-CO") == 3 * DAY
    assert sourcing.line_lead_time_ms("BONSAI", "TREE-CO") == 4 * DAY
    assert sourcing.line_lead_time_ms("UNKNOWN", "GREENHOUSE-CO") == 3 * DAY
    assert sourcing.line_lead_time_ms("UNKNOWN", "NOBODY") == 7 * DAY  # the policy's default


def test_a_kind_the_storefront_chose_is_kept_and_its_supplier_completed_from_the_item_master() -> None:
    sourcing = with_items().sourcing
    assert route(PlacedLine("1", "RETRO-CLOCK", 1, SPECIAL, "CLOCKMAKER"), sourcing) == (SPECIAL, "CLOCKMAKER")
    assert route(PlacedLine("2", "OAK-SOFA", 1, SPECIAL), sourcing) == (SPECIAL, "SUP-NORDIC")
    assert route(PlacedLine("3", "RETRO-CLOCK", 1), sourcing) == (STOCKED, None)  # a STOCKED item stays stocked


def test_an_inactive_item_is_still_routed_as_sourced() -> None:
    assert route(PlacedLine("1", "OLD-LAMP", 1), with_items().sourcing) == (DROP, "LUMEN")


def test_one_purchase_order_per_supplier_is_expected_when_its_slowest_line_is() -> None:
    items = StaticItems([SourcedItem("CHAIR", DROP, "SUP-NORDIC", lead_time_days=4),
                         SourcedItem("TABLE", DROP, "SUP-NORDIC", lead_time_days=15)])
    book, saga = OrderBook(), Saga(policy=with_items(items))
    saga.feed(book.placed(PlacedLine("1", "CHAIR", 4), PlacedLine("2", "TABLE", 1)), book.erp(ErpVerdict.ACCEPTED))

    assert purchase_orders(saga) == [
        ("SUP-NORDIC", [("1", 4, DROP), ("2", 1, DROP)], saga.order.as_of + 15 * DAY)]


# -- properties --------------------------------------------------------------------------------------------------
SKUS = ("S0", "S1", "S2", "S3", "S4")
SUPPLIERS = ("SUP-A", "SUP-B")
kinds = st.sampled_from(tuple(FulfilmentKind))
item_entries = st.one_of(st.none(), st.builds(
    lambda kind, supplier, days, active: SourcedItem("?", kind, supplier if kind is not STOCKED else None, days,
                                                     active),
    kinds, st.sampled_from(SUPPLIERS), st.one_of(st.none(), st.integers(0, 30)), st.booleans()))
catalogues = st.fixed_dictionaries({sku: item_entries for sku in SKUS})
placed_lines = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5), kinds,
                                  st.one_of(st.none(), st.sampled_from(SUPPLIERS))), min_size=1, max_size=6)
policy_overrides = st.dictionaries(st.sampled_from(SKUS), st.sampled_from(("", *SUPPLIERS)), max_size=2)


def policy_of(catalogue: dict[str, SourcedItem | None], overrides: dict[str, str]) -> OrderPolicy:
    items = StaticItems(replace(item, sku=sku) for sku, item in catalogue.items() if item is not None)
    base = replace(POLICY.sourcing, drop_ship_skus=overrides,
                   lead_time_days_by_supplier={"SUP-A": 6}, default_lead_time_days=8)
    return replace(POLICY, sourcing=replace(base, items=items))


def lines_of(specs: list[tuple[str, int, FulfilmentKind, str | None]]) -> tuple[PlacedLine, ...]:
    return tuple(PlacedLine(str(n), sku, quantity, kind, supplier if kind is not STOCKED else None)
                 for n, (sku, quantity, kind, supplier) in enumerate(specs, 1))


def place_and_accept(policy: OrderPolicy, lines: tuple[PlacedLine, ...]) -> tuple[Saga, int]:
    """The order placed, its stock reserved, accepted (the time returned: purchase orders are made then) and
    allocated."""
    book, saga = OrderBook(), Saga(policy=policy)
    saga.feed(book.placed(*lines))
    for reserve in only(ReserveLine, saga.decisions):
        saga.feed(book.reserved(reserve.line_claim_id, reserve.sku, ("WH-EAST", reserve.quantity)))
    saga.feed(book.erp(ErpVerdict.ACCEPTED))
    accepted_at = book.now
    for allocate in only(AllocateLine, saga.decisions):
        quantity = next(r.quantity for r in only(ReserveLine, saga.decisions)
                        if r.line_claim_id == allocate.line_claim_id)
        saga.feed(book.allocated(allocate.line_claim_id, allocate.sku, (allocate.location, quantity)))
    return saga, accepted_at


@given(catalogues, policy_overrides, placed_lines)
def test_units_are_conserved_and_no_supplier_line_reserves_our_stock(
        catalogue: dict[str, SourcedItem | None], overrides: dict[str, str],
        specs: list[tuple[str, int, FulfilmentKind, str | None]]) -> None:
    policy = policy_of(catalogue, overrides)
    lines = lines_of(specs)
    saga, _ = place_and_accept(policy, lines)

    reserved = {r.line_claim_id: r.quantity for r in only(ReserveLine, saga.decisions)}
    ordered: dict[str, int] = {}
    for command in only(ErpCommand, saga.decisions):
        if command.command is ErpCommandKind.CREATE_PURCHASE_ORDER:
            for erp_line in command.lines:
                ordered[erp_line.line_id] = ordered.get(erp_line.line_id, 0) + erp_line.quantity
    for placed, line in zip(lines, saga.order.lines, strict=True):
        item = catalogue[placed.sku]
        from_supplier = (placed.fulfilment_kind is not STOCKED or placed.sku in overrides
                         or (item is not None and item.kind is not STOCKED))
        assert line.quantity == placed.quantity
        assert (reserved.get(placed.line_id, 0), ordered.get(placed.line_id, 0)) == (
            (0, placed.quantity) if from_supplier else (placed.quantity, 0))  # every unit one way, exactly once
        assert line.stocked is not from_supplier
    assert saga.order.status is OrderStatus.ALLOCATED


@given(catalogues, policy_overrides, placed_lines)
def test_every_purchase_order_is_expected_after_its_slowest_lines_lead_time(
        catalogue: dict[str, SourcedItem | None], overrides: dict[str, str],
        specs: list[tuple[str, int, FulfilmentKind, str | None]]) -> None:
    saga, accepted_at = place_and_accept(policy_of(catalogue, overrides), lines_of(specs))

    for command in only(ErpCommand, saga.decisions):
        if command.command is ErpCommandKind.CREATE_PURCHASE_ORDER:
            days = []
            for erp_line in command.lines:
                item = catalogue[erp_line.sku]
                if item is not None and item.lead_time_days is not None and item.supplier in (None, command.supplier):
                    days.append(item.lead_time_days)
                else:
                    days.append(6 if command.supplier == "SUP-A" else 8)
            assert command.expected_by == accepted_at + max(days) * DAY


@given(policy_overrides, placed_lines)
def test_skus_the_item_master_does_not_know_are_sourced_exactly_as_by_the_policy_alone(
        overrides: dict[str, str], specs: list[tuple[str, int, FulfilmentKind, str | None]]) -> None:
    others = StaticItems([SourcedItem("ELSEWHERE", DROP, "SUP-B", lead_time_days=1)])
    without = policy_of({}, overrides)
    with_unrelated = replace(without, sourcing=replace(without.sourcing, items=others))
    lines = lines_of(specs)

    (plain, _), (known, _) = place_and_accept(without, lines), place_and_accept(with_unrelated, lines)
    assert known.decisions == plain.decisions and known.order == plain.order
