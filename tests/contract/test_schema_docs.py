from topics.schema_docs import DOC_PATH, render_schema_docs
from topics.schemas import SchemaStore


def test_the_committed_schema_docs_are_the_generated_ones() -> None:
    assert DOC_PATH.read_text() == render_schema_docs(), \
        "run `python -m topics.schema_docs` and commit docs/schemas.md"


def test_the_docs_list_every_record_with_its_file_mode_id() -> None:
    store, docs = SchemaStore(), render_schema_docs()

    for name in store.names():
        assert f"### {name}\n" in docs
        assert f"file-mode id {store.current(name).schema_id}." in docs
