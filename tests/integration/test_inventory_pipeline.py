"""Source events → intake → SKU owner → derived topics, on the real broker (and Redis for the snapshot)."""
from __future__ import annotations

import io
import struct
from pathlib import Path

import fastavro
import pytest

from streams.devstack import Broker, RedisServer
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings, running_worker
from topics import catalog
from topics.partitioning import partition_for

pytestmark = pytest.mark.integration


@pytest.fixture
def flow(broker: Broker, redis_server: RedisServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    with pipeline(settings) as p, running_worker(settings):
        yield p


def latest_availability(p: Pipeline, sku: str, until_total: int | None = None) -> dict:  # type: ignore[type-arg]
    def reached(found: list[dict]) -> bool:  # type: ignore[type-arg]
        mine = [r for r in found if r["sku"] == sku]
        return bool(mine) and (until_total is None or mine[-1]["total_available"] == until_total)

    found = [r for r in p.read(catalog.AVAILABILITY_CHANGES, until=reached) if r["sku"] == sku]
    assert found, f"no availability change for {sku}"
    return found[-1]


def test_source_events_flow_into_the_table_and_out_as_availability_changes(flow: Pipeline) -> None:
    flow.produce(catalog.ON_HAND_SNAPSHOTS, "SKU-FLOW", events.on_hand_snapshot("SKU-FLOW", "EAST", 10))
    flow.produce(catalog.INVENTORY_MOVEMENTS, "SKU-FLOW", events.movement("SKU-FLOW", "EAST", "RECEIVED", 5))
    flow.produce(catalog.INVENTORY_MOVEMENTS, "SKU-FLOW", events.movement("SKU-FLOW", "WEST", "RECEIVED", 3))
    flow.flush()

    latest = latest_availability(flow, "SKU-FLOW", until_total=18)

    assert latest["total_available"] == 18
    assert {l["location"]: l["available"] for l in latest["locations"]} == {"EAST": 15, "WEST": 3}
    assert latest["envelope"]["source"] == "distflow"


def test_bad_records_are_dead_lettered_with_a_reason_and_the_next_good_record_is_processed(flow: Pipeline) -> None:
    good = flow.codec.encode(flow.names[catalog.INVENTORY_MOVEMENTS], "wms/inventory_movement",
                             events.movement("SKU-DLQ", "EAST", "RECEIVED", 4))
    without_location = _encode_without_field(flow, "location")
    bad = {
        "truncated": good[: len(good) // 2],
        "unknown schema id": b"\x00" + struct.pack(">I", 0x7FFFFFF0) + good[5:],
        "wrong magic byte": b'{"sku": "SKU-DLQ", "quantity": 4}',
        "missing required field": without_location,
    }
    for key, value in bad.items():
        flow.produce_raw(catalog.INVENTORY_MOVEMENTS, key.encode(), value, partition=0,
                         headers=[("origin", b"fault-test")])
    flow.produce_raw(catalog.INVENTORY_MOVEMENTS, b"SKU-DLQ", good, partition=0)
    flow.produce(catalog.INVENTORY_MOVEMENTS, "SKU-DLQ", events.movement("SKU-DLQ", "EAST", "RECEIVED", 0))
    flow.flush()

    dead = flow.read(catalog.DEAD_LETTERS, until=lambda found: len(found) >= 5)
    latest = latest_availability(flow, "SKU-DLQ", until_total=4)

    by_key = {d["original_key"]: d for d in dead}
    assert set(by_key) == {k.encode() for k in bad} | {b"SKU-DLQ"}
    for key, value in bad.items():
        letter = by_key[key.encode()]
        assert letter["original_value"] == value
        assert letter["source_topic"] == flow.names[catalog.INVENTORY_MOVEMENTS]
        assert letter["source_partition"] == 0 and letter["source_offset"] >= 0
        assert letter["reason"] and letter["reason_code"]
    assert by_key[b"wrong magic byte"]["reason_code"] == "wrong_magic_byte"
    assert by_key[b"unknown schema id"]["reason_code"] == "unknown_schema_id"
    assert by_key[b"SKU-DLQ"]["reason_code"] == "invalid_quantity"  # the zero-quantity receipt
    assert latest["total_available"] == 4


def snapshot_total(p: Pipeline, sku: str, expected: int, timeout_s: float = 10.0) -> int:
    import time

    import redis

    from streams.snapshot.entry import AvailabilityEntry
    from streams.snapshot.keys import availability_key

    client = redis.Redis.from_url(p.settings.redis_url.get_secret_value())
    deadline, total = time.time() + timeout_s, None
    while time.time() < deadline:
        raw = client.get(availability_key(p.settings.redis_key_prefix, sku))
        total = AvailabilityEntry.from_json(raw).total_available if raw else None
        if total == expected:
            break
        time.sleep(0.05)
    assert total is not None, f"{sku} never reached the Redis snapshot"
    return total


def _encode_without_field(flow: Pipeline, missing: str) -> bytes:
    """Bytes framed with the real schema id but written by a producer whose schema lacks a required field."""
    schema = flow.codec.current_schema("wms/inventory_movement")  # type: ignore[attr-defined]
    reduced = dict(schema)
    reduced["fields"] = [f for f in schema["fields"] if f["name"] != missing]
    record = events.movement("SKU-DLQ", "EAST", "RECEIVED", 4)
    del record[missing]
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(reduced), record)
    good = flow.codec.encode(flow.names[catalog.INVENTORY_MOVEMENTS], "wms/inventory_movement",
                             events.movement("SKU-DLQ", "EAST", "RECEIVED", 4))
    return good[:5] + body.getvalue()


def test_two_orders_racing_for_the_last_unit_from_different_partitions_one_wins(flow: Pipeline) -> None:
    sku = "SKU-LAST"
    flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 1))
    flow.flush()
    latest_availability(flow, sku, until_total=1)
    owner = partition_for(sku.encode(), 4)
    elsewhere = (owner + 1) % 4  # a producer with another partitioner puts one request on a foreign partition
    flow.produce(catalog.INVENTORY_COMMANDS, sku, events.reserve_command(sku, "ORD-A", "1", 1), partition=elsewhere)
    flow.produce(catalog.INVENTORY_COMMANDS, sku, events.reserve_command(sku, "ORD-B", "1", 1), partition=owner)
    flow.flush()

    results = flow.read(catalog.RESERVATION_RESULTS, until=lambda found: len(found) >= 2)
    latest = latest_availability(flow, sku, until_total=0)

    statuses = sorted(r["status"] for r in results)
    assert statuses == ["BACKORDERED", "RESERVED"]
    assert latest["total_available"] == 0
    assert snapshot_total(flow, sku, expected=0) == 0  # the storefront's read model says 0, never negative
    assert api_available(flow, sku) == 0


