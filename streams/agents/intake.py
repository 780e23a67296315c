"""Intake: decode and validate source events, dead-letter the bad ones with a reason, re-key the good ones.

Correctness must not depend on how an external producer partitioned its records, so every fact that touches
stock is re-keyed by SKU onto distflow.inventory-commands (the SKU's owner decides alone) and every fact about an
order is re-keyed by order id onto distflow.order-commands (the order's owner decides alone). A shipment is both:
units left a shelf, and an order moved on. A record is translated whole before anything is emitted, so a bad line
dead-letters the record instead of half-applying it.
"""
from __future__ import annotations

import logging
import time
from functools import partial
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Mapping, Sequence

from streams import logs
from streams.dead_letters import dead_letter
from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord, OutputRecord
from streams.metrics import WorkerMetrics
from streams.topic_names import DeployedCatalog
from streams.translate import inventory as inv
from streams.translate import orders as order_facts
from streams.translate.validation import Invalid
from topics import catalog
from topics.codec import AvroCodec
from topics.spec import TopicSpec
from topics.wire import DecodeError

log = logging.getLogger(__name__)

INVENTORY_TRANSLATORS: Mapping[TopicSpec, inv.Translator] = {
    catalog.INVENTORY_MOVEMENTS: inv.inventory_movement,
    catalog.ON_HAND_SNAPSHOTS: inv.on_hand_snapshot,
    catalog.INCOMING_SUPPLY: inv.supply_expected,
    catalog.PICKS: inv.pick_confirmed,
    catalog.SHIPMENTS: inv.shipment_confirmed,
    catalog.RETURN_RECEIPTS: inv.return_received,
}
ORDER_TRANSLATORS: Mapping[TopicSpec, order_facts.Translator] = {
    catalog.ORDERS: order_facts.order_placed,
    catalog.ORDER_CANCELLATIONS: order_facts.cancellation_requested,
    catalog.ORDER_DECISIONS: order_facts.order_decision,
    catalog.FULFILMENT_CANCELLATIONS: order_facts.fulfilment_cancel_answered,
    catalog.SHIPMENTS: order_facts.shipment_confirmed,
    catalog.TRACKING: order_facts.tracking_milestone,
    catalog.RETURN_REQUESTS: order_facts.return_requested,
    catalog.RMA_DECISIONS: order_facts.rma_decision,
    catalog.RETURN_RECEIPTS: order_facts.return_received,
    catalog.CREDIT_MEMOS: order_facts.credit_memo_issued,
}


class IntakeStage:
    name = "intake"
    tables = ()

    def __init__(self, codec: AvroCodec, names: DeployedCatalog, metrics: WorkerMetrics,
                 clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
                 supplier_locations: Container[str] = frozenset()) -> None:
        self.codec, self.names, self.metrics, self.clock_ms = codec, names, metrics, clock_ms
        self.supplier_locations = supplier_locations  # drop-ship senders: their shipments never touch our stock
        self._spec_by_topic = {names[spec]: spec for spec in (*INVENTORY_TRANSLATORS, *ORDER_TRANSLATORS)}
        self.input_topics = tuple(sorted(self._spec_by_topic))
        self._commands_topic = names[catalog.INVENTORY_COMMANDS]
        self._order_commands_topic = names[catalog.ORDER_COMMANDS]
        self._commands_schema = catalog.INVENTORY_COMMANDS.value_schema or ""
        self._order_commands_schema = catalog.ORDER_COMMANDS.value_schema or ""
        self._encode_command = partial(codec.encode, self._commands_topic, self._commands_schema)
        self._encode_order_command = partial(codec.encode, self._order_commands_topic, self._order_commands_schema)
        self._dead_letters_topic = names[catalog.DEAD_LETTERS]

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
                if not isinstance(event, DecodeError):
                    counted[(topic, str(event["envelope"]["event_type"]))] += 1
                self._route(spec, record, event, now_ms, out)
        for (topic, event_type), count in counted.items():  # one metric update per type per batch, not per event
            self.metrics.events_in.labels(topic, event_type).inc(count)

    def _route(self, spec: TopicSpec, record: InputRecord, event: dict | DecodeError, now_ms: int,  # type: ignore[type-arg]
               out: Emitter) -> None:
        if isinstance(event, DecodeError):
            self._reject(record, event.reason_code, event.reason, None, out)
            return
        envelope = event.get("envelope") or {}
        if spec is catalog.RMA_DECISIONS:  # the dashboard's failed-return-authorisation view
            self.metrics.return_authorisations.labels(str(event.get("decision", "unknown")).lower()).inc()
        try:
            commands = self._inventory_commands(spec, event, now_ms)
            order_commands = ORDER_TRANSLATORS[spec](event, now_ms) if spec in ORDER_TRANSLATORS else []
        except Invalid as invalid:
            self._reject_event(record, envelope, invalid.reason_code, invalid.reason, out)
            return
        except (KeyError, TypeError, ValueError) as error:
            self._reject_event(record, envelope, "invalid_event", f"{type(error).__name__}: {error}", out)
            return
        # Translation and emitting log nothing: the event's log context is entered only where a line is written
        # (_reject_event), not for every event.
        headers = _correlation_header(envelope)
        for cmd in commands:  # to the SKU's owner: in process when that is this worker (streams/engine/handoff.py)
            out.send_routed(self._commands_topic, cmd.sku.encode(), cmd.record, self._encode_command, headers,
                            record)
        for order_cmd in order_commands:
            out.emit(OutputRecord(self._order_commands_topic, order_cmd.order_id.encode(),
                                  self._encode_order_command(order_cmd.record), headers=headers))

    def _reject_event(self, record: InputRecord, envelope: Mapping[str, object], reason_code: str, reason: str,
                      out: Emitter) -> None:
        correlation = envelope.get("correlation_id")
        with logs.handling(correlation, envelope.get("event_id")):  # type: ignore[arg-type]
            self._reject(record, reason_code, reason, correlation, out)  # type: ignore[arg-type]

    def _inventory_commands(self, spec: TopicSpec, event: dict, now_ms: int) -> list[inv.Command]:  # type: ignore[type-arg]
        translator = INVENTORY_TRANSLATORS.get(spec)
        if translator is None:
            return []
        if spec is catalog.SHIPMENTS and event.get("location") in self.supplier_locations:
            return []  # a supplier shipped straight to the customer (drop-ship): no shelf of ours changed
        return translator(event, now_ms)

    def _reject(self, record: InputRecord, reason_code: str, reason: str, correlation_id: str | None,
                out: Emitter) -> None:
        log.warning("dead-lettered %s: %s", record.position, reason,
                    extra={"reason_code": reason_code, "source": record.position})
        self.metrics.dead_letters.labels(record.topic, reason_code).inc()
        out.emit(dead_letter(self.codec, self._dead_letters_topic, record, reason_code, reason, correlation_id))

    def after_commit(self) -> None:
        return None


def _correlation_header(envelope: Mapping[str, object]) -> tuple[tuple[str, bytes], ...]:
    correlation = envelope.get("correlation_id")
    return (("correlation_id", str(correlation).encode()),) if correlation else ()
