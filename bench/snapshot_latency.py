"""Event → visible in Redis: how long after a WMS movement is produced does the storefront's snapshot show it?

    python -m bench.snapshot_latency   (BENCH_SNAPSHOT_RATE, BENCH_SNAPSHOT_SECONDS, BENCH_SNAPSHOT_WARMUP_SECONDS,
                                        BENCH_SNAPSHOT_LOW_RATE, BENCH_SNAPSHOT_LOW_SECONDS — 0 skips that phase)

Each phase (the target rate, default 5,000 events/s for 20 s after a 3 s warm-up; then a low rate, default
1,000/s for 10 s, to show the latency when the worker is not saturated) gets a fresh Tansu broker and
redis-server, and the real worker in its own process. This process produces RECEIVED movements at a steady, paced
rate, each for a distinct SKU, with occurred_at = the moment it is handed to the producer (an integrator's
librdkafka producer, linger.ms=5 as librdkafka's default), and remembers that moment per SKU.

Visibility is observed without polling: keyspace notifications (`notify-keyspace-events E$`, set on the run's own
redis-server) publish every SET — including the one inside the writer's version-guarded Lua script — and a separate
observer process subscribed on a raw socket stamps each key with the time its notification bytes were received.
Two figures per event:

* visible  = notification received − produced: the end-to-end figure (an upper bound: includes the pub/sub hop);
* written  = entry.written_at_ms − produced: the writer stamps written_at_ms just before its pipeline is sent,
             so this is a lower bound (it excludes the Redis round trip of the flush).

Baseline, same run, same broker, same producer settings and rate, before the worker starts (so it does not load
the broker during the measurement): produced → received by a plain confluent-kafka consumer (assign, poll) on a
scratch topic — one Kafka hop with no processing, the floor under the worker's two hops (source → intake →
commands → SKU owner → Redis).
"""
from __future__ import annotations

import multiprocessing
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import urlparse

from bench.common import (MOVEMENT_SCHEMA, PARTITIONS, WorkerProcess, apply_catalog, build_settings, cpu_seconds,
                          env_float, env_int, heading, latency_summary, movement, produce, settings_values,
                          source_producer, stack, unique)

TARGET_P50_MS = 20.0
TARGET_P99_MS = 100.0
FLOOR_SECONDS = 5.0


# -- the observer: keyspace notifications on a raw socket, stamped at receipt ---------------------------------------
def observe_sets(redis_url: str, key_prefix: str, ready: Any, stop: Any, out: Any) -> None:
    """Subscribe to __keyevent@0__:set; stamp every key under key_prefix with the wall clock of the recv() that
    completed it. Sends {key: ms} to `out` after `stop`."""
    url = urlparse(redis_url)
    sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379))
    sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$18\r\n__keyevent@0__:set\r\n")
    buffer = b""
    while b"subscribe" not in buffer:
        buffer += sock.recv(4096)
    ready.set()
    pattern = re.compile(rb"\r\n(" + re.escape(key_prefix.encode()) + rb"[^\r]+)\r\n")
    seen: dict[bytes, float] = {}
    sock.settimeout(0.05)
    buffer = b""
    while not stop.is_set():
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            continue
        stamp = time.time() * 1000
        buffer += chunk
        end = 0
        for match in pattern.finditer(buffer):
            seen.setdefault(match.group(1), stamp)
            end = match.end() - 2
        buffer = buffer[end:] if end else buffer[-4096:]
    sock.close()
    out.send({key.decode(): ms for key, ms in seen.items()})
    out.close()


# -- the transport floor: produced → received by a plain consumer ---------------------------------------------------
class ConsumeObserver(threading.Thread):
    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(name="consume-observer", daemon=True)
        from confluent_kafka import OFFSET_END, Consumer, TopicPartition

        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("bench-floor"),
                                  "enable.auto.commit": False, "fetch.wait.max.ms": 10})
        self.consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in range(PARTITIONS)])
        self.seen: dict[bytes, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            # poll(), not consume(n, timeout): consume() waits for n messages or the whole timeout
            message = self.consumer.poll(0.05)
            if message is not None and message.error() is None:
                self.seen.setdefault(message.key(), time.time() * 1000)
        self.consumer.close()


def transport_floor(bootstrap: str, codec: Any, topic: str, rate: float, linger_ms: int) -> dict[str, float]:
    from confluent_kafka.admin import AdminClient, NewTopic

    scratch = unique("bench-floor")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(scratch, PARTITIONS, 1)])[scratch].result(30)
    floor = ConsumeObserver(bootstrap, scratch)
    floor.start()
    time.sleep(1.0)  # the consumer's first fetches are out
    produced, _ = produce_paced(bootstrap, scratch, codec, rate, FLOOR_SECONDS, 0.5, linger_ms, encode_for=topic)
    time.sleep(1.0)
    floor.stop.set()
    floor.join(10)
    return latency_summary([floor.seen[sku.encode()] - t for sku, t in produced.items()
                            if sku.encode() in floor.seen])


