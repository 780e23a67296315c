"""`distflow schemas check`: passes on the repository, fails on an incompatible change with a sentence saying why."""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from topics.compat import check_compatibility, main_check
from topics.schemas import SCHEMA_ROOT, SchemaStore

Schema = dict[str, Any]


def test_every_current_schema_reads_every_kept_earlier_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_compatibility() == []
    assert main_check() == 0
    assert f"ok: {len(SchemaStore().names())} schemas" in capsys.readouterr().out
    assert any(len(SchemaStore().versions(name)) > 1 for name in SchemaStore().names())


def add_required_field(schema: Schema) -> None:
    schema["fields"].append({"name": "bin", "type": "string"})


def change_on_hand_to_string(schema: Schema) -> None:
    _field(schema, "on_hand")["type"] = "string"


def narrow_on_hand_to_a_smaller_type(schema: Schema) -> None:
    _field(schema, "on_hand")["type"] = "boolean"


def add_optional_field(schema: Schema) -> None:
    schema["fields"].append({"name": "bin", "type": ["null", "string"], "default": None})


def widen_on_hand_to_long(schema: Schema) -> None:
    _field(schema, "on_hand")["type"] = "long"


@pytest.mark.parametrize("change, words", [
    (add_required_field, "OnHandSnapshot.bin is new and has no default"),
    (change_on_hand_to_string, "OnHandSnapshot.on_hand changed from int to string"),
    (narrow_on_hand_to_a_smaller_type, "OnHandSnapshot.on_hand changed from int to boolean"),
])
def test_an_incompatible_change_is_reported_and_fails_the_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Callable[[Schema], None], words: str) -> None:
    root = new_on_hand_version(tmp_path, change)

    problems = check_compatibility(root)
    exit_code = main_check(root)

    assert [(p.schema, p.old_version, p.new_version) for p in problems] == [("erp/on_hand_snapshot", 1, 2)]
    assert words in str(problems[0])
    assert str(problems[0]).startswith("erp/on_hand_snapshot: v2 cannot read data written with v1: ")
    assert exit_code == 1
    assert words in capsys.readouterr().err


def test_an_incompatible_enum_change_in_an_older_version_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "avro_schemas"
    shutil.copytree(SCHEMA_ROOT, root)
    movement = root / "wms" / "inventory_movement.avsc"
    schema = json.loads(movement.read_text())
    _field(schema, "movement_type")["type"]["symbols"].remove("COUNTED")
    movement.write_text(json.dumps(schema))

    assert ["lost symbol(s) ['COUNTED']" in p.detail for p in check_compatibility(root)] == [True]


@pytest.mark.parametrize("change", [add_optional_field, widen_on_hand_to_long])
def test_a_compatible_change_passes(tmp_path: Path, change: Callable[[Schema], None]) -> None:
    root = new_on_hand_version(tmp_path, change)

    assert check_compatibility(root) == []
    assert main_check(root) == 0


def test_a_gap_in_the_kept_history_is_reported(tmp_path: Path) -> None:
    root = new_on_hand_version(tmp_path, add_optional_field)
    history = root / "erp" / "history"
    (history / "on_hand_snapshot.v1.avsc").rename(history / "on_hand_snapshot.v2.avsc")

    problems = check_compatibility(root)

    assert [p.detail for p in problems if "without gaps" in p.detail] != []


def test_a_broken_schema_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    root = new_on_hand_version(tmp_path, add_optional_field)
    (root / "erp" / "on_hand_snapshot.avsc").write_text("{")

    assert main_check(root) == 1
    assert "not valid JSON" in str(check_compatibility(root)[0])


def new_on_hand_version(tmp_path: Path, change: Callable[[Schema], None]) -> Path:
    """A copy of the schemas where erp/on_hand_snapshot v1 is kept in history and the current v2 is changed."""
    root = tmp_path / "avro_schemas"
    shutil.copytree(SCHEMA_ROOT, root)
    (root / "erp" / "history").mkdir(exist_ok=True)
    v1 = SchemaStore(root).current("erp/on_hand_snapshot").schema
    (root / "erp" / "history" / "on_hand_snapshot.v1.avsc").write_text(json.dumps(v1, indent=2))
    current = root / "erp" / "on_hand_snapshot.avsc"
    schema = json.loads(current.read_text())
    change(schema)
    current.write_text(json.dumps(schema, indent=2))
    return root


def _field(schema: Schema, name: str) -> Schema:
    return next(field for field in schema["fields"] if field["name"] == name)


def test_the_data_round_trip_catches_what_the_static_check_would_miss(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from topics import compat

    monkeypatch.setattr(compat, "reading_problems", lambda writer, reader: [])
    root = new_on_hand_version(tmp_path, change_on_hand_to_string)

    problems = check_compatibility(root)

    assert len(problems) == 1
    assert "a record written with v1 failed to read (SchemaResolutionError" in problems[0].detail
