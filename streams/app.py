"""Composition roots: everything the worker needs is built here from Settings, nothing at import time."""
from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from typing import Sequence

from prometheus_client import CollectorRegistry

from processors.inventory import InventoryPolicy
from streams.agents.intake import IntakeStage
from streams.agents.read_model import build_read_model_stage
from streams.agents.inventory import AvailabilitySink, InventoryStage
from streams.agents.orders import OrderStage, OrderView
from streams.agents.workbench import WorkbenchStage, WorkbenchView, parse_routing
from streams.engine.global_table import GlobalTable
from streams.engine.records import InputRecord
from streams.engine.restore import RestoreSnapshot
from streams.engine.worker import BATCH_PHASES, BatchWorker, WorkerConfig
from streams.metrics import WorkerMetrics
from streams.order_policy import (ItemMasterSourcing, SupplierLocations, erp_rate_limit, order_policy,
                                  supplier_locations)
from streams.readmodel.items import item_master_table
from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from topics import catalog

log = logging.getLogger(__name__)


@dataclass
class Worker:
    engine: BatchWorker
    metrics: WorkerMetrics
    registry: CollectorRegistry
    sink: AvailabilitySink | None
    global_tables: tuple[GlobalTable, ...] = ()  # type: ignore[type-arg]  # read before any stage runs

    def run(self, stop: threading.Event) -> None:
        """Global tables (the item master) are read to their end before the first batch, like a restore: the order
        saga must not route a line before it knows the item."""
        for table in self.global_tables:
            table.start()
        try:
            while not stop.is_set() and not all(table.wait_ready(0.2) for table in self.global_tables):
                failed = [f"{table.topic}: {table.error}" for table in self.global_tables if table.error]
                if failed:
                    raise RuntimeError(f"global table could not be read: {'; '.join(failed)}")
            if not stop.is_set():
                self.engine.run(stop)
        finally:
            for table in self.global_tables:
                table.stop()

    def readiness(self) -> tuple[bool, dict[str, object]]:
        status = self.engine.status
        self.metrics.worker_ready.set(1 if status.ready else 0)
        detail: dict[str, object] = {
            "assigned_partitions": len(status.assigned), "batches": status.batches, "records_in": status.records_in,
            "records_handed_over": status.records_handed_over,
            "restored_records": status.restored_records,
            "consumer_lag_records": sum(self.engine.consumer_lag().values())}
        restoring = status.restoring
        if restoring is not None:
            detail["restoring"] = restoring.describe()
        republishing = [p for stage in self.engine.stages
                        for p in getattr(getattr(stage, "republisher", None), "running", ())]
        if republishing:  # partitions whose snapshot entries are being written again (Redis lost them)
            detail["snapshot_republishing"] = republishing
        tables_ready = all(table.ready and table.error is None for table in self.global_tables)
        if self.global_tables:
            detail["global_tables"] = {table.topic: {"ready": table.ready, "keys": len(table), "error": table.error}
                                       for table in self.global_tables}
        return status.ready and tables_ready, detail


def inventory_policy(settings: Settings) -> InventoryPolicy:
    return InventoryPolicy(dedupe_window_size=settings.dedupe_window_max_ids,
                           dedupe_window_ms=settings.dedupe_window_ms)


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        group_id=settings.app_id, client_config=settings.kafka_client_config(),
        batch_max_records=settings.batch_max_records, batch_max_bytes=settings.batch_max_bytes,
        poll_timeout_s=settings.batch_poll_timeout_ms / 1000,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_interval_ms=settings.kafka_max_poll_interval_ms,
        fetch_wait_max_ms=settings.kafka_fetch_wait_max_ms,
        idempotent_producer=settings.kafka_idempotent_producer,
        handoff_topics=handoff_topics(settings) if settings.handoff_in_process else (),
        handoff_max_per_batch=settings.handoff_max_per_batch,
        transactional_id=f"{settings.app_id}-{socket.gethostname()}" if settings.exactly_once else None)


def handoff_topics(settings: Settings) -> tuple[str, ...]:
    """The re-keyed topics whose records are handed over in process when this worker owns their partition: the
    SKU owner's commands, from intake and from the order owner (reservation requests). The order owner's inputs
    (order commands, reservation answers) still go round the broker (docs/performance.md: handing them over too
    was tried and reverted)."""
    return (DeployedCatalog(settings)[catalog.INVENTORY_COMMANDS],)


