"""Replay of a dead letter on the real broker: a stock receipt stamped too far ahead of the clock is dead-lettered
and opens an invalid_event case for integration support; once its cause is gone (the clock caught up) an operator
claims the case and replays it through the API — the original bytes and headers go back to the source topic — and
replays it once more by position: the units arrive exactly once and the case is resolved."""
from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from processors import inventory as inv
from streams.api.app import build_api
from streams.api.exceptions import KafkaActionSink, RedisExceptionReader
from streams.api.exceptions_replay import REPLAY_HEADER, REPLAYED_BY_HEADER, KafkaReplayer
from streams.workbench_view import read_exception_document
from streams.app import Worker
from streams.devstack import Broker, RedisServer
from streams.snapshot.connection import snapshot_reader_client
from streams.snapshot.reader import RedisAvailabilityReader
from streams.translate.validation import MAX_FUTURE_MS
from tests.ids import unique
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings, running_worker
from topics import catalog
from topics.partitioning import partition_for

pytestmark = pytest.mark.integration
KEY = "replay-operator-key-4411"
OPERATOR = "key-" + hashlib.sha256(KEY.encode()).hexdigest()[:10]


@pytest.fixture
def running(broker: Broker, redis_server: RedisServer,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, Worker]]:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path_factory.mktemp("replay") / "state",
                                 api_keys=SecretStr(f"{KEY}=exceptions:read,exceptions:write"))
    with pipeline(settings) as p, running_worker(settings) as worker:
        yield p, worker


def quiesce(worker: Worker, quiet_s: float = 1.5, timeout_s: float = 30.0) -> None:
    status = worker.engine.status
    deadline, seen, since = time.time() + timeout_s, -1, time.time()
    while time.time() < deadline:
        if status.records_in != seen:
            seen, since = status.records_in, time.time()
        elif time.time() - since >= quiet_s:
            return
        time.sleep(0.1)


def case_document(p: Pipeline, exception_id: str, state: str, timeout_s: float = 30.0) -> dict[str, Any] | None:
    """The case as the workbench view shows it, once it is in `state` (None if it never gets there)."""
    client = redis.Redis.from_url(p.settings.redis_url.get_secret_value())
    deadline, document = time.time() + timeout_s, None
    try:
        while time.time() < deadline:
            document = read_exception_document(client, p.settings.redis_key_prefix, exception_id)
            if document is not None and document["state"] == state:
                return document
            time.sleep(0.1)
    finally:
        client.close()
    return document


def on_hand(worker: Worker, sku: str) -> int:
    stage = next(s for s in worker.engine.stages if s.name == "inventory")
    record: inv.SkuRecord | None = stage.table.get(  # type: ignore[attr-defined]
        partition_for(sku.encode(), stage.partitions), sku.encode())  # type: ignore[attr-defined]
    return 0 if record is None else sum(stock.on_hand for stock in inv.from_record(record).locations)


async def claim_replay_then_replay_again(p: Pipeline, case_id: str, body: dict[str, Any]) -> list[tuple[int, Any]]:
    settings = p.settings
    client = snapshot_reader_client(settings)
    replayer, actions = KafkaReplayer(settings), KafkaActionSink(settings)
    app = build_api(settings, RedisAvailabilityReader(client, settings.redis_key_prefix), replayer=replayer,
                    exception_reader=RedisExceptionReader(client, settings.redis_key_prefix), action_sink=actions)
    auth = {"Authorization": f"Bearer {KEY}"}
    answers = []
    try:
        async with TestClient(TestServer(app)) as api:
            claimed = await api.post(f"/v1/exceptions/{case_id}/claim", json={}, headers=auth)
            answers.append((claimed.status, await claimed.json()))
            deadline = time.time() + 30
            while time.time() < deadline:
                listed = await (await api.get("/v1/exceptions?state=CLAIMED", headers=auth)).json()
                if case_id in [c["exception_id"] for c in listed["exceptions"]]:
                    break
                await asyncio.sleep(0.1)
            replayed = await api.post(f"/v1/exceptions/{case_id}/replay", json={"note": "producer clock fixed"},
                                      headers=auth)
            answers.append((replayed.status, await replayed.json()))
            again = await api.post("/v1/dead-letters/replay", json=body, headers=auth)
            answers.append((again.status, await again.json()))
    finally:
        replayer.close()
        actions.close()
        await client.aclose()
    return answers


