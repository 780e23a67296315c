"""The SKU owner writing again what the snapshot lost (streams/agents/snapshot_republish.py), over a real local
table and a recording sink: chunked, a marker only once its entries are written, dropped on revoke."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from processors import inventory as inv
from streams.agents import snapshot_republish
from streams.agents.inventory import inventory_table_codec
from streams.agents.snapshot_republish import SnapshotRepublisher
from streams.engine.state import ChangelogTable


class RecordingSink:
    def __init__(self, unpublished: Sequence[int]) -> None:
        self.missing = set(unpublished)
        self.staged: list[str] = []
        self.pending = 0
        self.asked: list[list[int]] = []

    def stage(self, decision: inv.AvailabilityChanged, source_offsets: dict[str, int]) -> None:
        self.staged.append(decision.sku)

    def unpublished(self, partitions: Sequence[int]) -> list[int]:
        self.asked.append(list(partitions))
        return [p for p in partitions if p in self.missing]

    def mark_published(self, partitions: Sequence[int]) -> None:
        self.missing -= set(partitions)


def stocked_table(tmp_path: Path, skus_by_partition: dict[int, int]) -> ChangelogTable[inv.SkuRecord]:
    table = ChangelogTable("inventory_by_sku", "c", "s", inventory_table_codec(), tmp_path)
    for partition, count in skus_by_partition.items():
        table.open(partition)
        for n in range(count):
            sku = f"P{partition}-SKU-{n}"
            state, _ = inv.apply_facts(inv.empty_inventory(sku), [inv.ReceiptConfirmed(
                f"e-{sku}", 1_000, sku, "EAST", 5)], inv.InventoryPolicy())
            table.put(partition, sku.encode(), inv.to_record(state))
        table.put(partition, f"P{partition}-NEVER-STOCKED".encode(), inv.to_record(inv.empty_inventory("NEVER")))
    table.encode_batch()
    table.persist({p: 0 for p in skus_by_partition})
    return table


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_republish, "CHUNK", 4)


def test_a_missing_marker_republishes_its_partition_in_chunks_and_marks_it_once_written(tmp_path: Path) -> None:
    table = stocked_table(tmp_path, {0: 5, 1: 3})
    sink, clock = RecordingSink(unpublished=[0]), Clock()
    republisher = SnapshotRepublisher(table, inv.InventoryPolicy(), sink, clock)

    republisher.step()
    first = list(sink.staged)
    sink.pending = len(first)  # staged, not yet flushed
    republisher.step()
    republisher.step()  # everything staged, but the flush has not written it yet
    assert sink.missing == {0}
    sink.pending = 0  # the batch's flush wrote it
    republisher.step()

    assert len(first) == 3 and sorted(sink.staged) == [f"P0-SKU-{n}" for n in range(5)]   # 4 keys a chunk; the never-stocked one skipped
    assert sink.missing == set() and republisher.running == []
    assert sink.asked == [[0, 1]]  # once per CHECK_EVERY_S, not per batch


def test_markers_are_looked_at_again_after_the_interval_and_a_revoked_partition_is_dropped(tmp_path: Path) -> None:
    table = stocked_table(tmp_path, {0: 9, 1: 2})
    sink, clock = RecordingSink(unpublished=[]), Clock()
    republisher = SnapshotRepublisher(table, inv.InventoryPolicy(), sink, clock)
    republisher.step()
    sink.missing = {0, 1}  # Redis lost its data

    republisher.step()  # within the interval: not noticed yet
    assert sink.staged == []
    clock.now += snapshot_republish.CHECK_EVERY_S
    republisher.step()
    assert republisher.running == [0, 1] and len(sink.staged) == 3  # 4 keys, one never stocked
    table.close(0)  # revoked mid-way: its new owner will find the marker missing
    republisher.step()

    assert republisher.running == [] and sink.staged[-2:] == ["P1-SKU-0", "P1-SKU-1"]
    republisher.step()
    assert sink.missing == {0}  # only the partition it finished is marked


def committed(table: ChangelogTable[inv.SkuInventory]) -> None:
    """What the engine does with a batch's table writes: changelog records, then the local state."""
    table.encode_batch()
    table.persist({p: 1 for p in table.owned_partitions})


