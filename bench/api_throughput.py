"""Storefront API throughput and latency: over Redis, against the same API over an in-memory dict (the baseline).

    python -m bench.api_throughput   (BENCH_API_RATE, BENCH_API_SECONDS, BENCH_API_SAT_SECONDS,
                                      BENCH_API_CONCURRENCY, BENCH_API_ENTRIES, BENCH_API_BATCH_SKUS,
                                      BENCH_API_REPLICAS, BENCH_API_NEAR_CACHE_ENTRIES, BENCH_API_WARM,
                                      BENCH_API_WRITES_PER_S)

A fresh redis-server holds N entries (default 50,000) written with the real SnapshotWriter. The API runs in its own
process (bench/api_server.py) on a free loopback port, once over RedisAvailabilityReader (exactly `distflow api`),
once over DictAvailabilityReader holding the same entries. Auth and the rate limiter stay in the path (one API
key; the limit is set out of reach); logs are configured as the CLI does (BENCH_LOG_LEVEL, default INFO: one JSON
access-log line per request, as in production).

This process is the load generator (asyncio and bench/http_load.py: keep-alive connections driven by callbacks,
~0.1 ms of CPU per request where aiohttp's client took ~0.25 of the cores the API shares). For each reader and each
request kind — GET /v1/availability/{sku} and POST /v1/availability/query with BENCH_API_BATCH_SKUS random SKUs:

The API is stateless and deployed as replicas (chart: api.replicas): BENCH_API_REPLICAS (default 2) API processes
per reader; the paced load is spread round-robin over them, as a Kubernetes Service would; the saturated run asks
one of them (the most one process gives, the ratio's basis).

* paced:     open loop at the target rate (default 2,000 req/s) for BENCH_API_SECONDS after a 1 s warm-up; each
             request's latency counts from its scheduled start (a client that falls behind shows up as latency,
             not as a silently lower rate); achieved rps, p50/p99; the API process's CPU per request. When
             BENCH_API_MAX_IN_FLIGHT (256) requests are outstanding, due requests are shed and counted (the API
             cannot keep the rate; the run stays bounded);
* saturated: closed loop, BENCH_API_CONCURRENCY requests in flight, for BENCH_API_SAT_SECONDS: the most rps.

Ratio = Redis ÷ dict, on the saturated rps (and CPU per request).

The near cache (streams/snapshot/near_cache.py, DISTFLOW_API_NEAR_CACHE_ENTRIES, on by default with 100,000
entries) is what `distflow api` runs, so it is on here. Read the Redis figures with its hit rate, printed per run
(from the API processes' /metrics): the snapshot does NOT change while the benchmark runs, so once a process has
read a SKU every later read of it is a hit, answered from the process's memory without Redis — the figures then
measure the API with a warm near cache, not a Redis round trip per request. In production every write of a SKU
costs its next read in each API process a miss. Before measuring, every API process is asked once for every SKU
(batches of 500; BENCH_API_WARM=0 skips it), both readers alike, so the runs measure a process that has been
serving for a while rather than its first seconds. BENCH_API_NEAR_CACHE_ENTRIES=0 measures the Redis reader alone
(every lookup a Redis read: the figures before the near cache, and the worst case of a SKU written between every
two reads); a value below BENCH_API_ENTRIES gives a partial hit rate. BENCH_API_WRITES_PER_S (default 1,000: the
snapshot changes while storefronts read it) has a SnapshotWriter rewrite that many random entries per second during
the Redis reader's runs (each write invalidates the SKU in every API process), so the figures include the near
cache's invalidations and misses; 0 measures a warm cache over an unchanging snapshot.
"""
from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import (ROOT, terminate, availability_entries, cpu_seconds, env_float, env_int, heading, latency_summary,
                          now_ms, sku_name, stack, unique)
from bench.http_load import ConnectionPool, framed

API_KEY = "bench-storefront-key-0001"
TARGET_SHARE_OF_DICT = 0.70
TARGET_P99_MS = {"single": 5.0, "batch": 15.0}


