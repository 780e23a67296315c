"""The order owner's timers: the deadlines stored in each order, indexed in memory by due time.

The orders table is the truth (a deadline is part of the order's state, so it survives crashes and moves with
the partition); this index is rebuilt from it when a partition is assigned. A timer fires as a DeadlineReached
fact with a deterministic event id, so a timer fired again after a crash is a duplicate the order ignores.
"""
from __future__ import annotations

import heapq

from processors import orders as o


class DeadlineTimers:
    def __init__(self) -> None:
        self._heap: list[tuple[int, str, str, int]] = []  # due_at, order_id, kind, partition
        self._current: dict[str, dict[str, int]] = {}  # order_id → kind → due_at (what the order says now)
        self._partition_of: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(len(kinds) for kinds in self._current.values())

    def track(self, partition: int, order: o.Order) -> None:
        kinds = {str(deadline.kind): deadline.due_at for deadline in order.deadlines}
        if not kinds:
            self._current.pop(order.order_id, None)
            self._partition_of.pop(order.order_id, None)
            return
        previous = self._current.get(order.order_id, {})
        self._current[order.order_id] = kinds
        self._partition_of[order.order_id] = partition
        for kind, due_at in kinds.items():
            if previous.get(kind) != due_at:
                heapq.heappush(self._heap, (due_at, order.order_id, kind, partition))

    def forget_partitions(self, partitions: set[int]) -> None:
        for order_id in [oid for oid, p in self._partition_of.items() if p in partitions]:
            self._current.pop(order_id, None)
            self._partition_of.pop(order_id, None)

    def next_due(self) -> int | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int) -> list[tuple[int, o.DeadlineReached]]:
        """(partition, timer fact) for every deadline due by now, earliest first."""
        fired = []
        while (due := self.next_due()) is not None and due <= now_ms:
            due_at, order_id, kind, partition = heapq.heappop(self._heap)
            self._current[order_id].pop(kind, None)
            fired.append((partition, o.deadline_reached(order_id, o.DeadlineKind(kind), due_at)))
        return fired

    def _drop_stale(self) -> None:
        while self._heap:
            due_at, order_id, kind, _ = self._heap[0]
            if self._current.get(order_id, {}).get(kind) == due_at:
                return
            heapq.heappop(self._heap)
