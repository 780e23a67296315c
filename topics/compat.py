"""`distflow schemas check`: every current schema reads data written by every earlier version kept in the repo.

Two checks per (old, current) pair: a static one (Avro's schema resolution rules, walked over the two schemas:
names, field defaults, type promotions, enum symbols, union branches) and a data round trip (records generated for
the old schema, written with it, read by fastavro with old writer + current reader). Also checked: history files
are numbered 1, 2, ... without gaps. Every problem is a sentence that says what to change.
"""
from __future__ import annotations

import io
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.utils import generate_many

from topics.schemas import NAMED_KINDS, PRIMITIVES, SchemaFileError, SchemaStore, SchemaVersion, full_name, \
    without_logical_types

SAMPLES = 50
SEED = 20_240_611  # the round trip's random records are the same on every run
PROMOTIONS = {"int": {"long", "float", "double"}, "long": {"float", "double"}, "float": {"double"},
              "string": {"bytes"}, "bytes": {"string"}}


@dataclass(frozen=True)
class Problem:
    schema: str  # catalog name, e.g. "erp/on_hand_snapshot"
    old_version: int
    new_version: int
    detail: str

    def __str__(self) -> str:
        if self.old_version == self.new_version:
            return f"{self.schema}: {self.detail}"
        return f"{self.schema}: v{self.new_version} cannot read data written with v{self.old_version}: {self.detail}"


def check_compatibility(schema_root: Path | None = None) -> list[Problem]:
    """Every reason the schemas under ``schema_root`` (default: the repo's) break backward compatibility."""
    try:
        store = SchemaStore(schema_root)
    except SchemaFileError as error:
        return [Problem("avro_schemas", 0, 0, str(error))]
    problems: list[Problem] = []
    for name in store.names():
        versions = store.versions(name)
        problems += _numbering_problems(name, versions)
        for old in versions[:-1]:
            problems += [Problem(name, old.version, versions[-1].version, detail)
                         for detail in _problems(old, versions[-1])]
    return problems


def main_check(schema_root: Path | None = None) -> int:
    """Print the problems (stderr) or a one-line summary (stdout); 1 if any problem, else 0."""
    problems = check_compatibility(schema_root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} incompatible schema change(s): fix them, or keep the old version and publish the "
              f"new one to a new topic", file=sys.stderr)
        return 1
    store = SchemaStore(schema_root)
    earlier = sum(len(store.versions(name)) - 1 for name in store.names())
    print(f"ok: {len(store.names())} schemas; the current versions read all {earlier} earlier kept version(s)")
    return 0


def _numbering_problems(name: str, versions: list[SchemaVersion]) -> list[Problem]:
    numbers = [version.version for version in versions[:-1]]
    if numbers == list(range(1, len(numbers) + 1)):
        return []
    current = versions[-1].version
    return [Problem(name, current, current, f"history versions are {numbers}; number them 1, 2, ... without gaps "
                                            f"(a missing file means an old version can no longer be proven readable)")]


def _problems(old: SchemaVersion, new: SchemaVersion) -> list[str]:
    return reading_problems(old.schema, new.schema) or _round_trip(old, new)


def _round_trip(old: SchemaVersion, new: SchemaVersion) -> list[str]:
    writer, reader = old.parsed, new.parsed
    with _seeded_random():
        samples = list(generate_many(without_logical_types(old.schema), SAMPLES))
    for record in samples:
        body = io.BytesIO()
        fastavro.schemaless_writer(body, writer, record)
        body.seek(0)
        try:
            fastavro.schemaless_reader(body, writer, reader)
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            return [f"a record written with v{old.version} failed to read ({type(error).__name__}: "
                    f"{str(error)[:300]})"]
    return []


@contextmanager
def _seeded_random() -> Iterator[None]:
    state = random.getstate()  # fastavro's generator uses the global random module
    random.seed(SEED)
    try:
        yield
    finally:
        random.setstate(state)


