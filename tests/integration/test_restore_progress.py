"""Restore progress an operator can watch: partitions still restoring and changelog offsets still to read."""
from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka import Producer

from streams.devstack import Broker
from streams.engine.restore import RestoreSnapshot, restore
from streams.engine.state import ChangelogTable
from tests.ids import unique
from tests.integration.engine_fixtures import JSON_CODEC, create_topics

pytestmark = pytest.mark.integration
PARTITIONS = 3
PER_PARTITION = 12_000  # restore reads at most 10,000 records per fetch call: several progress reports


def write_changelog(bootstrap: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10_000})
    for partition in range(PARTITIONS):
        for index in range(PER_PARTITION):
            producer.produce(topic, key=f"SKU-{partition}-{index}".encode(), value=b'{"total": 1}',
                             partition=partition)
            if index % 5_000 == 0:
                producer.poll(0)
    assert producer.flush(60) == 0


def test_restore_reports_partitions_and_offsets_remaining_until_done(broker: Broker, tmp_path: Path) -> None:
    changelog = unique("progress-changelog")
    create_topics(broker.bootstrap, {changelog: {"cleanup.policy": "compact"}}, PARTITIONS)
    write_changelog(broker.bootstrap, changelog)
    table = ChangelogTable("totals", changelog, unique("src"), JSON_CODEC, tmp_path / "state")
    seen: list[RestoreSnapshot] = []

    report = restore({"bootstrap.servers": broker.bootstrap}, [(table, p) for p in range(PARTITIONS)],
                     observer=seen.append)

    total = PARTITIONS * PER_PARTITION
    first, last = seen[0], seen[-1]
    assert report.records == total
    assert (first.partitions_remaining, first.records, first.finished) == (PARTITIONS, 0, False)
    assert (last.partitions_remaining, last.records, last.offsets_remaining, last.finished) == (0, total, 0, True)
    during = [s for s in seen if 0 < s.records < total and s.offsets_remaining is not None]
    assert during, "no progress was reported between the start and the end"
    for snapshot in during:  # a fresh changelog has no compaction gaps: offsets left = records left
        assert snapshot.offsets_remaining == total - snapshot.records
    assert [s.records for s in seen] == sorted(s.records for s in seen)
    assert [s.partitions_done for s in seen] == sorted(s.partitions_done for s in seen)
    assert last.describe()["partitions_remaining"] == 0 and first.describe()["partitions"] == PARTITIONS
    table.close_all()


def test_restoring_nothing_reports_one_finished_snapshot(tmp_path: Path) -> None:
    seen: list[RestoreSnapshot] = []

    restore({"bootstrap.servers": "127.0.0.1:1"}, [], observer=seen.append)

    assert [(s.partitions, s.finished, s.offsets_remaining) for s in seen] == [(0, True, 0)]
