"""The topic catalog and the schema files agree: every value schema exists, and the key is one of its fields."""
import pytest

from topics import catalog
from topics.schemas import SchemaStore

STORE = SchemaStore()
AVRO_TOPICS = [spec for spec in catalog.ALL_TOPICS if spec.value_schema is not None]
KEYED_BY_SOMETHING_ELSE = {catalog.DEAD_LETTERS.name}  # keeps the original record's key


@pytest.mark.parametrize("spec", AVRO_TOPICS, ids=lambda spec: spec.name)
def test_every_topics_value_schema_exists_and_starts_with_the_envelope(spec: catalog.TopicSpec) -> None:
    schema = STORE.current(spec.value_schema or "").schema

    assert schema["fields"][0]["name"] == "envelope"
    assert schema["fields"][0]["type"]["name"] == "Envelope"


@pytest.mark.parametrize("spec", [s for s in AVRO_TOPICS if s.name not in KEYED_BY_SOMETHING_ELSE],
                         ids=lambda spec: spec.name)
def test_every_topics_key_is_a_field_of_its_records(spec: catalog.TopicSpec) -> None:
    fields = {field["name"]: field for field in STORE.current(spec.value_schema or "").schema["fields"]}

    assert fields[spec.key]["type"] == "string"
