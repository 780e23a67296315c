"""The catalog as this deployment sees it: every name with the configured prefix, partitions overridden in dev."""
from __future__ import annotations

from functools import cached_property

from streams.settings import Settings
from topics import catalog
from topics.spec import TopicSpec


class DeployedCatalog:
    def __init__(self, settings: Settings) -> None:
        self._prefix = settings.topic_prefix
        self._partitions = settings.topic_partitions

    def __getitem__(self, spec: TopicSpec) -> str:
        return f"{self._prefix}{spec.name}"

    def spec(self, spec: TopicSpec) -> TopicSpec:
        return spec.renamed(self._prefix, self._partitions)

    @cached_property
    def all_specs(self) -> tuple[TopicSpec, ...]:
        return tuple(self.spec(spec) for spec in catalog.ALL_TOPICS)

    @cached_property
    def base_by_name(self) -> dict[str, TopicSpec]:
        """Deployed topic name -> the catalog's declaration."""
        return {self[spec]: spec for spec in catalog.ALL_TOPICS}
