"""Kafka's default key partitioner (murmur2, as Java clients and librdkafka's `murmur2_random` compute it).

distflow produces its own keyed topics with it, and checks incoming records against it: a record found on another
partition than its key's (an external producer with another partitioner, e.g. librdkafka's default crc32) is
forwarded to the owning partition instead of being applied by a task that does not own the key.
"""
from __future__ import annotations

SEED = 0x9747B28C
M = 0x5BD1E995
MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    length = len(data)
    h = (SEED ^ length) & MASK
    for i in range(0, length - length % 4, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * M) & MASK
        k ^= k >> 24
        k = (k * M) & MASK
        h = ((h * M) & MASK) ^ k
    tail = length - length % 4
    remaining = length % 4
    if remaining == 3:
        h ^= data[tail + 2] << 16
    if remaining >= 2:
        h ^= data[tail + 1] << 8
    if remaining >= 1:
        h ^= data[tail]
        h = (h * M) & MASK
    h ^= h >> 13
    h = (h * M) & MASK
    h ^= h >> 15
    return h


def partition_for(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KeyPartitions:
    """Each key's partition for one partition count, remembered: murmur2 in Python costs µs per key, and the same
    keys come back batch after batch. Bounded: cleared whole when full (one int per key: ~25 MB at 200,000)."""

    def __init__(self, count: int, max_keys: int = 200_000) -> None:
        self.count, self.max_keys = count, max_keys
        self._known: dict[str | bytes, int] = {}

    def __call__(self, key: str | bytes) -> int:
        partition = self._known.get(key)
        if partition is None:
            if len(self._known) >= self.max_keys:
                self._known.clear()
            raw = key.encode() if isinstance(key, str) else key
            partition = self._known[key] = partition_for(raw, self.count)
        return partition
