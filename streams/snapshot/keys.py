"""The Redis key layout of the availability snapshot, shared by the writer and the reader so they cannot disagree.

A SKU becomes part of a Redis key only through `SnapshotKeys.availability`, which refuses anything outside a
strict pattern: path traversal, whitespace, CR/LF and other protocol tricks never reach Redis.
"""
from __future__ import annotations

from dataclasses import dataclass

from topics.identifiers import SKU_PATTERN, is_valid_sku

__all__ = ["SKU_PATTERN", "InvalidSku", "SnapshotKeys", "availability_key", "checked_sku", "is_valid_sku"]


class InvalidSku(ValueError):
    """A SKU outside topics.identifiers (pattern, or an empty, '.' or '..' path segment)."""


def checked_sku(sku: object) -> str:
    if not is_valid_sku(sku):
        raise InvalidSku(f"SKU {sku!r} does not match {SKU_PATTERN.pattern} (no empty, '.' or '..' segments)")
    return sku  # type: ignore[return-value]


def availability_key(prefix: str, sku: str) -> str:
    return SnapshotKeys(prefix).availability(sku)


@dataclass(frozen=True, slots=True)
class SnapshotKeys:
    """Every key of one snapshot, under settings.redis_key_prefix."""

    prefix: str

    @property
    def availability_prefix(self) -> str:
        return f"{self.prefix}availability:"

    def availability(self, sku: str) -> str:
        return f"{self.availability_prefix}{checked_sku(sku)}"

    def partition_published(self, partition: int) -> str:
        """Present while the snapshot holds every SKU of this SKU-owner partition (streams/agents/snapshot_republish)."""
        return f"{self.prefix}snapshot:partition-published:{int(partition)}"

    @property
    def writer_heartbeat(self) -> str:
        """Wall-clock ms of the last flush any writer completed (also refreshed while idle)."""
        return f"{self.prefix}snapshot:writer-heartbeat"
