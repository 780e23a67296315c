"""`distflow` command line: dev stack, worker, API, topics, schemas, simulator, tail."""
from __future__ import annotations

import sys

import click

from streams.settings import load_settings


@click.group()
def main() -> None:
    """distflow: keeps storefronts, ERP, warehouses and carriers in step on Kafka."""


@main.group()
def topics() -> None:
    """The topic catalog against a cluster (DISTFLOW_KAFKA_* settings)."""


@topics.command("plan")
def topics_plan() -> None:
    """Show what `apply` would change: missing topics, partitions, configs. Changes nothing."""
    from confluent_kafka.admin import AdminClient

    from streams.kafka_admin import plan_catalog
    from streams.topic_names import DeployedCatalog

    settings = load_settings()
    plan = plan_catalog(AdminClient(settings.kafka_client_config()), DeployedCatalog(settings).all_specs)
    for line in plan.describe():
        click.echo(line)
    sys.exit(1 if plan.problems else 0)


@topics.command("apply")
def topics_apply() -> None:
    """Create missing topics, add partitions, set configs. Idempotent; never deletes."""
    from confluent_kafka.admin import AdminClient

    from streams.kafka_admin import apply_plan, plan_catalog
    from streams.topic_names import DeployedCatalog

    settings = load_settings()
    admin = AdminClient(settings.kafka_client_config())
    plan = plan_catalog(admin, DeployedCatalog(settings).all_specs)
    done = apply_plan(admin, plan, settings.topic_replication_factor)
    for line in done or ["no changes: the cluster matches the catalog"]:
        click.echo(line)
    for problem in plan.problems:
        click.echo(f"cannot fix {problem.topic}: {problem.detail}", err=True)
    sys.exit(1 if plan.problems else 0)


@main.group()
def schemas() -> None:
    """The Avro schemas in avro_schemas/."""


@schemas.command("check")
@click.option("--root", type=click.Path(exists=True, file_okay=False), default=None,
              help="schema root (default: the repository's avro_schemas/)")
def schemas_check(root: str | None) -> None:
    """Prove every schema change is backward compatible: each current version reads every kept older one."""
    from pathlib import Path

    from topics.compat import main_check

    sys.exit(main_check(Path(root) if root else None))


@main.command()
@click.option("--workers", default=1, show_default=True, help="worker processes")
@click.option("--rate", default=300.0, show_default=True, help="simulated events per second")
@click.option("--seed", default=7, show_default=True)
@click.option("--skus", default=500, show_default=True)
@click.option("--external-kafka", is_flag=True, help="use DISTFLOW_KAFKA_* instead of an embedded Tansu")
@click.option("--external-redis", is_flag=True, help="use DISTFLOW_REDIS_URL instead of an embedded redis-server")
@click.option("--api-port", type=int, default=None, help="default: a free port")
@click.option("--run-dir", default="var/dev", show_default=True, help="logs and worker state")
def dev(workers: int, rate: float, seed: int, skus: int, external_kafka: bool, external_redis: bool,
        api_port: int | None, run_dir: str) -> None:
    """The embedded default stack: broker, Redis, topics, worker(s), API and demo traffic. Ctrl-C stops it all."""
    from pathlib import Path

    from streams.devrun import run_dev

    run_dev(workers, rate, seed, skus, external_kafka, external_redis, api_port, Path(run_dir))


@main.command()
def worker() -> None:
    """Run a worker: intake and the SKU owner, with /metrics, /healthz and /readyz on DISTFLOW_WORKER_METRICS_PORT."""
    import signal
    import threading

    from streams import logs
    from streams.app import build_worker
    from streams.worker_http import serve_worker_http

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    built = build_worker(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server = serve_worker_http("0.0.0.0", settings.worker_metrics_port, built.registry, built.readiness)
    try:
        built.run(stop)
    finally:
        server.shutdown()


@main.command()
def api() -> None:
    """Run the storefront HTTP API (reads only the Redis snapshot)."""
    from streams import logs
    from streams.api.app import run_api

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    run_api(settings)


@main.command()
@click.option("--rate", default=200.0, show_default=True, help="events per second")
@click.option("--seed", default=7, show_default=True)
@click.option("--skus", default=500, show_default=True, help="distinct SKUs")
@click.option("--count", default=0, show_default=True, help="stop after this many events (0: run until stopped)")
@click.option("--customers", default=300, show_default=True, help="distinct customers (each with an ERP account)")
@click.option("--checkout-change-rate", default=0.0005, show_default=True,
              help="share of steps that change a price, a credit hold or an entitlement")
def simulate(rate: float, seed: int, skus: int, count: int, customers: int, checkout_change_rate: float) -> None:
    """Produce realistic Avro traffic from all four source families (commerce, ERP, WMS, carrier)."""
    from streams import logs
    from streams.simulator_runner import run_simulation

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    run_simulation(settings, rate=rate, seed=seed, sku_count=skus, limit=count or None, customers=customers,
                   checkout_change_rate=checkout_change_rate)


@main.group()
def snapshot() -> None:
    """The Redis availability snapshot the storefront API reads."""


@snapshot.command("rebuild")
def snapshot_rebuild() -> None:
    """Write every SKU's entry to Redis again from the inventory changelog (Redis lost its data, or a worker died
    during a Redis outage). Version-guarded: safe while the workers run; never replaces a newer entry."""
    import json

    from streams import logs
    from streams.snapshot.connection import snapshot_writer_client
    from streams.snapshot.writer import SnapshotWriter
    from streams.snapshot_rebuild import SnapshotRebuildFailed, rebuild_snapshot

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    writer = SnapshotWriter(snapshot_writer_client(settings), settings.redis_key_prefix)
    try:
        report = rebuild_snapshot(settings, writer)
    except SnapshotRebuildFailed as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(report.as_dict()))


@main.command()
@click.argument("topic")
@click.option("--from-beginning", is_flag=True)
@click.option("--limit", default=0, help="stop after this many records")
def tail(topic: str, from_beginning: bool, limit: int) -> None:
    """Print a topic's records decoded as JSON lines (catalog name, e.g. distflow.availability-changes)."""
    from streams.tail import tail_topic

    tail_topic(load_settings(), topic, from_beginning, limit or None)


if __name__ == "__main__":
    main()