def write_entries(redis_url: str, prefix: str, n: int, now: int) -> float:
    from streams.snapshot.connection import snapshot_writer_client
    from streams.snapshot.writer import FlushOutcome, SnapshotWriter

    client = snapshot_writer_client(build_api_settings(redis_url, prefix, 0))
    writer = SnapshotWriter(client, prefix)
    started = time.perf_counter()
    entries = availability_entries(n, now)
    for start in range(0, n, 5_000):
        for entry in entries[start:start + 5_000]:
            writer.stage(entry)
        result = writer.flush(now)
        if result.outcome is not FlushOutcome.FLUSHED or result.pending:
            raise RuntimeError(f"snapshot write failed: {result}")
    client.close()
    return time.perf_counter() - started


class Churn:
    """Rewrites `rate` random entries per second (newer versions) with the real SnapshotWriter until stopped, in a
    process of its own (not this load generator's)."""

    def __init__(self, redis_url: str, prefix: str, entries: int, rate: float, now: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._stop_event = context.Event()
        self._written = context.Value("q", 0)
        self._process = context.Process(target=churn, name="bench-churn", daemon=True, args=(
            redis_url, prefix, entries, rate, now, self._stop_event, self._written))

    def start(self) -> None:
        self._process.start()

    @property
    def written(self) -> int:
        return int(self._written.value)

    def stop(self) -> None:
        self._stop_event.set()
        self._process.join(10)


def churn(redis_url: str, prefix: str, entries: int, rate: float, now: int, stop: Any, written: Any) -> None:
    from dataclasses import replace

    from streams.snapshot.connection import snapshot_writer_client
    from streams.snapshot.writer import SnapshotWriter

    client = snapshot_writer_client(build_api_settings(redis_url, prefix, 0))
    writer = SnapshotWriter(client, prefix)
    base = availability_entries(entries, now)
    rng = random.Random(5)
    version = 10
    done = 0
    started = time.monotonic()
    while not stop.wait(0.01):
        due = int((time.monotonic() - started) * rate) - done
        for _ in range(max(0, due)):
            version += 1
            writer.stage(replace(base[rng.randrange(entries)], version=version))
        if due > 0:
            writer.flush(now)
            done += due
            written.value = done
    client.close()


def api_settings_values(redis_url: str, prefix: str, port: int) -> dict[str, Any]:
    import os

    values: dict[str, Any] = {
        "redis_url": redis_url, "redis_key_prefix": prefix, "api_host": "127.0.0.1", "api_port": port,
        "api_keys": f"{API_KEY}=availability:read", "api_rate_limit_per_s": 1e9, "api_rate_limit_burst": 10**9,
        "log_level": os.environ.get("BENCH_LOG_LEVEL", "INFO"), "log_format": "json"}
    if os.environ.get("BENCH_API_NEAR_CACHE_ENTRIES", "") != "":
        values["api_near_cache_entries"] = int(os.environ["BENCH_API_NEAR_CACHE_ENTRIES"])
    return values


NEAR_CACHE_PREFIX = "distflow_api_near_cache_"
# The snapshot changes while the API serves (the inventory path writes it): entries rewritten per second during the
# Redis-backed runs, so the near cache's figures include its invalidations and misses, not a warm cache only.
WRITES_PER_S = 1_000.0


def near_cache_counts(bases: Sequence[str]) -> dict[str, float]:
    """The near cache's counters summed over the API processes (empty: no near cache)."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    totals: dict[str, float] = {}
    for base in bases:
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            body = response.read().decode()
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name.startswith(NEAR_CACHE_PREFIX) and sample.name.endswith("_total"):
                    name = sample.name[len(NEAR_CACHE_PREFIX):-len("_total")]
                    totals[name] = totals.get(name, 0.0) + sample.value
    return totals


def near_cache_use(before: dict[str, float], after: dict[str, float]) -> dict[str, Any] | None:
    """What the near cache answered between two readings: SKU lookups by outcome and the hit rate."""
    if not after:
        return None
    delta = {name: after[name] - before.get(name, 0.0) for name in after}
    looked_up = delta.get("hits", 0.0) + delta.get("misses", 0.0) + delta.get("bypassed", 0.0)
    return {"hits": int(delta.get("hits", 0)), "misses": int(delta.get("misses", 0)),
            "bypassed": int(delta.get("bypassed", 0)), "invalidations": int(delta.get("invalidations", 0)),
            "refreshed": int(delta.get("refreshed", 0)),
            "hit_rate": delta.get("hits", 0.0) / looked_up if looked_up else 0.0}


def warm_up(base: str, entries: int, batch: int = 500) -> None:
    """Ask the API once for every SKU of the snapshot (as a process that has served for a while has)."""
    import urllib.request

    for start in range(0, entries, batch):
        body = json.dumps({"skus": [sku_name(i) for i in range(start, min(entries, start + batch))]}).encode()
        request = urllib.request.Request(base + "/v1/availability/query", data=body, method="POST", headers={
            "Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def wait_for_tracking(base: str) -> None:
    """Until /readyz says the near cache tracks invalidations (bounded; no near cache: at once)."""
    import urllib.request

    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(base + "/readyz", timeout=10) as response:
            near_cache = json.loads(response.read()).get("near_cache")
        if near_cache is None or near_cache["tracking"]:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the API at {base} never started tracking invalidations for its near cache")
        time.sleep(0.05)


def build_api_settings(redis_url: str, prefix: str, port: int):  # type: ignore[no-untyped-def]
    from streams.settings import Settings

    return Settings(**api_settings_values(redis_url, prefix, port))


class ApiProcess:
    def __init__(self, reader: str, values: dict[str, Any], entries: int, now: int, log_path: Path) -> None:
        from streams import devstack

        config = {"reader": reader, "settings": values, "entries": entries, "now_ms": now}
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.api_server", json.dumps(config)], cwd=ROOT,
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.port = int(values["api_port"])
        devstack.wait_for_port(self.port, 60, self.proc, f"API ({reader})")  # type: ignore[arg-type]

    def stop(self) -> None:
        terminate(self.proc)
        self._log.close()


# -- the load generator -----------------------------------------------------------------------------------------------
class Requests:
    """Pre-built requests, cycled: single-SKU paths and batch bodies over random SKUs of the snapshot."""

    def __init__(self, entries: int, batch_skus: int, seed: int = 11) -> None:
        rng = random.Random(seed)
        self.paths = [f"/v1/availability/{sku_name(rng.randrange(entries))}" for _ in range(20_000)]
        self.bodies = [json.dumps({"skus": [sku_name(i) for i in rng.sample(range(entries), batch_skus)]}).encode()
                       for _ in range(500)]

    def make(self, kind: str, i: int) -> tuple[str, str, bytes | None]:
        if kind == "single":
            return "GET", self.paths[i % len(self.paths)], None
        return "POST", "/v1/availability/query", self.bodies[i % len(self.bodies)]


def _request_bytes(pool: ConnectionPool, request: tuple[str, str, bytes | None]) -> bytes:
    method, path, body = request
    headers = {"Authorization": f"Bearer {API_KEY}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return framed(method, pool.authority, path, headers, body)


async def _settled(in_flight: Callable[[], int], timeout_s: float = 30.0) -> None:
    """Until every request sent has its answer (or failed)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while in_flight() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.001)


