"""The SKU owner: the only task that changes a SKU's stock, so two orders racing for its last unit cannot both win.

Per batch: decode the commands, group them by SKU (order kept per SKU), read each SKU's stored record once, apply
its facts, write the record once (one changelog record per SKU per batch), publish the decisions. Plain movements
(receipts not against a PO line, adjustments) and new order lines met from stock change the stored record directly
(processors.inventory.stored_record, which declines whatever else the model must decide); everything else goes
through the pure model (inv.apply_facts).
"""
from __future__ import annotations

import logging
from pathlib import Path
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from processors import inventory as inv
from processors.inventory.availability import availability_changed, publication_changed
from streams import logs
from streams.agents import inventory_outputs as outputs
from streams.agents.inventory_facts import to_fact
from streams.agents.snapshot_republish import SnapshotRepublisher
from streams.dead_letters import dead_letter
from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord, OutputRecord
from streams.engine.state import ChangelogTable, TableCodec
from streams.metrics import WorkerMetrics
from streams.topic_names import DeployedCatalog
from topics import catalog
from topics.codec import AvroCodec
from topics.partitioning import KeyPartitions
from topics.wire import DecodeError

log = logging.getLogger(__name__)
Command = dict[str, object]
# Parsed SKU records kept between batches (ChangelogTable cache_bytes, bounded by encoded size). Off: it would save
# only the JSON parse (~1.6 us for a small record; ~15 us for a busy SKU's 7.4 KB with a full dedupe window and
# movement history, whose plain movements the stored-record lane then applies in ~9 us), and when SKU states were
# cached decoded it saved nothing measurable on bench.inventory_path and added ~60 MB of RSS.
STATE_CACHE_BYTES = 0


class AvailabilitySink(Protocol):
    def stage(self, decision: inv.AvailabilityChanged, source_offsets: dict[str, int]) -> None: ...
    def flush(self) -> None: ...
    @property
    def pending(self) -> int: ...


def inventory_table_codec() -> TableCodec[inv.SkuRecord]:
    """The table holds each SKU's stored record (processors.inventory.records), not its SkuInventory: plain
    movements and reservations met from stock change the record directly (processors.inventory.stored_record),
    everything else goes through from_record/to_record. Compact JSON via orjson (C): the same bytes
    json.dumps(separators=(",", ":")) wrote for ASCII state, and it reads records written by either."""
    import orjson

    return TableCodec(orjson.dumps, orjson.loads)


