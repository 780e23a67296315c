"""Inventory path throughput: WMS movements → intake → SKU owner (RocksDB + changelog + outputs + Redis snapshot).

    python -m bench.inventory_path          (BENCH_INVENTORY_EVENTS, BENCH_INVENTORY_SKUS, BENCH_BATCH_MAX_RECORDS)

1. A fresh Tansu broker and redis-server; the catalog applied with a unique prefix and 4 partitions.
2. N wms/inventory_movement records (RECEIVED/ADJUSTED over SKUS SKUs × 2 locations), encoded with
   topics.codec.build_codec (file schema ids), produced with confluent-kafka to the source topic.
3. Baselines on the same records, same process kind, same broker: raw consume + AvroCodec.decode_many + a per-SKU
   sum — A with aiokafka getmany (as ../shared/anchors-perf/aiokafka_raw.py --decode), A' with confluent-kafka
   consume. The better of the two is the "decode ceiling".
4. The real worker (streams.app.build_worker) in its own process; events/s = N / (time from the engine being
   ready — partitions assigned, first fetch not yet made — to engine.status.records_in ≥ 2N: every source record
   through intake and every command through the SKU owner, each batch committed). Peak RSS = the worker process's
   VmHWM.
5. Sanity: the Redis snapshot holds one entry per SKU, and sampled entries show the expected totals.
6. If py-spy is installed (BENCH_PROFILE=0 skips it): a second, separate pass of BENCH_PROFILE_EVENTS (100,000) on a
   fresh stack with the worker sampled by py-spy — where the worker thread's CPU goes.
"""
from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from bench.common import (LOCATIONS, MOVEMENT_SCHEMA, PARTITIONS, WorkerProcess, apply_catalog, batch_max_records,
                          build_settings, env_int, heading, movement, now_ms, produce_all, profile_breakdown,
                          py_spy, settings_values, source_producer, stack, unique)
from bench.inventory_floor import library_floor

TARGET_EVENTS_PER_S = 40_000
TARGET_SHARE_OF_CEILING = 0.45
TARGET_PEAK_RSS_MB = 600


def movement_plan(i: int, skus: int) -> tuple[str, str, str, int]:
    """Event i: round r = i // skus touches every SKU once; locations alternate per round; per location the rounds
    go RECEIVED +20, ADJUSTED -1, RECEIVED +20, ... so stock never goes negative (no exceptions path)."""
    r = i // skus
    sku = f"SKU-{i % skus:06d}"
    location = LOCATIONS[r % 2]
    if (r // 2) % 2 == 0:
        return sku, location, "RECEIVED", 20
    return sku, location, "ADJUSTED", -1


def encoded_movements(codec: Any, topic: str, n: int, skus: int) -> tuple[list[tuple[bytes, bytes]], dict[str, int]]:
    """(key, value) of the n movements of movement_plan, encoded for `topic`, and each SKU's expected total."""
    run, records, expected = unique("inv"), [], {}
    for i in range(n):
        sku, location, kind, quantity = movement_plan(i, skus)
        expected[sku] = expected.get(sku, 0) + quantity
        records.append((sku.encode(), codec.encode(topic, MOVEMENT_SCHEMA,
                                                    movement(f"{run}-{i}", sku, location, kind, quantity, now_ms()))))
    return records, expected


def produce_movements(bootstrap: str, topic: str, codec: Any, n: int, skus: int) -> tuple[float, dict[str, int]]:
    """The movements encoded and produced; seconds both took, and each SKU's expected total."""
    started = time.perf_counter()
    records, expected = encoded_movements(codec, topic, n, skus)
    produce_all(source_producer(bootstrap), topic, records)
    return time.perf_counter() - started, expected


def _fold(decoded: list[Any], totals: dict[str, int]) -> None:
    for record in decoded:
        sku = record["sku"]
        totals[sku] = totals.get(sku, 0) + record["quantity"]


async def _aiokafka_decode(bootstrap: str, topic: str, codec: Any, n: int) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=10_485_760, fetch_max_bytes=52_428_800)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        count, first, totals, deadline = 0, None, {}, time.monotonic() + 120
        while count < n and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for messages in batch.values():
                if first is None:
                    first = time.perf_counter()
                _fold(codec.decode_many([m.value for m in messages], MOVEMENT_SCHEMA), totals)
                count += len(messages)
        seconds = time.perf_counter() - (first or time.perf_counter())
    finally:
        await consumer.stop()
    return {"records": count, "seconds": seconds, "per_s": count / seconds if seconds else 0.0}