async def paced(base: str | Sequence[str], requests: Requests, kind: str, rate: float, seconds: float,
                warmup: float, pid: int | Sequence[int], redis_pid: int | None) -> dict[str, Any]:
    """Open loop at `rate`. Several bases: API replicas, the requests spread round-robin over them as a Service
    would; the server CPU is their sum."""
    pools = [ConnectionPool(b) for b in ([base] if isinstance(base, str) else list(base))]
    pids = [pid] if isinstance(pid, int) else list(pid)

    def server_cpu_s() -> float:
        return sum(cpu_seconds(p) for p in pids)

    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors: dict[int, int] = {}
    shed = in_flight = 0
    max_in_flight = env_int("BENCH_API_MAX_IN_FLIGHT", 256)
    total, warm = int(rate * (warmup + seconds)), int(rate * warmup)

    def answered(i: int, scheduled: float) -> Callable[[int], None]:
        def done(status: int) -> None:
            nonlocal in_flight
            in_flight -= 1
            if i >= warm:
                if status == 200:
                    latencies.append((loop.time() - scheduled) * 1000)
                else:
                    errors[status] = errors.get(status, 0) + 1
        return done

    start = loop.time()
    i = 0
    cpu_before = wall_before = None
    try:
        while i < total:
            due = min(total, int((loop.time() - start) * rate) + 1)
            while i < due:
                if i == warm:
                    cpu_before = (server_cpu_s(), cpu_seconds(redis_pid) if redis_pid else 0.0, cpu_seconds())
                    wall_before = loop.time()
                if in_flight >= max_in_flight:  # the API is this far behind: shed, count, go on (bounded run)
                    if i >= warm:
                        shed += 1
                else:
                    pool = pools[i % len(pools)]
                    in_flight += 1
                    pool.send(_request_bytes(pool, requests.make(kind, i)), answered(i, start + i / rate))
                i += 1
            await asyncio.sleep(0.0005)
        await _settled(lambda: in_flight)
        wall = loop.time() - (wall_before or start)
    finally:
        for pool in pools:
            pool.close()
    assert cpu_before is not None
    measured = total - warm
    answers = max(1, len(latencies) + sum(errors.values()))
    server_cpu = server_cpu_s() - cpu_before[0]
    redis_cpu = (cpu_seconds(redis_pid) - cpu_before[1]) if redis_pid else 0.0
    client_cpu = cpu_seconds() - cpu_before[2]  # this process: the load generator shares the machine
    return {"requests": measured, "errors": sum(errors.values()), "errors_by_status": errors, "shed": shed,
            "rps": len(latencies) / wall, **latency_summary(latencies),
            "server_cpu_us_per_req": server_cpu / answers * 1e6, "server_cpu_share": server_cpu / wall,
            "redis_cpu_us_per_req": redis_cpu / answers * 1e6, "client_cpu_us_per_req": client_cpu / answers * 1e6}


