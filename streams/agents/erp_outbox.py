"""ERP commands wait here, durably, until the rate limit lets them out.

A decided command is written to the erp_outbox table (changelog-backed, partitioned like its order) in the same
batch as the order state that decided it, so a crash can neither lose it nor forget that it was decided. It is
sent when the token bucket allows and deleted from the table in the batch that sends it; a crash in between sends
it again under the same command_id, which the ERP uses as its idempotency key.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from processors.orders import ErpPriority
from processors.orders.erp_queue import ErpDispatchQueue, RateLimit
from streams.engine.emitter import Emitter
from streams.engine.records import OutputRecord
from streams.engine.state import ChangelogTable, TableCodec

Entry = dict[str, object]  # {"priority", "command", "enqueued_at", "key", "value" (hex of the encoded record)}


def outbox_codec() -> TableCodec[Entry]:
    return TableCodec(orjson.dumps, orjson.loads)  # compact JSON, as json.dumps wrote it (ASCII only here)


class ErpOutbox:
    def __init__(self, changelog_topic: str, source_topic: str, state_dir: Path, limit: RateLimit,
                 erp_topic: str) -> None:
        self.table: ChangelogTable[Entry] = ChangelogTable("erp_outbox", changelog_topic, source_topic,
                                                           outbox_codec(), state_dir)
        self.queue = ErpDispatchQueue(limit)
        self.erp_topic = erp_topic
        self._partition_of: dict[str, int] = {}
        self._loaded: set[int] = set()
        self.throttled = 0  # commands that found the bucket empty when they were queued

    def add(self, partition: int, command_id: str, priority: ErpPriority, command: str, key: bytes, value: bytes,
            now_ms: int) -> None:
        entry: Entry = {"priority": str(priority), "command": command, "enqueued_at": now_ms, "key": key.decode(),
                        "value": value.hex()}
        self.table.put(partition, command_id.encode(), entry)
        if self.queue.enqueue(command_id, priority, now_ms):
            self._partition_of[command_id] = partition
            if self.queue.next_release_ms(now_ms) != now_ms:
                self.throttled += 1

    def sync_partitions(self) -> None:
        """Load the waiting commands of newly owned partitions; forget those of partitions that moved away."""
        owned = set(self.table.owned_partitions)
        gone = self._loaded - owned
        if gone:
            self.queue.discard({cid for cid, p in self._partition_of.items() if p in gone})
            self._partition_of = {cid: p for cid, p in self._partition_of.items() if p not in gone}
        for partition in sorted(owned - self._loaded):
            self._load(partition)
        self._loaded = owned

    def _load(self, partition: int) -> None:
        store = self.table.open(partition)
        waiting = []
        for raw_key in store.keys():
            entry = self.table.get(partition, raw_key)
            if entry is not None:
                waiting.append((int(entry["enqueued_at"]), raw_key.decode(), entry))  # type: ignore[call-overload]
        for enqueued_at, command_id, entry in sorted(waiting):
            if self.queue.enqueue(command_id, ErpPriority(str(entry["priority"])), enqueued_at):
                self._partition_of[command_id] = partition

    def due(self, now_ms: int) -> bool:
        upcoming = self.queue.next_release_ms(now_ms)
        return upcoming is not None and upcoming <= now_ms

    def send_due(self, now_ms: int, out: Emitter, on_sent: Callable[[Entry], None] = lambda entry: None) -> int:
        sent = 0
        for command_id in self.queue.release(now_ms):
            partition = self._partition_of.pop(command_id)
            entry = self.table.get(partition, command_id.encode())
            if entry is None:
                continue  # already sent by an earlier incarnation of this batch
            out.emit(OutputRecord(self.erp_topic, str(entry["key"]).encode(), bytes.fromhex(str(entry["value"])),
                                  headers=(("command_id", command_id.encode()),)))
            self.table.put(partition, command_id.encode(), None)
            on_sent(entry)
            sent += 1
        return sent