def test_entries_held_in_an_outage_hold_the_offsets_until_a_views_pending_key_is_in_the_changelog(
        tmp_path: Path) -> None:
    from streams.agents.snapshot_republish import VIEWS_PENDING_KEY

    table = stocked_table(tmp_path, {0: 2, 1: 2})
    sink = RecordingSink(unpublished=[])
    republisher = SnapshotRepublisher(table, inv.InventoryPolicy(), sink, Clock())
    republisher.step()
    assert republisher.offsets_committable and not republisher.views_pending_writes()

    sink.pending = 3  # a flush could not write them: Redis is down
    assert not republisher.offsets_committable  # a crash now must redeliver the batch
    assert republisher.views_pending_writes()  # the engine runs a timer batch
    republisher.write_views_pending()
    committed(table)
    republisher.step()  # after that batch's commit
    assert republisher.offsets_committable and not republisher.views_pending_writes()
    assert all(table.get(p, VIEWS_PENDING_KEY) is not None for p in (0, 1))

    sink.pending = 0  # Redis is back and took everything held
    assert republisher.views_pending_writes()
    republisher.write_views_pending()
    committed(table)
    republisher.step()
    assert all(table.get(p, VIEWS_PENDING_KEY) is None for p in (0, 1))
    assert not republisher.views_pending_writes() and republisher.running == []  # nothing to write again


def test_a_partition_restored_with_a_views_pending_key_is_written_again_then_the_key_removed(tmp_path: Path) -> None:
    from streams.agents.snapshot_republish import VIEWS_PENDING, VIEWS_PENDING_KEY

    table = stocked_table(tmp_path, {0: 3, 1: 2})
    table.put(1, VIEWS_PENDING_KEY, VIEWS_PENDING)  # what the previous owner left in the changelog when it died
    committed(table)
    sink = RecordingSink(unpublished=[])  # Redis still has its markers
    republisher = SnapshotRepublisher(table, inv.InventoryPolicy(), sink, Clock())

    republisher.step()
    assert republisher.running == [1] and sorted(sink.staged) == ["P1-SKU-0", "P1-SKU-1"]
    republisher.step()  # the partition's last (empty) chunk
    republisher.step()  # the flush wrote them: marker set, the key is to go
    assert republisher.running == [] and republisher.views_pending_writes()
    republisher.write_views_pending()
    committed(table)
    republisher.step()

    assert table.get(1, VIEWS_PENDING_KEY) is None and not republisher.views_pending_writes()
    assert sorted(sink.staged) == ["P1-SKU-0", "P1-SKU-1"]  # partition 0 was never behind


def test_readyz_names_the_partitions_being_written_again(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from prometheus_client import CollectorRegistry

    from streams.app import Worker
    from streams.engine.worker import WorkerStatus
    from streams.metrics import WorkerMetrics

    table = stocked_table(tmp_path, {0: 9, 2: 1})
    republisher = SnapshotRepublisher(table, inv.InventoryPolicy(), RecordingSink(unpublished=[0]), Clock())
    stage = SimpleNamespace(name="inventory", republisher=republisher)
    engine = SimpleNamespace(status=WorkerStatus(ready=True), stages=[stage], consumer_lag=dict)
    registry = CollectorRegistry()
    worker = Worker(engine, WorkerMetrics.create(registry), registry, None)  # type: ignore[arg-type]

    quiet = worker.readiness()[1]
    republisher.step()  # partition 0's marker is missing: 4 of its 10 keys staged
    busy = worker.readiness()[1]

    assert "snapshot_republishing" not in quiet and busy["snapshot_republishing"] == [0]
