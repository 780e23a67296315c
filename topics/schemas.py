"""The Avro schemas in avro_schemas/: loaded, made self-contained, versioned, and given deterministic ids.

Layout: ``common/*.avsc`` hold shared named types (``distflow.Envelope``, ...); ``<system>/<record>.avsc`` is a
record's current version and may refer to shared types by full name; ``<system>/history/<record>.v<N>.avsc``
are frozen, self-contained earlier versions (the current one is numbered after the highest of them). Without a
registry a schema's id is derived from its Parsing Canonical Form, so every process computes the same id.
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
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
HISTORY = re.compile(r"^(?P<record>[a-z0-9_]+)\.v(?P<version>\d+)\.avsc$")


@dataclass(frozen=True)
class SchemaVersion:
    name: str  # e.g. "wms/inventory_movement"
    version: int
    schema: dict[str, Any]  # self-contained JSON
    path: Path | None = None

    @cached_property
    def parsed(self) -> Any:
        """For encoding and decoding in the pipeline: timestamps stay epoch-millisecond ints (no datetime objects,
        faster, and what the domain uses). The bytes are the same as with the logical types."""
        return fastavro.parse_schema(without_logical_types(self.schema), _write_hint=False)

    @cached_property
    def canonical(self) -> str:
        return to_parsing_canonical_form(self.schema)

    @cached_property
    def schema_id(self) -> int:
        digest = hashlib.sha256(self.canonical.encode()).digest()
        return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF

    @property
    def full_name(self) -> str:
        return full_name(self.schema)

    def text(self) -> str:
        return json.dumps(self.schema, separators=(",", ":"))


def without_logical_types(schema: Any) -> Any:
    if isinstance(schema, list):
        return [without_logical_types(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    plain = {key: without_logical_types(value) for key, value in schema.items() if key != "logicalType"}
    if "fields" in plain:
        plain["fields"] = [{**f, "type": without_logical_types(f["type"])} for f in schema["fields"]]
    return plain


def full_name(schema: dict[str, Any]) -> str:
    name = schema["name"]
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


class SchemaStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or SCHEMA_ROOT
        self._shared = self._load_shared()
        self._versions: dict[str, list[SchemaVersion]] = {}
        for path in sorted(self.root.glob("*/*.avsc")):
            if path.parent.name != "common":
                self._versions[_name_of(path)] = self._load_versions(path)
        self._by_id = {v.schema_id: v for versions in self._versions.values() for v in versions}

    def names(self) -> list[str]:
        return sorted(self._versions)

    def current(self, name: str) -> SchemaVersion:
        try:
            return self._versions[name][-1]
        except KeyError:
            raise KeyError(f"no schema {name!r} under {self.root}") from None

    def versions(self, name: str) -> list[SchemaVersion]:
        """Oldest first; the last one is the current version."""
        return list(self._versions[name])

    def by_id(self, schema_id: int) -> SchemaVersion | None:
        return self._by_id.get(schema_id)

    def all_versions(self) -> list[SchemaVersion]:
        return [v for versions in self._versions.values() for v in versions]

    def _load_shared(self) -> dict[str, dict[str, Any]]:
        shared = {}
        for path in sorted((self.root / "common").glob("*.avsc")):
            schema = json.loads(path.read_text())
            shared[full_name(schema)] = schema
        return shared

    def _load_versions(self, current_path: Path) -> list[SchemaVersion]:
        name = _name_of(current_path)
        history = sorted(_history(current_path), key=lambda item: item[0])
        versions = [SchemaVersion(name, number, json.loads(path.read_text()), path) for number, path in history]
        current_number = (history[-1][0] + 1) if history else 1
        current = expand(json.loads(current_path.read_text()), self._shared)
        return versions + [SchemaVersion(name, current_number, current, current_path)]


def _name_of(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _history(current_path: Path) -> list[tuple[int, Path]]:
    folder = current_path.parent / "history"
    found = []
    for path in folder.glob(f"{current_path.stem}.v*.avsc"):
        match = HISTORY.match(path.name)
        if match and match["record"] == current_path.stem:
            found.append((int(match["version"]), path))
    return found


def expand(schema: Any, shared: dict[str, dict[str, Any]], defined: set[str] | None = None,
           namespace: str | None = None) -> Any:
    """Inline shared named types at their first use so the schema stands alone (as a registry needs it)."""
    defined = set() if defined is None else defined
    if isinstance(schema, str):
        return _expand_reference(schema, shared, defined, namespace)
    if isinstance(schema, list):
        return [expand(item, shared, defined, namespace) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind in ("record", "error", "enum", "fixed"):
        defined.add(full_name({**schema, "namespace": schema.get("namespace", namespace)}))
    inner_ns = schema.get("namespace", namespace) if kind in ("record", "error") else namespace
    result = dict(schema)
    if kind in ("record", "error"):
        result["fields"] = [{**field, "type": expand(field["type"], shared, defined, inner_ns)}
                            for field in schema["fields"]]
    elif kind == "array":
        result["items"] = expand(schema["items"], shared, defined, namespace)
    elif kind == "map":
        result["values"] = expand(schema["values"], shared, defined, namespace)
    elif isinstance(kind, (dict, list)):
        result["type"] = expand(kind, shared, defined, namespace)
    return result


def _expand_reference(name: str, shared: dict[str, dict[str, Any]], defined: set[str], namespace: str | None) -> Any:
    if name in PRIMITIVES or name in defined:
        return name
    if name in shared:
        return expand(shared[name], shared, defined, None)
    return name  # a type defined earlier in the same schema, resolved by the parser
