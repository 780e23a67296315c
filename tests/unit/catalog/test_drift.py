from topics import catalog
from topics.drift import ObservedTopic, plan
from topics.spec import Cleanup


def observed_as_declared() -> dict[str, ObservedTopic]:
    return {s.name: ObservedTopic(s.name, s.partitions, s.kafka_config()) for s in catalog.ALL_TOPICS}


def test_a_cluster_matching_the_catalog_needs_no_change() -> None:
    assert plan(catalog.ALL_TOPICS, observed_as_declared()).changes == ()


def test_missing_topics_are_created_with_their_configs() -> None:
    observed = observed_as_declared()
    del observed[catalog.INVENTORY_CHANGELOG.name]

    changes = plan(catalog.ALL_TOPICS, observed).changes

    assert [(c.topic, c.action) for c in changes] == [(catalog.INVENTORY_CHANGELOG.name, "create")]
    assert changes[0].configs["cleanup.policy"] == "compact"


def test_fewer_partitions_are_added_and_more_are_reported_never_removed() -> None:
    observed = observed_as_declared()
    observed[catalog.ORDERS.name] = ObservedTopic(catalog.ORDERS.name, 2, None)
    observed[catalog.PICKS.name] = ObservedTopic(catalog.PICKS.name, 64, None)

    result = plan(catalog.ALL_TOPICS, observed)

    assert {(c.topic, c.action) for c in result.changes} == {
        (catalog.ORDERS.name, "add_partitions"), (catalog.PICKS.name, "cannot_fix")}
    assert len(result.problems) == 1


def test_config_drift_is_reported_but_unknown_configs_are_not_a_difference() -> None:
    observed = observed_as_declared()
    observed[catalog.AVAILABILITY_SNAPSHOT.name] = ObservedTopic(
        catalog.AVAILABILITY_SNAPSHOT.name, catalog.AVAILABILITY_SNAPSHOT.partitions, {"cleanup.policy": "delete"})
    observed[catalog.ORDERS.name] = ObservedTopic(catalog.ORDERS.name, catalog.ORDERS.partitions, None)

    changes = plan(catalog.ALL_TOPICS, observed).changes

    assert [(c.topic, c.action, dict(c.configs)) for c in changes] == [
        (catalog.AVAILABILITY_SNAPSHOT.name, "set_config", {"cleanup.policy": "compact"})]


def test_changelogs_are_compacted_and_never_time_trimmed() -> None:
    changelogs = [s for s in catalog.ALL_TOPICS if s.name.endswith("-changelog")]

    assert changelogs
    for spec in changelogs:
        assert spec.cleanup is Cleanup.COMPACT
        assert "retention.ms" not in spec.kafka_config()


def test_every_topic_is_declared_once() -> None:
    names = [s.name for s in catalog.ALL_TOPICS]
    assert len(names) == len(set(names))


def test_the_committed_topic_doc_is_generated_from_the_catalog() -> None:
    from topics.docs import DOC_PATH, render

    assert DOC_PATH.read_text() == render(), "run `python -m topics.docs` and commit docs/topics.md"