def baseline_aiokafka(bootstrap: str, topic: str, codec: Any, n: int) -> dict[str, Any]:
    return asyncio.run(_aiokafka_decode(bootstrap, topic, codec, n))


def baseline_confluent(bootstrap: str, topic: str, codec: Any, n: int) -> dict[str, Any]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("bench-raw"), "enable.auto.commit": False,
                         "fetch.max.bytes": 52_428_800, "max.partition.fetch.bytes": 10_485_760})
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
        count, first, totals, deadline = 0, None, {}, time.monotonic() + 120
        while count < n and time.monotonic() < deadline:
            messages = [m for m in consumer.consume(10_000, 1.0) if m.error() is None]
            if messages and first is None:
                first = time.perf_counter()
            _fold(codec.decode_many([m.value() for m in messages], MOVEMENT_SCHEMA), totals)
            count += len(messages)
        seconds = time.perf_counter() - (first or time.perf_counter())
    finally:
        consumer.close()
    return {"records": count, "seconds": seconds, "per_s": count / seconds if seconds else 0.0}


def check_snapshot(redis_url: str, prefix: str, expected: dict[str, int], sample: int = 200) -> dict[str, Any]:
    import redis

    from streams.snapshot.entry import AvailabilityEntry
    from streams.snapshot.keys import SnapshotKeys

    client = redis.Redis.from_url(redis_url)
    try:
        keys = SnapshotKeys(prefix)
        entries = sum(1 for _ in client.scan_iter(match=f"{prefix}availability:*", count=5000))
        picked = random.Random(7).sample(sorted(expected), min(sample, len(expected)))
        values = client.mget([keys.availability(sku) for sku in picked])
        wrong = [sku for sku, raw in zip(picked, values)
                 if raw is None or AvailabilityEntry.from_json(raw).total_available != expected[sku]]
    finally:
        client.close()
    return {"entries": entries, "sampled": len(picked), "sample_mismatches": len(wrong)}


def run() -> dict[str, Any]:
    n = env_int("BENCH_INVENTORY_EVENTS", 200_000)
    skus = env_int("BENCH_INVENTORY_SKUS", 50_000)
    batch = batch_max_records()
    heading(f"inventory path: {n:,} movements over {skus:,} SKUs x {len(LOCATIONS)} locations, "
            f"{PARTITIONS} partitions, batch_max_records={batch}")
    results = measured_pass(n, skus, batch)
    profile_events = env_int("BENCH_PROFILE_EVENTS", 100_000)
    if py_spy() and profile_events > 0:
        results["profile"] = profiled_pass(profile_events, skus, batch)
    return results


def _prepared(st: Any, batch: int, n: int, skus: int) -> tuple[dict[str, Any], Any, str, Any, float, dict[str, int]]:
    from streams.topic_names import DeployedCatalog
    from topics import catalog
    from topics.codec import build_codec

    values = settings_values(st.bootstrap, st.redis_url, st.workdir / "state", batch_max_records=batch)
    settings = build_settings(values)
    apply_catalog(settings)
    codec = build_codec(settings)
    topic = DeployedCatalog(settings)[catalog.INVENTORY_MOVEMENTS]
    produce_s, expected = produce_movements(st.bootstrap, topic, codec, n, skus)
    return values, settings, topic, codec, produce_s, expected


def _run_worker(values: dict[str, Any], log_path: Any, n: int,
                profile_to: Any = None) -> tuple[dict[str, Any], dict[str, Any], Any]:
    worker = WorkerProcess(values, log_path, "count", target_records=2 * n, timeout_s=300, profile_to=profile_to)
    try:
        worker.wait_for("ready", 90)
        done = worker.wait_for("done", 330)
        final = worker.stop()
    finally:
        worker.close()
    return done, final, worker.profile_path


