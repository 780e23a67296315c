"""`distflow schemas check`: every current schema reads data written by every earlier version kept in the repo.

Two checks per (old, current) pair: a static one (every field the reader needs and the writer lacks has a
default; no enum symbol the writer may send is gone without an enum default) and a data round trip (records
generated for the old schema, written with it, read with old writer + current reader).
"""
from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.utils import generate_many

from topics.schemas import SchemaStore, SchemaVersion, without_logical_types

SAMPLES = 40


@dataclass(frozen=True)
class Problem:
    schema: str
    old_version: int
    new_version: int
    detail: str

    def __str__(self) -> str:
        return f"{self.schema}: v{self.new_version} cannot read v{self.old_version}: {self.detail}"


def check_compatibility(root: Path | None = None) -> list[Problem]:
    store = SchemaStore(root)
    problems: list[Problem] = []
    for name in store.names():
        versions = store.versions(name)
        current = versions[-1]
        for old in versions[:-1]:
            problems += [Problem(name, old.version, current.version, d) for d in _problems(old, current)]
    return problems


def _problems(old: SchemaVersion, new: SchemaVersion) -> list[str]:
    found = _static(old.schema, new.schema, {}, {})
    if found:
        return found
    return _round_trip(old, new)


def _named(schema: Any, into: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    if isinstance(schema, list):
        for item in schema:
            _named(item, into, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "enum", "fixed"):
            ns = schema.get("namespace", namespace)
            into[schema["name"] if "." in schema["name"] or not ns else f"{ns}.{schema['name']}"] = schema
            for field in schema.get("fields", []):
                _named(field["type"], into, ns)
        elif kind == "array":
            _named(schema["items"], into, namespace)
        elif kind == "map":
            _named(schema["values"], into, namespace)
        elif isinstance(kind, (dict, list)):
            _named(kind, into, namespace)
    return into


def _static(old: dict[str, Any], new: dict[str, Any], _a: dict[str, Any], _b: dict[str, Any]) -> list[str]:
    old_types, new_types = _named(old, {}), _named(new, {})
    problems = []
    for type_name, reader in new_types.items():
        writer = old_types.get(type_name)
        if writer is None or writer.get("type") != reader.get("type"):
            continue
        if reader["type"] == "record":
            written = {f["name"] for f in writer["fields"]} | {a for f in writer["fields"] for a in f.get("aliases", [])}
            for field in reader["fields"]:
                if field["name"] not in written and "default" not in field:
                    problems.append(f"{type_name}.{field['name']} is new and has no default")
        elif reader["type"] == "enum":
            gone = set(writer["symbols"]) - set(reader["symbols"])
            if gone and "default" not in reader:
                problems.append(f"enum {type_name} lost symbols {sorted(gone)} and has no default")
    return problems


def _round_trip(old: SchemaVersion, new: SchemaVersion) -> list[str]:
    writer = fastavro.parse_schema(without_logical_types(old.schema))
    reader = fastavro.parse_schema(without_logical_types(new.schema))
    for record in generate_many(writer, SAMPLES):
        body = io.BytesIO()
        fastavro.schemaless_writer(body, writer, record)
        body.seek(0)
        try:
            fastavro.schemaless_reader(body, writer, reader)
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            return [f"reading old data failed: {type(error).__name__}: {error}"]
    return []


def main_check(root: Path | None = None) -> int:
    store = SchemaStore(root)
    problems = check_compatibility(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    checked = sum(len(store.versions(n)) - 1 for n in store.names())
    if problems:
        print(f"{len(problems)} incompatible change(s) found", file=sys.stderr)
        return 1
    print(f"ok: {len(store.names())} schemas, {checked} earlier version(s) readable by the current ones")
    return 0
