"""`distflow schemas check`: passes on the repository, fails on an incompatible change."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from streams.cli import main
from topics.compat import check_compatibility
from topics.schemas import SCHEMA_ROOT, SchemaStore


def test_every_current_schema_reads_every_kept_earlier_version() -> None:
    assert check_compatibility() == []
    assert any(len(SchemaStore().versions(name)) > 1 for name in SchemaStore().names())


def copy_with_new_version(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "avro_schemas"
    shutil.copytree(SCHEMA_ROOT, root)
    current = root / "erp" / "on_hand_snapshot.avsc"
    store = SchemaStore(root)
    frozen = store.current("erp/on_hand_snapshot").schema
    (root / "erp" / "history").mkdir(exist_ok=True)
    (root / "erp" / "history" / "on_hand_snapshot.v1.avsc").write_text(json.dumps(frozen))
    schema = json.loads(current.read_text())
    change(schema)
    current.write_text(json.dumps(schema))
    return root


def add_required_field(schema: dict) -> None:  # type: ignore[type-arg]
    schema["fields"].append({"name": "bin", "type": "string"})


def change_field_type(schema: dict) -> None:  # type: ignore[type-arg]
    next(f for f in schema["fields"] if f["name"] == "on_hand")["type"] = "string"


def add_optional_field(schema: dict) -> None:  # type: ignore[type-arg]
    schema["fields"].append({"name": "bin", "type": ["null", "string"], "default": None})


@pytest.mark.parametrize("change, words", [(add_required_field, "has no default"),
                                           (change_field_type, "reading old data failed")])
def test_an_incompatible_change_is_reported_and_fails_the_check(tmp_path: Path, change, words: str) -> None:  # type: ignore[no-untyped-def]
    root = copy_with_new_version(tmp_path, change)

    problems = check_compatibility(root)
    result = CliRunner().invoke(main, ["schemas", "check", "--root", str(root)])

    assert [p.schema for p in problems] == ["erp/on_hand_snapshot"]
    assert words in str(problems[0])
    assert result.exit_code == 1


def test_a_new_optional_field_with_a_default_is_compatible(tmp_path: Path) -> None:
    root = copy_with_new_version(tmp_path, add_optional_field)

    assert check_compatibility(root) == []
    assert CliRunner().invoke(main, ["schemas", "check", "--root", str(root)]).exit_code == 0