async def saturated(base: str, requests: Requests, kind: str, concurrency: int, seconds: float,
                    pid: int) -> dict[str, Any]:
    """Closed loop: `concurrency` requests in flight, each answer sends the next until the deadline."""
    loop = asyncio.get_running_loop()
    pool = ConnectionPool(base)
    done = in_flight = opening = 0
    errors: dict[int, int] = {}
    counter = iter(range(10**12))
    deadline = float("inf")

    def send() -> None:
        nonlocal in_flight
        in_flight += 1
        pool.send(_request_bytes(pool, requests.make(kind, next(counter))), answered)

    def answered(status: int) -> None:
        nonlocal done, in_flight
        in_flight -= 1
        if loop.time() >= deadline:
            return
        if status == 200:
            done += 1
        else:
            errors[status] = errors.get(status, 0) + 1
        send()

    def opened(status: int) -> None:
        nonlocal opening
        opening -= 1

    try:
        for _ in range(concurrency):  # open the connections first, one request each
            opening += 1
            pool.send(_request_bytes(pool, requests.make(kind, next(counter))), opened)
        await _settled(lambda: opening)
        cpu_before, start = cpu_seconds(pid), loop.time()
        deadline = start + seconds
        for _ in range(concurrency):
            send()
        await asyncio.sleep(seconds)
        wall = loop.time() - start
        await _settled(lambda: in_flight)
    finally:
        pool.close()
    return {"rps": done / wall, "errors": sum(errors.values()), "errors_by_status": errors,
            "server_cpu_share": (cpu_seconds(pid) - cpu_before) / wall}


