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


if __name__ == "__main__":
    main()
