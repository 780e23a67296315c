"""Inventory path on one worker and on two (same group, 4 partitions): the scaling target, and what limits it here.

    python -m bench.inventory_scaling   (BENCH_SCALING_EVENTS, BENCH_INVENTORY_SKUS, BENCH_SCALING_ROUNDS)

The inventory path is the one that can scale without the workers talking to each other: a movement's source
partition and its command's partition are both murmur2 of the SKU over 4 partitions, and the range assignor gives a
worker the same partition numbers of every topic, so each worker hands its commands to its own SKU owner in process.
(The order saga's orders cross workers: bench.order_saga measures that case.)

Per pass, on a fresh broker and Redis: the workers are started first, in one consumer group, each ready with its
share of the partitions; then N movements, encoded beforehand, are produced as fast as librdkafka takes them, and
the clock runs from the first produce until the group's committed offsets on the source topic reach every
partition's end (each worker commits after its batch is applied, its outputs and
changelog acknowledged and its snapshot entries written). CPU seconds of the workers, the broker, this process and
the whole machine are read around the same window, so the table says where the machine's two cores went.
Passes alternate one worker, two workers (BENCH_SCALING_ROUNDS rounds); the ratio compares the best of each.
"""
from __future__ import annotations

import os
import time
from typing import Any

from bench.common import (PARTITIONS, WorkerProcess, apply_catalog, batch_max_records, build_settings, cpu_seconds,
                          env_int, heading, machine_busy_s, produce_all, settings_values, source_producer, stack)
from bench.inventory_path import check_snapshot, encoded_movements

TARGET_SCALING = 1.7
MACHINE_CORES = float(os.cpu_count() or 1)  # the whole machine, in shares of one core as the CPU figures count
SETTLE_S = 1.0
DONE_TIMEOUT_S = 300.0


def ends_by_partition(records: list[tuple[bytes, bytes]]) -> dict[int, int]:
    """Each source partition's end offset once every record is in (a fresh topic: offsets from 0; the producer's
    partitioner is murmur2, as topics.partitioning computes it)."""
    from topics.partitioning import partition_for

    ends = {p: 0 for p in range(PARTITIONS)}
    for key, _ in records:
        ends[partition_for(key, PARTITIONS)] += 1
    return ends


def start_workers(values: dict[str, Any], workdir: Any, workers: int) -> list[WorkerProcess]:
    """Workers in one group, each on its own RocksDB volume, started one after the other: a worker is ready once the
    group has given it partitions, and the range assignor hands out every member's partitions in the same round,
    so when the last one is ready the earlier ones hold their share too (SETTLE_S covers their restore of the empty
    changelogs). The describe-groups call would tell directly, but the embedded broker answers it with no members."""
    procs: list[WorkerProcess] = []
    try:
        for w in range(workers):
            own = dict(values, state_dir=str(workdir / f"state-{w}"))
            procs.append(WorkerProcess(own, workdir / f"worker-{w}.log", "serve", timeout_s=600))
            procs[-1].wait_for("ready", 90)
    except BaseException:
        for proc in procs:
            proc.close()
        raise
    time.sleep(SETTLE_S)
    return procs


def wait_committed(bootstrap: str, group: str, topic: str, ends: dict[int, int], timeout_s: float) -> float:
    """Until the group's committed offsets on `topic` reach `ends`; the wall time (time.time()) it saw that."""
    from confluent_kafka import Consumer, TopicPartition

    watcher = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        deadline = time.monotonic() + timeout_s
        partitions = [TopicPartition(topic, p) for p in sorted(ends)]
        while time.monotonic() < deadline:
            committed = {tp.partition: tp.offset for tp in watcher.committed(partitions, timeout=5)}
            if all(committed.get(p, -1) >= end for p, end in ends.items()):
                return time.time()
            time.sleep(0.02)
    finally:
        watcher.close()
    raise TimeoutError(f"group {group} had not committed {topic} to its end after {timeout_s}s")


