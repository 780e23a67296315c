"""The checkout read model stage: ERP item master, prices and customer accounts → Redis, one pipeline per batch.

Per batch: decode each topic's records in one pass, translate and validate them (bad ones → dead letters with the
reason), keep the newest value per key, and write them all in one Redis pipeline whose compare-and-set on the as-of
stamp keeps Redis newest-wins (a replay or a redelivery writes nothing new). The write happens before the batch's
offsets are committed. If Redis is unreachable the values stay staged and are retried after every batch of the
worker and while idle; the stage never stops the worker for it.
"""
from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from streams.dead_letters import dead_letter
from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord
from streams.metrics import WorkerMetrics
from streams.readmodel import translate
from streams.readmodel.writer import FlushReport, ReadModelWriter
from streams.topic_names import DeployedCatalog
from streams.translate.validation import Invalid
from topics import catalog
from topics.codec import AvroCodec
from topics.spec import TopicSpec
from topics.wire import DecodeError

log = logging.getLogger(__name__)

TRANSLATORS: Mapping[TopicSpec, Callable[[Mapping[str, Any], int], Any]] = {
    catalog.ITEM_MASTER: translate.item_master,
    catalog.PRICES: translate.price_entry,
    catalog.CUSTOMER_ACCOUNTS: translate.customer_account,
}
RETRY_AFTER_FAILURE_S = 0.5  # during a Redis outage, do not pay a connect timeout on every batch


class ReadModelStage:
    name = "read-model"
    tables = ()

    def __init__(self, codec: AvroCodec, names: DeployedCatalog, metrics: WorkerMetrics, writer: ReadModelWriter,
                 clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.codec, self.metrics, self.writer, self.clock_ms = codec, metrics, writer, clock_ms
        self._spec_by_topic = {names[spec]: spec for spec in TRANSLATORS}
        self.input_topics = tuple(sorted(self._spec_by_topic))
        self._dead_letters_topic = names[catalog.DEAD_LETTERS]
        self._retry_at = 0.0
        self._outage_logged = False
        self.last_flush = FlushReport()

    def process(self, records: Sequence[InputRecord], out: Emitter) -> None:
        now_ms = self.clock_ms()
        by_topic: dict[str, list[InputRecord]] = defaultdict(list)
        for record in records:
            by_topic[record.topic].append(record)
        counted: Counter[tuple[str, str]] = Counter()
        for topic, topic_records in by_topic.items():
            spec = self._spec_by_topic[topic]
            decoded = self.codec.decode_many([r.value for r in topic_records], spec.value_schema or "")
            for record, event in zip(topic_records, decoded):
                if isinstance(event, DecodeError):
                    self._reject(record, event.reason_code, event.reason, out)
                    continue
                counted[(topic, str(event["envelope"]["event_type"]))] += 1
                self._stage(spec, record, event, now_ms, out)
        for (topic, event_type), count in counted.items():
            self.metrics.events_in.labels(topic, event_type).inc(count)
        self._flush()

    def _stage(self, spec: TopicSpec, record: InputRecord, event: Mapping[str, Any], now_ms: int,
               out: Emitter) -> None:
        try:
            self.writer.stage(TRANSLATORS[spec](event, now_ms))
        except Invalid as invalid:
            self._reject(record, invalid.reason_code, invalid.reason, out)
        except (KeyError, TypeError, ValueError) as error:
            self._reject(record, "invalid_event", f"{type(error).__name__}: {error}", out)

    def _flush(self) -> None:
        if not self.writer.pending or time.monotonic() < self._retry_at:
            return
        report = self.last_flush = self.writer.flush()
        if report.redis_unavailable:
            self._retry_at = time.monotonic() + RETRY_AFTER_FAILURE_S
            if not self._outage_logged:
                log.error("Redis unavailable: %d read model values held, retrying", report.pending)
                self._outage_logged = True
        elif self._outage_logged and not report.pending:
            log.warning("Redis is back: the checkout read model caught up")
            self._outage_logged = False

    def _reject(self, record: InputRecord, reason_code: str, reason: str, out: Emitter) -> None:
        log.warning("dead-lettered %s: %s", record.position, reason,
                    extra={"reason_code": reason_code, "source": record.position})
        self.metrics.dead_letters.labels(record.topic, reason_code).inc()
        out.emit(dead_letter(self.codec, self._dead_letters_topic, record, reason_code, reason))

    def after_commit(self) -> None:
        """Any batch of the worker (also other stages'): retry what a Redis outage held, once it may be back."""
        self._flush()

    def on_idle(self) -> None:
        """No traffic: still retry values held during a Redis outage."""
        self._flush()


def build_read_model_stage(settings, codec: AvroCodec, names: DeployedCatalog,  # type: ignore[no-untyped-def]
                           metrics: WorkerMetrics) -> ReadModelStage:
    from streams.snapshot.connection import snapshot_writer_client

    writer = ReadModelWriter(snapshot_writer_client(settings), settings.redis_key_prefix)
    return ReadModelStage(codec, names, metrics, writer)
