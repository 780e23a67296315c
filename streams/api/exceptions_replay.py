"""POST /v1/dead-letters/replay: re-inject a dead-lettered source record, after its cause was fixed.

The operator names the dead letter by its source position (source_topic, partition, offset — the fields of every
dead letter on distflow.dead-letters). The API reads the original record at that position on the source topic and
produces it again to the same topic and partition with the same key, the same bytes and its original headers, plus
`distflow.replay_of` (the position) and `distflow.replayed_by` (the operator). The pipeline treats it as any
record: it is validated again, and de-duplication still applies (the event id is the original's), so replaying a
record that was in fact applied, or replaying twice, changes nothing. Every replay is audited on
distflow.exception-audit (exception id `dead_letter:<position>`, action `replay`, the operator and note).
Only source topics of the catalog can be replayed into.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from streams.api.exceptions import MAX_NOTE, WORKBENCH, ActionsUnavailable
from streams.api.middleware import CLIENT_ID
from streams.api.queries import BadRequest
from streams.api.responses import error_response, json_response

REPLAY_HEADER, REPLAYED_BY_HEADER = "distflow.replay_of", "distflow.replayed_by"
log = logging.getLogger("distflow.api")


@dataclass(frozen=True)
class Original:
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


class DeadLetterReplayer(Protocol):
    def source_topics(self) -> frozenset[str]: ...
    async def original(self, topic: str, partition: int, offset: int) -> Original | None: ...
    async def reinject(self, topic: str, partition: int, original: Original,
                       audit: dict[str, Any]) -> tuple[int, int]: ...


@dataclass
class RecordingReplayer:
    """In memory: the source records there are, and what was re-injected and audited."""

    records: dict[tuple[str, int, int], Original] = field(default_factory=dict)
    topics: frozenset[str] = frozenset({"wms.inventory-movements", "commerce.orders"})
    reinjected: list[tuple[str, Original, dict[str, Any]]] = field(default_factory=list)
    reachable: bool = True

    def source_topics(self) -> frozenset[str]:
        return self.topics

    async def original(self, topic: str, partition: int, offset: int) -> Original | None:
        if not self.reachable:
            raise ActionsUnavailable("in-memory replayer switched to unreachable")
        return self.records.get((topic, partition, offset))

    async def reinject(self, topic: str, partition: int, original: Original,
                       audit: dict[str, Any]) -> tuple[int, int]:
        self.reinjected.append((topic, original, audit))
        return partition, 1000 + len(self.reinjected)


class KafkaReplayer:
    def __init__(self, settings: Any, timeout_s: float = 10.0) -> None:
        from confluent_kafka import Producer

        from streams.topic_names import DeployedCatalog
        from topics import catalog
        from topics.codec import build_codec

        names = DeployedCatalog(settings)
        self.settings, self.timeout_s = settings, timeout_s
        self._sources = frozenset(names[spec] for spec in catalog.SOURCE_TOPICS)
        self.audit_topic = names[catalog.EXCEPTION_AUDIT]
        self.audit_schema = catalog.EXCEPTION_AUDIT.value_schema or ""
        self.codec = build_codec(settings)
        self.producer = Producer({**settings.kafka_client_config(), "partitioner": "murmur2_random", "acks": "all",
                                  "enable.idempotence": settings.kafka_idempotent_producer, "linger.ms": 0})

    def source_topics(self) -> frozenset[str]:
        return self._sources

    async def original(self, topic: str, partition: int, offset: int) -> Original | None:
        return await asyncio.to_thread(self._read, topic, partition, offset)

    def _read(self, topic: str, partition: int, offset: int) -> Original | None:
        from confluent_kafka import Consumer, KafkaError, TopicPartition

        consumer = Consumer({**self.settings.kafka_client_config(), "group.id": f"distflow-replay-{uuid.uuid4()}",
                             "enable.auto.commit": False, "enable.partition.eof": True})
        try:
            metadata = consumer.list_topics(topic, timeout=self.timeout_s).topics.get(topic)
            if metadata is None or metadata.error is not None or partition not in metadata.partitions:
                return None
            # only the start is taken from the watermarks: the embedded broker reports a high watermark short of
            # the end when the last batch holds many records, so a read beyond the end finds out (partition EOF)
            low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=self.timeout_s)
            if offset < low:
                return None
            consumer.assign([TopicPartition(topic, partition, offset)])
            deadline = time.monotonic() + self.timeout_s
            while time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is None:
                    continue
                if message.error():
                    if message.error().code() == KafkaError._PARTITION_EOF:
                        return None
                    raise ActionsUnavailable(f"reading {topic}[{partition}]@{offset}: {message.error()}")
                if message.offset() != offset:
                    return None  # compacted or removed: that record is gone
                headers = tuple((k, v) for k, v in (message.headers() or []) if v is not None)
                return Original(message.key(), message.value(), headers)
            raise ActionsUnavailable(f"reading {topic}[{partition}]@{offset} timed out")
        except Exception as error:
            if isinstance(error, ActionsUnavailable):
                raise
            raise ActionsUnavailable(f"reading the source record: {type(error).__name__}: {error}") from error
        finally:
            consumer.close()

    async def reinject(self, topic: str, partition: int, original: Original,
                       audit: dict[str, Any]) -> tuple[int, int]:
        """To the original's partition: the key keeps the order its source producer gave it."""
        loop = asyncio.get_running_loop()
        placed: asyncio.Future[tuple[int, int]] = loop.create_future()

        def settle(error: object, message: Any) -> None:
            def done() -> None:
                if placed.done():
                    return
                if error is None:
                    placed.set_result((message.partition(), message.offset()))
                else:
                    placed.set_exception(ActionsUnavailable(f"replay not acknowledged: {error}"))
            loop.call_soon_threadsafe(done)

        try:
            self.producer.produce(topic, key=original.key, value=original.value, headers=list(original.headers),
                                  partition=partition, on_delivery=settle)
            value = self.codec.encode(self.audit_topic, self.audit_schema, audit)
            self.producer.produce(self.audit_topic, key=str(audit["exception_id"]).encode(), value=value)
        except Exception as error:
            raise ActionsUnavailable(f"replay not produced: {type(error).__name__}") from error
        if await asyncio.to_thread(self.producer.flush, self.timeout_s):
            raise ActionsUnavailable(f"replay not acknowledged within {self.timeout_s}s")
        return await asyncio.wait_for(placed, self.timeout_s)

    def close(self) -> None:
        self.producer.flush(5)


