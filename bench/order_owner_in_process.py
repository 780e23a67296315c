"""The order owner's CPU per order, in process: a low-noise figure to compare two trees by (not a target benchmark).

    python -m bench.order_owner_in_process   (BENCH_ORDER_OWNER_ORDERS, BENCH_ORDER_OWNER_REPEATS,
                                              BENCH_BATCH_MAX_RECORDS)

The saga's order owner as `bench.order_saga` drives it, without the broker: each order of 3 stocked lines arrives
as its order command (intake's internal/order_command, Avro-encoded as consumed), then, in a later batch, its 3
reservation answers (internal/reservation_result, RESERVED). Batches of BENCH_BATCH_MAX_RECORDS run as the engine
runs them: process (decode, the saga model, RESERVEs and status records encoded and produced, the ERP command into
the outbox), the changelog encoding and RocksDB write batch, after_commit (the Redis order view, a real
redis-server). Produce calls queue locally and are purged; the worker's GC settings. The RESERVEs are encoded and
produced, as when a SKU's owner is another worker (with one worker they are handed over in process instead: three
Avro encodes per order fewer). Printed: µs of process CPU per order (both visits) for each repeat, the best and the
mean. Compare two trees by alternating them, as `bench.sku_owner_in_process` says.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import batch_max_records, env_int, heading, now_ms, stack
from bench.in_process import cpu_of_batches, report, scratch_settings
from bench.order_saga import order_placed

PARTITIONS = 4
LINES = 3


def answered(order_id: str, line: dict[str, Any], at: int) -> dict[str, Any]:
    """The SKU owner's answer to a line's RESERVE met from stock, as it publishes it."""
    from processors import inventory as inv
    from streams.agents.inventory_outputs import reservation_record

    decision = inv.ReservationAnswered(
        line["sku"], f"reserve:{order_id}:{line['line_id']}", order_id, line["line_id"],
        inv.ReservationStatus.RESERVED, line["quantity"], (inv.LocationQuantity("EAST", line["quantity"]),), (), 0)
    record = reservation_record(decision, 1, f"corr-{order_id}", at)
    assert record is not None
    return record


def one_repeat(redis_url: str, workdir: Path, orders: int, batch: int) -> float:
    from prometheus_client import CollectorRegistry

    from processors import orders as o
    from streams.agents.orders import OrderStage
    from streams.app import build_order_view, erp_rate_limit
    from streams.engine.records import InputRecord
    from streams.metrics import WorkerMetrics
    from streams.topic_names import DeployedCatalog
    from streams.translate import orders as translate
    from topics import catalog
    from topics.codec import build_codec
    from topics.partitioning import partition_for

    prefix, settings = scratch_settings(redis_url)
    codec = build_codec(settings)
    stage = OrderStage(codec, DeployedCatalog(settings), o.OrderPolicy(), erp_rate_limit(settings),
                       WorkerMetrics.create(CollectorRegistry()), build_order_view(settings), workdir / prefix)
    stage.on_partition_count(PARTITIONS)
    for table in stage.tables:
        for partition in range(PARTITIONS):
            table.open(partition)
    at = now_ms()
    commands_schema = catalog.ORDER_COMMANDS.value_schema or ""
    results_schema = catalog.RESERVATION_RESULTS.value_schema or ""

    def consumed(topic: str, order_id: str, offset: int, value: bytes) -> InputRecord:
        key = order_id.encode()
        return InputRecord(topic, partition_for(key, PARTITIONS), offset, key, value, (), at)

    commands, answers = [], []
    for n in range(orders):
        order_id = f"O-{n:07d}"
        placed = order_placed(order_id, [(f"L{k}", f"SKU-{(n * LINES + k) % 20_000:06d}", k)
                                         for k in range(1, LINES + 1)], at)
        for command in translate.order_placed(placed, at):
            commands.append(consumed(stage.commands_topic, order_id, n,
                                     codec.encode(stage.commands_topic, commands_schema, command.record)))
        for line in placed["lines"]:
            answers.append(consumed(stage.results_topic, order_id, len(answers),
                                    codec.encode(stage.results_topic, results_schema,
                                                 answered(order_id, line, at))))
    per_batch = max(1, batch // (1 + LINES))  # orders per batch pair: a batch of commands, then one of answers
    pairs = [(commands[start:start + per_batch], answers[start * LINES:(start + per_batch) * LINES])
             for start in range(0, orders, per_batch)]
    spent = cpu_of_batches(stage, [records for pair in pairs for records in pair], PARTITIONS)
    return spent / orders * 1e6


def run() -> dict[str, Any]:
    orders = env_int("BENCH_ORDER_OWNER_ORDERS", 15_000)
    repeats = env_int("BENCH_ORDER_OWNER_REPEATS", 3)
    batch = batch_max_records()
    heading(f"Order owner in process: {orders:,} orders of {LINES} lines (command, then {LINES} answers), "
            f"records per batch {batch:,}, {repeats} repeats")
    with stack("order-owner", broker=False) as st:
        figures = [one_repeat(st.redis_url, st.workdir, orders, batch) for _ in range(repeats)]
    return report(figures, "order", 0)


if __name__ == "__main__":
    run()
