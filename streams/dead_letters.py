"""Dead-letter records: the original bytes, headers and position, and a reason the person on call can act on."""
from __future__ import annotations

import time
import uuid

from streams.engine.records import InputRecord, OutputRecord
from topics import catalog
from topics.codec import AvroCodec

DEAD_LETTER_SCHEMA = catalog.DEAD_LETTERS.value_schema or ""


def dead_letter_id(record: InputRecord) -> str:
    """Deterministic: a redelivered bad record yields the same dead-letter event id (consumers can de-duplicate)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"distflow-dead-letter:{record.position}"))


def dead_letter(codec: AvroCodec, topic: str, record: InputRecord, reason_code: str, reason: str,
                correlation_id: str | None = None, now_ms: int | None = None) -> OutputRecord:
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    event_id = dead_letter_id(record)
    value = {
        "envelope": {"event_id": event_id, "event_type": "DeadLettered", "source": "distflow",
                     "correlation_id": correlation_id or event_id, "causation_id": None,
                     "occurred_at": now_ms, "produced_at": now_ms},
        "source_topic": record.topic, "source_partition": record.partition, "source_offset": record.offset,
        "original_key": record.key, "original_value": record.value,
        "original_headers": [{"key": k, "value": v} for k, v in record.headers],
        "reason_code": reason_code, "reason": reason, "failed_at": now_ms,
    }
    headers = tuple((k, v) for k, v in record.headers if v is not None) + (
        ("distflow.dead_letter.reason_code", reason_code.encode()),
        ("distflow.dead_letter.source", record.position.encode()))
    return OutputRecord(topic, record.key, codec.encode(topic, DEAD_LETTER_SCHEMA, value), headers=headers)
