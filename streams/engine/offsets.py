"""Input offsets processed but not yet committed, until a commit covers them.

A batch's offsets are not always committed with it: a stage may hold them back (views it could not write,
``Stage.offsets_committable``), and an asynchronous commit may fail (a rebalance in progress, a coordinator move).
Left there, they would be committed only by a later batch of the same partition; at the end of a stream there is
none, and the group's lag would stay above zero for good although every record was applied. So they are kept here
and committed at the next point where committing is allowed, with or without new input.

A failed commit is taken back only if no later commit of that partition was asked for since: that one covers it,
and taking the older offset back could move the group's position backwards. Pure: no Kafka here.
"""
from __future__ import annotations

from collections.abc import Iterable

Partition = tuple[str, int]  # (topic, partition)


class HeldOffsets:
    def __init__(self) -> None:
        self._held: dict[Partition, int] = {}  # next offset to consume, not yet asked to be committed
        self._asked: dict[Partition, int] = {}  # the latest commit asked for per partition

    def __bool__(self) -> bool:
        return bool(self._held)

    def processed(self, next_offsets: dict[Partition, int]) -> None:
        """A batch's records are applied: commit up to these next offsets when allowed."""
        for partition, offset in next_offsets.items():  # never behind what is held or was asked for
            if offset > self._held.get(partition, -1) and offset > self._asked.get(partition, -1):
                self._held[partition] = offset

    def take(self) -> dict[Partition, int]:
        """What to commit now; from here a failure must be reported (``failed``) to have it held again."""
        taken, self._held = self._held, {}
        self._asked.update(taken)
        return taken

    def failed(self, offsets: Iterable[tuple[Partition, int]]) -> None:
        for partition, offset in offsets:
            if self._asked.get(partition) == offset and offset > self._held.get(partition, -1):
                self._held[partition] = offset

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Revoked, or newly assigned (consumption resumes from the group's committed offset)."""
        for partition in partitions:
            self._held.pop(partition, None)
            self._asked.pop(partition, None)
