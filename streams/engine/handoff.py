"""In-process hand-off: a record for a partition this worker owns goes to the stage that consumes it, not the broker.

A stage that re-keys (intake: source event → command keyed by SKU) would otherwise produce the record, and this
same worker would consume it again a batch later: an encode, a produce, the broker's store and fetch, a decode.
When the target partition is assigned here the record can be handed to the consuming stage inside the same
batch instead; its state, changelog record, outputs and the *source* offsets then commit together, exactly as if
the record had gone round (a crash before the commit redelivers the source record, and the command carries the
same event id, which the owner's de-duplication drops on the second pass).

The one thing the broker's round trip guaranteed for free is order. Per key, the records this worker routes
through one stage must reach the owner in the order they were routed. They do, with this rule per target
partition: hand-offs start only once the worker's consumer has reached the partition's end (a partition EOF)
beyond every record this worker produced there through the broker. Anything routed earlier has then been
consumed and applied first. That covers a rebalance too: records produced there before the assignment (by this
worker or the previous owner, all acknowledged before that owner's final commit) lie below the first end seen
after it. Hand-offs stop when the partition is revoked. Order against other producers' records (another worker's
intake, the order saga's requests) is arbitrary, as it is on the topic.

Bounded. Hand-offs multiply a batch: an order of 50 lines brings 50 RESERVEs into the batch that takes it, all held
in memory until it commits. Past a number of records handed over in one batch
(``WorkerConfig.handoff_max_per_batch``), every further record of the batch is produced instead; once the broker
acknowledges one for a partition that hands off, that partition stops handing off until the consumer has read
past it, exactly as after an assignment: what follows goes through the broker, behind it.

Pure: no Kafka here. The worker reports assignments, revocations, acknowledged offsets and partition ends.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable

from topics.partitioning import KeyPartitions


class HandoffRoutes:
    def __init__(self, topics: Collection[str]) -> None:
        self.topics = frozenset(topics)
        self._owners: dict[str, KeyPartitions] = {}  # topic -> each key's partition there
        self._waiting: dict[tuple[str, int], int] = {}  # assigned, not yet handing off -> highest offset produced
        self._handing_off: set[tuple[str, int]] = set()

    # -- what the worker reports -------------------------------------------------------------------------------------
    def assigned(self, topic: str, partitions: Iterable[int], partition_count: int) -> None:
        if topic not in self.topics:
            return
        if topic not in self._owners or self._owners[topic].count != partition_count:
            self._owners[topic] = KeyPartitions(partition_count)
        for partition in partitions:
            if (topic, partition) not in self._handing_off:
                self._waiting.setdefault((topic, partition), -1)

    def revoked(self, topic: str, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self._waiting.pop((topic, partition), None)
            self._handing_off.discard((topic, partition))

    def acknowledged(self, topic: str, partition: int, offset: int) -> None:
        """A record this worker routed through the broker was stored at ``offset``."""
        key = (topic, partition)
        if key in self._handing_off:  # produced while handing off: the batch reached its hand-off limit
            self._handing_off.discard(key)
            self._waiting[key] = offset
        elif offset > self._waiting.get(key, offset):
            self._waiting[key] = offset

    def reached_end(self, topic: str, partition: int, end_offset: int) -> None:
        """The consumer has read ``topic[partition]`` up to ``end_offset`` (the next offset to be written)."""
        key = (topic, partition)
        produced = self._waiting.get(key)
        if produced is not None and end_offset > produced:
            del self._waiting[key]
            self._handing_off.add(key)

    # -- what a stage asks ---------------------------------------------------------------------------------------------
    def partition_of(self, topic: str, key: bytes) -> int | None:
        """The partition the producer's partitioner (murmur2) would pick; None before the count is known."""
        owner_of = self._owners.get(topic)
        return None if owner_of is None else owner_of(key)

    def local_partition(self, topic: str, key: bytes) -> int | None:
        """The partition to hand ``key``'s record to in process, or None: produce it."""
        if topic not in self.topics:
            return None
        partition = self.partition_of(topic, key)
        if partition is None or (topic, partition) not in self._handing_off:
            return None
        return partition

    def handing_off(self) -> frozenset[tuple[str, int]]:
        return frozenset(self._handing_off)

    def waiting(self) -> frozenset[tuple[str, int]]:
        """Assigned partitions whose end has not been reached yet (records for them still go through the broker)."""
        return frozenset(self._waiting)
