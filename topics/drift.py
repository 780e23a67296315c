"""Desired catalog vs what a cluster has → a plan. Pure: the admin client observes and applies it.

A plan never deletes a topic, never lowers a partition count (Kafka can't) and never removes a config; what it
cannot fix it reports. A config the cluster does not report is "unknown", not a difference (Tansu answers
DescribeConfigs with an empty list).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from topics.spec import TopicSpec


@dataclass(frozen=True)
class ObservedTopic:
    name: str
    partitions: int
    configs: Mapping[str, str] | None  # None: the cluster did not say


@dataclass(frozen=True)
class TopicChange:
    topic: str
    action: str  # create | add_partitions | set_config | cannot_fix
    detail: str
    partitions: int | None = None
    configs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    changes: tuple[TopicChange, ...]

    @property
    def is_empty(self) -> bool:
        return not any(change.action != "cannot_fix" for change in self.changes)

    @property
    def problems(self) -> tuple[TopicChange, ...]:
        return tuple(change for change in self.changes if change.action == "cannot_fix")

    def describe(self) -> list[str]:
        if not self.changes:
            return ["no changes: the cluster matches the catalog"]
        return [f"{change.action:<15} {change.topic}: {change.detail}" for change in self.changes]


def plan(desired: Iterable[TopicSpec], observed: Mapping[str, ObservedTopic]) -> Plan:
    changes: list[TopicChange] = []
    for spec in desired:
        current = observed.get(spec.name)
        if current is None:
            changes.append(TopicChange(spec.name, "create", f"{spec.partitions} partitions, {spec.kafka_config()}",
                                       spec.partitions, spec.kafka_config()))
            continue
        changes.extend(_partition_changes(spec, current))
        changes.extend(_config_changes(spec, current))
    return Plan(tuple(changes))


def _partition_changes(spec: TopicSpec, current: ObservedTopic) -> list[TopicChange]:
    if current.partitions < spec.partitions:
        return [TopicChange(spec.name, "add_partitions",
                            f"{current.partitions} -> {spec.partitions} partitions (keys move: plan a migration "
                            f"for keyed state)", spec.partitions)]
    if current.partitions > spec.partitions:
        return [TopicChange(spec.name, "cannot_fix",
                            f"has {current.partitions} partitions, catalog says {spec.partitions}; Kafka cannot "
                            f"remove partitions: update the catalog or recreate the topic by hand")]
    return []


def _config_changes(spec: TopicSpec, current: ObservedTopic) -> list[TopicChange]:
    if current.configs is None:
        return []
    wanted = spec.kafka_config()
    differing = {key: value for key, value in wanted.items()
                 if key in current.configs and current.configs[key] != value}
    if not differing:
        return []
    detail = ", ".join(f"{k}: {current.configs[k]} -> {v}" for k, v in differing.items())
    return [TopicChange(spec.name, "set_config", detail, configs=differing)]
