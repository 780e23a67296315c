"""Encode and decode records of the catalog's schemas, with ids from files or from a Schema Registry.

Decoding resolves an older writer version to the current reader schema (schema evolution) and turns every
failure into a DecodeError with a reason the person on call can act on. The hot path (writer = current version)
reads with one cached, already-parsed schema and no resolution. Encoding goes through a writer generated per schema
(topics/avro_writer.py), which leaves any value off its fast path to fastavro: the same bytes either way.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import fastavro
from fastavro.read import SchemaResolutionError
from fastavro.validation import ValidationError, validate

from topics.avro_writer import Writer, compile_writer
from topics.compat import reading_problems
from topics.schemas import SchemaStore, SchemaVersion
from topics.wire import HEADER_SIZE, DecodeError, frame, unframe

if TYPE_CHECKING:
    from streams.settings import Settings

Record = dict[str, Any]


class SchemaIds(Protocol):
    """Where schema ids come from: the project's files, or a Confluent-compatible registry."""

    def id_for(self, topic: str, version: SchemaVersion) -> int:
        """The id to frame values of this version with on this topic (a registry registers it on first use)."""
        ...

    def writer_for(self, schema_id: int) -> SchemaVersion | None:
        """The schema a value with this id was written with; None if the id is unknown."""
        ...


class FileSchemaIds:
    """Ids from the schema files themselves (their canonical-form fingerprint): no registry needed."""

    def __init__(self, store: SchemaStore) -> None:
        self.store = store

    def id_for(self, topic: str, version: SchemaVersion) -> int:
        return version.schema_id

    def writer_for(self, schema_id: int) -> SchemaVersion | None:
        return self.store.by_id(schema_id)


class EncodeError(ValueError):
    """A record the pipeline tried to publish does not fit its schema: a bug in the producing code, never data."""


class _WritePlan(NamedTuple):
    header: bytes  # magic byte + the schema id for this topic
    parsed: Any  # parsed current schema
    version: SchemaVersion
    fast: Writer | None  # generated for this schema (topics/avro_writer.py); None: fastavro writes every record


class _ReadPlan(NamedTuple):
    writer: Any  # parsed writer schema
    reader: Any | None  # parsed current schema, or None when the writer is the current version (fast path)
    writer_version: SchemaVersion