# -- one phase: a fresh stack, the floor, the worker, paced production ---------------------------------------------
def run_phase(rate: float, seconds: float, warmup: float, linger_ms: int) -> dict[str, Any]:
    import redis

    from streams.snapshot.keys import SnapshotKeys
    from streams.topic_names import DeployedCatalog
    from topics import catalog
    from topics.codec import build_codec

    with stack("snapshot") as st:
        values = settings_values(st.bootstrap, st.redis_url, st.workdir / "state")
        settings = build_settings(values)
        apply_catalog(settings)
        codec = build_codec(settings)
        topic = DeployedCatalog(settings)[catalog.INVENTORY_MOVEMENTS]
        keys = SnapshotKeys(settings.redis_key_prefix)
        floor = transport_floor(st.bootstrap, codec, topic, rate, linger_ms)

        client = redis.Redis.from_url(st.redis_url)
        client.config_set("notify-keyspace-events", "E$")
        context = multiprocessing.get_context("spawn")
        ready, stop = context.Event(), context.Event()
        receive, send = context.Pipe(duplex=False)
        observer = context.Process(target=observe_sets, name="set-observer",
                                   args=(st.redis_url, keys.availability("X")[:-1], ready, stop, send))
        observer.start()
        worker = WorkerProcess(values, st.workdir / "worker.log", "serve")
        try:
            if not ready.wait(20):
                raise RuntimeError("the keyspace observer did not subscribe")
            worker.wait_for("ready", 90)
            pids = {"worker": worker.proc.pid, "broker": st.broker.process.proc.pid,  # type: ignore[union-attr]
                    "redis": st.redis.process.proc.pid, "producer": "self"}  # type: ignore[union-attr]
            cpu_before, wall_before = {k: cpu_seconds(p) for k, p in pids.items()}, time.monotonic()
            produced, paced = produce_paced(st.bootstrap, topic, codec, rate, seconds, warmup, linger_ms)
            wall = time.monotonic() - wall_before
            cpu = {k: (cpu_seconds(p) - cpu_before[k]) / wall for k, p in pids.items()}
            drain_started = time.monotonic()
            last = [keys.availability(sku) for sku in list(produced)[-200:]]
            drained = wait_visible(client, last, timeout_s=180)
            drain_s = time.monotonic() - drain_started
            time.sleep(0.5)
            final = worker.stop()
        finally:
            worker.close()
            stop.set()
        visible_at: dict[str, float] = receive.recv() if receive.poll(30) else {}
        observer.join(10)
        written_at = read_written_at(client, keys, list(produced))
        client.close()

    visible = latency_summary([visible_at[keys.availability(sku)] - t for sku, t in produced.items()
                               if keys.availability(sku) in visible_at])
    written = latency_summary([written_at[sku] - t for sku, t in produced.items() if sku in written_at])
    return {"rate": rate, "seconds": seconds, "rate_achieved": paced["achieved_per_s"],
            "max_schedule_lag_ms": paced["max_lag_ms"], "events": len(produced),
            "missing": len(produced) - len(written_at), "drained": drained, "drain_s": drain_s,
            "visible": visible, "written": written, "transport": floor,
            "trend": latency_trend(produced, visible_at, keys), "cpu_share": cpu,
            "worker_batches": final["batches"], "worker_records_in": final["records_in"],
            "worker_peak_rss_mb": final["peak_rss_mb"], "batch_phase_seconds": final.get("batch_phase_seconds", {})}


def report(phase: dict[str, Any]) -> None:
    print(f"  -- {phase['rate']:,.0f} ev/s for {phase['seconds']:.0f} s: producer achieved "
          f"{phase['rate_achieved']:,.0f} ev/s ({phase['events']:,} measured events, worst lag behind schedule "
          f"{phase['max_schedule_lag_ms']:.1f} ms)")
    for label, key in (("visible in Redis", "visible"), ("written_at stamp", "written"),
                       ("baseline 1 hop", "transport")):
        s = phase[key]
        print(f"  {label:<17} p50 {s['p50_ms']:7.1f} ms   p90 {s['p90_ms']:7.1f} ms   p99 {s['p99_ms']:7.1f} ms  "
              f" max {s['max_ms']:7.1f} ms   (n={s['count']:,})")
    trend = phase["trend"]
    print(f"  trend             visible p50 {trend['first_p50_ms']:.1f} ms for events of the first 2 s, "
          f"{trend['last_p50_ms']:.1f} ms for the last 2 s; backlog drained {phase['drain_s']:.1f} s after the "
          f"last event; not visible: {phase['missing']:,}")
    print("  CPU while producing: " + ", ".join(f"{k} {v:.0%}" for k, v in phase["cpu_share"].items()) +
          f" of one core; worker {phase['worker_records_in']:,} records in {phase['worker_batches']:,} batches, "
          f"peak RSS {phase['worker_peak_rss_mb']:.0f} MB", flush=True)
    per_batch = batch_phase_ms(phase)
    if per_batch:
        print("  a batch's time (mean over its batches, ms): " + ", ".join(
            f"{name.replace('_', ' ')} {ms:.1f}" for name, ms in per_batch.items()) +
              f" = {sum(per_batch.values()):.1f} per batch of {phase['worker_records_in'] / phase['worker_batches']:.0f}"
              " records", flush=True)


