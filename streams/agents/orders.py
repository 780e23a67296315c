"""The order owner: the only task that changes an order, running its saga (processors/orders) per batch.

Inputs, both keyed by order id: distflow.order-commands (the storefront, the ERP, the WMS and carriers, via
intake) and distflow.reservation-results (the SKU owners' answers). Per batch: group by order (arrival order
kept), read each order once, apply its facts, write it once (one changelog record per order per batch), publish
the decisions: inventory commands to the SKU owners, fulfilment requests to the WMS, ERP commands through the
durable rate-limited outbox, order status for portals, exceptions for operations. Timers (SLAs, credit hold,
held facts) fire from the deadlines stored in the orders.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

import orjson

from processors import orders as o
from processors.inventory import LocationQuantity
from processors.orders.erp_queue import RateLimit
from processors.orders.records import fact_from_record
from streams import logs
from streams.agents import order_outputs as outputs
from streams.agents.decoding import decode_inputs
from streams.agents.erp_outbox import ErpOutbox
from streams.agents.order_timers import DeadlineTimers
from streams.dead_letters import dead_letter
from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord, OutputRecord
from streams.engine.state import ChangelogTable, TableCodec
from streams.metrics import WorkerMetrics
from streams.topic_names import DeployedCatalog
from topics import catalog
from topics.codec import AvroCodec
from topics.partitioning import KeyPartitions
from topics.spec import TopicSpec

log = logging.getLogger(__name__)
Record = dict[str, object]
SLA_OF = {o.OrderExceptionType.SLA_BREACH_ACCEPTANCE: "acceptance",
          o.OrderExceptionType.SLA_BREACH_ALLOCATION: "allocation",
          o.OrderExceptionType.SLA_BREACH_SHIPMENT: "shipment_confirmation",
          o.OrderExceptionType.CREDIT_HOLD_TIMEOUT: "credit_hold",
          o.OrderExceptionType.SLA_BREACH_RETURN: "return_completion"}


# Decoded orders kept between batches (ChangelogTable cache_bytes) would spare the read of an order a batch or two
# after it was written (~70 us an order). Off: it was on when the SIGKILL reliability test (tests/reliability/
# test_crash_at_scale.py) first failed; the failure was later reproduced without it and its cause found elsewhere (a
# batch's changelog produced with its outputs, and the order view not written again for a redelivered batch:
# docs/performance.md). With that fixed it was measured again and stays off: bench.order_saga, 15,000 orders, one
# worker, same minutes: 881 us of worker CPU per order with 16 MB, 843 without — no gain to pay its memory for.
ORDER_CACHE_BYTES = 0
OWNER_CACHE_MAX = 100_000  # order ids whose owning partition is remembered (KeyPartitions)


class OrderView(Protocol):
    def stage(self, order: o.Order) -> None: ...
    def flush(self) -> None: ...
    @property
    def pending(self) -> int: ...


def order_table_codec() -> TableCodec[o.Order]:
    """The order's record (processors/orders/records.py) as compact JSON; orjson writes UTF-8 where json.dumps
    escaped non-ASCII, and reads both."""
    return TableCodec(lambda order: orjson.dumps(o.to_record(order)), lambda raw: o.from_record(orjson.loads(raw)))


class OrderStage:
    name = "orders"

    def __init__(self, codec: AvroCodec, names: DeployedCatalog, policy: o.OrderPolicy, erp_limit: RateLimit,
                 metrics: WorkerMetrics, view: OrderView | None, state_dir: Path,
                 clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.codec, self.policy, self.metrics, self.view, self.clock_ms = codec, policy, metrics, view, clock_ms
        self.commands_topic = names[catalog.ORDER_COMMANDS]
        self.results_topic = names[catalog.RESERVATION_RESULTS]
        self.input_topics = (self.commands_topic, self.results_topic)
        self.out_topics = {spec: names[spec] for spec in (
            catalog.INVENTORY_COMMANDS, catalog.ORDER_STATUS, catalog.FULFILMENT_REQUESTS, catalog.ERP_COMMANDS,
            catalog.EXCEPTIONS, catalog.DEAD_LETTERS)}
        self._inventory_commands_topic = self.out_topics[catalog.INVENTORY_COMMANDS]
        self._encode_inventory_command = partial(codec.encode, self._inventory_commands_topic,
                                                 catalog.INVENTORY_COMMANDS.value_schema or "")
        self.table = ChangelogTable("orders_by_id", names[catalog.ORDERS_CHANGELOG], self.commands_topic,
                                    order_table_codec(), state_dir, cache_bytes=ORDER_CACHE_BYTES)
        self.outbox = ErpOutbox(names[catalog.ERP_OUTBOX_CHANGELOG], self.commands_topic, state_dir, erp_limit,
                                names[catalog.ERP_COMMANDS])
        # The outbox first: an order whose state says an ERP command is queued must never be restored without the
        # outbox entry (the other way round, the redelivered fact queues the same command id again).
        self.tables = (self.outbox.table, self.table)
        self.timers = DeadlineTimers()
        self._backlog: dict[str, o.OrderStatus] = {}  # order id → open status (for the backlog gauge)
        self._backlog_children: dict[o.OrderStatus, object] = {}  # label lookups cost ~1.5 µs each: once per status
        self._status_children: dict[o.OrderStatus, object] = {}
        self._known_partitions: set[int] = set()
        self._owner_of: KeyPartitions | None = None  # order id -> owning partition of the order commands topic

    # -- engine hooks --------------------------------------------------------------------------------------------
    def on_partition_count(self, count: int) -> None:
        if self._owner_of is None or self._owner_of.count != count:
            self._owner_of = KeyPartitions(count, OWNER_CACHE_MAX)

    def process(self, records: Sequence[InputRecord], out: Emitter) -> None:
        self._sync_partitions()
        by_order: dict[tuple[int, str], list[tuple[InputRecord, o.OrderFact]]] = {}
        owner_of = self._owners()
        for record, fact in self._facts(records, out):
            owner = owner_of(fact.order_id)
            if owner != record.partition:
                self._forward_to_owner(record, fact.order_id, owner, out)
                continue
            by_order.setdefault((record.partition, fact.order_id), []).append((record, fact))
        now_ms = self.clock_ms()
        for (partition, order_id), items in by_order.items():
            self._apply_order(partition, order_id, items, now_ms, out)

    def tick_due(self) -> bool:
        now_ms = self.clock_ms()
        due = self.timers.next_due()
        return (due is not None and due <= now_ms) or self.outbox.due(now_ms)

    def tick(self, out: Emitter) -> None:
        """Fire due timers, then let out what the ERP rate limit allows."""
        self._sync_partitions()
        now_ms = self.clock_ms()
        for partition, fact in self.timers.pop_due(now_ms):
            self._apply_order(partition, fact.order_id, [(None, fact)], now_ms, out)
        self.outbox.send_due(now_ms, out, self._erp_sent)
        for priority, waiting in self.outbox.queue.waiting_by_priority().items():
            self.metrics.erp_command_queue_depth.labels(priority).set(waiting)

    def after_commit(self) -> None:
        if self.view is not None:
            self.view.flush()

    def on_idle(self) -> None:
        if self.view is not None and self.view.pending:
            self.view.flush()

    # -- decode ------------------------------------------------------------------------------------------------------
    def _facts(self, records: Sequence[InputRecord], out: Emitter) -> list[tuple[InputRecord, o.OrderFact]]:
        routes = ((self.commands_topic, catalog.ORDER_COMMANDS.value_schema or "", _command_fact),
                  (self.results_topic, catalog.RESERVATION_RESULTS.value_schema or "", _result_fact))
        return decode_inputs(self.codec, records, routes, lambda record, code, reason: self._dead_letter(
            record, code, reason, out), "invalid_order_fact")

    def _owners(self) -> KeyPartitions:
        if self._owner_of is None:
            raise RuntimeError("partition count unknown before assignment")
        return self._owner_of

    def _forward_to_owner(self, record: InputRecord, order_id: str, owner: int, out: Emitter) -> None:
        self.metrics.events_out.labels(f"{record.topic}:rerouted").inc()
        headers = tuple((k, v) for k, v in record.headers if v is not None)
        out.emit(OutputRecord(record.topic, order_id.encode(), record.value, partition=owner, headers=headers))

    # -- one order ----------------------------------------------------------------------------------------------------
    def _apply_order(self, partition: int, order_id: str, items: Sequence[tuple[InputRecord | None, o.OrderFact]],
                     now_ms: int, out: Emitter) -> None:
        key = order_id.encode()
        stored = self.table.get(partition, key)
        before = stored or o.new_order(order_id)
        order = before
        for record, fact in items:
            # as logs.handling, without a generator per fact: every line logged here carries these ids
            token_c = logs.correlation_id.set(fact.correlation_id or order.correlation_id or fact.event_id)
            token_e = logs.event_id.set(fact.event_id)
            try:
                order, decisions = o.apply(order, fact, self.policy)
                for decision in decisions:
                    self._publish(partition, decision, order, record, now_ms, out)
            finally:
                logs.correlation_id.reset(token_c)
                logs.event_id.reset(token_e)
        if order is before:
            if stored is not None and self.view is not None:
                # Nothing changed: usually a batch redelivered after a crash whose first pass was persisted but may
                # not have reached Redis (the view flush follows the state). The version-guarded write of the
                # view leaves Redis alone when it did arrive.
                self.view.stage(order)
            return
        self.table.put(partition, key, order)
        self.timers.track(partition, order)
        self._count_backlog(order)
        if self.view is not None:
            self.view.stage(order)

    def _publish(self, partition: int, decision: o.OrderDecision, order: o.Order, record: InputRecord | None,
                 now_ms: int, out: Emitter) -> None:
        command = outputs.inventory_command(decision, now_ms)
        if command is not None:  # to the SKU's owner: in process when that is this worker (streams/engine/handoff)
            out.send_routed(self._inventory_commands_topic, str(command["sku"]).encode(), command,
                            self._encode_inventory_command,
                            (("correlation_id", decision.correlation_id.encode()),), record)
            return
        match decision:
            case o.OrderStatusChanged():
                self._status_counter(decision.new_status).inc()
                # DEBUG: a routine transition is in the order's timeline (the order view), on distflow.order-status
                # and in distflow_order_status_changes; one INFO line per change was ~5 % of the saga's CPU.
                # Exceptions, dead letters and held facts stay at WARNING/INFO with their correlation ids.
                log.debug("order %s: %s → %s", decision.order_id, decision.old_status, decision.new_status,
                          extra={"order_id": decision.order_id, "reason": decision.reason})
                self._emit(catalog.ORDER_STATUS, decision.order_id, outputs.status_record(decision, order, now_ms),
                           decision.correlation_id, out)
            case o.FulfilmentRequested() | o.FulfilmentCancelRequested():
                self._emit(catalog.FULFILMENT_REQUESTS, decision.order_id,
                           outputs.fulfilment_record(decision, now_ms), decision.correlation_id, out)
            case o.ErpCommand():
                self._queue_erp(partition, decision, now_ms)
            case o.OrderException():
                self._raise(decision, record, now_ms, out)
            case o.DuplicateIgnored():
                self.metrics.duplicates_dropped.labels(self.name).inc()
            case o.FactHeld():
                log.info("held: %s", decision.reason, extra={"order_id": decision.order_id})

    def _queue_erp(self, partition: int, decision: o.ErpCommand, now_ms: int) -> None:
        topic = self.out_topics[catalog.ERP_COMMANDS]
        value = self.codec.encode(topic, catalog.ERP_COMMANDS.value_schema or "",
                                  outputs.erp_command_record(decision, now_ms))
        self.outbox.add(partition, decision.command_id, decision.priority, str(decision.command),
                        decision.order_id.encode(), value, now_ms)
        if self.outbox.throttled:
            self.metrics.erp_commands_throttled.inc(self.outbox.throttled)
            self.outbox.throttled = 0

    def _erp_sent(self, entry: dict[str, object]) -> None:
        self.metrics.erp_commands_sent.labels(str(entry.get("command", "")), str(entry.get("priority", ""))).inc()

    def _raise(self, decision: o.OrderException, record: InputRecord | None, now_ms: int, out: Emitter) -> None:
        exception = outputs.order_exception_record(decision, now_ms)
        log.warning("order exception %s: %s", decision.exception_type, decision.reason,
                    extra={"order_id": decision.order_id, "exception_type": str(decision.exception_type)})
        self.metrics.exceptions_raised.labels(exception["exception_type"], exception["owner_team"]).inc()
        sla = SLA_OF.get(decision.exception_type)
        if sla is not None:
            self.metrics.sla_breaches.labels(sla).inc()
        self._emit(catalog.EXCEPTIONS, str(exception["exception_id"]), exception, decision.correlation_id, out)
        if decision.exception_type is o.OrderExceptionType.DUPLICATE_ORDER_CONFLICT and record is not None:
            self._dead_letter(record, "duplicate_order_conflict", decision.reason, out)

    # -- partitions, backlog, outputs ----------------------------------------------------------------------------------
    def _sync_partitions(self) -> None:
        """Rebuild the timer index and the backlog of newly owned partitions; forget the ones that moved away."""
        owned = set(self.table.owned_partitions)
        if owned == self._known_partitions:
            return
        gone = self._known_partitions - owned
        self.timers.forget_partitions(gone)
        for partition in sorted(owned - self._known_partitions):
            store = self.table.open(partition)
            for key in store.keys():
                order = self.table.get(partition, key)
                if order is not None:
                    self.timers.track(partition, order)
                    self._count_backlog(order)
        self._known_partitions = owned
        self.outbox.sync_partitions()

    def _count_backlog(self, order: o.Order) -> None:
        status = order.status
        open_now = status is not None and status not in o.TERMINAL
        old = self._backlog.get(order.order_id)
        if old is status and open_now:
            return  # same open status: the gauge stays
        if old is not None:
            del self._backlog[order.order_id]
            self._backlog_gauge(old).dec()
        if open_now:
            self._backlog[order.order_id] = status  # type: ignore[assignment]
            self._backlog_gauge(status).inc()  # type: ignore[arg-type]

    def _backlog_gauge(self, status: o.OrderStatus):  # type: ignore[no-untyped-def]
        child = self._backlog_children.get(status)
        if child is None:
            child = self._backlog_children[status] = self.metrics.order_backlog.labels(str(status))
        return child

    def _status_counter(self, status: o.OrderStatus):  # type: ignore[no-untyped-def]
        child = self._status_children.get(status)
        if child is None:
            child = self._status_children[status] = self.metrics.order_status_changes.labels(str(status))
        return child

    def _emit(self, spec: TopicSpec, key: str, record: Record, correlation: str, out: Emitter) -> None:
        topic = self.out_topics[spec]
        value = self.codec.encode(topic, spec.value_schema or "", record)
        out.send(topic, key.encode(), value, (("correlation_id", correlation.encode()),))

    def _dead_letter(self, record: InputRecord, reason_code: str, reason: str, out: Emitter) -> None:
        log.warning("dead-lettered %s: %s", record.position, reason, extra={"reason_code": reason_code})
        self.metrics.dead_letters.labels(record.topic, reason_code).inc()
        out.emit(dead_letter(self.codec, self.out_topics[catalog.DEAD_LETTERS], record, reason_code, reason))


def _command_fact(command: Record) -> o.OrderFact:
    if command.get("fact_format", 1) != 1:
        raise ValueError(f"unknown order fact format {command.get('fact_format')!r}")
    fact = fact_from_record(orjson.loads(str(command["fact_json"])))
    if fact.order_id != command["order_id"]:
        raise ValueError(f"the fact is for order {fact.order_id!r} but the command for {command['order_id']!r}")
    return fact


def _pairs(items: object) -> tuple[LocationQuantity, ...]:
    if not items:
        return ()
    return tuple([LocationQuantity(str(item["location"]), int(item["quantity"]))  # type: ignore[index]
                  for item in items])  # type: ignore[attr-defined]


_ANSWER_STATUS = {status.value: status for status in o.AnswerStatus}


def _result_fact(result: Record) -> o.OrderFact:
    """internal/reservation_result → the saga's fact (ReservationAnswer, or PickShort for a short pick)."""
    envelope: Record = result["envelope"]  # type: ignore[assignment]
    head = (str(envelope["event_id"]), int(envelope["occurred_at"]), str(result["order_id"]))  # type: ignore[call-overload]
    correlation = str(envelope.get("correlation_id") or "")
    if result["status"] == "SHORT_PICKED":
        released = _pairs(result.get("released"))[0]
        return o.PickShort(*head, line_claim_id=str(result["line_id"]), location=released.location,
                           short_quantity=released.quantity, correlation_id=correlation)
    status = _ANSWER_STATUS.get(result["status"]) or o.AnswerStatus(str(result["status"]))  # type: ignore[arg-type]
    return o.ReservationAnswer(*head, line_claim_id=str(result["line_id"]), sku=str(result["sku"]),
                               status=status, reserved=_pairs(result.get("reserved")),
                               allocated=_pairs(result.get("allocated")), backordered=int(result["backordered"]),  # type: ignore[call-overload]
                               released=_pairs(result.get("released")), correlation_id=correlation)