def measure_reader(reader: str, redis_url: str, prefix: str, entries: int, now: int, workdir: Path,
                   redis_pid: int | None, requests: Requests) -> dict[str, Any]:
    from streams.devstack import free_port

    rate = env_float("BENCH_API_RATE", 2_000)
    seconds = env_float("BENCH_API_SECONDS", 10)
    sat_seconds = env_float("BENCH_API_SAT_SECONDS", 5)
    concurrency = env_int("BENCH_API_CONCURRENCY", 32)
    replicas = env_int("BENCH_API_REPLICAS", 2)
    apis = [ApiProcess(reader, api_settings_values(redis_url, prefix, free_port()), entries, now,
                       workdir / f"api-{reader}-{n}.log") for n in range(replicas)]
    bases = [f"http://127.0.0.1:{api.port}" for api in apis]
    pids = [api.proc.pid for api in apis]
    results: dict[str, Any] = {"replicas": replicas}
    writes_per_s = env_float("BENCH_API_WRITES_PER_S", WRITES_PER_S) if reader == "redis" else 0.0
    churn = Churn(redis_url, prefix, entries, writes_per_s, now) if writes_per_s > 0 else None
    try:
        for base in bases:
            wait_for_tracking(base)
            if env_int("BENCH_API_WARM", 1):
                warm_up(base, entries)
        if churn is not None:
            churn.start()
            results["writes_per_s"] = writes_per_s
        for kind in ("single", "batch"):
            counts = near_cache_counts(bases)
            at_rate = asyncio.run(paced(bases, requests, kind, rate, seconds, 1.0, pids,
                                        redis_pid if reader == "redis" else None))
            counts_paced = near_cache_counts(bases)
            top = asyncio.run(saturated(bases[0], requests, kind, concurrency, sat_seconds, pids[0]))
            at_rate["near_cache"] = near_cache_use(counts, counts_paced)
            top["near_cache"] = near_cache_use(counts_paced, near_cache_counts(bases))
            results[kind] = {"paced": at_rate, "saturated": top}
            cached = at_rate["near_cache"]
            print(f"  {reader:<5} {kind:<6}  @{rate:,.0f}/s: {at_rate['rps']:7,.0f} rps  "
                  f"p50 {at_rate['p50_ms']:6.2f} ms"
                  f"  p99 {at_rate['p99_ms']:7.2f} ms  errors {at_rate['errors_by_status'] or 0}"
                  + (f" shed {at_rate['shed']:,}" if at_rate["shed"] else "") + "  API CPU "
                  f"{at_rate['server_cpu_us_per_req']:5.0f} us/req"
                  + (f" (+ Redis {at_rate['redis_cpu_us_per_req']:.0f})" if reader == "redis" else "")
                  + f", load generator {at_rate['client_cpu_us_per_req']:.0f}"
                  + f"  | saturated ({concurrency} in flight): {top['rps']:7,.0f} rps, API CPU "
                    f"{top['server_cpu_share']:.0%}" + (f", errors {top['errors_by_status']}" if top["errors"] else "")
                  + (f"  | near cache hits {cached['hit_rate']:.1%} paced (its 1 s warm-up included), "
                     f"{top['near_cache']['hit_rate']:.1%} saturated" if cached else ""),
                  flush=True)
    finally:
        if churn is not None:
            churn.stop()
            print(f"  {reader:<5} {churn.written:,} entries rewritten during the runs ({writes_per_s:,.0f}/s)",
                  flush=True)
        for api in apis:
            api.stop()
    results["answers_503"] = {}
    for n in range(replicas):
        for reason, count in reasons_503(workdir / f"api-{reader}-{n}.log").items():
            results["answers_503"][reason] = results["answers_503"].get(reason, 0) + count
    if results["answers_503"]:
        print(f"  {reader:<5} 503 answers in the API log: {results['answers_503']}", flush=True)
    return results