def batch_phase_ms(phase: dict[str, Any]) -> dict[str, float]:
    """The worker's mean milliseconds per batch in each phase (distflow_batch_phase_seconds), {} if unknown."""
    totals, batches = phase.get("batch_phase_seconds") or {}, phase.get("worker_batches") or 0
    return {name: seconds * 1000 / batches for name, seconds in totals.items()} if batches else {}


def run() -> dict[str, Any]:
    rate = env_float("BENCH_SNAPSHOT_RATE", 5_000)
    seconds = env_float("BENCH_SNAPSHOT_SECONDS", 20)
    warmup = env_float("BENCH_SNAPSHOT_WARMUP_SECONDS", 3)
    low_rate = env_float("BENCH_SNAPSHOT_LOW_RATE", 1_000)
    low_seconds = env_float("BENCH_SNAPSHOT_LOW_SECONDS", 10)
    linger_ms = env_int("BENCH_SNAPSHOT_PRODUCER_LINGER_MS", 5)
    heading(f"snapshot latency: {rate:,.0f} events/s for {seconds:.0f} s (after {warmup:.0f} s warm-up), one "
            f"distinct SKU per event" + (f"; then {low_rate:,.0f} events/s for {low_seconds:.0f} s on a fresh stack"
                                         if low_rate > 0 and low_seconds > 0 else ""))
    results: dict[str, Any] = {"target": run_phase(rate, seconds, warmup, linger_ms)}
    report(results["target"])
    if low_rate > 0 and low_seconds > 0:
        results["low"] = run_phase(low_rate, low_seconds, 1.0, linger_ms)
        report(results["low"])
    target = results["target"]
    results["target_met"] = target["missing"] == 0 and target["visible"]["p50_ms"] <= TARGET_P50_MS and \
        target["visible"]["p99_ms"] <= TARGET_P99_MS
    return results


# -- helpers -------------------------------------------------------------------------------------------------------
def produce_paced(bootstrap: str, topic: str, codec: Any, rate: float, seconds: float, warmup: float,
                  linger_ms: int, encode_for: str | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Events on schedule i / rate (the due ones sent every millisecond); returns SKU → produced ms of the measured
    (post-warm-up) events, and the achieved rate and worst lag behind schedule."""
    producer = source_producer(bootstrap, linger_ms=linger_ms)
    run = unique("lat")[4:]
    warm_events, total = int(rate * warmup), int(rate * (warmup + seconds))
    produced: dict[str, float] = {}
    max_lag = 0.0
    start = time.perf_counter()
    i = 0
    while i < total:
        elapsed = time.perf_counter() - start
        due = min(total, int(elapsed * rate) + 1)
        if i >= warm_events:
            max_lag = max(max_lag, (elapsed - i / rate) * 1000)
        while i < due:
            sku = f"{'W' if i < warm_events else 'M'}{run}-{i:07d}"
            stamp = time.time() * 1000
            value = codec.encode(encode_for or topic, MOVEMENT_SCHEMA,
                                 movement(f"{run}-{i}", sku, "EAST", "RECEIVED", 5, int(stamp)))
            produce(producer, topic, sku.encode(), value)
            if i >= warm_events:
                produced[sku] = stamp
            i += 1
        producer.poll(0)
        pause = i / rate - (time.perf_counter() - start)
        if pause > 0:
            time.sleep(min(pause, 0.001))
    measured_s = time.perf_counter() - start - warmup
    producer.flush(30)
    return produced, {"achieved_per_s": len(produced) / measured_s if measured_s > 0 else 0.0, "max_lag_ms": max_lag}


def wait_visible(client: Any, keys: list[str], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(value is not None for value in client.mget(keys)):
            return True
        time.sleep(0.05)
    return False


def read_written_at(client: Any, keys: Any, skus: list[str]) -> dict[str, int]:
    from streams.snapshot.entry import AvailabilityEntry

    written_at: dict[str, int] = {}
    for start in range(0, len(skus), 2000):
        chunk = skus[start:start + 2000]
        for sku, raw in zip(chunk, client.mget([keys.availability(sku) for sku in chunk])):
            if raw is not None:
                written_at[sku] = AvailabilityEntry.from_json(raw).written_at_ms
    return written_at


def latency_trend(events: dict[str, float], visible_at: dict[str, float], keys: Any) -> dict[str, float]:
    """p50 of the events produced in the first and in the last 2 s: a growing figure means a growing backlog."""
    if not events:
        return {"first_p50_ms": float("nan"), "last_p50_ms": float("nan")}
    first, last = min(events.values()), max(events.values())
    early = [visible_at[keys.availability(s)] - t for s, t in events.items()
             if t - first <= 2000 and keys.availability(s) in visible_at]
    late = [visible_at[keys.availability(s)] - t for s, t in events.items()
            if last - t <= 2000 and keys.availability(s) in visible_at]
    return {"first_p50_ms": latency_summary(early)["p50_ms"], "last_p50_ms": latency_summary(late)["p50_ms"]}


if __name__ == "__main__":
    run()