def scaling_pass(workers: int, n: int, skus: int, batch: int) -> dict[str, Any]:
    from streams.topic_names import DeployedCatalog
    from topics import catalog
    from topics.codec import build_codec

    with stack(f"inventory-{workers}w") as st:
        values = settings_values(st.bootstrap, st.redis_url, st.workdir / "state-0", batch_max_records=batch)
        settings = build_settings(values)
        apply_catalog(settings)
        codec = build_codec(settings)
        topic = DeployedCatalog(settings)[catalog.INVENTORY_MOVEMENTS]
        records, expected = encoded_movements(codec, topic, n, skus)
        ends = ends_by_partition(records)
        procs = start_workers(values, st.workdir, workers)
        try:
            assert st.broker is not None
            pids = {"workers": [p.proc.pid for p in procs], "broker": [st.broker.process.proc.pid],
                    "bench": ["self"]}
            cpu_before = {k: sum(cpu_seconds(p) for p in ps) for k, ps in pids.items()}
            busy_before = machine_busy_s()
            started = time.time()
            produce_all(source_producer(st.bootstrap), topic, records)
            produced_s = time.time() - started
            done_at = wait_committed(st.bootstrap, settings.app_id, topic, ends, DONE_TIMEOUT_S)
            cpu = {k: sum(cpu_seconds(p) for p in ps) - cpu_before[k] for k, ps in pids.items()}
            busy = machine_busy_s() - busy_before
            finals = [proc.stop() for proc in procs]
        finally:
            for proc in procs:
                proc.close()
        check = check_snapshot(st.redis_url, settings.redis_key_prefix, expected)
    seconds = done_at - started
    cpu["others"] = max(0.0, busy - sum(cpu.values()))
    handed = sum(f["records_handed_over"] for f in finals)
    return {"workers": workers, "events": n, "seconds": seconds, "events_per_s": n / seconds,
            "produce_s": produced_s, "worker_cpu_us_per_event": cpu["workers"] / n * 1e6,
            "cpu_share": {k: v / seconds for k, v in cpu.items()}, "machine_share": busy / seconds,
            "records_in": [f["records_in"] for f in finals], "handed_over": handed,
            "peak_rss_mb": max(f["peak_rss_mb"] for f in finals),
            "snapshot_entries": check["entries"], "sample_mismatches": check["sample_mismatches"]}


def _print_pass(r: dict[str, Any]) -> None:
    share = r["cpu_share"]
    print(f"  {r['workers']} worker{'s' if r['workers'] > 1 else ' '}      {r['events_per_s']:>9,.0f} ev/s   "
          f"{r['seconds']:.2f} s; worker CPU {r['worker_cpu_us_per_event']:.0f} us/ev; CPU: workers "
          f"{share['workers']:.0%}, broker {share['broker']:.0%}, load generator {share['bench']:.0%}, others "
          f"{share['others']:.0%} of one core (machine {r['machine_share']:.0%} of {MACHINE_CORES:.0%}); "
          f"consumed per worker {', '.join(f'{c:,}' for c in r['records_in'])}, {r['handed_over']:,} handed "
          f"over; snapshot {r['snapshot_entries']:,} entries, {r['sample_mismatches']} sampled totals wrong",
          flush=True)


def run() -> dict[str, Any]:
    n = env_int("BENCH_SCALING_EVENTS", 200_000)
    skus = env_int("BENCH_INVENTORY_SKUS", 50_000)
    rounds = env_int("BENCH_SCALING_ROUNDS", 1)
    batch = batch_max_records()
    heading(f"inventory scaling: {n:,} movements over {skus:,} SKUs, 1 worker vs 2 (same group, {PARTITIONS} "
            f"partitions), {rounds} round(s), batch_max_records={batch}")
    passes: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for _ in range(rounds):
        for workers in (1, 2):
            r = scaling_pass(workers, n, skus, batch)
            _print_pass(r)
            passes[workers].append(r)
    best = {w: max(rs, key=lambda r: r["events_per_s"]) for w, rs in passes.items()}
    scaling = best[2]["events_per_s"] / best[1]["events_per_s"]
    cpu_ratio = best[2]["worker_cpu_us_per_event"] / best[1]["worker_cpu_us_per_event"]
    print(f"  scaling           {scaling:>9.2f}x        two workers ÷ one (target ≥ {TARGET_SCALING}x); worker CPU "
          f"per event {cpu_ratio:.2f}x one worker's", flush=True)
    return {"events": n, "skus": skus, "batch_max_records": batch, "rounds": rounds, "passes": passes,
            "best": best, "scaling": scaling, "cpu_per_event_ratio": cpu_ratio,
            "bound": machine_bound(best[1]), "target_met": scaling >= TARGET_SCALING}


