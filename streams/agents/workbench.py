"""The exception workbench: the only task that changes an exception case (processors/workbench per batch).

Inputs, both keyed by exception id: distflow.exceptions (raised by the inventory and order stages; raising the same
id again is a no-op) and distflow.operator-actions (claim, release, resolve, dismiss, approve, sent through the
API). Also distflow.dead-letters (keyed by the original key): each dead letter is raised as an `invalid_event`
exception for integration support (id from the dead letter's deterministic event id and source position, so a
redelivered dead letter raises nothing new), with the source position to replay it from. Per batch: group by exception (arrival order kept, raised before acted on within a batch), read each case
once, apply, write it once to the exceptions_by_id table (changelog-backed), audit every change and refusal on
distflow.exception-audit, and stage the case for the Redis read model (streams/workbench_view.py).
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from processors import workbench as w
from streams.agents.decoding import decode_inputs
from streams.dead_letters import dead_letter
from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord, OutputRecord
from streams.engine.state import ChangelogTable, TableCodec
from streams.exceptions_catalog import EXCEPTION_TYPES, exception_record
from streams.metrics import WorkerMetrics
from streams.topic_names import DeployedCatalog
from topics import catalog
from topics.codec import AvroCodec
from topics.partitioning import partition_for
from topics.wire import DecodeError

log = logging.getLogger(__name__)
Record = dict[str, object]
Input = w.Raised | w.OperatorAction


class WorkbenchView(Protocol):
    def stage(self, case: w.ExceptionCase) -> None: ...
    def flush(self) -> None: ...
    @property
    def pending(self) -> int: ...


def case_table_codec() -> TableCodec[w.ExceptionCase]:
    return TableCodec(lambda case: json.dumps(w.to_record(case), separators=(",", ":")).encode(),
                      lambda raw: w.from_record(json.loads(raw)))


class RoutingConfigError(ValueError):
    """DISTFLOW_EXCEPTION_ROUTING is malformed. Operator action: fix it to 'type=team;type2=team2' with types from
    streams/exceptions_catalog.py and teams like 'inventory-control'."""


TEAM = re.compile(r"[a-z][a-z0-9-]{0,63}")


def parse_routing(text: str) -> dict[str, str]:
    """'shortfall=warehouse-ops;unknown_sku=catalog-team' → {exception type: owning team}."""
    routing: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        kind, separator, team = (part.strip() for part in item.partition("="))
        if not separator or kind not in EXCEPTION_TYPES or not TEAM.fullmatch(team) or kind in routing:
            raise RoutingConfigError(f"exception routing entry {item!r}: expected 'type=team', a catalog type once")
        routing[kind] = team
    return routing


def allowed_actions(exception_type: str) -> tuple[str, ...]:
    kind = EXCEPTION_TYPES.get(exception_type)
    return kind.actions if kind is not None else ("resolve", "dismiss")


class WorkbenchStage:
    name = "workbench"

    def __init__(self, codec: AvroCodec, names: DeployedCatalog, metrics: WorkerMetrics, view: WorkbenchView | None,
                 state_dir: Path, clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
                 routing: Mapping[str, str] | None = None) -> None:
        self.codec, self.metrics, self.view, self.clock_ms = codec, metrics, view, clock_ms
        self.routing = dict(routing or {})  # exception type → owning team, over the catalog's
        self.exceptions_topic = names[catalog.EXCEPTIONS]
        self.actions_topic = names[catalog.OPERATOR_ACTIONS]
        self.audit_topic = names[catalog.EXCEPTION_AUDIT]
        self.dead_letters_topic = names[catalog.DEAD_LETTERS]
        self.input_topics = (self.exceptions_topic, self.actions_topic, self.dead_letters_topic)
        self._source_topics = frozenset(names[spec] for spec in catalog.SOURCE_TOPICS)
        self.table = ChangelogTable("exceptions_by_id", names[catalog.EXCEPTIONS_CHANGELOG], self.exceptions_topic,
                                    case_table_codec(), state_dir)
        self.tables = (self.table,)
        self._partitions: int | None = None
        self.stats: Callable[[], dict[str, object]] | None = None  # set by the composition root
        self.stats_sink: Callable[[dict[str, object]], None] | None = None

    def on_partition_count(self, count: int) -> None:
        self._partitions = count

    def process(self, records: Sequence[InputRecord], out: Emitter) -> None:
        letters = [r for r in records if r.topic == self.dead_letters_topic]
        if letters:
            self._raise_dead_letters(letters, out)
        by_case: dict[tuple[int, str], list[Input]] = {}
        for record, item in self._decode(records, out):
            owner = partition_for(item.exception_id.encode(), self._partition_count())
            if owner != record.partition:
                headers = tuple((k, v) for k, v in record.headers if v is not None)
                out.emit(OutputRecord(record.topic, item.exception_id.encode(), record.value, owner, headers))
                continue
            by_case.setdefault((record.partition, item.exception_id), []).append(item)
        for (partition, exception_id), items in by_case.items():
            self._apply(partition, exception_id, items, out)

    def after_commit(self) -> None:
        if self.view is not None:
            self.view.flush()
        self._report()

    def on_idle(self) -> None:
        if self.view is not None and self.view.pending:
            self.view.flush()
        self._report()

    def _report(self) -> None:
        """Operations figures for the ops page (order backlog, sync lag), throttled by the sink."""
        if self.stats is not None and self.stats_sink is not None:
            self.stats_sink(self.stats())

    def _apply(self, partition: int, exception_id: str, items: list[Input], out: Emitter) -> None:
        key = exception_id.encode()
        before = self.table.get(partition, key)
        case = before
        # a raise first: an action racing its exception across the two topics within one batch still finds it
        for item in sorted(items, key=lambda i: not isinstance(i, w.Raised)):
            if isinstance(item, w.Raised):
                team = self.routing.get(item.exception_type, item.owner_team)
                case, audits = w.raise_case(case, replace(item, owner_team=team))
            else:
                kind = case.raised.exception_type if case is not None else ""
                case, audits = w.act(case, item, allowed_actions(kind))
            for audit in audits:
                self._audit(audit, case, out)
        if case is None or case is before:
            return
        self.table.put(partition, key, case)
        if self.view is not None:
            self.view.stage(case)

    def _audit(self, audit: w.Audited, case: w.ExceptionCase | None, out: Emitter) -> None:
        raised = case.raised if case is not None else None
        log.info("exception %s: %s by %s %s (%s → %s) %s", audit.exception_id, audit.action, audit.operator,
                 audit.outcome, audit.from_state, audit.to_state, audit.reason,
                 extra={"exception_id": audit.exception_id, "operator": audit.operator})
        event_id = f"audit:{audit.exception_id}:{audit.action_id}:{audit.outcome}"
        correlation = (raised.correlation_id if raised is not None else "") or audit.exception_id
        record = {
            "envelope": {"event_id": event_id, "event_type": "ExceptionAudited", "source": "distflow",
                         "correlation_id": correlation, "causation_id": audit.action_id, "occurred_at": audit.at,
                         "produced_at": self.clock_ms()},
            "exception_id": audit.exception_id, "exception_type": raised.exception_type if raised else "",
            "owner_team": raised.owner_team if raised else "", "action": audit.action, "action_id": audit.action_id,
            "operator": audit.operator, "outcome": audit.outcome, "from_state": audit.from_state,
            "to_state": audit.to_state, "note": audit.note, "reason": audit.reason,
        }
        value = self.codec.encode(self.audit_topic, catalog.EXCEPTION_AUDIT.value_schema or "", record)
        out.emit(OutputRecord(self.audit_topic, audit.exception_id.encode(), value,
                              headers=(("correlation_id", correlation.encode()),)))

    def _decode(self, records: Sequence[InputRecord], out: Emitter) -> list[tuple[InputRecord, Input]]:
        routes = ((self.exceptions_topic, catalog.EXCEPTIONS.value_schema or "", raised_from),
                  (self.actions_topic, catalog.OPERATOR_ACTIONS.value_schema or "", action_from))
        return decode_inputs(self.codec, records, routes, lambda record, code, reason: self._dead_letter(
            record, code, reason, out), "invalid_workbench_input")

    def _raise_dead_letters(self, records: Sequence[InputRecord], out: Emitter) -> None:
        """A dead letter → an invalid_event exception on distflow.exceptions (never a dead letter of a dead letter)."""
        decoded = self.codec.decode_many([r.value for r in records], catalog.DEAD_LETTERS.value_schema or "")
        now_ms = self.clock_ms()
        for record, letter in zip(records, decoded):
            if isinstance(letter, DecodeError):
                log.error("unreadable dead letter %s: %s", record.position, letter.reason)
                continue
            raised = invalid_event_record(letter, record.position, self._source_topics, now_ms)
            self.metrics.exceptions_raised.labels("invalid_event", str(raised["owner_team"])).inc()
            value = self.codec.encode(self.exceptions_topic, catalog.EXCEPTIONS.value_schema or "", raised)
            correlation = str(raised["envelope"]["correlation_id"])  # type: ignore[index]
            out.emit(OutputRecord(self.exceptions_topic, str(raised["exception_id"]).encode(), value,
                                  headers=(("correlation_id", correlation.encode()),)))

    def _partition_count(self) -> int:
        if self._partitions is None:
            raise RuntimeError("partition count unknown before assignment")
        return self._partitions

    def _dead_letter(self, record: InputRecord, reason_code: str, reason: str, out: Emitter) -> None:
        log.warning("dead-lettered %s: %s", record.position, reason, extra={"reason_code": reason_code})
        self.metrics.dead_letters.labels(record.topic, reason_code).inc()
        out.emit(dead_letter(self.codec, self.dead_letters_topic, record, reason_code, reason))


def invalid_event_record(letter: Record, position: str, source_topics: frozenset[str], now_ms: int) -> Record:
    envelope: Record = letter["envelope"]  # type: ignore[assignment]
    source = f"{letter['source_topic']}:{letter['source_partition']}@{letter['source_offset']}"
    details = {"source_topic": str(letter["source_topic"]), "source_partition": str(letter["source_partition"]),
               "source_offset": str(letter["source_offset"]), "reason_code": str(letter["reason_code"]),
               "dead_letter": position,
               "replayable": "true" if letter["source_topic"] in source_topics else "false"}
    return exception_record("invalid_event", "record", source, str(envelope["event_id"]),
                            str(envelope.get("correlation_id") or envelope["event_id"]), now_ms,
                            f"{letter['reason_code']}: {letter['reason']}"[:2_000], details)


def raised_from(record: Record) -> w.Raised:
    envelope: Record = record["envelope"]  # type: ignore[assignment]
    details: dict[str, str] = record.get("details") or {}  # type: ignore[assignment]
    return w.Raised(str(record["exception_id"]), str(record["exception_type"]), str(record["owner_team"]),
                    str(record["severity"]), str(record["reason"]), str(record["subject_type"]),
                    str(record["subject_id"]), tuple(sorted((str(k), str(v)) for k, v in details.items())),
                    int(envelope["occurred_at"]), str(envelope.get("correlation_id") or ""))  # type: ignore[call-overload]


def action_from(record: Record) -> w.OperatorAction:
    envelope: Record = record["envelope"]  # type: ignore[assignment]
    return w.OperatorAction(str(record["action_id"]), str(record["exception_id"]), str(record["action"]),
                            str(record["operator"]), int(envelope["occurred_at"]),  # type: ignore[call-overload]
                            str(record.get("note") or ""))