def reasons_503(log_path: Path) -> dict[str, int]:
    """Why the API answered 503, counted from its log ("answering 503: <reason>")."""
    counts: dict[str, int] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if "answering 503" not in line:
            continue
        try:
            message = str(json.loads(line).get("msg", ""))
        except ValueError:
            message = line
        reason = message.partition("answering 503: ")[2] or message
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def run() -> dict[str, Any]:
    entries = env_int("BENCH_API_ENTRIES", 50_000)
    batch_skus = env_int("BENCH_API_BATCH_SKUS", 100)
    rate = env_float("BENCH_API_RATE", 2_000)
    heading(f"API throughput: {entries:,} entries; GET one SKU and POST {batch_skus} SKUs; {rate:,.0f} req/s paced, "
            f"then saturated")
    now = now_ms()
    requests = Requests(entries, batch_skus)
    with stack("api", broker=False) as st:
        prefix = unique("api") + ":"
        write_s = write_entries(st.redis_url, prefix, entries, now)
        print(f"  wrote {entries:,} entries with SnapshotWriter in {write_s:.1f} s", flush=True)
        assert st.redis is not None
        redis_pid = st.redis.process.proc.pid
        dict_results = measure_reader("dict", st.redis_url, prefix, entries, now, st.workdir, None, requests)
        redis_results = measure_reader("redis", st.redis_url, prefix, entries, now, st.workdir, redis_pid, requests)

    results: dict[str, Any] = {"entries": entries, "batch_skus": batch_skus, "rate": rate,
                               "dict": dict_results, "redis": redis_results}
    met = True
    for kind in ("single", "batch"):
        r, d = redis_results[kind], dict_results[kind]
        ratio = r["saturated"]["rps"] / d["saturated"]["rps"] if d["saturated"]["rps"] else 0.0
        cpu_ratio = r["paced"]["server_cpu_us_per_req"] / d["paced"]["server_cpu_us_per_req"]
        results[f"{kind}_ratio"] = ratio
        print(f"  ratio {kind:<6} Redis/dict: {ratio:.0%} of the dict's saturated rps; API CPU per request "
              f"{cpu_ratio:.2f}x the dict's", flush=True)
        kind_met = ratio >= TARGET_SHARE_OF_DICT and r["paced"]["p99_ms"] <= TARGET_P99_MS[kind] and \
            r["paced"]["rps"] >= 0.98 * rate and r["paced"]["errors"] == 0 and r["paced"]["shed"] == 0
        results[f"{kind}_target_met"] = kind_met
        met = met and kind_met
    results["target_met"] = met
    uses = [redis_results[kind][run_kind]["near_cache"] for kind in ("single", "batch")
            for run_kind in ("paced", "saturated")]
    if all(use is not None for use in uses):
        hits = sum(use["hits"] for use in uses)
        looked_up = sum(use["hits"] + use["misses"] + use["bypassed"] for use in uses)
        results["near_cache_hit_rate"] = hits / looked_up if looked_up else 0.0
        results["near_cache_refreshed"] = refreshed = sum(use["refreshed"] for use in uses)
        writes = redis_results.get("writes_per_s")
        print(f"  near cache: {results['near_cache_hit_rate']:.1%} of the Redis-backed API's SKU lookups were answered "
              f"from its memory ({looked_up - hits:,} read from Redis by requests, {refreshed:,} SKUs read again "
              "ahead of requests after their invalidation); "
              + (f"{writes:,.0f} random entries per second were rewritten during the runs" if writes else
                 "the snapshot did not change during the run, so these are warm-cache figures")
              + " (BENCH_API_NEAR_CACHE_ENTRIES=0: the Redis reader alone)", flush=True)
    else:
        results["near_cache_hit_rate"] = None
        print("  near cache: off (every Redis-backed lookup read Redis)", flush=True)
    return results


if __name__ == "__main__":
    run()