def api_available(p: Pipeline, sku: str) -> int:
    """What a storefront gets from the HTTP API (served over the same Redis)."""
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer
    from pydantic import SecretStr

    from streams.api.app import build_api
    from streams.snapshot.connection import snapshot_reader_client
    from streams.snapshot.reader import RedisAvailabilityReader

    settings = p.settings.model_copy(update={"api_keys": SecretStr("storefront-key-0001=availability:read")})

    async def ask() -> int:
        reader = RedisAvailabilityReader(snapshot_reader_client(settings), settings.redis_key_prefix)
        async with TestClient(TestServer(build_api(settings, reader))) as client:
            response = await client.get(f"/v1/availability/{sku}",
                                        headers={"Authorization": "Bearer storefront-key-0001"})
            assert response.status == 200
            return int((await response.json())["available"])

    return asyncio.run(ask())


def test_receipt_fills_backorders_first_in_first_out_and_release_returns_what_was_taken(flow: Pipeline) -> None:
    sku = "SKU-FIFO"
    flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 1))
    flow.flush()
    latest_availability(flow, sku, until_total=1)
    for order, ordered_at in (("ORD-1", 1000), ("ORD-2", 2000), ("ORD-3", 3000)):
        flow.produce(catalog.INVENTORY_COMMANDS, sku, events.reserve_command(sku, order, "1", 2, ordered_at))
    flow.flush()
    flow.read(catalog.RESERVATION_RESULTS, until=lambda found: len(found) >= 3)
    flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 3))
    flow.flush()

    results = flow.read(catalog.RESERVATION_RESULTS,
                        until=lambda found: sum(r["status"] == "FILLED" for r in found) >= 2)
    filled = [(r["order_id"], sum(x["quantity"] for x in r["reserved"])) for r in results if r["status"] == "FILLED"]
    assert filled[0] == ("ORD-1", 1)  # ORD-1 had 1 of 2; the first unit received completes it
    assert filled[1][0] == "ORD-2"

    flow.produce(catalog.INVENTORY_COMMANDS, sku, events.release_command(sku, "ORD-2", "1"))
    flow.flush()
    released = flow.read(catalog.RESERVATION_RESULTS,
                         until=lambda found: any(r["status"] == "RELEASED" for r in found))
    release = next(r for r in released if r["status"] == "RELEASED")
    held_by_order_2 = sum(x["quantity"] for r in results if r["order_id"] == "ORD-2" for x in r["reserved"])
    assert release["order_id"] == "ORD-2"
    assert sum(x["quantity"] for x in release["released"]) == held_by_order_2 == 2  # exactly what it took
    # what ORD-2 gave back goes to the next in line (ORD-3), first in first out
    refill = flow.read(catalog.RESERVATION_RESULTS,
                       until=lambda found: any(r["status"] == "FILLED" and r["order_id"] == "ORD-3" for r in found))
    assert any(r["status"] == "FILLED" and r["order_id"] == "ORD-3" for r in refill)


