"""A real Prometheus (Debian's `prometheus`, installed by .ci/system-deps.sh) scrapes a running `distflow worker`
and `distflow api`: both targets are up, and the business and lag series reach it with the values we expect."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from streams.devstack import Broker, RedisServer, free_port
from streams.settings import Settings
from tests.integration import events
from tests.integration.pipeline import PARTITIONS, pipeline, pipeline_settings
from topics import catalog

pytestmark = pytest.mark.integration
API_KEY = "prometheus-scrape-key-1"
MOVEMENTS = 40


def service_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"DISTFLOW_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value) \
            if isinstance(value, (list, dict)) else str(value)
    return env


@contextmanager
def process(name: str, argv: list[str], env: dict[str, str] | None, log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = open(log_dir / f"{name}.log", "wb")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


def prometheus_config(worker_port: int, api_port: int) -> dict[str, object]:
    return {"global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": "distflow-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}]},
                {"job_name": "distflow-api", "static_configs": [{"targets": [f"127.0.0.1:{api_port}"]}]}]}


def query(port: int, promql: str) -> list[dict[str, object]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, ConnectionError):
        return []
    return body["data"]["result"] if body.get("status") == "success" else []


def values(port: int, promql: str) -> dict[str, float]:
    """Each result series (its labels, as text) -> value."""
    return {json.dumps(item["metric"], sort_keys=True): float(item["value"][1])  # type: ignore[index]
            for item in query(port, promql)}


def eventually(check: Callable[[], bool], what: str, procs: list[subprocess.Popen[bytes]],
               timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"{proc.args} exited with {proc.returncode} while waiting for {what}"
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"Prometheus never saw {what}")


def call_api(port: int, path: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Authorization": f"Bearer {API_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, ConnectionError):
        return 0


def test_prometheus_scrapes_the_worker_and_the_api(broker: Broker, redis_server: RedisServer,
                                                   tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    assert binary, "prometheus not found: run .ci/system-deps.sh (Debian package prometheus)"
    worker_port, api_port, prometheus_port = free_port(), free_port(), free_port()
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state",
                                 worker_metrics_port=worker_port, api_port=api_port, api_host="127.0.0.1",
                                 api_keys=f"{API_KEY}=availability:read", log_format="json")
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config(worker_port, api_port)))
    prometheus_argv = [binary, f"--config.file={tmp_path / 'prometheus.yml'}",
                       f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prometheus_port}"]
    env = service_env(settings)
    with pipeline(settings) as p, \
            process("worker", [sys.executable, "-m", "streams.cli", "worker"], env, tmp_path) as worker, \
            process("api", [sys.executable, "-m", "streams.cli", "api"], env, tmp_path) as api, \
            process("prometheus", prometheus_argv, None, tmp_path) as prometheus:
        procs = [worker, api, prometheus]
        for index in range(MOVEMENTS):
            record = events.movement(f"SKU-PROM-{index % 8}", "EAST", "RECEIVED", 3, event_id=f"prom-{index}")
            p.produce(catalog.INVENTORY_MOVEMENTS, str(record["sku"]), record)
        p.flush()
        eventually(lambda: call_api(api_port, "/v1/availability/SKU-PROM-1") == 200, "an API answer", procs)

        eventually(lambda: set(values(prometheus_port, "up").values()) == {1.0}
                   and len(values(prometheus_port, "up")) == 2, "both targets up", procs)
        movements_topic = p.names[catalog.INVENTORY_MOVEMENTS]
        events_in = f'sum(distflow_events_in_total{{job="distflow-worker",topic="{movements_topic}"}})'
        eventually(lambda: list(values(prometheus_port, events_in).values()) == [float(MOVEMENTS)],
                   f"{MOVEMENTS} movements counted in", procs)
        lag = f'distflow_consumer_lag_records{{job="distflow-worker",topic="{movements_topic}"}}'
        eventually(lambda: len(values(prometheus_port, lag)) == PARTITIONS
                   and set(values(prometheus_port, lag).values()) == {0.0}, "zero lag on every partition", procs)
        api_ok = 'sum(distflow_api_requests_total{job="distflow-api",status="200"})'
        eventually(lambda: (values(prometheus_port, api_ok) or {"": 0.0}).popitem()[1] >= 1,
                   "the API's 200 answers", procs)

        assert list(values(prometheus_port, 'distflow_worker_ready{job="distflow-worker"}').values()) == [1.0]
        assert list(values(prometheus_port, "distflow_restore_partitions_remaining").values()) == [0.0]
