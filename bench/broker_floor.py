"""The embedded broker's own floor: one Kafka hop on Tansu, on a fresh topic and on one holding many small batches.

    python -m bench.broker_floor   (BENCH_FLOOR_RATE, BENCH_FLOOR_SECONDS, BENCH_FLOOR_SMALL_BATCHES)

Not a distflow figure: context for the others. A paced producer (librdkafka, linger.ms=5) and a plain consumer
(assign, poll) on a fresh Tansu broker; produced → received latency and the broker's CPU share, first on a fresh
4-partition topic, then on the same topic after BENCH_FLOOR_SMALL_BATCHES (default 20,000) single-record batches
were appended to it — the shape a low-latency pipeline leaves behind (every worker batch writes small batches to
the commands, changelog and output topics) — and last on a fresh topic on the same broker: the slowdown belongs to
the partition being fetched, not to the broker (docs/performance.md, "The embedded broker's fetch"). The baseline
is the fresh topic.

First, on the fresh broker: what consumers waiting on idle partitions cost it (no records anywhere). A plain
consumer assigned every partition of BENCH_FLOOR_IDLE_TOPICS (default 23, as many input topics as a
`distflow worker` subscribes to) at their ends, polling with `fetch.wait.max.ms` 10 (the worker's) and 100, and one
assigned a single topic at 10: the broker's CPU share over BENCH_FLOOR_IDLE_SECONDS (default 3) each.
"""
from __future__ import annotations

import time
from typing import Any

from bench.common import PARTITIONS, cpu_seconds, env_float, env_int, heading, stack, unique


def _hop(bootstrap: str, topic: str, rate: float, seconds: float, broker_pid: int) -> dict[str, Any]:
    from confluent_kafka import Producer

    from bench.common import latency_summary
    from bench.snapshot_latency import ConsumeObserver

    observer = ConsumeObserver(bootstrap, topic)
    observer.start()
    time.sleep(1.0)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    sent: dict[bytes, float] = {}
    total = int(rate * seconds)
    cpu_before, start = cpu_seconds(broker_pid), time.perf_counter()
    for i in range(total):
        pause = i / rate - (time.perf_counter() - start)
        if pause > 0:
            time.sleep(pause)
        key = f"hop-{i}".encode()
        sent[key] = time.time() * 1000
        producer.produce(topic, key=key, value=b"x" * 200)
        producer.poll(0)
    wall = time.perf_counter() - start
    broker_cpu = (cpu_seconds(broker_pid) - cpu_before) / wall
    producer.flush(30)
    time.sleep(1.0)
    observer.stop.set()
    observer.join(10)
    return {**latency_summary([observer.seen[k] - t for k, t in sent.items() if k in observer.seen]),
            "broker_cpu_share": broker_cpu}


def _idle_fetch_cost(bootstrap: str, topics: list[str], wait_ms: int, seconds: float, broker_pid: int) -> float:
    """The broker's CPU share while one consumer waits at the end of every partition of `topics`."""
    from confluent_kafka import OFFSET_END, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("idle"), "enable.auto.commit": False,
                         "fetch.wait.max.ms": wait_ms})
    consumer.assign([TopicPartition(topic, p, OFFSET_END) for topic in topics for p in range(PARTITIONS)])
    try:
        settle_until = time.monotonic() + 1.0
        while time.monotonic() < settle_until:
            consumer.poll(0.1)
        cpu_before, start = cpu_seconds(broker_pid), time.monotonic()
        while time.monotonic() < start + seconds:
            consumer.poll(0.1)
        return (cpu_seconds(broker_pid) - cpu_before) / (time.monotonic() - start)
    finally:
        consumer.close()


def idle_fetch_costs(bootstrap: str, admin: Any, broker_pid: int) -> dict[str, Any]:
    from confluent_kafka.admin import NewTopic

    count, seconds = env_int("BENCH_FLOOR_IDLE_TOPICS", 23), env_float("BENCH_FLOOR_IDLE_SECONDS", 3)
    topics = [unique("idle") for _ in range(count)]
    for future in admin.create_topics([NewTopic(topic, PARTITIONS, 1) for topic in topics]).values():
        future.result(30)
    shares = {"one_topic_10ms": _idle_fetch_cost(bootstrap, topics[:1], 10, seconds, broker_pid),
              "all_10ms": _idle_fetch_cost(bootstrap, topics, 10, seconds, broker_pid),
              "all_100ms": _idle_fetch_cost(bootstrap, topics, 100, seconds, broker_pid)}
    print(f"  idle fetches           broker CPU {shares['one_topic_10ms']:.0%} for {PARTITIONS} partitions, "
          f"{shares['all_10ms']:.0%} for {count * PARTITIONS} at fetch.wait.max.ms 10, {shares['all_100ms']:.0%} at 100 "
          "(no records anywhere)", flush=True)
    return {"partitions": count * PARTITIONS, "one_topic_partitions": PARTITIONS, **shares}


def run() -> dict[str, Any]:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    rate = env_float("BENCH_FLOOR_RATE", 1_000)
    seconds = env_float("BENCH_FLOOR_SECONDS", 4)
    small_batches = env_int("BENCH_FLOOR_SMALL_BATCHES", 20_000)
    heading(f"broker floor: one hop on Tansu at {rate:,.0f} msg/s, fresh topic vs after {small_batches:,} "
            f"single-record batches")
    with stack("floor", redis=False) as st:
        assert st.broker is not None
        pid = st.broker.process.proc.pid
        admin = AdminClient({"bootstrap.servers": st.bootstrap})
        idle = idle_fetch_costs(st.bootstrap, admin, pid)
        topic = unique("floor")
        admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
        fresh = _hop(st.bootstrap, topic, rate, seconds, pid)
        print(f"  fresh topic            p50 {fresh['p50_ms']:6.1f} ms  p99 {fresh['p99_ms']:6.1f} ms  broker CPU "
              f"{fresh['broker_cpu_share']:.0%}", flush=True)
        loader = Producer({"bootstrap.servers": st.bootstrap, "linger.ms": 0, "batch.num.messages": 1,
                           "queue.buffering.max.messages": 1_000_000})
        started = time.perf_counter()
        for i in range(small_batches):
            loader.produce(topic, key=f"pre-{i}".encode(), value=b"x" * 200)
            if i % 500 == 0:
                loader.poll(0)
        loader.flush(300)
        load_s = time.perf_counter() - started
        loaded = _hop(st.bootstrap, topic, rate, seconds, pid)
        print(f"  after {small_batches:,} small batches p50 {loaded['p50_ms']:6.1f} ms  p99 {loaded['p99_ms']:6.1f} ms"
              f"  broker CPU {loaded['broker_cpu_share']:.0%}  (loading took {load_s:.1f} s)", flush=True)
        beside = unique("floor-beside")
        admin.create_topics([NewTopic(beside, PARTITIONS, 1)])[beside].result(30)
        fresh_beside = _hop(st.bootstrap, beside, rate, seconds, pid)
        print(f"  fresh topic beside it  p50 {fresh_beside['p50_ms']:6.1f} ms  p99 {fresh_beside['p99_ms']:6.1f} ms  "
              f"broker CPU {fresh_beside['broker_cpu_share']:.0%}", flush=True)
    return {"rate": rate, "small_batches": small_batches, "fresh": fresh, "loaded": loaded,
            "fresh_beside_loaded": fresh_beside, "idle_fetches": idle}


if __name__ == "__main__":
    run()