def machine_bound(one: dict[str, Any]) -> float:
    """The most two workers could give over one on this machine if no process did more work per event: the whole
    machine's CPU (2 cores) over what the one-worker run used of it per unit of throughput."""
    return MACHINE_CORES / one["machine_share"]


# -- bench/RESULTS.md (called by bench.run_all) ----------------------------------------------------------------------
def result_rows(r: dict[str, Any]) -> list[list[str]]:
    """Rows of the summary table: | benchmark | figure | baseline (same run) | ratio | target | met |."""
    if not r.get("ok"):
        return [["Inventory path, 2 workers", "failed", str(r.get("error")), "—", f"≥ {TARGET_SCALING}×",
                 "**no**"]]
    one, two = r["best"][1], r["best"][2]
    return [[f"Inventory path, 2 workers (same group, {PARTITIONS} partitions, co-partitioned: no records between "
             f"them), {r['events']:,} events, events/s", f"{two['events_per_s']:,.0f} ev/s",
             f"1 worker in the same run: {one['events_per_s']:,.0f} ev/s", f"{r['scaling']:.2f}×",
             f"≥ {TARGET_SCALING}× (at most {r['bound']:.2f}× on this machine: {MACHINE_CORES:.0f} cores shared "
             f"with the broker; see below)",
             "**yes**" if r["target_met"] else "**no**"]]


def limits_note(r: dict[str, Any]) -> list[str]:
    """What limits the scaling figure, from this run's own numbers (a paragraph for RESULTS.md)."""
    if not r.get("ok"):
        return []
    one, two = r["best"][1], r["best"][2]
    c1, c2 = one["cpu_share"], two["cpu_share"]
    needed = MACHINE_CORES / TARGET_SCALING
    return [f"**Scaling.** The inventory path scales without the workers exchanging records: a movement's source "
            f"partition and its command's are both murmur2 of the SKU, and the range assignor gives each worker the "
            f"same partition numbers of every topic, so each worker hands its commands to its own SKU owner "
            f"(consumed per worker: {', '.join(f'{c:,}' for c in two['records_in'])}). Two workers gave "
            f"{two['events_per_s']:,.0f} ev/s against {one['events_per_s']:,.0f} for one ({r['scaling']:.2f}×; best "
            f"of {r['rounds']} alternating round(s), fresh broker and Redis per pass, the {r['events']:,} events "
            f"produced once the workers held their partitions). One worker used {c1['workers']:.0%} of a core, the "
            f"broker {c1['broker']:.0%}, the load generator {c1['bench']:.0%} and other processes "
            f"{c1['others']:.0%}: {one['machine_share']:.0%} of the machine's {MACHINE_CORES:.0%}. With two, the "
            f"workers used {c2['workers']:.0%}, the broker {c2['broker']:.0%}, the machine "
            f"{two['machine_share']:.0%}: the second worker got what the first run left idle, not a core of its "
            f"own. Even with no process doing more work per event, two workers could reach at most "
            f"{r['bound']:.2f}× one here ({MACHINE_CORES:.0%} over the {one['machine_share']:.0%} one worker's "
            f"throughput took); {TARGET_SCALING}× needs the one-worker run to take at most {needed:.0%} of the "
            f"machine, i.e. the broker and the load generator on cores of their own. The machine's CPU per event "
            f"also grew {per_event(two, 'machine') / per_event(one, 'machine'):.2f}×: the workers' "
            f"{r['cpu_per_event_ratio']:.2f}× ({one['worker_cpu_us_per_event']:.0f} → "
            f"{two['worker_cpu_us_per_event']:.0f} µs), the broker's "
            f"{per_event(two, 'broker') / per_event(one, 'broker'):.2f}× (inferred, not measured apart: two "
            f"consumers fetching and two producers producing, and the processes contending for the cores)."]


def per_event(r: dict[str, Any], who: str) -> float:
    """CPU seconds per event of one process kind (or the whole machine) in a pass."""
    share = r["machine_share"] if who == "machine" else r["cpu_share"][who]
    return share / r["events_per_s"]


if __name__ == "__main__":
    run()
