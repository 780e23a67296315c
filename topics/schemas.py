"""The Avro schemas in avro_schemas/: loaded, made self-contained, versioned, and given deterministic ids.

Layout (see docs/schemas.md): ``common/*.avsc`` hold shared named types (``distflow.Envelope``, ...);
``<system>/<record>.avsc`` is a record's current version and may refer to shared types by full name;
``<system>/history/<record>.v<N>.avsc`` are frozen, self-contained earlier versions (the current version is
numbered one after the highest of them). Without a registry a schema's id is derived from its Parsing Canonical
Form, so every process, in every language, computes the same id from the same schema.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import to_parsing_canonical_form

SCHEMA_ROOT = Path(__file__).resolve().parents[1] / "avro_schemas"
SHARED_FOLDER = "common"
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
HISTORY_FILE = re.compile(r"^(?P<record>[a-z0-9_]+)\.v(?P<version>\d+)\.avsc$")
ID_MASK = 0x7FFFFFFF  # Confluent ids are signed 32-bit on the wire: keep file-mode ids positive


class SchemaFileError(ValueError):
    """A schema file that cannot be loaded; the message names the file and what to fix."""


@dataclass(frozen=True)
class SchemaVersion:
    name: str  # the catalog's name, e.g. "wms/inventory_movement"
    version: int  # 1 = oldest kept; 0 = a writer schema fetched from a registry
    schema: dict[str, Any]  # self-contained JSON, logical types included (what a registry stores)
    path: Path | None = None

    @cached_property
    def parsed(self) -> Any:
        """The schema as the pipeline encodes and decodes with it: timestamps stay epoch-millisecond ints (no
        datetime objects, faster, and what the domain uses); the bytes are the same as with the logical types.
        Parsed once with fastavro's marker, so encode/decode never re-parse it."""
        return fastavro.parse_schema(without_logical_types(self.schema))

    @cached_property
    def canonical(self) -> str:
        """Avro Parsing Canonical Form: names, types, fields, symbols; no docs, defaults or logical types."""
        return to_parsing_canonical_form(self.schema)

    @cached_property
    def schema_id(self) -> int:
        """The file-mode id: the SHA-256 fingerprint of the canonical form, first 4 bytes, masked to 31 bits."""
        return file_schema_id(self.canonical)

    @property
    def full_name(self) -> str:
        return full_name(self.schema)

    def text(self) -> str:
        """Compact JSON, as registered with a Schema Registry."""
        return json.dumps(self.schema, separators=(",", ":"))


def file_schema_id(canonical_form: str) -> int:
    digest = hashlib.sha256(canonical_form.encode()).digest()
    return int.from_bytes(digest[:4], "big") & ID_MASK


