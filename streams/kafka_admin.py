"""Apply the topic catalog to any cluster, idempotently; report drift. Never deletes anything."""
from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions,
                                   NewTopic)

from topics.drift import ObservedTopic, Plan, TopicChange, plan
from topics.spec import TopicSpec

TIMEOUT_S = 30.0


def observe(admin: AdminClient, names: Iterable[str]) -> dict[str, ObservedTopic]:
    wanted = set(names)
    metadata = admin.list_topics(timeout=TIMEOUT_S)
    present = {name: len(topic.partitions) for name, topic in metadata.topics.items()
               if name in wanted and topic.error is None}
    configs = _describe_configs(admin, present)
    return {name: ObservedTopic(name, partitions, configs.get(name)) for name, partitions in present.items()}


def _describe_configs(admin: AdminClient, names: Iterable[str]) -> dict[str, dict[str, str] | None]:
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in names]
    if not resources:
        return {}
    result: dict[str, dict[str, str] | None] = {}
    for resource, future in admin.describe_configs(resources, request_timeout=TIMEOUT_S).items():
        try:
            entries = future.result()
        except Exception:  # noqa: BLE001 - a cluster that cannot describe configs: unknown, not different
            entries = {}
        result[resource.name] = {k: v.value for k, v in entries.items() if v.value is not None} or None
    return result


def plan_catalog(admin: AdminClient, specs: Iterable[TopicSpec]) -> Plan:
    specs = list(specs)
    return plan(specs, observe(admin, (s.name for s in specs)))


def apply_plan(admin: AdminClient, to_apply: Plan, replication_factor: int) -> list[str]:
    done: list[str] = []
    creates = [c for c in to_apply.changes if c.action == "create"]
    if creates:
        _wait(admin.create_topics([_new_topic(c, replication_factor) for c in creates], request_timeout=TIMEOUT_S))
        done += [f"created {c.topic}" for c in creates]
    grows = [c for c in to_apply.changes if c.action == "add_partitions"]
    if grows:
        _wait(admin.create_partitions([NewPartitions(c.topic, c.partitions) for c in grows],
                                      request_timeout=TIMEOUT_S))
        done += [f"added partitions to {c.topic}" for c in grows]
    for change in (c for c in to_apply.changes if c.action == "set_config"):
        _set_configs(admin, change)
        done.append(f"set config on {change.topic}")
    return done


def _new_topic(change: TopicChange, replication_factor: int) -> NewTopic:
    assert change.partitions is not None
    return NewTopic(change.topic, change.partitions, replication_factor, config=dict(change.configs))


def _set_configs(admin: AdminClient, change: TopicChange) -> None:
    entries = [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in change.configs.items()]
    resource = ConfigResource(ConfigResource.Type.TOPIC, change.topic, incremental_configs=entries)
    _wait(admin.incremental_alter_configs([resource]))


def _wait(futures: dict) -> None:  # type: ignore[type-arg]
    for name, future in futures.items():
        try:
            future.result()
        except Exception as error:  # noqa: BLE001
            if "TOPIC_ALREADY_EXISTS" in str(error):
                continue  # another worker created it first: the goal is reached
            raise RuntimeError(f"applying the catalog to {name} failed: {error}") from error


def ensure_catalog(client_config: dict[str, str], specs: Iterable[TopicSpec], replication_factor: int) -> list[str]:
    admin = AdminClient(client_config)
    return apply_plan(admin, plan_catalog(admin, specs), replication_factor)
