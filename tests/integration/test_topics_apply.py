"""`distflow topics plan|apply` against the real broker: idempotent, never deletes."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from streams.cli import main
from streams.devstack import Broker
from tests.ids import unique
from topics import catalog

pytestmark = pytest.mark.integration


def env(broker: Broker, prefix: str) -> dict[str, str]:
    return {"DISTFLOW_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "DISTFLOW_TOPIC_PREFIX": prefix,
            "DISTFLOW_TOPIC_PARTITIONS": "2"}


def test_apply_twice_is_a_no_op_the_second_time(broker: Broker) -> None:
    runner, prefix = CliRunner(), unique("apply") + "."

    first = runner.invoke(main, ["topics", "apply"], env=env(broker, prefix))
    second = runner.invoke(main, ["topics", "apply"], env=env(broker, prefix))
    planned = runner.invoke(main, ["topics", "plan"], env=env(broker, prefix))

    assert first.exit_code == 0, first.output
    assert first.output.count("created ") == len(catalog.ALL_TOPICS)
    assert second.exit_code == 0 and second.output.strip() == "no changes: the cluster matches the catalog"
    assert planned.output.strip() == "no changes: the cluster matches the catalog"


def test_plan_shows_missing_topics_without_creating_them(broker: Broker) -> None:
    runner, prefix = CliRunner(), unique("plan") + "."

    planned = runner.invoke(main, ["topics", "plan"], env=env(broker, prefix))
    again = runner.invoke(main, ["topics", "plan"], env=env(broker, prefix))

    assert planned.output.count("create ") == len(catalog.ALL_TOPICS)
    assert again.output == planned.output
