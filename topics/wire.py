"""The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body."""
from __future__ import annotations

import struct

MAGIC = 0
HEADER = struct.Struct(">bI")
HEADER_SIZE = HEADER.size

# Every reason_code a DecodeError can carry, with what it means (rendered into docs/schemas.md).
REASON_CODES = {
    "empty_value": "the value is null or empty (a tombstone, or a producer that sent nothing)",
    "wrong_magic_byte": "the first byte is not 0: not the Confluent Avro framing (JSON, plain Avro, a container file)",
    "truncated": "the value ends inside the 5-byte header or inside the Avro body",
    "unknown_schema_id": "neither the schema files nor the registry know the schema id in the header",
    "unexpected_schema": "the id is known but names another record than this topic carries",
    "missing_required_field": "the writer's version lacks a field the current version needs and has no default for",
    "incompatible_schema": "the writer's version cannot be read as the current one (type or enum symbol changed)",
    "body_does_not_match_schema": "the body is not valid for the writer's schema, or has bytes left after the record",
}


class DecodeError(Exception):
    """A value that cannot become a record. ``reason_code`` is for machines (one of REASON_CODES), ``reason``
    is a sentence for the person on call: what was expected, what was found, what to look at."""

    def __init__(self, reason_code: str, reason: str) -> None:
        super().__init__(f"{reason_code}: {reason}")
        self.reason_code = reason_code
        self.reason = reason

    def __reduce__(self) -> tuple[type[DecodeError], tuple[str, str]]:
        return DecodeError, (self.reason_code, self.reason)


def frame(schema_id: int, body: bytes) -> bytes:
    return HEADER.pack(MAGIC, schema_id) + body


def unframe(value: bytes | None) -> tuple[int, bytes]:
    """The schema id and the Avro body of a framed value; DecodeError if the framing is wrong."""
    if not value:
        raise DecodeError("empty_value", "the value is null or empty, expected a Confluent-framed Avro record: a "
                                         "tombstone or an empty send on an event topic; check the producer")
    if value[0] != MAGIC:
        raise DecodeError("wrong_magic_byte",
                          f"magic byte 0x{value[0]:02x}, expected 0x00: the producer is not using the Confluent Avro "
                          f"serializer ({_guess_encoding(value)}); fix the producer's value serializer")
    if len(value) < HEADER_SIZE:
        raise DecodeError("truncated", f"the value is {len(value)} byte(s), shorter than the 5-byte Confluent header "
                                       f"(magic byte + schema id): the record was cut in transit or by the producer")
    _, schema_id = HEADER.unpack_from(value)
    return schema_id, value[HEADER_SIZE:]


def _guess_encoding(value: bytes) -> str:
    if value[:1] in (b"{", b"["):
        return "it looks like JSON"
    if value[:4] == b"Obj\x01":
        return "it looks like an Avro container file, not a single framed record"
    if value[:1] == b'"' or value[:1].isalnum():
        return "it looks like text"
    return "unknown encoding"