class AvroCodec:
    def __init__(self, store: SchemaStore, ids: SchemaIds, fast_writers: bool = True) -> None:
        """``fast_writers`` False: fastavro encodes every record (the reference the generated writers are held to)."""
        self.store, self.ids, self.fast_writers = store, ids, fast_writers
        self._writers: dict[tuple[str, str], _WritePlan] = {}
        self._fast_writers: dict[int, Writer | None] = {}  # by schema id: one per schema, shared by its topics
        self._plans: dict[tuple[int, str], _ReadPlan] = {}

    def current_schema(self, schema_name: str) -> dict[str, Any]:
        return self.store.current(schema_name).schema

    def encode(self, topic: str, schema_name: str, record: Record) -> bytes:
        """The record framed for ``topic``: magic byte, the id of the current version of ``schema_name``, body."""
        plan = self._writers.get((topic, schema_name)) or self._write_plan(topic, schema_name)
        if plan.fast is not None:
            try:
                return plan.header + plan.fast(record)
            except Exception:  # noqa: BLE001, S110 (a value off its fast path: fastavro encodes it or says why not)
                pass
        body = io.BytesIO()
        body.write(plan.header)
        try:
            fastavro.schemaless_writer(body, plan.parsed, record)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            raise EncodeError(_why_not_encodable(plan.version, record, error)) from None
        return body.getvalue()

    def encode_for(self, topics: Sequence[str], schema_name: str, record: Record) -> list[bytes]:
        """The same record framed for each of ``topics`` (one value each, in order), its body encoded once: only
        the 5-byte header can differ between topics (a registry may give each subject its own id)."""
        first = self.encode(topics[0], schema_name, record)
        values = [first]
        for topic in topics[1:]:
            plan = self._writers.get((topic, schema_name)) or self._write_plan(topic, schema_name)
            values.append(first if first.startswith(plan.header) else plan.header + first[HEADER_SIZE:])
        return values

    def _write_plan(self, topic: str, schema_name: str) -> _WritePlan:
        """Looked up once per (topic, schema): the current version, its parsed schema and the framing header."""
        version = self.store.current(schema_name)
        if version.schema_id not in self._fast_writers:
            self._fast_writers[version.schema_id] = compile_writer(version.parsed) if self.fast_writers else None
        plan = _WritePlan(frame(self.ids.id_for(topic, version), b""), version.parsed, version,
                          self._fast_writers[version.schema_id])
        self._writers[(topic, schema_name)] = plan
        return plan

    def decode(self, value: bytes | None, schema_name: str) -> Record:
        """The record in ``value``, read as the current version of ``schema_name``; DecodeError if it cannot be."""
        schema_id, _ = unframe(value)
        plan = self._plans.get((schema_id, schema_name)) or self._plan(schema_id, schema_name)
        assert value is not None  # unframe refused None
        stream = io.BytesIO(value)
        stream.seek(HEADER_SIZE)
        try:
            record: Record = fastavro.schemaless_reader(stream, plan.writer, plan.reader)
        except SchemaResolutionError:
            raise _unreadable_writer(schema_id, plan, self.store.current(schema_name)) from None
        except EOFError:
            raise DecodeError("truncated", f"the body ended inside a {schema_name} record (schema id {schema_id}): "
                                           f"the value was cut, or written with another schema than its id "
                                           f"says") from None
        except (ValueError, TypeError, UnicodeDecodeError, OverflowError, KeyError, IndexError) as error:
            raise DecodeError("body_does_not_match_schema",
                              f"the body is not a {schema_name} record as schema id {schema_id} says "
                              f"({type(error).__name__}: {error}): the producer wrote with another schema "
                              f"than its id") from None
        left = len(value) - stream.tell()
        if left:
            raise DecodeError("body_does_not_match_schema",
                              f"{left} byte(s) left after a complete {schema_name} record (schema id {schema_id}): "
                              f"the producer wrote with another schema than its id, or appended to the value")
        return record

    def decode_many(self, values: Iterable[bytes | None], schema_name: str) -> list[Record | DecodeError]:
        """One result per value, in order: the record, or the DecodeError saying why it is not one."""
        decode = self.decode
        decoded: list[Record | DecodeError] = []
        for value in values:
            try:
                decoded.append(decode(value, schema_name))
            except DecodeError as error:
                decoded.append(error)
        return decoded

    def _plan(self, schema_id: int, schema_name: str) -> _ReadPlan:
        current = self.store.current(schema_name)
        writer = self.ids.writer_for(schema_id)
        if writer is None:
            raise DecodeError("unknown_schema_id", f"schema id {schema_id} is not known (expected a version of "
                                                   f"{current.full_name}): the producer's schema is not registered "
                                                   f"here, or it uses another registry than this pipeline")
        if writer.full_name != current.full_name:
            raise DecodeError("unexpected_schema", f"schema id {schema_id} is {writer.full_name}, expected "
                                                   f"{current.full_name}: wrong topic, or a producer configured "
                                                   f"with the wrong schema")
        same = writer.canonical == current.canonical
        plan = _ReadPlan(writer.parsed, None if same else current.parsed, writer)
        self._plans[(schema_id, schema_name)] = plan
        return plan


def _unreadable_writer(schema_id: int, plan: _ReadPlan, current: SchemaVersion) -> DecodeError:
    problems = reading_problems(plan.writer_version.schema, current.schema)
    code = "missing_required_field" if any("no default" in p for p in problems) else "incompatible_schema"
    detail = "; ".join(problems) or "fastavro could not resolve the writer's schema to the reader's"
    return DecodeError(code, f"data written with schema id {schema_id} cannot be read as {current.name} "
                             f"v{current.version}: {detail}. The producer's schema change is not backward "
                             f"compatible; fix it (add a default) or publish to a new topic")


def _why_not_encodable(version: SchemaVersion, record: Record, error: Exception) -> str:
    detail = f"{type(error).__name__}: {error}"
    try:
        validate(record, version.parsed, raise_errors=True)
    except ValidationError as invalid:
        detail = "; ".join(str(e) for e in invalid.errors)
    except (ValueError, TypeError, KeyError, AttributeError):  # the validator falls over the same value (a tuple
        pass  # in a union is fastavro's tuple notation): the writer's own error says it
    return f"the record does not fit {version.name} v{version.version}: {detail}"


def build_codec(settings: Settings, store: SchemaStore | None = None) -> AvroCodec:
    """The codec for these settings: registry ids when ``schema_registry_url`` is set, else file ids."""
    store = store or SchemaStore()
    if settings.schema_registry_url:
        from streams.schema_registry import RegistrySchemaIds  # the shell's adapter; topics/ stays Kafka-free

        return AvroCodec(store, RegistrySchemaIds.from_settings(settings, store))
    return AvroCodec(store, FileSchemaIds(store))