class InventoryStage:
    name = "inventory"

    def __init__(self, codec: AvroCodec, names: DeployedCatalog, policy: inv.InventoryPolicy,
                 metrics: WorkerMetrics, sink: AvailabilitySink | None, state_dir: Path,
                 clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.codec, self.policy, self.metrics, self.sink, self.clock_ms = codec, policy, metrics, sink, clock_ms
        self.topic = names[catalog.INVENTORY_COMMANDS]
        self.input_topics = (self.topic,)
        self.table = ChangelogTable("inventory_by_sku", names[catalog.INVENTORY_CHANGELOG], self.topic,
                                    inventory_table_codec(), state_dir, cache_bytes=STATE_CACHE_BYTES)
        self.tables = (self.table,)
        self._owner_of: KeyPartitions | None = None  # SKU key -> owning partition of the commands topic
        self._lags_by_source: dict[str, list[float]] = {}  # this batch's sync lags, observed once per batch
        # SKUs that had no location in the committed state when the batch first touched them (a location is never
        # removed), their entries, and those of them a RESERVE reached in the batch: such entries wait for the
        # commit (before_acknowledgements says why); every other entry goes to the sink at once.
        self._unstocked_before_batch: set[bytes] = set()
        self._unstocked_entries: list[tuple[bytes, inv.AvailabilityChanged, dict[str, int]]] = []
        self._reserved_while_unstocked: set[bytes] = set()
        self._updates = {path: metrics.sku_updates.labels(path) for path in ("stored_record", "model")}
        self._updated_this_batch = {"stored_record": 0, "model": 0}
        self.out_topics = {spec: names[spec] for spec in (
            catalog.AVAILABILITY_CHANGES, catalog.AVAILABILITY_SNAPSHOT, catalog.RESERVATION_RESULTS,
            catalog.EXCEPTIONS, catalog.DEAD_LETTERS)}
        self._availability_topics = (self.out_topics[catalog.AVAILABILITY_CHANGES],
                                     self.out_topics[catalog.AVAILABILITY_SNAPSHOT])
        assert catalog.AVAILABILITY_CHANGES.value_schema == catalog.AVAILABILITY_SNAPSHOT.value_schema
        self._availability_schema = catalog.AVAILABILITY_CHANGES.value_schema or ""
        # a sink that keeps per-partition markers (Redis) gets its lost entries written again by itself
        self.republisher = SnapshotRepublisher(
            self.table, policy, sink, count_staged=metrics.snapshot_republished_entries.inc,  # type: ignore[arg-type]
        ) if sink is not None and hasattr(sink, "unpublished") else None

    def process(self, records: Sequence[InputRecord], out: Emitter) -> None:
        self._updated_this_batch = {"stored_record": 0, "model": 0}
        self._lags_by_source = {}
        by_sku: dict[tuple[int, bytes], list[tuple[InputRecord, Command]]] = {}
        owner_of = self._owners()
        for record, command in zip(records, self._commands(records)):
            if isinstance(command, DecodeError):
                self._dead_letter(record, command.reason_code, command.reason, out)
                continue
            sku = str(command["sku"]).encode()
            # handed over in process: already routed to its owner partition
            owner = record.partition if record.origin is not None else owner_of(sku)
            if owner != record.partition:
                self._forward_to_owner(record, sku, owner, out)
            else:
                by_sku.setdefault((record.partition, sku), []).append((record, command))
        now_ms = self.clock_ms()
        for (partition, sku), items in by_sku.items():
            self._apply_sku(partition, sku, items, now_ms, out)
        for path, count in self._updated_this_batch.items():  # one metric update per path per batch
            if count:
                self._updates[path].inc(count)  # type: ignore[attr-defined]
        for source, lags in self._lags_by_source.items():
            self.metrics.sync_lag_applied.observe_many(lags, source)

    def _commands(self, records: Sequence[InputRecord]) -> list[Command | DecodeError]:
        """Consumed commands decoded in one pass; handed-over ones are already records."""
        consumed = [r.value for r in records if r.origin is None]
        decoded = iter(self.codec.decode_many(consumed, catalog.INVENTORY_COMMANDS.value_schema or "")
                       if consumed else ())
        return [r.decoded if r.origin is not None else next(decoded) for r in records]

    @property
    def partitions(self) -> int:
        return self._owners().count

    def _owners(self) -> KeyPartitions:
        if self._owner_of is None:
            raise RuntimeError("partition count unknown before assignment")
        return self._owner_of

    def on_partition_count(self, count: int) -> None:
        if self._owner_of is None or self._owner_of.count != count:
            self._owner_of = KeyPartitions(count)

    def _forward_to_owner(self, record: InputRecord, sku: bytes, owner: int, out: Emitter) -> None:
        """A command on a partition that does not own its SKU (another partitioner) goes to the owner, unapplied."""
        self.metrics.events_out.labels(f"{self.topic}:rerouted").inc()
        headers = tuple((k, v) for k, v in record.headers if v is not None)
        out.emit(OutputRecord(self.topic, sku, record.value, partition=owner, headers=headers))

    def _apply_sku(self, partition: int, sku_key: bytes, items: list[tuple[InputRecord, Command]], now_ms: int,
                   out: Emitter) -> None:
        sku = sku_key.decode()
        stored = self.table.get(partition, sku_key)
        if stored is None or not inv.is_stocked_record(stored):
            self._unstocked_before_batch.add(sku_key)
        facts = self._facts(items, out)
        if sku_key in self._unstocked_before_batch and any(
                isinstance(fact, inv.ReservationRequested) for fact, _ in facts):
            self._reserved_while_unstocked.add(sku_key)
        newest = items[-1][0].source  # the consumed record (a handed-over command names its source event's)
        offsets = {f"{newest.topic}:{newest.partition}": newest.offset}
        self._observe_lag(items[-1][1], now_ms)
        if self._changed_on_record(partition, sku_key, stored, facts, offsets, items[-1][1], now_ms, out):
            return
        before = inv.empty_inventory(sku) if stored is None else inv.from_record(stored)
        current, run, runs, net, redelivered = before, [], 0, None, False
        for fact, command in facts:
            if isinstance(fact, inv.ReservationRequested):
                if run:
                    current, net, duplicates = self._apply_run(current, run, out)
                    runs, redelivered = runs + 1, redelivered or duplicates
                run = []
                if not inv.is_known(current):
                    self._unknown_sku(fact, command, now_ms, out)
                    continue
            run.append((fact, command))
        if run:
            current, net, duplicates = self._apply_run(current, run, out)
            runs, redelivered = runs + 1, redelivered or duplicates
        if redelivered:
            self._restage_snapshot(current, offsets, _last_id(items))
        if current is not before:
            self.table.put(partition, sku_key, inv.to_record(current))
            self._updated_this_batch["model"] += 1
            last_id = _last_id(items)
            if runs == 1:  # one run took `before` to `current`: apply_facts already decided the net change
                if net is None:
                    return  # no published figure changed
                decision = net if net.caused_by == last_id else availability_changed(current, self.policy, last_id)
            elif publication_changed(before, current, self.policy):
                decision = availability_changed(current, self.policy, last_id)
            else:
                return
            self._publish_availability(decision, offsets, _correlation(items[-1][1]), now_ms, out)

    def _changed_on_record(self, partition: int, sku_key: bytes, stored: inv.SkuRecord | None,
                           facts: list[tuple[inv.InventoryFact, Command]], offsets: dict[str, int], newest: Command,
                           now_ms: int, out: Emitter) -> bool:
        """Facts applied to the stored record (plain movements, reservations met from stock); False: the model's
        to apply."""
        change = inv.apply_on_stored_record(stored, sku_key.decode(), [fact for fact, _ in facts], self.policy)
        if change is None:
            return False
        record, published_changed, answers = change
        self.table.put(partition, sku_key, record)
        self._updated_this_batch["stored_record"] += 1
        if answers:
            self._publish_decisions(answers, facts, record["version"], out)
        if published_changed:
            decision = inv.availability_of_record(record, self.policy, _envelope_id(newest))
            self._publish_availability(decision, offsets, _correlation(newest), now_ms, out)
        return True

    def _publish_decisions(self, decisions: Sequence[inv.InventoryDecision],
                           facts: list[tuple[inv.InventoryFact, Command]], version: int, out: Emitter) -> None:
        """Decisions of a run (not its net availability change), each with its command's correlation id; one the
        run's facts did not cause carries its own cause as the correlation."""
        correlation_by_event = {fact.event_id: _correlation(command) for fact, command in facts}
        now_ms = self.clock_ms()
        for decision in decisions:
            correlation = correlation_by_event.get(decision.caused_by, decision.caused_by)
            self._publish_decision(decision, version, correlation, now_ms, out)

    def _facts(self, items: list[tuple[InputRecord, Command]], out: Emitter
               ) -> list[tuple[inv.InventoryFact, Command]]:
        """The commands as facts, in order; one that is not a valid fact is dead-lettered with the reason."""
        facts = []
        for record, command in items:
            try:
                facts.append((to_fact(command), command))
            except (KeyError, ValueError, TypeError) as error:
                self._dead_letter(record, "invalid_command", f"{type(error).__name__}: {error}", out)
        return facts

    def _observe_lag(self, command: Command, now_ms: int) -> None:
        """Source event time → applied, by source system (sampled: the newest command per SKU per batch)."""
        envelope: dict[str, object] = command["envelope"]  # type: ignore[assignment]
        lag_s = max(0.0, (now_ms - int(envelope["occurred_at"])) / 1000)  # type: ignore[call-overload]
        source = str(envelope.get("source", "unknown"))
        lags = self._lags_by_source.get(source)
        if lags is None:
            lags = self._lags_by_source[source] = []
        lags.append(lag_s)

    def _apply_run(self, state: inv.SkuInventory, run: list[tuple[inv.InventoryFact, Command]],
                   out: Emitter) -> tuple[inv.SkuInventory, inv.AvailabilityChanged | None, bool]:
        """Apply one run of facts; the new state, the run's net AvailabilityChanged (None: no figure changed),
        which the caller publishes once per SKU per batch, and whether a fact of the run was a duplicate."""
        new_state, decisions = inv.apply_facts(state, [fact for fact, _ in run], self.policy)
        net = decisions[-1] if decisions and isinstance(decisions[-1], inv.AvailabilityChanged) else None
        published = [d for d in decisions if not isinstance(d, inv.AvailabilityChanged)]
        if not published:  # the common case: nothing but the net availability change
            return new_state, net, False
        self._publish_decisions(published, run, new_state.version, out)
        return new_state, net, any(isinstance(d, inv.DuplicateIgnored) for d in published)

    def _restage_snapshot(self, state: inv.SkuInventory, offsets: dict[str, int], last_id: str) -> None:
        """A fact seen before: usually a batch redelivered after a crash whose first pass was persisted but may
        not have reached Redis (the flush follows the state). Stage the SKU's current entry again; the
        version-guarded write leaves Redis alone when it did arrive."""
        if self.sink is not None and inv.is_known(state):
            self._stage_entry(availability_changed(state, self.policy, last_id), offsets, state.sku.encode())

    def _publish_decision(self, decision: inv.InventoryDecision, version: int, correlation: str, now_ms: int,
                          out: Emitter) -> None:
        if isinstance(decision, inv.AvailabilityChanged):
            return  # published once per SKU per batch, for the net change
        if isinstance(decision, inv.DuplicateIgnored):
            self.metrics.duplicates_dropped.labels(self.name).inc()
            return
        reservation = outputs.reservation_record(decision, version, correlation, now_ms)
        if reservation is not None:
            self._emit(catalog.RESERVATION_RESULTS, str(reservation["order_id"]), reservation, correlation, out)
            return
        exception = outputs.exception_for(decision, correlation, now_ms)
        if exception is not None:
            with logs.handling(correlation, decision.caused_by):  # the one line logged per decision
                log.info("exception raised: %s", exception["reason"],
                         extra={"exception_type": exception["exception_type"], "sku": decision.sku})
            self.metrics.exceptions_raised.labels(exception["exception_type"], exception["owner_team"]).inc()
            self._emit(catalog.EXCEPTIONS, str(exception["exception_id"]), exception, correlation, out)

    def _publish_availability(self, decision: inv.AvailabilityChanged, offsets: dict[str, int], correlation: str,
                              now_ms: int, out: Emitter) -> None:
        record = outputs.availability_record(decision, offsets, correlation, now_ms)
        # Both topics carry the same value schema: the record is encoded once, framed for each topic.
        changes, snapshot = self._availability_topics
        changes_value, snapshot_value = self.codec.encode_for(self._availability_topics, self._availability_schema,
                                                              record)
        key, headers = decision.sku.encode(), (("correlation_id", correlation.encode()),)
        out.send(changes, key, changes_value, headers)
        out.send(snapshot, key, snapshot_value, headers)
        if self.sink is not None:
            self._stage_entry(decision, offsets, key)

    def _stage_entry(self, decision: inv.AvailabilityChanged, offsets: dict[str, int], sku_key: bytes) -> None:
        if sku_key in self._unstocked_before_batch:  # sorted out once the batch is processed
            self._unstocked_entries.append((sku_key, decision, offsets))
        else:
            self.sink.stage(decision, offsets)  # type: ignore[union-attr]

    def _unknown_sku(self, fact: inv.ReservationRequested, command: Command, now_ms: int, out: Emitter) -> None:
        correlation = _correlation(command)
        result = outputs.unknown_sku_record(fact.sku, fact.order_id, fact.line_id, fact.event_id, correlation, now_ms)
        self._emit(catalog.RESERVATION_RESULTS, fact.order_id, result, correlation, out)

    def _emit(self, spec: "catalog.TopicSpec", key: str, record: Command, correlation: str,  # type: ignore[name-defined]
              out: Emitter) -> None:
        topic = self.out_topics[spec]
        value = self.codec.encode(topic, spec.value_schema or "", record)
        out.send(topic, key.encode(), value, (("correlation_id", correlation.encode()),))

    def _dead_letter(self, record: InputRecord, reason_code: str, reason: str, out: Emitter) -> None:
        record = record.source  # a handed-over command was never written: the source event is what to replay
        log.warning("dead-lettered %s: %s", record.position, reason, extra={"reason_code": reason_code})
        self.metrics.dead_letters.labels(record.topic, reason_code).inc()
        out.emit(dead_letter(self.codec, self.out_topics[catalog.DEAD_LETTERS], record, reason_code, reason))

    def before_acknowledgements(self) -> None:
        """The batch's snapshot entries, written before its outputs and changelog are acknowledged (Stage): every
        fact advances a stocked SKU's version by one and the writer's guard keeps a newer version, so a crash that
        makes the batch apply again shows the same versions, and figures another interleaving gave are written over.
        Not so for a SKU with no location before the batch that a RESERVE reached in it: a reservation that meets
        it unstocked is declined without a version, so a replay that puts the RESERVE before the first receipt
        would stop a version short of an entry written early. Those entries are written after the commit, as every
        entry used to be."""
        if self.sink is not None:
            self._stage_unstocked(held=False)
            self.sink.flush()

    def after_commit(self) -> None:
        if self.sink is not None and self._reserved_while_unstocked:
            self._stage_unstocked(held=True)
            self.sink.flush()
        self._unstocked_entries = []
        self._unstocked_before_batch, self._reserved_while_unstocked = set(), set()
        if self.republisher is not None:
            self.republisher.step()  # its chunk goes out with the next batch's flush (or on idle)

    def _stage_unstocked(self, held: bool) -> None:
        held_skus, sink = self._reserved_while_unstocked, self.sink
        for sku_key, decision, offsets in self._unstocked_entries:
            if (sku_key in held_skus) is held:
                sink.stage(decision, offsets)  # type: ignore[union-attr]

    @property
    def offsets_committable(self) -> bool:
        """Entries the sink could not write are covered by a views-pending key in the changelog (see
        streams/agents/snapshot_republish.py) before this batch's offsets are committed."""
        return self.republisher is None or self.republisher.offsets_committable

    def tick_due(self) -> bool:
        return self.republisher is not None and self.republisher.views_pending_writes()

    def tick(self, out: Emitter) -> None:
        if self.republisher is not None:
            self.republisher.write_views_pending()

    def on_idle(self) -> None:
        """No traffic: still retry entries held during a Redis outage, and republish what Redis lost."""
        if self.republisher is not None:
            self.republisher.step()
        if self.sink is not None and self.sink.pending:
            self.sink.flush()


def _correlation(command: Command) -> str:
    envelope: dict[str, object] = command["envelope"]  # type: ignore[assignment]
    return str(envelope.get("correlation_id") or envelope["event_id"])


def _last_id(items: list[tuple[InputRecord, Command]]) -> str:
    return _envelope_id(items[-1][1])


def _envelope_id(command: Command) -> str:
    return str(command["envelope"]["event_id"])  # type: ignore[index]