# -- Avro schema resolution (specification, "Schema Resolution"), walked statically ------------------------------------
def reading_problems(writer: Any, reader: Any) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader`` (empty if it always can)."""
    return _Resolution(_named_types(writer), _named_types(reader)).problems(writer, reader, _short(reader), None, None)


class _Resolution:
    def __init__(self, writer_types: dict[str, Any], reader_types: dict[str, Any]) -> None:
        self.writer_types, self.reader_types = writer_types, reader_types
        self._seen: set[tuple[str, str]] = set()

    def problems(self, writer: Any, reader: Any, where: str, w_ns: str | None, r_ns: str | None) -> list[str]:
        writer, w_ns = _deref(writer, self.writer_types, w_ns)
        reader, r_ns = _deref(reader, self.reader_types, r_ns)
        if isinstance(writer, list):
            return [p for branch in writer for p in self.problems(branch, reader, where, w_ns, r_ns)]
        if isinstance(reader, list):
            branch = next((b for b in reader if _matches(writer, _deref(b, self.reader_types, r_ns)[0])), None)
            if branch is None:
                return [f"{where}: the old type {_describe(writer)} is not among the new union's branches "
                        f"{[_describe(_deref(b, self.reader_types, r_ns)[0]) for b in reader]}; add it back"]
            return self.problems(writer, branch, where, w_ns, r_ns)
        if not _matches(writer, reader):
            return [_mismatch(where, writer, reader)]
        return self._inside(writer, reader, where, w_ns, r_ns)

    def _inside(self, writer: Any, reader: Any, where: str, w_ns: str | None, r_ns: str | None) -> list[str]:
        kind = _kind(reader)
        if kind == "record":
            return self._record(writer, reader, w_ns, r_ns)
        if kind == "enum":
            gone = [s for s in writer["symbols"] if s not in reader["symbols"]]
            if gone and "default" not in reader:
                return [f"{where}: enum {reader['name']} lost symbol(s) {gone} that old data may hold, and has no "
                        f"enum default; keep the symbols (or give the enum a default)"]
        if kind == "fixed" and writer["size"] != reader["size"]:
            return [f"{where}: fixed {reader['name']} changed size from {writer['size']} to {reader['size']}"]
        if kind == "array":
            return self.problems(writer["items"], reader["items"], f"{where}[]", w_ns, r_ns)
        if kind == "map":
            return self.problems(writer["values"], reader["values"], f"{where}{{}}", w_ns, r_ns)
        return []

    def _record(self, writer: dict[str, Any], reader: dict[str, Any], w_ns: str | None, r_ns: str | None) -> list[str]:
        pair = (full_name(writer, w_ns), full_name(reader, r_ns))
        if pair in self._seen:  # a recursive type: already being checked
            return []
        self._seen.add(pair)
        w_ns, r_ns = writer.get("namespace", w_ns), reader.get("namespace", r_ns)
        written = {field["name"]: field for field in writer["fields"]}
        problems = []
        for field in reader["fields"]:
            where = f"{reader['name']}.{field['name']}"
            old = next((written[n] for n in [field["name"], *field.get("aliases", [])] if n in written), None)
            if old is None:
                if "default" not in field:
                    problems.append(f"field {where} is new and has no default; give it one (e.g. "
                                    f"[\"null\", ...] with default null)")
                continue
            problems += self.problems(old["type"], field["type"], f"field {where}", w_ns, r_ns)
        return problems


def _mismatch(where: str, writer: Any, reader: Any) -> str:
    if _kind(writer) == _kind(reader) and _kind(reader) in NAMED_KINDS:
        return (f"{where}: {_kind(reader)} {_short(writer)} was renamed to {_short(reader)}; keep the name, or list "
                f"the old one in the new type's aliases")
    return (f"{where} changed from {_describe(writer)} to {_describe(reader)}, which old data cannot be read as; "
            f"keep the old type (Avro only promotes int→long→float→double, string↔bytes) or add a new field with a "
            f"default")


def _kind(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return "union"
    kind = schema["type"]
    return kind if isinstance(kind, str) else _kind(kind)


def _matches(writer: Any, reader: Any) -> bool:
    """Avro's rule for picking a reader type for a writer type (names compared unqualified, aliases allowed)."""
    w_kind, r_kind = _kind(writer), _kind(reader)
    if w_kind in PRIMITIVES or r_kind in PRIMITIVES:
        return w_kind == r_kind or r_kind in PROMOTIONS.get(w_kind, set())
    if w_kind != r_kind:
        return False
    if w_kind in NAMED_KINDS:
        reader_names = {_short(reader), *(_short_name(a) for a in reader.get("aliases", []))}
        return _short(writer) in reader_names
    return True


def _deref(schema: Any, named: dict[str, Any], namespace: str | None) -> tuple[Any, str | None]:
    """A named-type reference replaced by its definition; a {"type": "long", ...} wrapper by what it wraps."""
    if isinstance(schema, str) and schema not in PRIMITIVES:
        qualified = schema if "." in schema or not namespace else f"{namespace}.{schema}"
        definition = named.get(qualified) or named.get(schema)
        if definition is not None:
            return definition, _namespace_of(qualified)
    if isinstance(schema, dict) and not isinstance(schema["type"], str):
        return _deref(schema["type"], named, namespace)
    if isinstance(schema, dict) and schema["type"] in PRIMITIVES:
        return schema["type"], namespace
    return schema, namespace


def _named_types(schema: Any, namespace: str | None = None, into: dict[str, Any] | None = None) -> dict[str, Any]:
    into = {} if into is None else into
    if isinstance(schema, list):
        for branch in schema:
            _named_types(branch, namespace, into)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in NAMED_KINDS:
            into[full_name(schema, namespace)] = schema
            namespace = schema.get("namespace", namespace)
        for field in schema.get("fields", []) if kind in ("record", "error") else []:
            _named_types(field["type"], namespace, into)
        for key in ("items", "values"):
            if key in schema:
                _named_types(schema[key], namespace, into)
        if isinstance(kind, (dict, list)):
            _named_types(kind, namespace, into)
    return into


def _namespace_of(qualified: str) -> str | None:
    return qualified.rpartition(".")[0] or None


def _short(schema: Any) -> str:
    return _short_name(schema["name"]) if isinstance(schema, dict) and "name" in schema else _kind(schema)


def _short_name(name: str) -> str:
    return name.rpartition(".")[2]


def _describe(schema: Any) -> str:
    kind = _kind(schema)
    if kind in NAMED_KINDS:
        return f"{kind} {_short(schema)}"
    if kind == "array":
        return f"array<{_describe(schema['items'])}>"
    if kind == "map":
        return f"map<{_describe(schema['values'])}>"
    return kind