def test_the_worker_counts_which_sku_updates_took_the_stored_record_lane(broker: Broker, redis_server: RedisServer,
                                                                         tmp_path: Path) -> None:
    """Plain movements and a reservation met from stock change the stored record directly; a reservation that is
    backordered, and a receipt that fills it, go through the model: distflow_sku_updates_total says how much of the
    traffic each path carries. The lane's answer is published as the model's would be."""
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    sku = "SKU-PATHS"
    with pipeline(settings) as p, running_worker(settings) as worker:
        p.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 1))
        p.flush()
        latest_availability(p, sku, until_total=1)
        p.produce(catalog.INVENTORY_COMMANDS, sku, events.reserve_command(sku, "ORD-P", "1", 3, 1000))
        p.flush()
        p.read(catalog.RESERVATION_RESULTS, until=lambda found: len(found) >= 1)
        p.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 5))
        p.flush()
        p.read(catalog.RESERVATION_RESULTS, until=lambda found: any(r["status"] == "FILLED" for r in found))
        p.produce(catalog.INVENTORY_COMMANDS, sku, events.reserve_command(sku, "ORD-Q", "1", 2, 1000))
        p.flush()
        answers = p.read(catalog.RESERVATION_RESULTS, until=lambda found: any(r["order_id"] == "ORD-Q" for r in found))
        available = latest_availability(p, sku, until_total=1)["total_available"]  # 6 on hand, 3 + 2 reserved
        updates = {path: worker.registry.get_sample_value("distflow_sku_updates_total", {"path": path})
                   for path in ("stored_record", "model")}

    assert updates == {"stored_record": 2.0, "model": 2.0}
    answer = next(r for r in answers if r["order_id"] == "ORD-Q")
    assert (answer["status"], answer["reserved"], answer["backordered"], available) == (
        "RESERVED", [{"location": "EAST", "quantity": 2}], 0, 1)


def test_an_erp_snapshot_disagreeing_with_wms_movements_raises_a_drift_exception(flow: Pipeline) -> None:
    sku = "SKU-DRIFT"
    flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 10))
    flow.flush()
    latest_availability(flow, sku, until_total=10)
    flow.produce(catalog.ON_HAND_SNAPSHOTS, sku, events.on_hand_snapshot(sku, "EAST", 7))
    flow.flush()

    raised = flow.read(catalog.EXCEPTIONS, until=lambda found: any(e["subject_id"] == sku for e in found))
    drift = next(e for e in raised if e["subject_id"] == sku)

    assert drift["exception_type"] == "inventory_drift"
    assert drift["owner_team"] == "inventory-control"
    assert drift["details"]["difference"] == "-3"
    assert latest_availability(flow, sku, until_total=7)["total_available"] == 7
