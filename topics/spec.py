"""What a topic is, in the contract: one frozen declaration per topic."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


class System(str, Enum):
    COMMERCE = "commerce"
    ERP = "erp"
    WMS = "wms"
    CARRIER = "carrier"
    DISTFLOW = "distflow"
    CUSTOMER_PORTAL = "customer-portal"
    OPERATIONS = "operations"


class Cleanup(str, Enum):
    DELETE = "delete"
    COMPACT = "compact"


class Role(str, Enum):
    SOURCE = "source"  # facts produced by an external system of record
    DERIVED = "derived"  # what distflow publishes for others
    INTERNAL = "internal"  # distflow's own repartition and changelog topics


DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic of the catalog.

    ``value_schema`` names a schema under ``avro_schemas/`` (``system/record``); ``None`` means the value is
    not Avro (changelogs carry the state codec's bytes, documented in docs/topics.md).
    """

    name: str
    role: Role
    key: str
    value_schema: str | None
    producer: System
    consumers: tuple[System, ...]
    description: str
    partitions: int = 6
    cleanup: Cleanup = Cleanup.DELETE
    retention_ms: int | None = 7 * DAY_MS
    extra_config: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def kafka_config(self) -> dict[str, str]:
        """Topic-level configs we own; anything not listed is left to the cluster's defaults."""
        config = {"cleanup.policy": self.cleanup.value}
        if self.cleanup is Cleanup.DELETE and self.retention_ms is not None:
            config["retention.ms"] = str(self.retention_ms)
        config.update(dict(self.extra_config))
        return config

    def renamed(self, prefix: str, partitions: int | None = None) -> "TopicSpec":
        return replace(self, name=f"{prefix}{self.name}", partitions=partitions or self.partitions)
