"""SIGKILL the worker process mid-stream, several times; the restarted worker restores its table from the changelog
and the final positions equal an answer computed here, independently of processors/ (no unit lost or doubled)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from streams.devstack import Broker, RedisServer, free_port
from streams.snapshot.keys import SnapshotKeys
from tests.integration import events
from tests.integration.pipeline import pipeline, pipeline_settings, read_topic
from topics import catalog

pytestmark = pytest.mark.integration
SKUS, LOCATIONS, EVENTS = 150, ("EAST", "WEST"), 12_000


def generate(seed: int) -> tuple[list[dict], dict[tuple[str, str], int]]:  # type: ignore[type-arg]
    """Receipts and adjustments (never below zero per location), 10% delivered twice; and the expected on hand."""
    rng, on_hand, records = random.Random(seed), {}, []
    for index in range(EVENTS):
        sku, location = f"SKU-K{rng.randrange(SKUS):03d}", rng.choice(LOCATIONS)
        current = on_hand.get((sku, location), 0)
        quantity = rng.randrange(1, 20) if current < 3 or rng.random() < 0.6 else -rng.randrange(1, min(current, 3) + 1)
        kind = "RECEIVED" if quantity > 0 and rng.random() < 0.7 else "ADJUSTED"
        record = events.movement(sku, location, kind, quantity, event_id=f"crash-{seed}-{index}")
        on_hand[(sku, location)] = current + quantity
        records.append(record)
        if rng.random() < 0.1:
            records.append(record)  # redelivered by the producer
    return records, on_hand


def worker_env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = dict(os.environ)
    for name, value in settings.model_dump(mode="json").items():
        field = getattr(settings, name)
        if field is None:
            continue
        env[f"DISTFLOW_{name.upper()}"] = field.get_secret_value() if hasattr(field, "get_secret_value") else str(value)
    return env


def progress(port: int) -> dict[str, int]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - not up yet, or restoring (503)
        return {"records_in": -1, "restored_records": -1}


def wait_for_progress(port: int, records: int, timeout_s: float = 30) -> dict[str, int]:
    """Until the worker processed `records` records (or ran out of work): the moment to kill it."""
    deadline, status = time.time() + timeout_s, progress(port)
    while time.time() < deadline:
        status = progress(port)
        if status["records_in"] >= records:
            break
        time.sleep(0.02)
    assert status["records_in"] >= 0, "the worker never became ready"
    return status


def test_killed_worker_restores_from_the_changelog_and_loses_or_doubles_nothing(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "volume", batch_max_records=500)
    sent, expected = generate(seed=11)
    port = free_port()
    env = {**worker_env(settings), "DISTFLOW_WORKER_METRICS_PORT": str(port), "DISTFLOW_LOG_FORMAT": "json"}
    log = open(tmp_path / "worker.log", "ab")

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], env=env, stdout=log, stderr=log)

    with pipeline(settings) as p:
        for record in sent:
            p.produce(catalog.INVENTORY_MOVEMENTS, str(record["sku"]), record)
        p.flush()
        workers = [start()]
        try:
            restored = kill_repeatedly(workers, start, port, p.names[catalog.INVENTORY_CHANGELOG],
                                       settings.kafka_bootstrap_servers, tmp_path / "volume")
            final = wait_for_final_positions(p, expected, timeout_s=120)
        finally:
            for worker in workers:  # never leave a worker behind, whatever failed
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait(20)

    assert restored[0] == 0 and restored[2] > 0  # the worker after the lost volume rebuilt from the changelog
    assert final == {key: max(0, qty) for key, qty in expected.items()}
    snapshot = redis.Redis.from_url(redis_server.url)
    keys = SnapshotKeys(settings.redis_key_prefix)
    for sku in {sku for sku, _ in expected}:
        entry = json.loads(snapshot.get(keys.availability(sku)))  # type: ignore[arg-type]
        for location in LOCATIONS:
            assert entry["locations"].get(location, 0) == final.get((sku, location), 0), sku


def kill_repeatedly(workers: list, start, port: int, changelog: str, bootstrap: str,  # type: ignore[no-untyped-def]
                    volume: Path) -> list[int]:
    """SIGKILL the worker three times at random points; the second time its volume is lost as well."""
    import shutil

    rng, restored = random.Random(5), []
    for kill in range(3):
        restored.append(wait_for_progress(port, rng.randrange(500, 6000) // (kill + 1))["restored_records"])
        if kill == 1:  # before losing the volume, make sure there is state to lose
            wait_until(lambda: len(read_topic(bootstrap, changelog)) > 0)
        workers[-1].send_signal(signal.SIGKILL)
        workers[-1].wait(10)
        if kill == 1:
            shutil.rmtree(volume, ignore_errors=True)
        workers.append(start())
    return restored


def wait_until(condition, timeout_s: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout_s
    while not condition():
        assert time.time() < deadline, "condition not reached in time"
        time.sleep(0.1)


def wait_for_final_positions(p, expected: dict[tuple[str, str], int], timeout_s: float) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    deadline, latest = time.time() + timeout_s, {}
    while time.time() < deadline:
        latest = {}
        for record in p.read(catalog.AVAILABILITY_SNAPSHOT):
            for line in record["locations"]:
                latest[(record["sku"], line["location"])] = line["available"]
        if latest == {key: max(0, qty) for key, qty in expected.items()}:
            return latest
        time.sleep(1)
    return latest