def without_logical_types(schema: Any) -> Any:
    if isinstance(schema, list):
        return [without_logical_types(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    plain = {key: without_logical_types(value) for key, value in schema.items() if key != "logicalType"}
    if "fields" in schema:
        plain["fields"] = [{**field, "type": without_logical_types(field["type"])} for field in schema["fields"]]
    return plain


def full_name(schema: dict[str, Any], namespace: str | None = None) -> str:
    name = schema["name"]
    space = schema.get("namespace", namespace)
    return name if "." in name or not space else f"{space}.{name}"


class SchemaStore:
    """Every record's kept versions, oldest first, and the shared named types they are built from."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else SCHEMA_ROOT
        if not self.root.is_dir():
            raise SchemaFileError(f"no schema folder at {self.root}")
        self.shared = self._load_shared()
        self._versions = {_name_of(path): self._load_versions(path) for path in self._record_files()}
        self._by_id = self._index_by_id()
        self._by_full_name = {self.current(name).full_name: name for name in self._versions}

    def names(self) -> list[str]:
        return sorted(self._versions)

    def current(self, name: str) -> SchemaVersion:
        return self.versions(name)[-1]

    def versions(self, name: str) -> list[SchemaVersion]:
        """Oldest first; the last one is the current version."""
        try:
            return list(self._versions[name])
        except KeyError:
            raise KeyError(f"no schema {name!r} under {self.root}") from None

    def by_id(self, schema_id: int) -> SchemaVersion | None:
        return self._by_id.get(schema_id)

    def name_for(self, record_full_name: str) -> str | None:
        """The catalog name of the record whose current version has this full name (e.g. distflow.wms.X)."""
        return self._by_full_name.get(record_full_name)

    def all_versions(self) -> list[SchemaVersion]:
        return [version for name in self.names() for version in self._versions[name]]

    def _record_files(self) -> list[Path]:
        return [path for path in sorted(self.root.glob("*/*.avsc")) if path.parent.name != SHARED_FOLDER]

    def _load_shared(self) -> dict[str, dict[str, Any]]:
        shared = {}
        for path in sorted((self.root / SHARED_FOLDER).glob("*.avsc")):
            schema = _read_json(path)
            shared[full_name(schema)] = schema
        return shared

    def _load_versions(self, current_path: Path) -> list[SchemaVersion]:
        name = _name_of(current_path)
        history = sorted(_history_files(current_path))
        versions = [SchemaVersion(name, number, _read_json(path), path) for number, path in history]
        number = history[-1][0] + 1 if history else 1
        versions.append(SchemaVersion(name, number, expand(_read_json(current_path), self.shared), current_path))
        for version in versions:
            _check_parses(version)
        return versions

    def _index_by_id(self) -> dict[int, SchemaVersion]:
        by_id: dict[int, SchemaVersion] = {}
        for version in self.all_versions():
            known = by_id.get(version.schema_id)
            if known is not None and known.canonical != version.canonical:
                raise SchemaFileError(f"{version.path} and {known.path} have different schemas but the same file-mode "
                                      f"id {version.schema_id}: change a name (a 1 in 2^31 chance) to separate them")
            by_id[version.schema_id] = version  # same canonical form: the newer version stands for both
        return by_id


def _name_of(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _history_files(current_path: Path) -> list[tuple[int, Path]]:
    found = []
    for path in (current_path.parent / "history").glob(f"{current_path.stem}.v*.avsc"):
        match = HISTORY_FILE.match(path.name)
        if match and match["record"] == current_path.stem:
            found.append((int(match["version"]), path))
    return found


def _read_json(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise SchemaFileError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(schema, dict) or "name" not in schema:
        raise SchemaFileError(f"{path} must hold one named Avro type (a JSON object with a name)")
    return schema


def _check_parses(version: SchemaVersion) -> None:
    try:
        fastavro.parse_schema(version.schema, _write_hint=False)
    except Exception as error:  # noqa: BLE001 - fastavro raises several types; all mean the same here
        hint = " (a history file must be self-contained: inline every named type)" if "history" in str(
            version.path) else ""
        raise SchemaFileError(f"{version.path} is not a valid Avro schema{hint}: {error}") from None


def expand(schema: Any, shared: dict[str, dict[str, Any]], defined: set[str] | None = None,
           namespace: str | None = None) -> Any:
    """Inline shared named types at their first use, so the schema stands alone (as a registry needs it).

    Later uses of the same type stay references by full name, as Avro requires (a name is defined once)."""
    defined = set() if defined is None else defined
    if isinstance(schema, str):
        return _expand_reference(schema, shared, defined, namespace)
    if isinstance(schema, list):
        return [expand(item, shared, defined, namespace) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    result = dict(schema)
    if kind in NAMED_KINDS:
        defined.add(full_name(schema, namespace))
    if kind in ("record", "error"):
        inner = schema.get("namespace", namespace)
        result["fields"] = [{**field, "type": expand(field["type"], shared, defined, inner)}
                            for field in schema["fields"]]
    elif kind == "array":
        result["items"] = expand(schema["items"], shared, defined, namespace)
    elif kind == "map":
        result["values"] = expand(schema["values"], shared, defined, namespace)
    elif isinstance(kind, (dict, list)):
        result["type"] = expand(kind, shared, defined, namespace)
    return result


def _expand_reference(name: str, shared: dict[str, dict[str, Any]], defined: set[str], namespace: str | None) -> Any:
    if name in PRIMITIVES:
        return name
    qualified = name if "." in name or not namespace else f"{namespace}.{name}"
    for candidate in (qualified, name):
        if candidate in defined:
            return candidate
        if candidate in shared:
            return expand(shared[candidate], shared, defined, None)
    return name  # unknown here: fastavro's parse reports it with the file name
