"""The demo ERP's checkout data: valid Avro the read model accepts, drop-ship routing that agrees with the demo's
sourcing policy and partners, prices that resolve (one of them only later), reproducible for a seed."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from processors.checkout import CustomerAccount, PriceEntry, PriceRule, resolve_price
from streams.devrun import checkout_examples, write_sourcing_policy
from streams.order_policy import sourcing_policy, supplier_locations
from streams.partners import Partners
from streams.readmodel.translate import customer_account, item_master, price_entry
from streams.settings import Settings
from streams.simulator import Simulation
from streams.simulator_checkout import DAY_MS, FUTURE_CONTRACT_MS
from topics import catalog
from topics.codec import AvroCodec, FileSchemaIds
from topics.schemas import SchemaStore

START = 1_795_700_000_000
CHECKOUT_TOPICS = (catalog.ITEM_MASTER, catalog.PRICES, catalog.CUSTOMER_ACCOUNTS)


def opening(seed: int = 7, skus: int = 200) -> tuple[Simulation, list]:  # type: ignore[type-arg]
    simulation = Simulation(seed=seed, sku_count=skus, start_ms=START)
    return simulation, list(simulation.opening_checkout())


def decoded(events: list) -> list[tuple]:  # type: ignore[type-arg]
    """Each event through the real Avro schema of its topic and back, with the same codec the simulator uses."""
    store = SchemaStore()
    codec = AvroCodec(store, FileSchemaIds(store))
    return [(event.topic, event.key, codec.decode(codec.encode(event.topic.name, event.topic.value_schema,
                                                                event.record), event.topic.value_schema))
            for event in events]


def read_model(events: list, now_ms: int) -> tuple[dict, list[PriceEntry], dict]:  # type: ignore[type-arg]
    """What the worker's read-model stage would hold: every record through its translation (raises if invalid)."""
    items, prices, accounts = {}, [], {}
    for topic, key, record in decoded(events):
        if topic is catalog.ITEM_MASTER:
            items[key] = item_master(record, now_ms)
        elif topic is catalog.PRICES:
            prices.append(price_entry(record, now_ms))
        else:
            accounts[key] = customer_account(record, now_ms)
    return items, prices, accounts


def test_the_opening_burst_is_valid_avro_the_read_model_accepts_for_every_sku_and_customer() -> None:
    simulation, events = opening()

    items, prices, accounts = read_model(events, START)

    assert {e.topic for e in events} == set(CHECKOUT_TOPICS)
    assert all(e.key == e.record["sku"] for e in events if e.topic is not catalog.CUSTOMER_ACCOUNTS)
    assert set(items) == {f"SKU-{n:05d}" for n in range(200)}
    assert set(accounts) == {f"CUST-{n:04d}" for n in range(300)}
    assert {entry.sku for entry in prices if entry.rule is PriceRule.PRICE_LIST} == set(items)
    orders = [e.record for _ in range(2000) for e in simulation.next_events() if e.topic is catalog.ORDERS]
    assert orders and {o["customer"]["customer_id"] for o in orders} <= set(accounts)  # type: ignore[index]
    assert {line["sku"] for o in orders for line in o["lines"]} <= set(items)  # type: ignore[attr-defined]


def test_the_item_master_mixes_stocked_drop_ship_special_order_and_inactive_skus() -> None:
    _, events = opening()
    items, _, accounts = read_model(events, START)

    kinds = Counter(item.sourcing.value for item in items.values())
    assert kinds["STOCKED"] > len(items) * 0.9 and kinds["DROP_SHIP"] >= 2 and kinds["SPECIAL_ORDER"] >= 1
    assert all(item.supplier_id and item.lead_time_days for item in items.values()
               if item.sourcing.value != "STOCKED")
    assert 1 <= sum(not item.active for item in items.values()) <= 2
    assert sum(account.credit_hold for account in accounts.values()) == 1
    assert {account.status.value for account in accounts.values()} == {"ACTIVE"}
    assert any(account.restricted for account in accounts.values())


def test_drop_ship_skus_and_suppliers_agree_with_the_demo_sourcing_policy(tmp_path: Path) -> None:
    simulation, events = opening()
    items, _, _ = read_model(events, START)

    policy_file = write_sourcing_policy(tmp_path, simulation.demo)
    policy = sourcing_policy(policy_file)
    suppliers = supplier_locations(Settings(sourcing_policy_file=policy_file))

    drop_ship = {sku: item.supplier_id for sku, item in items.items() if item.sourcing.value == "DROP_SHIP"}
    assert dict(policy.drop_ship_skus) == drop_ship
    assert {item.supplier_id for item in items.values() if item.supplier_id} <= suppliers
    for item in items.values():
        if item.supplier_id:
            assert policy.lead_time_days_by_supplier[item.supplier_id] == item.lead_time_days
    assert json.loads(policy_file.read_text())["drop_ship_skus"] == drop_ship


