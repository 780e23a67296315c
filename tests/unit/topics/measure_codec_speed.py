"""Prints the codec's cost per record on the hot path, no assertions:
`python -m tests.unit.topics.measure_codec_speed`.

Small record: a wms/inventory_movement (about 90 bytes framed). Target: about 10 µs per record to decode.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable

import fastavro

from tests.unit.topics import records
from topics.codec import AvroCodec, FileSchemaIds
from topics.schemas import SchemaStore
from topics.wire import frame

NAME, TOPIC, RECORDS = "wms/inventory_movement", "wms.inventory-movements", 50_000


def per_record_us(work: Callable[[], object], count: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best / count * 1e6


def main() -> None:
    store = SchemaStore()
    codec = AvroCodec(store, FileSchemaIds(store))
    record = records.inventory_movement()
    values = [codec.encode(TOPIC, NAME, record)] * RECORDS
    v1 = store.versions(NAME)[0]
    body = io.BytesIO()
    fastavro.schemaless_writer(body, v1.parsed, {k: v for k, v in record.items() if k != "reference"})
    old = frame(v1.schema_id, body.getvalue())
    olds = [old] * RECORDS
    assert codec.decode(old, NAME)["reference"] is None

    print(f"record: {NAME}, {len(values[0])} bytes framed, {RECORDS} records, best of 3")
    timings = {"encode": lambda: [codec.encode(TOPIC, NAME, record) for _ in values],
               "decode_many (writer = reader)": lambda: codec.decode_many(values, NAME),
               "decode_many (v1 resolved to v2)": lambda: codec.decode_many(olds, NAME)}
    for label, work in timings.items():
        print(f"{label:32} {per_record_us(work, RECORDS):6.2f} µs/record")


if __name__ == "__main__":
    main()
