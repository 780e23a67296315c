"""Redis outage under load: Redis stops answering (SIGSTOP: connections hang, as with a network partition) while the
worker keeps consuming. The API answers 503 and never a figure; when Redis answers again the same worker process
brings the snapshot up to its tables; no entry is ever replaced by an older version (polled all along). The worker
and API run with a Redis password, API keys and a SASL password set, and none of them appears in their logs."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from streams import devstack
from streams.api.app import build_api
from streams.devstack import Broker
from streams.settings import Settings
from streams.snapshot.connection import snapshot_reader_client
from streams.snapshot.keys import SnapshotKeys
from streams.snapshot.reader import RedisAvailabilityReader
from tests.integration.pipeline import PARTITIONS, pipeline, pipeline_settings
from tests.reliability import harness
from tests.reliability.oracle import expected_positions
from tests.reliability.traffic import mixed_stream

pytestmark = pytest.mark.integration
REDIS_PASSWORD, SASL_PASSWORD = "outage-redis-password-3e1f", "outage-sasl-password-77aa"
API_KEY = "outage-storefront-key-5b2c=availability:read"


@pytest.fixture
def own_redis(service_logs: Path) -> Iterator[devstack.RedisServer]:
    """A Redis of this test's own (it is stopped and resumed), with AUTH."""
    server = devstack.start_redis(service_logs, password=REDIS_PASSWORD)
    yield server
    os.killpg(server.process.proc.pid, signal.SIGCONT)
    server.stop()


class VersionWatch:
    """Polls every snapshot entry's version; records any entry replaced by an older one."""

    def __init__(self, settings: Settings, skus: list[str]) -> None:
        self.client = redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=0.2,
                                           socket_connect_timeout=0.2)
        self.keys = [SnapshotKeys(settings.redis_key_prefix).availability(sku) for sku in skus]
        self.latest: dict[str, int] = {}
        self.regressions: list[str] = []
        self.polls = self.failed_polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "VersionWatch":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                values = self.client.mget(self.keys)
            except redis.RedisError:
                self.failed_polls += 1
                continue
            except Exception as error:  # noqa: BLE001 - reported by the test, never a silent dead thread
                self.regressions.append(f"poller failed: {error!r}")
                return
            self.polls += 1
            for key, raw in zip(self.keys, values):
                if raw is None:
                    continue
                version = int(json.loads(raw)["version"])
                if version < self.latest.get(key, -1):
                    self.regressions.append(f"{key}: {self.latest[key]} replaced by {version}")
                self.latest[key] = max(version, self.latest.get(key, -1))
            time.sleep(0.05)


def api_answers(settings: Settings, sku: str) -> list[tuple[int, dict[str, Any]]]:
    """What a storefront gets for one SKU and for a batch, through the real API over Redis."""
    async def ask() -> list[tuple[int, dict[str, Any]]]:
        reader = RedisAvailabilityReader(snapshot_reader_client(settings), settings.redis_key_prefix)
        headers = {"Authorization": f"Bearer {API_KEY.split('=')[0]}"}
        async with TestClient(TestServer(build_api(settings, reader))) as client:
            one = await client.get(f"/v1/availability/{sku}", headers=headers)
            many = await client.post("/v1/availability/query", headers=headers, json={"skus": [sku]})
            return [(one.status, await one.json()), (many.status, await many.json())]
    return asyncio.run(ask())


def test_during_a_redis_outage_the_api_says_503_and_afterwards_the_snapshot_catches_up_without_a_restart(
        broker: Broker, own_redis: devstack.RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = pipeline_settings(
        broker.bootstrap, own_redis.url, tmp_path / "state", redis_password=SecretStr(REDIS_PASSWORD),
        api_keys=SecretStr(API_KEY), kafka_sasl_password=SecretStr(SASL_PASSWORD), snapshot_redis_timeout_ms=300,
        api_redis_timeout_ms=300, batch_max_records=500)
    stream = mixed_stream(seed=55, total=8_000, stock_skus=250, reservation_skus=40)
    before, during = stream.events[:4_000], stream.events[4_000:]
    want = harness.expected_snapshot(expected_positions(stream.events))
    skus = sorted(want)
    sample = skus[0]

    with pipeline(settings) as p, harness.worker_processes() as workers, caplog.at_level(logging.DEBUG):
        producer = harness.fast_producer(settings)
        workers.append(harness.WorkerProcess(settings, tmp_path / "worker.log", tmp_path / "state").start())
        workers[0].wait_ready()
        harness.produce_all(producer, p.codec, p.names, before, PARTITIONS)
        harness.wait_drained(settings, p.names)
        harness.wait_until(lambda: len(harness.snapshot_available(settings, skus)) > len(skus) // 2, 30,
                           "the snapshot filled before the outage")
        assert api_answers(settings, sample)[0][0] == 200
        with VersionWatch(settings, skus) as watch:
            harness.wait_until(lambda: watch.polls >= 3, 10, "the watch saw the snapshot before the outage", 0.05)
            os.killpg(own_redis.process.proc.pid, signal.SIGSTOP)  # Redis hangs: connections open, no answers
            try:
                harness.produce_all(producer, p.codec, p.names, during, PARTITIONS)
                during_outage = api_answers(settings, sample)
                harness.wait_drained(settings, p.names)  # the worker carries on: tables are final
                failed_polls_in_outage = watch.failed_polls
                versions_at_return, polls_at_return = dict(watch.latest), watch.polls  # before Redis answers again
            finally:
                os.killpg(own_redis.process.proc.pid, signal.SIGCONT)
            harness.wait_until(lambda: not harness.same_availability(want, harness.snapshot_available(settings, skus)),
                               60, "the snapshot caught up with the tables")
            caught_up_at = watch.polls
            harness.wait_until(lambda: watch.polls >= caught_up_at + 5, 10, "more polls after catching up", 0.05)
        after = api_answers(settings, sample)
        assert workers[0].alive and len(workers) == 1  # the same process: no restart was needed
    logged = caplog.text + (tmp_path / "worker.log").read_text(errors="replace")

    for status, body in during_outage:
        assert status == 503 and body["error"] == "snapshot_unavailable", body
        assert "available" not in body and "results" not in body  # never a guessed figure
    assert failed_polls_in_outage > 0  # Redis really was unreachable
    assert watch.regressions == [] and watch.polls >= polls_at_return + 5
    moved = sum(watch.latest[k] > v for k, v in versions_at_return.items())
    assert moved > 0, (watch.polls, watch.failed_polls, polls_at_return, len(versions_at_return))  # moved on after
    assert after[0][0] == 200 and after[0][1]["available"] == sum(want[sample].values())
    for secret in (REDIS_PASSWORD, SASL_PASSWORD, API_KEY.split("=")[0]):
        assert secret not in logged