def measured_pass(n: int, skus: int, batch: int) -> dict[str, Any]:
    with stack("inventory") as st:
        values, settings, topic, codec, produce_s, expected = _prepared(st, batch, n, skus)
        print(f"  produced          {n:>9,} records in {produce_s:5.1f} s ({n / produce_s:,.0f} rec/s, "
              f"encode + produce)", flush=True)

        base_a = baseline_aiokafka(st.bootstrap, topic, codec, n)
        print(f"  baseline A        {base_a['per_s']:>9,.0f} rec/s  aiokafka getmany + AvroCodec.decode_many "
              f"+ per-SKU sum ({base_a['records']:,} records)", flush=True)
        base_c = baseline_confluent(st.bootstrap, topic, codec, n)
        print(f"  baseline A'       {base_c['per_s']:>9,.0f} rec/s  confluent-kafka consume + decode_many "
              f"+ per-SKU sum ({base_c['records']:,} records)", flush=True)
        ceiling = max(base_a["per_s"], base_c["per_s"])
        floor = library_floor(st.bootstrap, st.redis_url, settings, codec, topic, n, st.workdir)
        print_floor(floor)

        done, final, _ = _run_worker(values, st.workdir / "worker.log", n)
        seconds = done["done_at"] - done["ready_at"]
        per_s = n / seconds
        ratio = per_s / ceiling
        print(f"  distflow worker   {per_s:>9,.0f} ev/s   end to end (intake + SKU owner, {done['records_in']:,} "
              f"records in {done['batches']:,} batches + {done['records_handed_over']:,} commands handed over "
              f"in process, {seconds:.2f} s)", flush=True)
        print(f"  ratio             {ratio:>9.0%}        of the decode ceiling ({ceiling:,.0f} rec/s)")
        print(f"  peak RSS          {final['peak_rss_mb']:>9.0f} MB     worker process VmHWM "
              f"({final['rss_before_worker_mb']:.0f} MB after imports, before the worker was built)")
        cpu_us = done["cpu_s"] / n * 1e6
        print(f"  worker CPU        {cpu_us:>9.0f} us/ev   ({done['cpu_s']:.1f} CPU-s over {seconds:.1f} s wall: "
              f"{done['cpu_s'] / seconds:.0%} of one core)")
        check = check_snapshot(st.redis_url, settings.redis_key_prefix, expected)
        print(f"  snapshot check    {check['entries']:,} Redis entries for {len(expected):,} SKUs; "
              f"{check['sample_mismatches']} of {check['sampled']} sampled totals wrong", flush=True)

    met = per_s >= TARGET_EVENTS_PER_S and ratio >= TARGET_SHARE_OF_CEILING and \
        final["peak_rss_mb"] <= TARGET_PEAK_RSS_MB
    return {"events": n, "skus": skus, "batch_max_records": batch, "produce_per_s": n / produce_s,
            "baseline_aiokafka_per_s": base_a["per_s"], "baseline_confluent_per_s": base_c["per_s"],
            "decode_ceiling_per_s": ceiling, "worker_events_per_s": per_s, "worker_seconds": seconds,
            "ratio_to_ceiling": ratio, "peak_rss_mb": final["peak_rss_mb"],
            "rss_before_worker_mb": final["rss_before_worker_mb"], "worker_cpu_us_per_event": cpu_us,
            "worker_cpu_share": done["cpu_s"] / seconds, "batches": done["batches"],
            "records_in": done["records_in"], "records_handed_over": done["records_handed_over"],
            "snapshot_entries": check["entries"], "snapshot_sample_mismatches": check["sample_mismatches"],
            "library_floor": floor, "target_met": met}


def print_floor(floor: dict[str, Any]) -> None:
    print(f"  library floor     {floor['floor_us']:>9.1f} us/ev   CPU of the library calls alone (no distflow logic), "
          f"{floor['events']:,} events, outputs for {floor['outputs']:,} (one per SKU per batch): at most "
          f"{floor['max_events_per_s']:,.0f} ev/s on one core (target: <= {1e6 / TARGET_EVENTS_PER_S:.0f} us/ev)",
          flush=True)
    for step, us in floor["steps_us"].items():
        print(f"    {us:7.1f} us  {step}")


def profiled_pass(n: int, skus: int, batch: int) -> dict[str, Any]:
    """The same path again on a fresh stack, the worker sampled by py-spy (200 Hz, out of process): where its CPU
    goes. A separate pass so the sampler's own CPU does not touch the measured figures above."""
    with stack("inventory-profile") as st:
        values, *_ = _prepared(st, batch, n, skus)
        done, _, path = _run_worker(values, st.workdir / "worker.log", n, profile_to=st.workdir / "profile.txt")
        if path is None or not path.exists():
            print("  profiled pass     no py-spy profile was written", flush=True)
            return {}
        samples, shares = profile_breakdown(path)
    per_s = n / (done["done_at"] - done["ready_at"])
    print(f"  profiled pass     {n:,} events, {per_s:,.0f} ev/s under py-spy; {samples:,} CPU samples of the worker "
          f"thread:", flush=True)
    for label, share in shares:
        if share >= 1.0:
            print(f"    {share:5.1f}%  {label}")
    return {"events": n, "events_per_s": per_s, "samples": samples, "shares": shares}


if __name__ == "__main__":
    run()
