"""Partition-owned state: a RocksDB instance per (table, partition), backed by a compacted Kafka changelog.

The local store records, in the same atomic write batch as the values, the offset of the last changelog record it
includes; restoring reads the changelog from there to its end. A worker restarted with its volume therefore reads
only what it missed, and one without a volume rebuilds everything from the changelog.
"""
from __future__ import annotations

import shutil
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from rocksdict import Options, Rdict, WriteBatch

V = TypeVar("V")
CHECKPOINT_KEY = b"\x00distflow:changelog-offset"


def rocksdb_options(block_cache_mb: int = 32, write_buffer_mb: int = 16) -> Options:
    """Explicit, small per-partition budgets (RocksDB defaults are per instance and add up per partition)."""
    from rocksdict import BlockBasedOptions, Cache

    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.set_write_buffer_size(write_buffer_mb * 1024 * 1024)
    options.set_max_write_buffer_number(2)
    table = BlockBasedOptions()
    table.set_block_cache(Cache(block_cache_mb * 1024 * 1024))
    options.set_block_based_table_factory(table)
    return options


class PartitionStore:
    """One table partition on local disk."""

    def __init__(self, path: Path, options: Options | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = Rdict(str(path), options or rocksdb_options())

    @property
    def changelog_offset(self) -> int:
        """Offset of the last changelog record included here, -1 if none."""
        raw = self._db.get(CHECKPOINT_KEY)
        return int(raw) if raw is not None else -1

    def get(self, key: bytes) -> bytes | None:
        return self._db.get(key)

    def write(self, items: Iterable[tuple[bytes, bytes | None]], changelog_offset: int) -> None:
        batch = WriteBatch(raw_mode=True)
        for key, value in items:
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        batch.put(CHECKPOINT_KEY, str(changelog_offset).encode())
        self._db.write(batch)

    def keys(self) -> Iterable[bytes]:
        return (key for key in self._db.keys() if key != CHECKPOINT_KEY)

    def keys_after(self, after: bytes | None, limit: int) -> list[bytes]:
        """Up to `limit` keys in key order, after `after` (None: from the first). A fresh iterator per call, so
        none is left open across batches, writes and a revoke."""
        keys: list[bytes] = []
        for key in self._db.keys(from_key=after) if after is not None else self._db.keys():
            if key == after or key == CHECKPOINT_KEY:
                continue
            keys.append(key)
            if len(keys) >= limit:
                break
        return keys

    def close(self) -> None:
        self._db.close()

    def destroy(self) -> None:
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass(frozen=True)
class TableCodec(Generic[V]):
    dumps: Callable[[V], bytes]
    loads: Callable[[bytes], V]


class ChangelogTable(Generic[V]):
    """A key→value table partitioned like its source topic; writes are buffered for the batch.

    ``put`` only buffers. The worker then calls ``changelog_records`` (one record per dirty key), waits for the
    broker to acknowledge them, and calls ``persist`` with the acknowledged offsets. Reads see the batch's own
    writes first.

    ``cache_bytes`` > 0 keeps recently read or persisted values decoded in memory (write-through: only what is in
    RocksDB, never a batch's unpersisted writes), so a hot key is not read and decoded again every batch. The
    bound is the encoded size of the cached values (their decoded form takes a few times that). Only for tables
    whose values are immutable: a cached value is handed out as is. Dropped for a partition on revoke, reset and
    restore.
    """

    def __init__(self, name: str, changelog_topic: str, source_topic: str, codec: TableCodec[V],
                 state_dir: Path, options_factory: Callable[[], Options] = rocksdb_options,
                 cache_bytes: int = 0) -> None:
        self.name = name
        self.changelog_topic = changelog_topic
        self.source_topic = source_topic
        self.codec = codec
        self.state_dir = state_dir
        self._options_factory = options_factory
        self._stores: dict[int, PartitionStore] = {}
        self._dirty: dict[int, dict[bytes, V | None]] = {}
        self._encoded: dict[int, list[tuple[bytes, bytes | None]]] = {}
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[tuple[int, bytes], tuple[V, int]] = OrderedDict()  # -> value, encoded size; LRU first
        self._cached_bytes = 0

    # -- partitions --------------------------------------------------------------------------------------------------
    def partition_path(self, partition: int) -> Path:
        return self.state_dir / self.name / f"p{partition}"

    def open(self, partition: int) -> PartitionStore:
        store = self._stores.get(partition)
        if store is None:
            store = PartitionStore(self.partition_path(partition), self._options_factory())
            self._stores[partition] = store
        return store

    def close(self, partition: int) -> None:
        self._dirty.pop(partition, None)
        self._forget_cached(partition)
        store = self._stores.pop(partition, None)
        if store is not None:
            store.close()

    def close_all(self) -> None:
        for partition in list(self._stores):
            self.close(partition)

    def reset(self, partition: int) -> PartitionStore:
        """Forget local state (the changelog is the truth), e.g. when the cluster lost the changelog."""
        self.close(partition)
        shutil.rmtree(self.partition_path(partition), ignore_errors=True)
        return self.open(partition)

    @property
    def owned_partitions(self) -> list[int]:
        return sorted(self._stores)

    # -- values ------------------------------------------------------------------------------------------------------
    def get(self, partition: int, key: bytes) -> V | None:
        dirty = self._dirty.get(partition)
        if dirty is not None and key in dirty:
            return dirty[key]
        if self.cache_bytes:
            cached = self._cache.get((partition, key))
            if cached is not None:
                self._cache.move_to_end((partition, key))
                return cached[0]
        raw = self._stores[partition].get(key)
        if raw is None:
            return None
        value = self.codec.loads(raw)
        if self.cache_bytes:
            self._remember(partition, key, value, len(raw))
        return value

    def put(self, partition: int, key: bytes, value: V | None) -> None:
        if partition not in self._stores:
            raise KeyError(f"table {self.name}: partition {partition} is not owned by this worker")
        self._dirty.setdefault(partition, {})[key] = value

    @property
    def dirty_count(self) -> int:
        return sum(len(keys) for keys in self._dirty.values())

    def encode_batch(self) -> dict[int, list[tuple[bytes, bytes | None]]]:
        """Encode every dirty value once: the same bytes go to the changelog and to RocksDB."""
        self._encoded = {
            partition: [(key, None if value is None else self.codec.dumps(value)) for key, value in items.items()]
            for partition, items in self._dirty.items()
        }
        return self._encoded

    def persist(self, acknowledged_offsets: dict[int, int]) -> None:
        """Write the batch's encoded keys with the changelog offsets the broker acknowledged for them."""
        for partition, items in self._encoded.items():
            offset = acknowledged_offsets.get(partition)
            if offset is None:
                raise RuntimeError(f"table {self.name} p{partition}: no acknowledged changelog offset")
            self._stores[partition].write(items, offset)
        if self.cache_bytes:  # what is now in RocksDB, decoded: the next batch's reads start here
            for partition, items in self._encoded.items():
                values = self._dirty.get(partition, {})
                for key, raw in items:
                    if raw is None:
                        self._drop(partition, key)
                    else:
                        self._remember(partition, key, values[key], len(raw))  # type: ignore[arg-type]
        self._dirty.clear()
        self._encoded = {}

    def discard_batch(self) -> None:
        self._dirty.clear()
        self._encoded = {}
        self._cache.clear()  # a failed persist may have written some partitions: trust only RocksDB from here
        self._cached_bytes = 0

    def restore_raw(self, partition: int, items: list[tuple[bytes, bytes | None]], last_offset: int) -> None:
        self._forget_cached(partition)
        self._stores[partition].write(items, last_offset)

    # -- the decoded-value cache -------------------------------------------------------------------------------------
    @property
    def cached_count(self) -> int:
        return len(self._cache)

    def _remember(self, partition: int, key: bytes, value: V, size: int) -> None:
        cache, slot = self._cache, (partition, key)
        old = cache.pop(slot, None)  # re-inserted last: the most recently used entries are evicted last
        if old is not None:
            self._cached_bytes -= old[1]
        if size > self.cache_bytes:
            return
        cache[slot] = (value, size)
        self._cached_bytes += size
        while self._cached_bytes > self.cache_bytes:
            self._cached_bytes -= cache.popitem(last=False)[1][1]

    def _drop(self, partition: int, key: bytes) -> None:
        old = self._cache.pop((partition, key), None)
        if old is not None:
            self._cached_bytes -= old[1]

    def _forget_cached(self, partition: int) -> None:
        for slot in [slot for slot in self._cache if slot[0] == partition]:
            self._cached_bytes -= self._cache.pop(slot)[1]
