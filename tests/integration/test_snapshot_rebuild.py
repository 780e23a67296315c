"""`distflow snapshot rebuild` against the real broker and redis-server: entries Redis lost come back from the
inventory changelog with the workers' own figures and versions; a newer entry is never replaced; a second run
writes nothing (streams/snapshot_rebuild.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from pydantic import SecretStr

from streams.cli import main
from streams.devstack import Broker, RedisServer, free_port
from streams.settings import Settings
from streams.snapshot.connection import snapshot_writer_client
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.keys import SnapshotKeys
from streams.snapshot.writer import SnapshotWriter
from streams.snapshot_rebuild import SnapshotRebuildFailed, rebuild_snapshot
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings, running_worker
from tests.reliability.harness import wait_until
from topics import catalog

pytestmark = pytest.mark.integration
WAIT_LIMIT_S = 30.0  # a bound on waiting for the worker, never a figure under test
STOCK = {"LAMP-1": {"EAST": 5}, "DESK-2": {"EAST": 2, "WEST": 7}, "STOOL-3": {"WEST": 4}}


def entries(client: redis.Redis, settings: Settings) -> dict[str, AvailabilityEntry]:
    keys = SnapshotKeys(settings.redis_key_prefix)
    found = {}
    for sku in STOCK:
        raw = client.get(keys.availability(sku))
        if raw is not None:
            found[sku] = AvailabilityEntry.from_json(raw)  # type: ignore[arg-type]
    return found


def stocked(broker: Broker, redis_server: RedisServer, state_dir: Path) -> tuple[Settings, dict[str, AvailabilityEntry]]:
    """STOCK received through a running worker, every entry visible in Redis: (settings, the entries)."""
    settings = pipeline_settings(broker.bootstrap, redis_server.url, state_dir)
    client = snapshot_writer_client(settings)
    with pipeline(settings) as flow, running_worker(settings):
        receive_stock(flow)
        wait_until(lambda: stock_shown(client, settings), WAIT_LIMIT_S, f"the snapshot showing {STOCK}")
    return settings, entries(client, settings)


def receive_stock(flow: Pipeline) -> None:
    for sku, by_location in STOCK.items():
        for location, quantity in by_location.items():
            flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, location, "RECEIVED", quantity))
    flow.flush()


def stock_shown(client: redis.Redis, settings: Settings) -> bool:
    return {sku: dict(e.locations) for sku, e in entries(client, settings).items()} == STOCK


def test_entries_redis_lost_come_back_with_their_versions_and_a_newer_one_is_kept(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings, before = stocked(broker, redis_server, tmp_path / "state")
    client = snapshot_writer_client(settings)
    keys = SnapshotKeys(settings.redis_key_prefix)
    client.delete(keys.availability("LAMP-1"), keys.availability("DESK-2"))  # lost, as after a restart of Redis
    newer = AvailabilityEntry("STOOL-3", before["STOOL-3"].version + 5, before["STOOL-3"].as_of_ms + 1, 1, {"WEST": 1})
    writer = SnapshotWriter(client, settings.redis_key_prefix)
    writer.stage(newer)
    assert writer.flush().ok

    report = rebuild_snapshot(settings, SnapshotWriter(client, settings.redis_key_prefix))
    after = entries(client, settings)
    again = rebuild_snapshot(settings, SnapshotWriter(client, settings.redis_key_prefix))

    assert (report.skus, report.written, report.kept_newer) == (3, 2, 1)
    assert report.changelog_records >= 3
    for sku in ("LAMP-1", "DESK-2"):
        assert (after[sku].version, after[sku].total_available, dict(after[sku].locations)) == (
            before[sku].version, before[sku].total_available, dict(before[sku].locations))
        assert after[sku].as_of_ms == before[sku].as_of_ms
    assert (after["STOOL-3"].version, after["STOOL-3"].total_available) == (newer.version, 1)
    assert (again.written, again.kept_newer) == (0, 3)


def test_the_command_prints_its_report_and_fails_clearly_without_the_catalog(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings, _ = stocked(broker, redis_server, tmp_path / "state")
    client = snapshot_writer_client(settings)
    client.delete(SnapshotKeys(settings.redis_key_prefix).availability("LAMP-1"))
    env = {"DISTFLOW_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "DISTFLOW_REDIS_URL": redis_server.url,
           "DISTFLOW_TOPIC_PREFIX": settings.topic_prefix, "DISTFLOW_REDIS_KEY_PREFIX": settings.redis_key_prefix,
           "DISTFLOW_APP_ID": settings.app_id, "DISTFLOW_LOG_FORMAT": "text"}

    done = CliRunner().invoke(main, ["snapshot", "rebuild"], env=env)
    missing = CliRunner().invoke(main, ["snapshot", "rebuild"], env={**env, "DISTFLOW_TOPIC_PREFIX": "nowhere."})

    assert done.exit_code == 0, done.output
    assert json.loads(done.output.strip().splitlines()[-1])["written"] == 1
    assert entries(client, settings)["LAMP-1"].total_available == 5
    assert missing.exit_code == 1 and "changelog topic 'nowhere." in missing.output
    assert "not found: wrong DISTFLOW_TOPIC_PREFIX" in missing.output


def test_redis_down_is_an_error_that_says_so(broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings, _ = stocked(broker, redis_server, tmp_path / "state")
    nowhere = settings.model_copy(update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0")})

    with pytest.raises(SnapshotRebuildFailed, match="redis_unavailable"):
        rebuild_snapshot(nowhere, SnapshotWriter(snapshot_writer_client(nowhere), nowhere.redis_key_prefix))


def test_a_running_worker_writes_again_by_itself_what_redis_lost(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    client = snapshot_writer_client(settings)
    keys = SnapshotKeys(settings.redis_key_prefix)
    with pipeline(settings) as flow, running_worker(settings) as worker:
        receive_stock(flow)
        wait_until(lambda: stock_shown(client, settings), WAIT_LIMIT_S, "stocked")
        markers = [keys.partition_published(p) for p in range(flow.settings.topic_partitions)]
        wait_until(lambda: all(client.exists(m) for m in markers), WAIT_LIMIT_S, "every partition marked published")
        before = entries(client, settings)
        stage = next(s for s in worker.engine.stages if s.name == "inventory")
        republished = stage.republisher.republished  # type: ignore[attr-defined]

        lost = list(client.scan_iter(f"{settings.redis_key_prefix}*"))
        client.delete(*lost)  # what a restart of Redis without persistence leaves: nothing under the prefix

        wait_until(lambda: figures(entries(client, settings)) == figures(before), WAIT_LIMIT_S,
                   "the lost entries written again")
        wait_until(lambda: all(client.exists(m) for m in markers), WAIT_LIMIT_S, "the markers set again")
        assert stage.republisher.republished == republished + len(STOCK)  # type: ignore[attr-defined]
        assert worker.registry.get_sample_value("distflow_snapshot_republished_entries_total") == \
            stage.republisher.republished  # type: ignore[attr-defined]


def figures(found: dict[str, AvailabilityEntry]) -> dict[str, tuple[object, ...]]:
    return {sku: (e.version, e.as_of_ms, e.total_available, dict(e.locations)) for sku, e in found.items()}

