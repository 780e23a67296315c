"""The order view after a crash between the changelog and the Redis write (no broker, no Redis).

The worker writes the order view (Redis) after a batch's changelog and local state are durable. A SIGKILL in
between leaves the table ahead of the view; the batch is then redelivered, and its facts are duplicates of the
state the table already holds, so the saga changes nothing. The order stage must still write the view of the orders
those duplicates touch, or the view keeps the older document until some later fact changes the order (the crash
test saw REJECTED orders still "holding" released units and accepted ones never "allocated", in the view only).
"""
from __future__ import annotations

from pathlib import Path

from confluent_kafka import Producer
from prometheus_client import CollectorRegistry

from processors import orders as o
from processors.orders.erp_queue import RateLimit
from streams.agents.orders import OrderStage
from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord
from streams.metrics import WorkerMetrics
from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from streams.translate import orders as translate
from tests.integration import events
from topics import catalog
from topics.codec import build_codec

NOW = events.now_ms()


class StagedViews:
    """The order view as the stage drives it: what is staged, and what a flush wrote."""

    def __init__(self) -> None:
        self.staged: dict[str, o.Order] = {}
        self.written: dict[str, int] = {}  # order id -> version

    def stage(self, order: o.Order) -> None:
        self.staged[order.order_id] = order

    def flush(self) -> None:
        for order_id, order in self.staged.items():
            self.written[order_id] = max(order.version, self.written.get(order_id, -1))
        self.staged = {}

    @property
    def pending(self) -> int:
        return len(self.staged)


def order_stage(state_dir: Path, view: StagedViews) -> OrderStage:
    settings = Settings(topic_prefix="t.", topic_partitions=1)
    stage = OrderStage(build_codec(settings), DeployedCatalog(settings), o.OrderPolicy(), RateLimit(10.0, 10),
                       WorkerMetrics.create(CollectorRegistry()), view, state_dir, clock_ms=lambda: NOW)
    stage.on_partition_count(1)
    for table in stage.tables:  # partition 0 assigned (nothing to restore: the local store is the state)
        table.open(0)
    return stage


def command_records(stage: OrderStage, sources: list[dict[str, object]]) -> list[InputRecord]:
    commands = [*translate.order_placed(sources[0], NOW), *translate.order_decision(sources[1], NOW)]
    schema = catalog.ORDER_COMMANDS.value_schema or ""
    return [InputRecord(stage.commands_topic, 0, offset, command.order_id.encode(),
                        stage.codec.encode(stage.commands_topic, schema, command.record), (), NOW)
            for offset, command in enumerate(commands)]


def commit_state(stage: OrderStage) -> None:
    """What the engine does with the stage's tables once the changelog is acknowledged."""
    for table in stage.tables:
        table.persist({partition: 0 for partition in table.encode_batch()})


def test_a_batch_redelivered_after_a_crash_before_the_view_write_writes_the_view_again(tmp_path: Path) -> None:
    producer = Producer({"bootstrap.servers": "127.0.0.1:9", "log_level": 0})  # queues locally; nothing is flushed here
    sources = [events.order_placed("O-1", [events.order_line("L1", "SKU-1", 2)]),
               events.erp_decision("O-1", "REJECTED")]

    crashed_view = StagedViews()
    first = order_stage(tmp_path, crashed_view)
    first.process(command_records(first, sources), Emitter(producer))
    commit_state(first)  # the changelog and the local state hold the rejected order...
    assert crashed_view.staged["O-1"].status is o.OrderStatus.REJECTED
    for table in first.tables:  # ...and the worker is killed before its view reached Redis
        table.close_all()

    view = StagedViews()
    restarted = order_stage(tmp_path, view)
    redelivered = command_records(restarted, sources)
    restarted.process(redelivered, Emitter(producer))

    assert restarted.table.dirty_count == 0  # duplicates: the saga changed nothing...
    rewritten = view.staged["O-1"]  # ...and the view is written again, from the table
    assert rewritten.status is o.OrderStatus.REJECTED and rewritten.version == 2
    assert all(claim.released for line in rewritten.lines for claim in line.claims)