def build_worker(settings: Settings, registry: CollectorRegistry | None = None,
                 sink: AvailabilitySink | None = None, order_view: OrderView | None = None,
                 workbench_view: WorkbenchView | None = None) -> Worker:
    from streams.snapshot_sink import build_snapshot_sink
    from topics.codec import build_codec

    registry = registry or CollectorRegistry()
    metrics = WorkerMetrics.create(registry)
    names = DeployedCatalog(settings)
    codec = build_codec(settings)
    if sink is None:
        sink = build_snapshot_sink(settings, metrics)
    items = item_master_table(settings, codec)  # started by Worker.run; the saga's drop-ship/special-order routing
    stages = [IntakeStage(codec, names, metrics,  # supplier locations: a set-like that follows the item table
                          supplier_locations=SupplierLocations(supplier_locations(settings), items)),
              InventoryStage(codec, names, inventory_policy(settings), metrics, sink, settings.state_dir),
              OrderStage(codec, names, order_policy(settings, ItemMasterSourcing(items)), erp_rate_limit(settings),
                         metrics,
                         order_view if order_view is not None else build_order_view(settings), settings.state_dir),
              build_read_model_stage(settings, codec, names, metrics)]
    workbench = WorkbenchStage(codec, names, metrics, workbench_view if workbench_view is not None
                               else build_workbench_view(settings), settings.state_dir,
                               routing=parse_routing(settings.exception_routing))
    stages.append(workbench)
    engine = BatchWorker(worker_config(settings), stages, observers=[_batch_observer(metrics)],
                         restore_observers=[_restore_observer(metrics)])
    _report_ops_stats(settings, workbench, metrics, names, engine)
    metrics.consumer_lag.bind(engine.consumer_lag)
    return Worker(engine, metrics, registry, sink, (items,))


def build_order_view(settings: Settings) -> OrderView:
    from streams.order_view import OrderViewWriter
    from streams.snapshot.connection import snapshot_writer_client

    return OrderViewWriter(snapshot_writer_client(settings), settings.redis_key_prefix)


def build_workbench_view(settings: Settings) -> WorkbenchView:
    from streams.snapshot.connection import snapshot_writer_client
    from streams.workbench_view import WorkbenchViewWriter

    return WorkbenchViewWriter(snapshot_writer_client(settings), settings.redis_key_prefix)


def _report_ops_stats(settings: Settings, workbench: WorkbenchStage, metrics: WorkerMetrics,
                      names: DeployedCatalog, engine: BatchWorker) -> None:
    from streams.snapshot.connection import snapshot_writer_client
    from streams.workbench_view import OpsStatsWriter, ops_stats_source

    workbench.stats = ops_stats_source(metrics.order_backlog, names.base_by_name, engine.consumer_lag)
    workbench.stats_sink = OpsStatsWriter(snapshot_writer_client(settings), settings.redis_key_prefix).publish


def _batch_observer(metrics: WorkerMetrics):  # type: ignore[no-untyped-def]
    phase_seconds = {phase: metrics.batch_phase_seconds.labels(phase) for phase in BATCH_PHASES}

    def observe(records: Sequence[InputRecord], seconds: float, sent: dict[str, int],
                phases: dict[str, float]) -> None:
        metrics.batch_records.observe(len(records))
        metrics.batch_seconds.observe(seconds)
        for phase, phase_s in phases.items():
            phase_seconds[phase].observe(phase_s)
        for topic, count in sent.items():
            metrics.events_out.labels(topic).inc(count)
    return observe


def _restore_observer(metrics: WorkerMetrics):  # type: ignore[no-untyped-def]
    counted = 0  # records of the running restore already added to restore_records

    def observe(snapshot: RestoreSnapshot) -> None:
        nonlocal counted
        metrics.restore_partitions_remaining.set(snapshot.partitions_remaining)
        if snapshot.offsets_remaining is not None:
            metrics.restore_offsets_remaining.set(snapshot.offsets_remaining)
        if snapshot.records > counted:
            metrics.restore_records.inc(snapshot.records - counted)
        counted = snapshot.records
        metrics.worker_ready.set(1 if snapshot.finished else 0)
        if snapshot.finished:
            counted = 0
            if snapshot.partitions:
                metrics.restore_seconds.observe(snapshot.seconds)
    return observe
