"""The exception workbench on the real broker and Redis: an exception raised by real events becomes an open case,
operators' actions move it (one claim holder, no way out of resolved, each action once), every step is audited,
and the Redis queues follow."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from processors import workbench as w
from streams.app import Worker
from streams.devstack import Broker, RedisServer
from streams.workbench_view import open_index_key, owner_index_key, read_exception_document
from tests.ids import unique
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings, running_worker
from topics import catalog
from topics.partitioning import partition_for

pytestmark = pytest.mark.integration


class Bench:
    def __init__(self, p: Pipeline, worker: Worker, client: redis.Redis) -> None:
        self.p, self.worker, self.client = p, worker, client
        self.prefix = p.settings.redis_key_prefix

    def unknown_sku_exception(self) -> str:
        order_id, sku = unique("O-WB"), unique("GHOST")
        self.p.produce(catalog.ORDERS, order_id, events.order_placed(order_id, [events.order_line("L1", sku, 1)]))
        self.p.flush()
        found = self.p.read(catalog.EXCEPTIONS, until=lambda rs: any(r["subject_id"] == order_id for r in rs))
        mine = [r for r in found if r["subject_id"] == order_id and r["exception_type"] == "unknown_sku"]
        assert mine, f"no unknown_sku exception for {order_id}"
        return str(mine[0]["exception_id"])

    def act(self, exception_id: str, action: str, operator: str, note: str = "", action_id: str | None = None) -> str:
        action_id = action_id or str(uuid.uuid4())
        self.p.produce(catalog.OPERATOR_ACTIONS, exception_id, {
            "envelope": events.envelope("OperatorAction", "distflow", event_id=action_id),
            "exception_id": exception_id, "action_id": action_id, "action": action, "operator": operator,
            "note": note})
        self.p.flush()
        return action_id

    def document(self, exception_id: str) -> dict[str, Any] | None:
        return read_exception_document(self.client, self.prefix, exception_id)

    def wait_document(self, exception_id: str, check: Callable[[dict[str, Any]], bool],
                      timeout_s: float = 30.0) -> dict[str, Any]:
        deadline, document = time.time() + timeout_s, None
        while time.time() < deadline:
            document = self.document(exception_id)
            if document is not None and check(document):
                return document
            time.sleep(0.1)
        raise AssertionError(f"exception {exception_id} never matched: {json.dumps(document)[:800]}")

    def audits(self, exception_id: str, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        def mine(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in found if r["exception_id"] == exception_id]
        return mine(self.p.read(catalog.EXCEPTION_AUDIT, until=lambda found: until(mine(found))))

    def case(self, exception_id: str) -> w.ExceptionCase | None:
        stage = next(s for s in self.worker.engine.stages if s.name == "workbench")
        partition = partition_for(exception_id.encode(), self.p.settings.topic_partitions or 6)
        return stage.table.get(partition, exception_id.encode())  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(scope="module")
def bench(broker: Broker, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path_factory.mktemp("workbench") / "state",
                                 exception_routing="inventory_drift=stock-audit")
    client = redis.Redis.from_url(redis_server.url)
    with pipeline(settings) as p, running_worker(settings) as worker:
        yield Bench(p, worker, client)
    client.close()


def test_an_unknown_sku_becomes_an_open_case_in_its_teams_queue(bench: Bench) -> None:
    exception_id = bench.unknown_sku_exception()

    document = bench.wait_document(exception_id, lambda d: d["state"] == "OPEN")

    assert document["owner_team"] == "customer-service" and document["exception_type"] == "unknown_sku"
    assert bench.client.zscore(owner_index_key(bench.prefix, "customer-service"), exception_id) is not None
    assert bench.client.zscore(open_index_key(bench.prefix), exception_id) is not None
    raised = bench.audits(exception_id, lambda found: bool(found))
    assert [(a["action"], a["operator"], a["to_state"]) for a in raised] == [("raise", "distflow", "OPEN")]


def test_routing_puts_a_type_in_another_teams_queue(bench: Bench) -> None:
    sku = unique("SKU-DRIFT")
    bench.p.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 20))
    bench.p.flush()
    bench.p.read(catalog.AVAILABILITY_CHANGES, until=lambda rs: any(r["sku"] == sku for r in rs))  # applied first:
    bench.p.produce(catalog.ON_HAND_SNAPSHOTS, sku, events.on_hand_snapshot(sku, "EAST", 5))  # the ERP disagrees
    bench.p.flush()
    raised = bench.p.read(catalog.EXCEPTIONS, until=lambda rs: any(r["subject_id"] == sku for r in rs))
    (drift,) = [r for r in raised if r["subject_id"] == sku and r["exception_type"] == "inventory_drift"]

    document = bench.wait_document(str(drift["exception_id"]), lambda d: d["state"] == "OPEN")

    assert drift["owner_team"] == "inventory-control"  # the catalog's team, as raised
    assert document["owner_team"] == "stock-audit"  # the deployment's routing
    assert bench.client.zscore(owner_index_key(bench.prefix, "stock-audit"), drift["exception_id"]) is not None


def test_claim_resolve_one_holder_each_action_once_and_every_step_audited(bench: Bench) -> None:
    exception_id = bench.unknown_sku_exception()
    bench.wait_document(exception_id, lambda d: d["state"] == "OPEN")

    claim = bench.act(exception_id, "claim", "key-alice")
    bench.act(exception_id, "claim", "key-bob")
    bench.act(exception_id, "claim", "key-alice", action_id=claim)  # redelivered: no effect, no audit
    bench.act(exception_id, "resolve", "key-alice", note="SKU created in the ERP; order released")
    bench.act(exception_id, "dismiss", "key-alice")

    document = bench.wait_document(exception_id, lambda d: d["state"] == "RESOLVED")
    audits = bench.audits(exception_id, lambda found: len(found) >= 5)
    assert [(a["action"], a["operator"], a["outcome"], a["to_state"], a["reason"]) for a in audits] == [
        ("raise", "distflow", "APPLIED", "OPEN", audits[0]["reason"]),
        ("claim", "key-alice", "APPLIED", "CLAIMED", ""),
        ("claim", "key-bob", "REFUSED", "CLAIMED", "claimed_by_another"),
        ("resolve", "key-alice", "APPLIED", "RESOLVED", ""),
        ("dismiss", "key-alice", "REFUSED", "RESOLVED", "closed")]
    assert document["claimed_by"] == "key-alice" and document["note"] == "SKU created in the ERP; order released"
    assert bench.client.zscore(owner_index_key(bench.prefix, "customer-service"), exception_id) is None
    case = bench.case(exception_id)
    assert case is not None and case.state is w.CaseState.RESOLVED and case.version == 3


def test_through_the_real_api_claim_and_resolve_reach_the_table_and_the_summary_has_the_workers_figures(
        bench: Bench) -> None:
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer
    from pydantic import SecretStr

    from streams.api.app import build_api
    from streams.api.exceptions import KafkaActionSink, RedisExceptionReader
    from streams.snapshot.connection import snapshot_reader_client
    from streams.snapshot.reader import RedisAvailabilityReader

    key = "workbench-integration-key-1"
    settings = bench.p.settings.model_copy(update={"api_keys": SecretStr(f"{key}=exceptions:read,exceptions:write")})
    exception_id = bench.unknown_sku_exception()
    bench.wait_document(exception_id, lambda d: d["state"] == "OPEN")
    auth = {"Authorization": f"Bearer {key}"}

    async def scenario() -> tuple[list[int], Any, Any]:
        client = snapshot_reader_client(settings)
        sink = KafkaActionSink(settings)
        app = build_api(settings, RedisAvailabilityReader(client, settings.redis_key_prefix),
                        exception_reader=RedisExceptionReader(client, settings.redis_key_prefix), action_sink=sink)
        statuses = []
        try:
            async with TestClient(TestServer(app)) as api:
                listed = await (await api.get("/v1/exceptions?owner=customer-service", headers=auth)).json()
                statuses.append((await api.post(f"/v1/exceptions/{exception_id}/claim", json={},
                                                headers=auth)).status)
                deadline = time.time() + 30
                while bench.document(exception_id)["state"] != "CLAIMED" and time.time() < deadline:  # type: ignore[index]
                    await asyncio.sleep(0.1)
                statuses.append((await api.post(f"/v1/exceptions/{exception_id}/resolve",
                                                json={"note": "SKU set up"}, headers=auth)).status)
                summary = await (await api.get("/v1/ops/summary", headers=auth)).json()
        finally:
            sink.close()
            await client.aclose()
        return statuses, listed, summary

    statuses, listed, summary = asyncio.run(scenario())

    assert statuses == [202, 202]
    assert exception_id in [c["exception_id"] for c in listed["exceptions"]]
    resolved = bench.wait_document(exception_id, lambda d: d["state"] == "RESOLVED")
    operator = resolved["claimed_by"]
    assert operator.startswith("key-") and resolved["note"] == "SKU set up"
    audits = bench.audits(exception_id, lambda found: len(found) >= 3)
    assert [(a["action"], a["operator"], a["to_state"]) for a in audits] == [
        ("raise", "distflow", "OPEN"), ("claim", operator, "CLAIMED"), ("resolve", operator, "RESOLVED")]
    assert summary["workers"] >= 1 and "commerce" in summary["sync_lag"]
    assert sum(summary["order_backlog"].values()) >= 0


def test_an_older_case_never_replaces_a_newer_one_nor_reopens_a_closed_case_in_redis(
        redis_server: RedisServer) -> None:
    from streams.workbench_view import WorkbenchViewWriter

    client = redis.Redis.from_url(redis_server.url)
    prefix = unique("wbview") + ":"
    raised = w.Raised("shortfall:evt-9:SKU-9", "shortfall", "inventory-control", "critical", "lost stock", "sku",
                      "SKU-9", (), 1_000)
    opened = w.raise_case(None, raised)[0]
    claimed = w.act(opened, w.OperatorAction("a1", raised.exception_id, "claim", "key-a", 2_000), ("resolve",))[0]
    resolved = w.act(claimed, w.OperatorAction("a2", raised.exception_id, "resolve", "key-a", 3_000, "found"),
                     ("resolve",))[0]
    assert resolved is not None and claimed is not None
    newer, older = WorkbenchViewWriter(client, prefix), WorkbenchViewWriter(client, prefix)

    newer.stage(resolved)
    newer.flush()
    older.stage(claimed)  # a worker that lost the partition still flushing what it had
    older.stage(opened)
    older.flush()

    document = read_exception_document(client, prefix, raised.exception_id)
    assert document is not None and (document["state"], document["version"]) == ("RESOLVED", 3)
    assert client.zscore(owner_index_key(prefix, "inventory-control"), raised.exception_id) is None
    assert client.zscore(open_index_key(prefix), raised.exception_id) is None
    assert client.ttl(f"{prefix}exception:{raised.exception_id}") > 0
    client.close()