REPLAYER = web.AppKey("dead_letter_replayer", DeadLetterReplayer)  # type: ignore[type-abstract]


async def replay_dead_letter(request: web.Request) -> web.Response:
    topic, partition, offset, note = await _replay_body(request, request.app[REPLAYER].source_topics())
    answer = await _reinject(request, topic, partition, offset, request[CLIENT_ID], note)
    return answer if isinstance(answer, web.Response) else json_response(202, answer)


async def replay_position(request: web.Request, topic: str, partition: int, offset: int, operator: str, note: str,
                          exception_id: str) -> web.Response | None:
    """For POST /v1/exceptions/{id}/replay: None once re-injected, else the error answer."""
    if topic not in request.app[REPLAYER].source_topics():
        return error_response(409, "not_replayable", f"{topic!r} is not a source topic of this deployment",
                              exception_id=exception_id, state="CLAIMED")
    answer = await _reinject(request, topic, partition, offset, operator, note)
    return answer if isinstance(answer, web.Response) else None


async def _reinject(request: web.Request, topic: str, partition: int, offset: int, operator: str,
                    note: str) -> web.Response | dict[str, Any]:
    replayer = request.app[REPLAYER]
    position = f"{topic}:{partition}@{offset}"
    try:
        original = await replayer.original(topic, partition, offset)
        if original is None:
            return error_response(404, "unknown_source_record", f"no record at {position} (never written, or past "
                                  "the source topic's retention)", source=position)
        now_ms = request.app[WORKBENCH].clock_ms()
        action_id = str(uuid.uuid4())
        headers = tuple((k, v) for k, v in original.headers if k not in (REPLAY_HEADER, REPLAYED_BY_HEADER)) + (
            (REPLAY_HEADER, position.encode()), (REPLAYED_BY_HEADER, operator.encode()))
        audit = {"envelope": {"event_id": f"audit:dead_letter:{position}:{action_id}", "event_type": "ExceptionAudited",
                              "source": "distflow", "correlation_id": _correlation(original) or position,
                              "causation_id": action_id, "occurred_at": now_ms, "produced_at": now_ms},
                 "exception_id": f"dead_letter:{position}", "exception_type": "invalid_event",
                 "owner_team": "integration-support", "action": "replay", "action_id": action_id,
                 "operator": operator, "outcome": "APPLIED", "from_state": "DEAD_LETTERED",
                 "to_state": "REPLAYED", "note": note, "reason": ""}
        new_partition, new_offset = await replayer.reinject(
            topic, partition, Original(original.key, original.value, headers), audit)
    except (ActionsUnavailable, asyncio.TimeoutError) as error:
        log.warning("answering 503: %s", error)
        return error_response(503, "replay_unavailable", "Kafka could not be read or did not acknowledge the replay; "
                              "retry (a replay twice is harmless: de-duplication applies).", {"Retry-After": "1"})
    log.info("dead letter %s replayed by %s", position, operator, extra={"operator": operator, "source": position})
    return {"action_id": action_id, "source": position, "operator": operator,
            "replayed_to": {"topic": topic, "partition": new_partition, "offset": new_offset}}


def _correlation(original: Original) -> str:
    for name, value in original.headers:
        if name == "correlation_id":
            return value.decode(errors="replace")
    return ""


async def _replay_body(request: web.Request, sources: frozenset[str]) -> tuple[str, int, int, str]:
    raw = await request.read()  # over client_max_size: HTTPRequestEntityTooLarge → 413
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("malformed_json", "the body is not valid UTF-8 JSON") from None
    if not isinstance(body, dict) or set(body) - {"source_topic", "partition", "offset", "note"}:
        raise BadRequest("invalid_body", "the body is {source_topic, partition, offset, note?} from the dead letter")
    topic, partition, offset, note = (body.get("source_topic"), body.get("partition"), body.get("offset"),
                                      body.get("note", ""))
    if not isinstance(topic, str) or topic not in sources:
        raise BadRequest("not_a_source_topic", "source_topic must be one of the catalog's source topics, as the dead "
                                               "letter names it")
    for name, number in (("partition", partition), ("offset", offset)):
        if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number < 2**63:
            raise BadRequest(f"invalid_{name}", f"{name} is a whole number ≥ 0")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise BadRequest("invalid_note", f"note must be a string of at most {MAX_NOTE} characters")
    return topic, partition, offset, note.strip()  # type: ignore[return-value]
