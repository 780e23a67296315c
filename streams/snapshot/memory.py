"""An in-memory availability snapshot: the reader for unit tests and the baseline of the API benchmarks."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.keys import checked_sku
from streams.snapshot.reader import AvailabilityReader, SnapshotUnavailable


class DictAvailabilityReader(AvailabilityReader):
    """Same contract as the Redis reader; `put` follows the writer's rule (never older over newer)."""

    def __init__(self, entries: Iterable[AvailabilityEntry] = ()) -> None:
        self._entries: dict[str, AvailabilityEntry] = {}
        self.heartbeat_ms: int | None = None
        self.reachable = True
        for entry in entries:
            self.put(entry)

    def put(self, entry: AvailabilityEntry) -> bool:
        current = self._entries.get(entry.sku)
        if current is not None and current.version >= entry.version:
            return False
        self._entries[entry.sku] = entry
        return True

    async def get_many(self, skus: Sequence[str]) -> dict[str, AvailabilityEntry | None]:
        self._require_reachable()
        return {checked_sku(sku): self._entries.get(sku) for sku in dict.fromkeys(skus)}

    async def writer_heartbeat_ms(self) -> int | None:
        self._require_reachable()
        return self.heartbeat_ms

    async def check_reachable(self) -> None:
        self._require_reachable()

    def _require_reachable(self) -> None:
        if not self.reachable:
            raise SnapshotUnavailable("in-memory snapshot switched to unreachable")
