"""The ERP's protection: commands wait in priority queues and leave through a token bucket.

The ERP is rate-limited and slow; during a promotion spike the saga decides faster than the ERP may be called.
Commands are released at most `rate_per_s` per second on average with bursts of at most `burst`, strictly by
priority (CHECKOUT_CRITICAL before NORMAL before BACKGROUND) and first-come first-served within a priority.
Time is passed in (milliseconds), so the queue is deterministic and testable.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from processors.orders.decisions import ErpPriority
from processors.values import fast_init

PRIORITY_RANK: dict[ErpPriority, int] = {p: rank for rank, p in enumerate(ErpPriority)}


@fast_init
@dataclass(frozen=True, slots=True)
class RateLimit:
    rate_per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError(f"an ERP rate limit needs a positive rate and a burst of at least 1, got {self}")


@dataclass
class ErpDispatchQueue:
    limit: RateLimit
    _tokens: float = field(init=False)
    _refilled_at: int | None = field(default=None, init=False)
    _waiting: list[tuple[int, int, int, str, str]] = field(default_factory=list, init=False)  # rank, at, seq, id, prio
    _queued: set[str] = field(default_factory=set, init=False)
    _sequence: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.limit.burst)

    def __len__(self) -> int:
        return len(self._queued)

    def enqueue(self, command_id: str, priority: ErpPriority, enqueued_at: int) -> bool:
        """Queue a command once; False if it is already waiting (a replayed decision)."""
        if command_id in self._queued:
            return False
        self._queued.add(command_id)
        self._sequence += 1
        heapq.heappush(self._waiting, (PRIORITY_RANK[priority], enqueued_at, self._sequence, command_id,
                                       str(priority)))
        return True

    def discard(self, command_ids: set[str]) -> None:
        """Forget commands (their partition moved to another worker)."""
        self._queued -= command_ids
        self._waiting = [entry for entry in self._waiting if entry[3] not in command_ids]
        heapq.heapify(self._waiting)

    def release(self, now_ms: int) -> list[str]:
        """The command ids that may be sent now, best first; each one spends a token."""
        self._refill(now_ms)
        released: list[str] = []
        while self._waiting and self._tokens >= 1:
            command_id = heapq.heappop(self._waiting)[3]
            self._queued.discard(command_id)
            self._tokens -= 1
            released.append(command_id)
        return released

    def waiting_by_priority(self) -> dict[str, int]:
        counts = {str(p): 0 for p in ErpPriority}
        for *_, priority in self._waiting:
            counts[priority] += 1
        return counts

    def next_release_ms(self, now_ms: int) -> int | None:
        """When release() will next return something, or None if nothing waits."""
        if not self._waiting:
            return None
        self._refill(now_ms)
        if self._tokens >= 1:
            return now_ms
        return now_ms + int((1 - self._tokens) * 1000 / self.limit.rate_per_s) + 1

    def _refill(self, now_ms: int) -> None:
        if self._refilled_at is not None and now_ms > self._refilled_at:
            gained = (now_ms - self._refilled_at) * self.limit.rate_per_s / 1000
            self._tokens = min(float(self.limit.burst), self._tokens + gained)
        if self._refilled_at is None or now_ms > self._refilled_at:
            self._refilled_at = now_ms