def test_a_fixed_dead_letter_replayed_twice_takes_effect_exactly_once(running: tuple[Pipeline, Worker]) -> None:
    p, worker = running
    sku = unique("SKU-REPLAY")
    receipt = events.movement(sku, "EAST", "RECEIVED", 7)
    ahead_ms = int(time.time() * 1000) + MAX_FUTURE_MS + 3_000
    receipt["envelope"]["occurred_at"] = receipt["envelope"]["produced_at"] = ahead_ms  # type: ignore[index]
    value = p.codec.encode(p.names[catalog.INVENTORY_MOVEMENTS], catalog.INVENTORY_MOVEMENTS.value_schema or "",
                           receipt)
    p.produce_raw(catalog.INVENTORY_MOVEMENTS, sku.encode(), value, headers=[("correlation_id", b"corr-replay"),
                                                                              ("traceparent", b"00-feed")])
    p.flush()
    letters = p.read(catalog.DEAD_LETTERS, until=lambda rs: any(r["key"] == sku.encode() for r in rs))
    (letter,) = [r for r in letters if r["key"] == sku.encode()]
    assert letter["reason_code"] == "occurred_in_future"
    source = f"{letter['source_topic']}:{letter['source_partition']}@{letter['source_offset']}"
    raised = p.read(catalog.EXCEPTIONS, until=lambda rs: any(r["subject_id"] == source for r in rs))
    (case,) = [r for r in raised if r["subject_id"] == source]
    assert (case["exception_type"], case["owner_team"], case["details"]["replayable"]) == (
        "invalid_event", "integration-support", "true")
    opened = case_document(p, case["exception_id"], "OPEN")  # the API acts on what the view shows
    assert opened is not None and opened["state"] == "OPEN"
    quiesce(worker)
    assert on_hand(worker, sku) == 0

    while int(time.time() * 1000) + MAX_FUTURE_MS < ahead_ms + 500:  # the cause: wait for the clock to catch up
        time.sleep(0.2)
    position = {"source_topic": letter["source_topic"], "partition": letter["source_partition"],
                "offset": letter["source_offset"], "note": "producer clock fixed"}
    answers = asyncio.run(claim_replay_then_replay_again(p, case["exception_id"], position))

    assert [status for status, _ in answers] == [202, 202, 202], answers
    deadline = time.time() + 30
    while on_hand(worker, sku) != 7 and time.time() < deadline:
        time.sleep(0.1)
    quiesce(worker)
    assert on_hand(worker, sku) == 7  # once, although replayed twice
    copies = [r for r in p.read(catalog.INVENTORY_MOVEMENTS, decode=False) if r["key"] == sku.encode()]
    assert [r["value"] for r in copies] == [value] * 3  # one partition (the original's): the original first
    assert REPLAY_HEADER not in copies[0]["headers"]
    for replayed in copies[1:]:
        assert replayed["headers"]["correlation_id"] == b"corr-replay"
        assert replayed["headers"]["traceparent"] == b"00-feed"
        assert replayed["headers"][REPLAY_HEADER] == source.encode()
        assert replayed["headers"][REPLAYED_BY_HEADER] == OPERATOR.encode()
    assert [r["key"] for r in p.read(catalog.DEAD_LETTERS)].count(sku.encode()) == 1
    audits = [a for a in p.read(catalog.EXCEPTION_AUDIT, until=lambda rs: sum(
        r["exception_id"] == f"dead_letter:{source}" for r in rs) >= 2) if a["exception_id"] == f"dead_letter:{source}"]
    assert [(a["action"], a["operator"], a["note"]) for a in audits] == [("replay", OPERATOR, "producer clock fixed")] * 2
    document = case_document(p, case["exception_id"], "RESOLVED")
    assert document is not None and (document["state"], document["claimed_by"]) == ("RESOLVED", OPERATOR)


def test_the_replayer_finds_a_record_in_a_partitions_last_batch(broker: Broker, redis_server: RedisServer,
                                                                tmp_path: Any) -> None:
    """The embedded broker reports a high watermark short of the end when a partition's last batch holds many
    records: the original of a recent dead letter must still be found there (the read's partition EOF decides)."""
    from confluent_kafka import Producer

    from streams.topic_names import DeployedCatalog

    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    with pipeline(settings):
        topic = DeployedCatalog(settings)[catalog.INVENTORY_MOVEMENTS]
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
        for number in range(2_000):  # fast, into partition 0: it ends in a batch of many records
            producer.produce(topic, f"movement-{number}".encode(), b"SKU-LAST", partition=0)
        assert producer.flush(30) == 0

        found = asyncio.run(KafkaReplayer(settings).original(topic, 0, 1_999))
        beyond = asyncio.run(KafkaReplayer(settings).original(topic, 0, 2_000))

    assert found is not None and found.value == b"movement-1999"
    assert beyond is None
