from topics import catalog
from topics.schemas import SchemaStore


def test_every_topic_value_schema_exists_and_starts_with_the_envelope() -> None:
    store = SchemaStore()
    for spec in catalog.ALL_TOPICS:
        if spec.value_schema is None:
            continue
        schema = store.current(spec.value_schema).schema
        assert schema["fields"][0]["name"] == "envelope", spec.value_schema
        assert schema["fields"][0]["type"]["name"] == "Envelope"


def test_file_mode_schema_ids_are_deterministic_and_unique() -> None:
    first, second = SchemaStore(), SchemaStore()
    ids = [v.schema_id for v in first.all_versions()]

    assert ids == [v.schema_id for v in second.all_versions()]
    assert len(ids) == len(set(ids))
    assert all(0 < schema_id < 2**31 for schema_id in ids)
