"""The embedded broker's own floor: one Kafka hop on Tansu, on a fresh topic and on one holding many small batches.

    python -m bench.broker_floor   (BENCH_FLOOR_RATE, BENCH_FLOOR_SECONDS, BENCH_FLOOR_SMALL_BATCHES)

Not a distflow figure: context for the others. A paced producer (librdkafka, linger.ms=5) and a plain consumer
(assign, poll) on a fresh Tansu broker; produced → received latency and the broker's CPU share, first on a fresh
4-partition topic, then on the same topic after BENCH_FLOOR_SMALL_BATCHES (default 20,000) single-record batches
were appended to it — the shape a low-latency pipeline leaves behind (every worker batch writes small batches to
the commands, changelog and output topics) — and last on a fresh topic on the same broker: the slowdown belongs to
the partition being fetched, not to the broker (docs/performance.md, "The embedded broker's fetch"). The baseline
is the fresh topic.
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
        topic = unique("floor")
        admin = AdminClient({"bootstrap.servers": st.bootstrap})
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
            "fresh_beside_loaded": fresh_beside}


if __name__ == "__main__":
    run()