def test_a_purchase_order_for_a_drop_ship_sku_is_shipped_by_its_item_master_supplier() -> None:
    simulation, _ = opening()
    sku = simulation.demo.showcase.drop_ship_sku
    supplier = simulation.demo.item(sku).supplier_id
    partners = Partners(seed=3)
    partners.erp_command({"envelope": {"event_id": "c1", "correlation_id": "corr-O-1"}, "command_id": "O-1/po/x",
                          "order_id": "O-1", "command": "CREATE_PURCHASE_ORDER", "priority": "NORMAL",
                          "payload": {"supplier": supplier, "lines": json.dumps([
                              {"line_id": "O-1-1", "sku": sku, "quantity": 2, "fulfilment_kind": "DROP_SHIP"}])}}, 0)

    answered = partners.due(60_000)

    shipments = [e.record for e in answered if e.topic is catalog.SHIPMENTS]
    assert [(s["location"], s["lines"]) for s in shipments] == [(supplier, [
        {"line_id": "O-1-1", "sku": sku, "quantity": 2}])]
    assert decoded([e for e in answered if e.topic is catalog.SHIPMENTS])
    assert [e.record["milestone"] for e in answered if e.topic is catalog.TRACKING][-1] == "DELIVERED"


def test_the_showcase_customer_pays_its_contract_now_and_a_future_contract_takes_over_without_a_new_event() -> None:
    simulation, events = opening()
    _, prices, accounts = read_model(events, START)
    show = simulation.demo.showcase
    account: CustomerAccount = accounts[show.customer_id]

    def quote(sku: str, quantity: int, at_ms: int):  # type: ignore[no-untyped-def]
        return resolve_price([p for p in prices if p.sku == sku], account, quantity, at_ms)

    contract = quote(show.contract_sku, 12, START)
    before, after = quote(show.future_contract_sku, 1, START), quote(show.future_contract_sku, 1,
                                                                        START + FUTURE_CONTRACT_MS)
    assert contract.rule is PriceRule.CUSTOMER_CONTRACT and contract.break_min_quantity == 10
    assert before.rule is PriceRule.PRICE_LIST and before.valid_until_ms == START + FUTURE_CONTRACT_MS
    assert after.rule is PriceRule.CUSTOMER_CONTRACT and after.unit_price < before.unit_price
    assert quote(show.list_sku, 1, START).rule in (PriceRule.PRICE_LIST, PriceRule.CUSTOMER_GROUP)
    assert not account.credit_hold and not account.restricted and "web" in account.channels
    windows = [p for p in prices if p.rule is PriceRule.CUSTOMER_CONTRACT and p.valid_to_ms is not None]
    assert windows and any(p.valid_to_ms < START for p in windows)  # an expired contract too
    assert any(p.valid_from_ms > START and p.scope_id != show.customer_id for p in prices)
    assert all(p.valid_from_ms >= START - 400 * DAY_MS for p in prices)


def test_the_banner_asks_about_the_showcase_customer_and_skus() -> None:
    simulation, _ = opening(skus=500)
    show = simulation.demo.showcase

    text = checkout_examples("http://api", "KEY", simulation.demo)

    assert f"http://api/v1/prices/{show.contract_sku}?customer={show.customer_id}&qty=12" in text
    body = json.loads(text.split("-d '", 1)[1].split("'", 1)[0])
    assert body["customer"] == show.customer_id
    assert [line["sku"] for line in body["lines"]] == [show.contract_sku, show.list_sku, show.drop_ship_sku]


def test_changes_during_the_run_move_prices_holds_and_entitlements_but_not_the_showcase_account() -> None:
    simulation = Simulation(seed=5, sku_count=100, start_ms=START, checkout_change_rate=0.05)
    events = list(simulation.opening_checkout())
    opened = {e.key: e.record for e in events if e.topic is catalog.CUSTOMER_ACCOUNTS}
    changes = [e for _ in range(4000) for e in simulation.next_events() if e.topic in CHECKOUT_TOPICS]

    _, prices, _ = read_model(changes, START + DAY_MS)
    accounts = [e.record for e in changes if e.topic is catalog.CUSTOMER_ACCOUNTS]
    assert 100 < len(changes) < 300  # about 5% of 4000 steps
    assert any(p.rule is PriceRule.PRICE_LIST for p in prices)
    assert any(a["credit_hold"] and not opened[a["customer_id"]]["credit_hold"] for a in accounts)  # set
    assert any(not a["credit_hold"] and opened[a["customer_id"]]["credit_hold"] for a in accounts)  # lifted
    assert any(len(a["allowed_skus"] or ()) + len(a["allowed_categories"] or ()) <
               len(opened[a["customer_id"]]["allowed_skus"] or ()) +
               len(opened[a["customer_id"]]["allowed_categories"] or ()) for a in accounts)  # entitlement removed
    assert simulation.demo.showcase.customer_id not in {a["customer_id"] for a in accounts}


def test_the_same_seed_publishes_the_same_checkout_data_and_another_seed_does_not() -> None:
    def run(seed: int) -> list:  # type: ignore[type-arg]
        simulation = Simulation(seed=seed, sku_count=100, start_ms=START, checkout_change_rate=0.05)
        return [e.record for e in simulation.opening_checkout()] + [
            e.record for _ in range(500) for e in simulation.next_events()]

    assert run(9) == run(9)
    assert run(9) != run(10)
    assert Simulation(seed=9, sku_count=100).demo == Simulation(seed=9, sku_count=100, start_ms=START).demo
