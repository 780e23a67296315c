import json
import shutil
from pathlib import Path
from typing import Any

import fastavro
import pytest

from topics import catalog
from topics.schemas import SCHEMA_ROOT, SchemaFileError, SchemaStore

STORE = SchemaStore()
ENVELOPE_FIELDS = ["event_id", "event_type", "source", "correlation_id", "causation_id", "occurred_at", "produced_at"]


def test_every_catalog_value_schema_exists_and_parses() -> None:
    for spec in catalog.ALL_TOPICS:
        if spec.value_schema is not None:
            fastavro.parse_schema(STORE.current(spec.value_schema).schema, _write_hint=False)


def test_every_schema_file_is_used_by_the_catalog() -> None:
    used = {spec.value_schema for spec in catalog.ALL_TOPICS}

    assert set(STORE.names()) <= used


@pytest.mark.parametrize("version", STORE.all_versions(), ids=lambda v: f"{v.name}.v{v.version}")
def test_every_record_version_starts_with_the_shared_envelope(version: Any) -> None:
    first = version.schema["fields"][0]

    assert first["name"] == "envelope"
    assert (first["type"]["namespace"], first["type"]["name"]) == ("distflow", "Envelope")
    assert [f["name"] for f in first["type"]["fields"]] == ENVELOPE_FIELDS


@pytest.mark.parametrize("version", STORE.all_versions(), ids=lambda v: f"{v.name}.v{v.version}")
def test_every_schema_stands_alone_for_a_registry(version: Any) -> None:
    fastavro.parse_schema(json.loads(version.text()), named_schemas={}, _write_hint=False)


def test_every_named_type_in_the_files_declares_a_distflow_namespace() -> None:
    undeclared = [(path.name, named.get("name")) for path in sorted(SCHEMA_ROOT.rglob("*.avsc"))
                  for named in _named_types(json.loads(path.read_text()))
                  if not str(named.get("namespace", "")).startswith("distflow")]

    assert undeclared == []


def test_file_mode_ids_are_deterministic_positive_31_bit_and_unique() -> None:
    ids = [v.schema_id for v in STORE.all_versions()]

    assert ids == [v.schema_id for v in SchemaStore().all_versions()]
    assert all(0 <= schema_id < 2**31 for schema_id in ids)
    assert len(set(ids)) == len({v.canonical for v in STORE.all_versions()}) == len(ids)


def test_an_id_leads_back_to_its_version() -> None:
    for version in STORE.all_versions():
        assert STORE.by_id(version.schema_id) is version
    assert STORE.by_id(1) is None


def test_docs_and_defaults_do_not_change_the_id(tmp_path: Path) -> None:
    root = _copy_schemas(tmp_path)
    path = root / "erp" / "on_hand_snapshot.avsc"
    schema = json.loads(path.read_text())
    schema["doc"] = "reworded"
    next(field for field in schema["fields"] if field["name"] == "on_hand")["default"] = 0
    path.write_text(json.dumps(schema))

    reworded = SchemaStore(root).current("erp/on_hand_snapshot")

    assert reworded.schema_id == STORE.current("erp/on_hand_snapshot").schema_id


def test_the_current_version_is_numbered_after_the_kept_history() -> None:
    versions = STORE.versions("wms/inventory_movement")

    assert [v.version for v in versions] == [1, 2]
    assert "reference" not in {f["name"] for f in versions[0].schema["fields"]}
    assert STORE.current("erp/on_hand_snapshot").version == 1


def test_a_record_is_found_by_its_full_name() -> None:
    assert STORE.name_for("distflow.wms.InventoryMovement") == "wms/inventory_movement"
    assert STORE.name_for("distflow.wms.Nothing") is None


def test_an_unknown_name_says_where_it_looked() -> None:
    with pytest.raises(KeyError, match="wms/nothing"):
        STORE.current("wms/nothing")


def test_a_history_file_that_is_not_self_contained_is_refused_with_its_path(tmp_path: Path) -> None:
    root = _copy_schemas(tmp_path)
    (root / "erp" / "history").mkdir(exist_ok=True)
    current = json.loads((root / "erp" / "on_hand_snapshot.avsc").read_text())
    (root / "erp" / "history" / "on_hand_snapshot.v1.avsc").write_text(json.dumps(current))  # refers to Envelope

    with pytest.raises(SchemaFileError, match=r"on_hand_snapshot\.v1\.avsc.*self-contained"):
        SchemaStore(root)


def test_a_file_that_is_not_json_is_refused_with_its_path(tmp_path: Path) -> None:
    root = _copy_schemas(tmp_path)
    (root / "erp" / "on_hand_snapshot.avsc").write_text("{not json")

    with pytest.raises(SchemaFileError, match="on_hand_snapshot.avsc is not valid JSON"):
        SchemaStore(root)


def _copy_schemas(tmp_path: Path) -> Path:
    root = tmp_path / "avro_schemas"
    shutil.copytree(SCHEMA_ROOT, root)
    return root


def _named_types(schema: Any) -> list[dict[str, Any]]:
    if isinstance(schema, list):
        return [named for branch in schema for named in _named_types(branch)]
    if not isinstance(schema, dict):
        return []
    found = [schema] if schema.get("type") in ("record", "enum", "fixed") else []
    for field in schema.get("fields", []):
        found += _named_types(field["type"])
    for key in ("items", "values"):
        found += _named_types(schema.get(key))
    return found
