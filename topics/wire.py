"""The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body."""
from __future__ import annotations

import struct

MAGIC = 0
HEADER = struct.Struct(">bI")
HEADER_SIZE = HEADER.size


class DecodeError(Exception):
    """A value that cannot become a record. ``reason_code`` is for machines, ``reason`` for the person on call."""

    def __init__(self, reason_code: str, reason: str) -> None:
        super().__init__(f"{reason_code}: {reason}")
        self.reason_code = reason_code
        self.reason = reason


def frame(schema_id: int, body: bytes) -> bytes:
    return HEADER.pack(MAGIC, schema_id) + body


def unframe(value: bytes | None) -> tuple[int, bytes]:
    if not value:
        raise DecodeError("empty_value", "the record has no value (null or empty); a tombstone on an event topic?")
    if value[0] != MAGIC:
        raise DecodeError("wrong_magic_byte",
                          f"first byte is 0x{value[0]:02x}, expected 0x00: the producer is not using the Confluent "
                          f"Avro framing ({_guess(value)}); fix the producer's value serializer")
    if len(value) < HEADER_SIZE:
        raise DecodeError("truncated", f"{len(value)} bytes is shorter than the 5-byte Confluent header")
    _, schema_id = HEADER.unpack_from(value)
    return schema_id, value[HEADER_SIZE:]


def _guess(value: bytes) -> str:
    if value[:1] in (b"{", b"["):
        return "it looks like JSON"
    if value[:4] == b"Obj\x01":
        return "it looks like an Avro container file"
    return "unknown encoding"
