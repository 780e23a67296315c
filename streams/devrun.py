"""`distflow dev`: the whole embedded stack on one machine, stopped cleanly on Ctrl-C.

Starts Tansu and redis-server on free loopback ports (unless told to use a real Kafka/Redis), applies the topic
catalog, then runs worker(s), the API and the traffic simulator as child processes in their own process groups.
The workers' sourcing policy is written from the demo ERP's item master (streams/simulator_checkout.py), so
drop-ship SKUs and suppliers are the same for the saga, the intake and the checkout read model.
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
from streams.simulator import CHANNELS
from streams.simulator_checkout import DEMO_CUSTOMERS, FUTURE_CONTRACT_MS, DemoCatalog, demo_catalog

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
    demo = demo_catalog(seed, skus, DEMO_CUSTOMERS, CHANNELS)
    if "DISTFLOW_SOURCING_POLICY_FILE" not in stack.env:
        stack.env["DISTFLOW_SOURCING_POLICY_FILE"] = str(write_sourcing_policy(run_dir, demo))
    # Ctrl-C also when started where SIGINT is ignored (a background job of a script), a supervisor's or
    # `timeout`'s SIGTERM, a closed terminal's SIGHUP
    _stop_like_ctrl_c(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    try:
        _start_services(stack, external_kafka, external_redis)
        stack.env.update({"DISTFLOW_TOPIC_PARTITIONS": stack.env.get("DISTFLOW_TOPIC_PARTITIONS", "4"),
                          "DISTFLOW_API_KEYS": f"{api_key}=availability:read,orders:read,exceptions:read,"
                                               f"exceptions:write,prices:read,checkout:validate",
                          "DISTFLOW_LOG_LEVEL": stack.env.get("DISTFLOW_LOG_LEVEL", "INFO"), **DEV_TIMEOUTS})
        _apply_topics(stack)
        ports = _start_children(stack, workers, rate, seed, skus, api_port)
        _announce(stack, ports, api_key, demo)
        _watch(stack, ports["workers"])
    except KeyboardInterrupt:
        click.echo("\nstopping ...")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second signal must not cut the clean-up short (it is bounded)
        stack.stop()
        click.echo("stopped: no process left behind")


def _stop_like_ctrl_c(*signals: signal.Signals) -> None:
    """These signals stop the stack as Ctrl-C does (Python's default for SIGTERM/SIGHUP would exit at once and
    leave the broker, Redis, the workers, the API and the simulator running; an inherited ignored SIGINT would make
    Ctrl-C do nothing)."""
    def requested(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for sig in signals:
        signal.signal(sig, requested)


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


def write_sourcing_policy(run_dir: Path, demo: DemoCatalog) -> Path:
    """The demo's sourcing-policy.json: drop-ship SKUs and suppliers exactly as the demo ERP's item master says."""
    path = run_dir / "sourcing-policy.json"
    path.write_text(json.dumps(demo.sourcing_policy(), indent=1, sort_keys=True))
    return path


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


def checkout_examples(api: str, api_key: str, demo: DemoCatalog) -> str:
    """Ready-to-paste price and cart calls with a simulated customer and SKUs the demo ERP published."""
    show = demo.showcase
    held = next(c.customer_id for c in demo.customers if c.credit_hold)
    cart = json.dumps({"customer": show.customer_id, "channel": "web", "lines": [
        {"sku": show.contract_sku, "quantity": 12}, {"sku": show.list_sku, "quantity": 1},
        {"sku": show.drop_ship_sku, "quantity": 2}]})
    auth = f"-H 'Authorization: Bearer {api_key}'"
    minutes, supplier = FUTURE_CONTRACT_MS // 60_000, demo.item(show.drop_ship_sku).supplier_id
    return f"""Checkout (the demo ERP's item master, prices and customer accounts):
  curl {auth} '{api}/v1/prices/{show.contract_sku}?customer={show.customer_id}&qty=12'
  curl {auth} -H 'Content-Type: application/json' {api}/v1/checkout/validate \\
    -d '{cart}'
  ({show.customer_id}: contract price on {show.contract_sku}, and on {show.future_contract_sku} from {minutes} min \
after the start (list price until then); {show.drop_ship_sku}: drop-shipped by {supplier}; {held}: on credit hold \
at the start)"""


def _announce(stack: DevStack, ports: dict[str, list[int]], api_key: str, demo: DemoCatalog) -> None:
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
{checkout_examples(api, api_key, demo)}
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
