"""`distflow snapshot rebuild`: every SKU's availability entry written to Redis again, from the SKU owner's changelog.

For when Redis lost what the workers wrote — restarted without persistence, failed over to a replica that was
behind, flushed by hand — or a worker died during a Redis outage holding entries it could not write: until a SKU
changes again, the workers never rewrite its entry, so the API answers 404 or an old figure for it.

The changelog is the truth the workers restore from. Redis is ahead of it only by the batches being committed (a
worker writes their entries before its changelog is acknowledged, and one that dies applies them again after the
restart). Each entry goes through the workers' own version-guarded write: one that Redis holds at a newer version,
or at the same version with the same figures, is left alone, so a rebuild is safe while the workers run and running
it twice writes nothing the second time.
"""
from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer

from processors import inventory as inv
from streams.agents.inventory import inventory_table_codec
from streams.agents.snapshot_republish import published_availability_of
from streams.app import inventory_policy
from streams.engine.restore import restore
from streams.engine.state import ChangelogTable
from streams.settings import Settings
from streams.snapshot.writer import FlushResult, SnapshotWriter
from streams.snapshot_sink import snapshot_entry
from streams.topic_names import DeployedCatalog
from topics import catalog

log = logging.getLogger(__name__)
FLUSH_EVERY = 5_000  # entries per version-guarded write
CAUSED_BY = "snapshot-rebuild"


class SnapshotRebuildFailed(RuntimeError):
    """Redis refused or could not take the entries. Operator action: fix Redis (the message says what it
    answered) and run the rebuild again; entries already written stay, none is written twice."""


@dataclass(frozen=True)
class RebuildReport:
    changelog_records: int  # read to the changelog's end
    skus: int  # SKUs with stock somewhere, one entry each
    written: int  # entries Redis did not hold at that version or newer
    kept_newer: int  # entries Redis already held at a newer version, or at the same one with the same figures
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"changelog_records": self.changelog_records, "skus": self.skus, "written": self.written,
                "kept_newer": self.kept_newer, "seconds": round(self.seconds, 2)}


def rebuild_snapshot(settings: Settings, writer: SnapshotWriter, restore_timeout_s: float = 600.0) -> RebuildReport:
    started = time.monotonic()
    names = DeployedCatalog(settings)
    changelog = names[catalog.INVENTORY_CHANGELOG]
    with tempfile.TemporaryDirectory(prefix="distflow-rebuild-") as scratch:
        table = ChangelogTable("inventory_by_sku", changelog, names[catalog.INVENTORY_COMMANDS],
                               inventory_table_codec(), Path(scratch))
        partitions = _partitions(settings, changelog)
        for partition in partitions:
            table.open(partition)
        try:
            read = restore(settings.kafka_client_config(), [(table, p) for p in partitions], restore_timeout_s)
            log.info("snapshot rebuild: changelog read", extra={"topic": changelog, "records": read.records,
                                                                "partitions": len(partitions)})
            skus, written, kept_newer = _write_entries(table, partitions, inventory_policy(settings), writer)
        finally:
            table.close_all()
    return RebuildReport(read.records, skus, written, kept_newer, time.monotonic() - started)


def _partitions(settings: Settings, topic: str) -> list[int]:
    consumer = Consumer({**settings.kafka_client_config(), "group.id": f"{settings.app_id}-snapshot-rebuild"})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
    finally:
        consumer.close()
    if metadata is None or metadata.error is not None or not metadata.partitions:
        raise SnapshotRebuildFailed(f"changelog topic {topic!r} not found: wrong DISTFLOW_TOPIC_PREFIX or "
                                    f"bootstrap servers, or the catalog was never applied")
    return sorted(metadata.partitions)


def _write_entries(table: ChangelogTable[inv.SkuRecord], partitions: list[int], policy: inv.InventoryPolicy,
                   writer: SnapshotWriter) -> tuple[int, int, int]:
    """The workers' own figures: the same policy (streams.app.inventory_policy) and entry form."""
    skus = written = kept_newer = 0
    for partition in partitions:
        for decision in published_availability_of(table, partition, table.open(partition).keys(), policy,
                                                   CAUSED_BY):
            writer.stage(snapshot_entry(decision, {}))
            skus += 1
            if writer.pending >= FLUSH_EVERY:
                written, kept_newer = _counted(writer.flush(), written, kept_newer)
    if writer.pending:
        written, kept_newer = _counted(writer.flush(), written, kept_newer)
    return skus, written, kept_newer


def _counted(result: FlushResult, written: int, kept_newer: int) -> tuple[int, int]:
    if not result.ok:
        raise SnapshotRebuildFailed(f"Redis did not take the entries ({result.outcome.value}: {result.detail}); "
                                    f"{written} written before that")
    return written + len(result.entries), kept_newer + result.kept_newer
