"""Batch decoding shared by the stages: each topic's records decoded at once, converted to the stage's facts, and
anything that fails either step handed to the stage's dead-letter function with a reason."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from streams.engine.records import InputRecord
from topics.codec import AvroCodec
from topics.wire import DecodeError

T = TypeVar("T")
Reject = Callable[[InputRecord, str, str], None]  # record, reason code, reason


def decode_inputs(codec: AvroCodec, records: Sequence[InputRecord],
                  routes: Sequence[tuple[str, str, Callable[[dict[str, Any]], T]]], reject: Reject,
                  invalid_code: str) -> list[tuple[InputRecord, T]]:
    """routes: (topic, value schema, convert) per input topic; a convert that raises KeyError, TypeError or
    ValueError rejects the record with `invalid_code`. Order within each topic is kept."""
    found: list[tuple[InputRecord, T]] = []
    for topic, schema, convert in routes:
        mine = [record for record in records if record.topic == topic]
        if not mine:
            continue
        for record, decoded in zip(mine, codec.decode_many([r.value for r in mine], schema)):
            if isinstance(decoded, DecodeError):
                reject(record, decoded.reason_code, decoded.reason)
                continue
            try:
                found.append((record, convert(decoded)))
            except (KeyError, TypeError, ValueError) as error:
                reject(record, invalid_code, f"{type(error).__name__}: {error}")
    return found
