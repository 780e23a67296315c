"""A worker that dies at its Redis views: the views still catch up after the restart. The order view is written after
the batch's state is persisted, so the redelivered facts change nothing there (the stage stages those keys' views
again); the availability snapshot is written before the batch's outputs and changelog are acknowledged, so a
worker dying just before or just after that write applies the batch again after the restart. Real broker, real
Redis; the crash is the Redis flush raising in the first worker."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from streams.app import build_order_view, build_worker
from streams.devstack import Broker, RedisServer
from streams.order_view import read_order_document
from streams.settings import Settings
from streams.snapshot_sink import build_snapshot_sink
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings
from tests.integration.test_inventory_pipeline import snapshot_total
from topics import catalog

pytestmark = pytest.mark.integration

SKUS = [f"SKU-VIEW-{i}" for i in range(8)]


class Crash(BaseException):
    """The process dying: nothing after this point of the batch happens."""


class DiesOnFlush:
    """A view whose first flush with something to write is the moment the process dies (after the batch's state
    was persisted, before anything reached Redis)."""

    def __init__(self, real) -> None:  # type: ignore[no-untyped-def]
        self.real = real

    def stage(self, *args) -> None:  # type: ignore[no-untyped-def]
        self.real.stage(*args)

    @property
    def pending(self) -> int:
        return self.real.pending  # type: ignore[no-any-return]

    def flush(self) -> None:
        if self.real.pending:
            raise Crash()
        self.real.flush()


class DiesAfterFlush(DiesOnFlush):
    """A view whose first flush with something to write reaches Redis, and then the process dies (before the
    batch's outputs and changelog are acknowledged, for the availability snapshot)."""

    def flush(self) -> None:
        had_entries = bool(self.real.pending)
        self.real.flush()
        if had_entries:
            raise Crash()


@contextmanager
def running(settings: Settings, dies_at: str | None = None) -> Iterator[threading.Event]:
    """A worker in a thread; dies_at "snapshot", "after snapshot" or "order view": the flush at which it dies."""
    sink, view = build_snapshot_sink(settings, _metrics()), build_order_view(settings)
    if dies_at == "snapshot":
        sink = DiesOnFlush(sink)  # type: ignore[assignment]
    elif dies_at == "after snapshot":
        sink = DiesAfterFlush(sink)  # type: ignore[assignment]
    elif dies_at == "order view":
        view = DiesOnFlush(view)  # type: ignore[assignment]
    worker = build_worker(settings, sink=sink, order_view=view)  # type: ignore[arg-type]
    stop, died = threading.Event(), threading.Event()

    def run() -> None:
        try:
            worker.run(stop)
        except Crash:
            died.set()

    thread = threading.Thread(target=run, name="view-crash-worker")
    thread.start()
    try:
        yield died
    finally:
        stop.set()
        thread.join(30)


def _metrics():  # type: ignore[no-untyped-def]
    from prometheus_client import CollectorRegistry

    from streams.metrics import WorkerMetrics
    return WorkerMetrics.create(CollectorRegistry())


def wait_for(condition, timeout_s: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout_s
    while not condition() and time.time() < deadline:
        time.sleep(0.1)
    return bool(condition())


def receive(flow: Pipeline, quantities: dict[str, int]) -> None:
    """A receipt at EAST per SKU, produced and flushed."""
    for sku, quantity in quantities.items():
        flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", quantity))
    flow.flush()


def test_the_snapshot_catches_up_after_a_crash_at_its_redis_flush(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    with pipeline(settings) as flow:
        receive(flow, {sku: i + 2 for i, sku in enumerate(SKUS)})
        with running(settings, dies_at="snapshot") as died:
            assert wait_for(died.is_set), "the first worker never reached its snapshot flush"
        client = redis.Redis.from_url(settings.redis_url.get_secret_value())
        assert not client.keys(f"{settings.redis_key_prefix}*avail*")  # it died before writing

        with running(settings):
            totals = {sku: snapshot_total(flow, sku, expected=i + 2, timeout_s=30) for i, sku in enumerate(SKUS)}

    assert totals == {sku: i + 2 for i, sku in enumerate(SKUS)}


def test_snapshot_entries_written_before_a_crash_agree_with_the_state_the_restart_applies_again(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    """Entries are written before the batch's acknowledgements, a SKU's first receipt's too (the exception, a SKU
    first stocked in a batch that a RESERVE also reached, is tests/unit/streams/test_inventory_stage_views.py)."""
    from streams.agents.inventory import inventory_table_codec
    from streams.engine.state import ChangelogTable
    from streams.snapshot.entry import AvailabilityEntry
    from streams.snapshot.keys import SnapshotKeys
    from streams.topic_names import DeployedCatalog

    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = SnapshotKeys(settings.redis_key_prefix)
    new_sku = "SKU-VIEW-NEW"

    def entry(sku: str) -> AvailabilityEntry | None:
        raw = client.get(keys.availability(sku))
        return None if raw is None else AvailabilityEntry.from_json(raw)  # type: ignore[arg-type]

    with pipeline(settings) as flow:
        receive(flow, {sku: i + 2 for i, sku in enumerate(SKUS)})
        with running(settings):  # stocked: version 1, durable
            assert all(snapshot_total(flow, sku, expected=i + 2, timeout_s=30) == i + 2 for i, sku in enumerate(SKUS))
        receive(flow, {sku: 1 for sku in [*SKUS, new_sku]})
        with running(settings, dies_at="after snapshot") as died:
            assert wait_for(died.is_set), "the second worker never reached its snapshot flush"
        early, early_new = {sku: entry(sku) for sku in SKUS}, entry(new_sku)
        table = ChangelogTable("inventory_by_sku", DeployedCatalog(settings)[catalog.INVENTORY_CHANGELOG], "",
                               inventory_table_codec(), tmp_path / "state")
        assert all(table.partition_path(p).exists() for p in range(4))  # the worker's own stores, opened again
        for p in range(4):
            table.open(p)
        persisted = {sku: record["version"] for p in range(4) for sku in [*SKUS, new_sku]
                     if (record := table.get(p, sku.encode()))}
        table.close_all()

        with running(settings):
            totals = {sku: snapshot_total(flow, sku, expected=i + 3, timeout_s=30) for i, sku in enumerate(SKUS)}
            new_total = snapshot_total(flow, new_sku, expected=1, timeout_s=30)
        final = {sku: entry(sku) for sku in [*SKUS, new_sku]}

    # it died before its changelog was acknowledged: the stores hold the first batch only, Redis already the second
    assert persisted == {sku: 1 for sku in SKUS}
    assert any(e is not None and e.version == 2 for e in early.values()), "no entry was written before the crash"
    assert early_new is None or (early_new.version, early_new.total_available) == (1, 1)  # if in that batch
    for i, sku in enumerate(SKUS):  # an early entry is what the restart reached again: same version, same figures
        e, f = early[sku], final[sku]
        assert e is not None and f is not None and e.version in (1, 2) and f.version == 2
        assert e.total_available == (i + 3 if e.version == 2 else i + 2) and f.total_available == i + 3
    assert totals == {sku: i + 3 for i, sku in enumerate(SKUS)} and new_total == 1
    assert (final[new_sku].version, final[new_sku].total_available) == (1, 1)  # type: ignore[union-attr]


def test_the_order_view_catches_up_after_a_crash_between_the_state_and_the_redis_flush(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    with pipeline(settings) as flow:
        flow.produce(catalog.ORDERS, "O-VIEW-1", events.order_placed("O-VIEW-1", [events.order_line("1", "SKU-X", 1)]))
        flow.flush()
        client = redis.Redis.from_url(settings.redis_url.get_secret_value())
        with running(settings, dies_at="order view") as died:
            assert wait_for(died.is_set), "the first worker never reached its order view flush"
        assert read_order_document(client, settings.redis_key_prefix, "O-VIEW-1") is None  # it died before writing

        with running(settings):
            placed = wait_for(lambda: read_order_document(client, settings.redis_key_prefix, "O-VIEW-1") is not None)

    assert placed, "the order's view never reached Redis after the restart"


def test_entries_a_worker_held_when_it_died_during_a_redis_outage_are_written_by_the_next_owner(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    from pydantic import SecretStr

    from streams.agents.snapshot_republish import VIEWS_PENDING_KEY
    from streams.devstack import free_port
    from streams.topic_names import DeployedCatalog
    from tests.integration.pipeline import read_topic

    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "first")
    redis_down = settings.model_copy(update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0"),
                                             "state_dir": tmp_path / "during-outage"})
    changelog = DeployedCatalog(settings)[catalog.INVENTORY_CHANGELOG]
    with pipeline(settings) as flow:
        for sku in SKUS:
            flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 2))
        flow.flush()
        with running(settings):  # published: entries and every partition's marker in Redis
            assert [snapshot_total(flow, sku, expected=2, timeout_s=30) for sku in SKUS] == [2] * len(SKUS)

        with running(redis_down):  # Redis unreachable for this worker: it holds the new entries, then dies
            for sku in SKUS:
                flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 10))
            flow.flush()
            assert wait_for(lambda: any(key == VIEWS_PENDING_KEY and value is not None
                                        for key, value, _ in read_topic(broker.bootstrap, changelog))), \
                "the worker never recorded in its changelog that it holds entries"
            def applied(found: list[dict]) -> bool:  # type: ignore[type-arg]
                return sum(f["total_available"] == 12 for f in found) >= len(SKUS)

            assert applied(flow.read(catalog.AVAILABILITY_CHANGES, until=applied, timeout_s=30))
        assert [snapshot_total(flow, sku, expected=2) for sku in SKUS] == [2] * len(SKUS)  # Redis still stale

        with running(settings.model_copy(update={"state_dir": tmp_path / "next-owner"})):
            totals = [snapshot_total(flow, sku, expected=12, timeout_s=30) for sku in SKUS]

    assert totals == [12] * len(SKUS)
