"""docs/schemas.md is generated from avro_schemas/ (a test fails if the committed file differs):
`python -m topics.schema_docs`."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from topics import catalog
from topics.schemas import SHARED_FOLDER, SchemaStore, SchemaVersion
from topics.wire import REASON_CODES

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "schemas.md"

INTRODUCTION = """\
# Avro schemas

Generated from `avro_schemas/` by `python -m topics.schema_docs`; do not edit by hand.

Every value on a distflow topic is one Avro record in the Confluent wire format. The topics that carry each record
are in [topics.md](topics.md).

## Wire format

| bytes | content |
| --- | --- |
| 0 | magic byte `0x00` |
| 1-4 | schema id, 4-byte big-endian |
| 5- | the record, Avro binary encoding (no container file header) |

This is what Confluent's `AvroSerializer`, Kafka Connect's `AvroConverter` and `kcat -s value=avro` read and write.

## Schema ids: files or registry

- **Registry mode** (`DISTFLOW_SCHEMA_REGISTRY_URL` set, optional `DISTFLOW_SCHEMA_REGISTRY_BASIC_AUTH` =
  `user:password`): the id is the registry's. On its first encode for a topic the pipeline registers the current
  schema under the subject `<topic>-value` (TopicNameStrategy, as Confluent's serializers do); on decode it fetches
  the writer's schema by id. Both are cached. An id the registry does not know (HTTP 404) is looked up in the schema
  files, so values written in file mode stay readable after a registry is switched on. A registry that does not
  answer raises `SchemaRegistryUnavailable`: the batch fails and is retried from the committed offsets; a good
  record is never dead-lettered because the registry is down.
- **File mode** (no URL): the id is computed from the schema itself: the SHA-256 fingerprint of its
  [Parsing Canonical Form](https://avro.apache.org/docs/current/specification/#parsing-canonical-form-for-schemas),
  first 4 bytes big-endian, masked to 31 bits. Every process computes the same id from the same schema, with no
  coordination; docs, defaults and logical types do not change it. A test asserts that no two schemas collide.
  Ids are listed below. Producers without a registry frame values with these ids.

## Decode errors

A value that cannot be decoded goes to the dead-letter topic, whole (key, value, headers), with one of these
`reason_code`s and a `reason` sentence saying what was expected and what was found.

| reason_code | meaning |
| --- | --- |
{reason_codes}

## Layout and evolution

- `avro_schemas/common/*.avsc`: shared named types (`distflow.Envelope`, `distflow.OrderLine`, ...).
- `avro_schemas/<system>/<record>.avsc`: the **current** version of a record. It may refer to shared types by full
  name; they are inlined at load time, so every schema handed to a registry stands alone.
- `avro_schemas/<system>/history/<record>.v<N>.avsc`: frozen earlier versions, self-contained (every named type
  inlined), numbered 1, 2, ... The current version is numbered one after the highest kept one.

Schemas evolve **backward-compatibly**: the current version must read everything written with every kept
version. `distflow schemas check` proves it for each pair: Avro's resolution rules checked statically (field
defaults, type promotions, enum symbols, union branches), then generated records written with the old version and
read with the new one. It exits 1 with a sentence per problem. CI runs it through `tests/contract/`.

What is compatible: a new field **with a default** (`["null", ...]` with default `null` when in doubt); removing a
field (consumers still on the old version need it to have had a default); a new enum symbol or union branch
(consumers still on the old version fail on it: deploy consumers first); int → long → float → double;
string ↔ bytes; docs. What is not: a new field without a default; a changed type;
a removed enum symbol (unless the enum has a default); a renamed record or field (without aliases).

To change a record:

1. Write the current version, self-contained, to `avro_schemas/<system>/history/<record>.v<N>.avsc` (N = its
   number, shown below): `python -c "import json; from topics.schemas import SchemaStore; print(json.dumps(
   SchemaStore().current('<system>/<record>').schema, indent=2))"`.
2. Edit `avro_schemas/<system>/<record>.avsc`; it becomes version N+1.
3. Run `distflow schemas check` and `python -m topics.schema_docs`; commit the schema, the history file and this
   document together.

Money is a decimal **string** (`"12.50"`, `"-3.000"`): exact, any scale (currencies with 0, 2 or 3 decimals, unit
prices with 4), readable by every client and by JSON converters. Avro's bytes-decimal would fix one precision and
scale in the schema for all currencies and is opaque in kcat and most tools. Timestamps are `long`
`timestamp-millis` (UTC epoch milliseconds); the pipeline reads them as plain integers.
"""


def render_schema_docs(store: SchemaStore | None = None) -> str:
    store = store or SchemaStore()
    codes = "\n".join(f"| `{code}` | {meaning} |" for code, meaning in REASON_CODES.items())
    parts = [INTRODUCTION.format(reason_codes=codes), "## The envelope and shared records", "",
             "Every record's first field is `envelope`, a `distflow.Envelope`.", ""]
    for path in sorted((store.root / SHARED_FOLDER).glob("*.avsc"), key=_envelope_first):
        parts += _named_type_section(json.loads(path.read_text()), "###")
    parts += ["## Records", ""]
    for name in store.names():
        parts += _record_section(store, name)
    return "\n".join(parts).rstrip() + "\n"


def _envelope_first(path: Path) -> tuple[bool, str]:
    return path.stem != "envelope", path.stem


def _record_section(store: SchemaStore, name: str) -> list[str]:
    current = store.current(name)
    topics = ", ".join(f"`{spec.name}`" for spec in catalog.ALL_TOPICS if spec.value_schema == name) or "none"
    lines = [f"### {name}", "", f"`{current.full_name}`, version {current.version}, file-mode id "
                                f"{current.schema_id}. Topics: {topics}.", ""]
    earlier = [f"v{v.version} (id {v.schema_id}, {_relative(store, v)})" for v in store.versions(name)[:-1]]
    if earlier:
        lines += [f"Earlier versions kept: {', '.join(earlier)}.", ""]
    raw = json.loads(current.path.read_text()) if current.path else current.schema
    return lines + _named_type_section(raw, "####", title=False)


def _named_type_section(schema: dict[str, Any], level: str, title: bool = True) -> list[str]:
    lines = [f"{level} {schema['name']}", ""] if title else []
    if schema.get("doc"):
        lines += [schema["doc"], ""]
    nested: list[dict[str, Any]] = []
    lines += ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
    for field in schema["fields"]:
        default = f"`{json.dumps(field['default'])}`" if "default" in field else "required"
        meaning = _cell(field.get("doc", ""))
        lines.append(f"| `{field['name']}` | {_cell(_type(field['type'], nested))} | {default} | {meaning} |")
    lines.append("")
    for record in nested:
        lines += _named_type_section(record, "####")
    return lines


def _type(schema: Any, nested: list[dict[str, Any]]) -> str:
    if isinstance(schema, str):
        return f"`{schema.rpartition('.')[2]}`"
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"]
        shown = " or ".join(_type(b, nested) for b in branches)
        return f"{shown}, nullable" if len(branches) < len(schema) else shown
    kind = schema["type"]
    if "logicalType" in schema:
        return f"`{schema['logicalType']}`"
    if kind == "array":
        return f"array of {_type(schema['items'], nested)}"
    if kind == "map":
        return f"map of string to {_type(schema['values'], nested)}"
    if kind == "enum":
        return f"enum `{schema['name']}`: {', '.join(schema['symbols'])}"
    if kind == "record":
        nested.append(schema)
        return f"`{schema['name']}` (below)"
    return _type(kind, nested)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _relative(store: SchemaStore, version: SchemaVersion) -> str:
    return f"`{version.path.relative_to(store.root.parent)}`" if version.path else "registry"


if __name__ == "__main__":
    DOC_PATH.write_text(render_schema_docs())
    sys.stdout.write(f"wrote {DOC_PATH}\n")
