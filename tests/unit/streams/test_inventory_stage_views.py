"""Which snapshot entries the SKU owner writes before a batch's acknowledgements, and which after its commit.

Early: every entry whose versions a replay of the batch reaches again (each fact advances a stocked SKU's version by
one). After the commit: a SKU with no location before the batch that a RESERVE reached in it — the reservation is
declined without a version when the replay meets it before the first receipt. No broker, no Redis: commands are
handed to the stage as the engine hands them over, and the sink records what each flush would write.
"""
from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from processors import inventory as inv
from streams.agents.inventory import InventoryStage
from streams.app import inventory_policy
from streams.engine.records import InputRecord
from streams.metrics import WorkerMetrics
from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from tests.integration import events
from topics.codec import build_codec

PARTITIONS = 4


class FlushRecordingSink:
    def __init__(self) -> None:
        self.staged: dict[str, int] = {}
        self.flushes: list[dict[str, int]] = []  # SKU -> version, per flush

    def stage(self, decision: inv.AvailabilityChanged, source_offsets: dict[str, int]) -> None:
        self.staged[decision.sku] = decision.version

    def flush(self) -> None:
        self.flushes.append(self.staged)
        self.staged = {}

    @property
    def pending(self) -> int:
        return len(self.staged)


class Emitted:
    def send(self, topic: str, key: bytes, value: bytes, headers: object = None) -> None:
        pass

    def emit(self, record: object) -> None:
        pass


def receive_command(sku: str, quantity: int, event_id: str) -> dict[str, object]:
    command = events.reserve_command(sku, "none", "none", quantity)
    command.update({"command": "RECEIVE", "location": "EAST", "order_id": None, "line_id": None,
                    "ordered_at": None, "envelope": {**command["envelope"], "event_id": event_id,  # type: ignore[dict-item]
                                                     "event_type": "RECEIVE"}})
    return command


def handed_over(topic: str, sku: str, command: dict[str, object], offset: int) -> InputRecord:
    source = InputRecord("src", 0, offset, sku.encode(), b"", (), 0)
    return InputRecord(topic, 0, -1, sku.encode(), None, (), 0, command, source)


def stage_with_sink(tmp_path: Path) -> tuple[InventoryStage, FlushRecordingSink]:
    settings = Settings(topic_prefix="views.")
    sink = FlushRecordingSink()
    stage = InventoryStage(build_codec(settings), DeployedCatalog(settings), inventory_policy(settings),
                           WorkerMetrics.create(CollectorRegistry()), sink, tmp_path)
    stage.on_partition_count(PARTITIONS)
    stage.table.open(0)
    return stage, sink


def run_batch(stage: InventoryStage, commands: list[tuple[str, dict[str, object]]], offset: int) -> None:
    """One batch as the engine runs it: process, early views, changelog acknowledged (persist), after_commit."""
    stage.process([handed_over(stage.topic, sku, command, offset + i) for i, (sku, command) in enumerate(commands)],
                  Emitted())  # type: ignore[arg-type]
    stage.before_acknowledgements()
    stage.table.encode_batch()
    stage.table.persist({0: offset})
    stage.after_commit()


def test_a_sku_first_stocked_in_a_batch_that_also_reserves_it_is_written_after_the_commit(tmp_path: Path) -> None:
    stage, sink = stage_with_sink(tmp_path)
    try:
        run_batch(stage, [("SKU-STOCKED", receive_command("SKU-STOCKED", 5, "r-1"))], 0)
        first = list(sink.flushes)
        sink.flushes.clear()
        run_batch(stage, [
            ("SKU-STOCKED", receive_command("SKU-STOCKED", 1, "r-2")),
            ("SKU-STOCKED", events.reserve_command("SKU-STOCKED", "O-1", "1", 2)),
            ("SKU-NEW", receive_command("SKU-NEW", 3, "r-3")),
            ("SKU-NEW-RESERVED", receive_command("SKU-NEW-RESERVED", 3, "r-4")),
            ("SKU-NEW-RESERVED", events.reserve_command("SKU-NEW-RESERVED", "O-2", "1", 1)),
        ], 10)
    finally:
        stage.table.close_all()

    assert first == [{"SKU-STOCKED": 1}]  # a first receipt alone: early (the batch has no RESERVE for it)
    early, after_commit = sink.flushes
    assert early == {"SKU-STOCKED": 3, "SKU-NEW": 1}
    assert after_commit == {"SKU-NEW-RESERVED": 2}


def test_without_a_held_entry_the_commit_writes_nothing_more(tmp_path: Path) -> None:
    stage, sink = stage_with_sink(tmp_path)
    try:
        run_batch(stage, [("SKU-A", receive_command("SKU-A", 2, "r-1"))], 0)
        run_batch(stage, [("SKU-A", events.reserve_command("SKU-A", "O-1", "1", 1))], 10)
    finally:
        stage.table.close_all()

    assert sink.flushes == [{"SKU-A": 1}, {"SKU-A": 2}]  # one flush per batch, both before the acknowledgements
