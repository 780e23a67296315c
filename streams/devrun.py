"""`distflow dev`: the whole embedded stack on one machine, stopped cleanly on Ctrl-C.

Starts Tansu and redis-server on free loopback ports (unless told to use a real Kafka/Redis), applies the topic
catalog, then runs worker(s), the API and the traffic simulator as child processes in their own process groups.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import click

from streams import devstack

DEV_TIMEOUTS = {"DISTFLOW_KAFKA_SESSION_TIMEOUT_MS": "6000", "DISTFLOW_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                "DISTFLOW_KAFKA_MAX_POLL_INTERVAL_MS": "20000",
                "DISTFLOW_ERP_RATE_LIMIT_PER_S": "200"}  # the demo ERP answers at once; a real one is slower


@dataclass
class DevStack:
    run_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    services: list[object] = field(default_factory=list)
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.run_dir / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "streams.cli", *args], env={**self.env, **(env or {})},
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.children.append((name, proc))
        return proc

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            _terminate(proc)
        for service in reversed(self.services):
            service.stop()  # type: ignore[attr-defined]


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def run_dev(workers: int, rate: float, seed: int, skus: int, external_kafka: bool, external_redis: bool,
            api_port: int | None, run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    stack = DevStack(run_dir, env=dict(os.environ))
    api_key = os.environ.get("DISTFLOW_DEV_API_KEY") or secrets.token_urlsafe(18)
    try:
        _start_services(stack, external_kafka, external_redis)
        stack.env.update({"DISTFLOW_TOPIC_PARTITIONS": stack.env.get("DISTFLOW_TOPIC_PARTITIONS", "4"),
                          "DISTFLOW_API_KEYS": f"{api_key}=availability:read,orders:read,exceptions:read,"
                                               f"exceptions:write,prices:read,checkout:validate",
                          "DISTFLOW_LOG_LEVEL": stack.env.get("DISTFLOW_LOG_LEVEL", "INFO"), **DEV_TIMEOUTS})
        _apply_topics(stack)
        ports = _start_children(stack, workers, rate, seed, skus, api_port)
        _announce(stack, ports, api_key)
        _watch(stack, ports["workers"])
    except KeyboardInterrupt:
        click.echo("\nstopping ...")
    finally:
        stack.stop()
        click.echo("stopped: no process left behind")


def _start_services(stack: DevStack, external_kafka: bool, external_redis: bool) -> None:
    logs = stack.run_dir / "services"
    if not external_kafka:
        broker = devstack.start_broker(logs)
        stack.services.append(broker)
        stack.env["DISTFLOW_KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
    if not external_redis:
        redis = devstack.start_redis(logs)
        stack.services.append(redis)
        stack.env["DISTFLOW_REDIS_URL"] = redis.url


def _apply_topics(stack: DevStack) -> None:
    result = subprocess.run([sys.executable, "-m", "streams.cli", "topics", "apply"], env=stack.env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise click.ClickException(f"topics apply failed:\n{result.stdout}{result.stderr}")
    click.echo(f"topics: {result.stdout.count('created')} created")


def _start_children(stack: DevStack, workers: int, rate: float, seed: int, skus: int,
                    api_port: int | None) -> dict[str, list[int]]:
    worker_ports = []
    for index in range(workers):
        port = devstack.free_port()
        worker_ports.append(port)
        stack.spawn(f"worker-{index}", "worker", env={"DISTFLOW_WORKER_METRICS_PORT": str(port),
                                                      "DISTFLOW_STATE_DIR": str(stack.run_dir / f"state-{index}")})
    port = api_port or devstack.free_port()
    stack.spawn("api", "api", env={"DISTFLOW_API_PORT": str(port), "DISTFLOW_API_HOST": "127.0.0.1"})
    stack.spawn("simulator", "simulate", "--rate", str(rate), "--seed", str(seed), "--skus", str(skus))
    return {"workers": worker_ports, "api": [port]}


def _announce(stack: DevStack, ports: dict[str, list[int]], api_key: str) -> None:
    api = f"http://127.0.0.1:{ports['api'][0]}"
    click.echo(f"""
distflow dev stack is up (logs in {stack.run_dir})
  Kafka bootstrap   {stack.env['DISTFLOW_KAFKA_BOOTSTRAP_SERVERS']}
  Redis             {'(configured)' if 'redis://' not in stack.env.get('DISTFLOW_REDIS_URL', '') else
                     stack.env['DISTFLOW_REDIS_URL']}
  API               {api}   (OpenAPI: {api}/openapi.json)
  API key           {api_key}
  worker metrics    {', '.join(f'http://127.0.0.1:{p}/metrics' for p in ports['workers'])}
  operations page   {api}/ops   (paste the API key)
Try:
  curl -H 'Authorization: Bearer {api_key}' {api}/v1/availability/SKU-00001
  DISTFLOW_KAFKA_BOOTSTRAP_SERVERS={stack.env['DISTFLOW_KAFKA_BOOTSTRAP_SERVERS']} \\
    .venv/bin/distflow tail distflow.availability-changes
  DISTFLOW_KAFKA_BOOTSTRAP_SERVERS={stack.env['DISTFLOW_KAFKA_BOOTSTRAP_SERVERS']} \\
    .venv/bin/distflow tail distflow.order-status      (then: curl -H 'Authorization: Bearer {api_key}' \\
    {api}/v1/orders/<order id>/timeline)
Ctrl-C stops everything.
""")


def _watch(stack: DevStack, worker_ports: list[int]) -> None:
    while True:
        time.sleep(5)
        for name, proc in stack.children:
            if proc.poll() is not None:
                raise click.ClickException(f"{name} exited with {proc.returncode}; see {stack.run_dir}/{name}.log")
        statuses = [_readiness(port) for port in worker_ports]
        click.echo("workers: " + "; ".join(
            f"ready={s.get('ready')} records_in={s.get('records_in')} batches={s.get('batches')}" for s in statuses))


def _readiness(port: int) -> dict[str, object]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")
    except OSError:
        return {"ready": "unreachable"}
