"""Checkout validation from the Redis read model: a 20-line cart at 1,000 requests/s, beside the availability batch
endpoint (same 20 SKUs per request) measured in the same run.

    python -m bench.checkout_validate   (BENCH_CHECKOUT_RATE, BENCH_CHECKOUT_SECONDS, BENCH_CHECKOUT_SKUS,
                                         BENCH_CHECKOUT_CUSTOMERS, BENCH_CHECKOUT_LINES, BENCH_CHECKOUT_API_REPLICAS)

A fresh redis-server holds N SKUs (default 20,000): availability entries (SnapshotWriter), item master records and
list + group prices (ReadModelWriter), a contract price for every 10th SKU and customer, and M customer accounts
(default 1,000) — written by the worker's own writers. The API runs in its own process exactly as `distflow api`
(bench/api_server.py, reader "redis": availability and checkout readers over one Redis client), with auth and the
rate limiter in the path. The API is stateless, so it is deployed as replicas (chart: api.replicas); by default two
replicas serve the load, the requests spread round-robin over them as a Kubernetes Service would, and a last run sends
the same load to one replica alone for comparison. This process paces requests open-loop (bench/api_throughput.paced: latency from each
request's scheduled start) for POST /v1/checkout/validate (random customer, 20 random lines) and, as the baseline,
POST /v1/availability/query with the same number of random SKUs.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

from bench.api_throughput import ApiProcess, api_settings_values, paced
from bench.common import availability_entries, env_float, env_int, heading, now_ms, sku_name, stack, unique

API_KEY = "bench-storefront-key-0001"
TARGET_P99_MS = 10.0
DAY_MS = 86_400_000


def customer_name(i: int) -> str:
    return f"C-{i:05d}"


def write_read_model(redis_url: str, prefix: str, skus: int, customers: int, now: int) -> float:
    from processors.checkout import (AccountStatus, CustomerAccount, ItemMaster, PriceBreak, PriceEntry, PriceRule,
                                     Sourcing, Stamp)
    from decimal import Decimal
    from streams.readmodel.writer import ReadModelWriter
    from streams.snapshot.connection import snapshot_writer_client
    from streams.snapshot.writer import SnapshotWriter
    from bench.api_throughput import build_api_settings

    client = snapshot_writer_client(build_api_settings(redis_url, prefix, 0))
    started = time.perf_counter()
    availability = SnapshotWriter(client, prefix)
    for entry in availability_entries(skus, now):
        availability.stage(entry)
    availability.flush(now)
    writer = ReadModelWriter(client, prefix)
    stamp = Stamp(now - 60_000, "bench")
    breaks = (PriceBreak(1, Decimal("10.00")), PriceBreak(10, Decimal("9.00")), PriceBreak(100, Decimal("8.00")))

    def flush() -> None:
        report = writer.flush()
        if report.pending:
            raise RuntimeError(f"read model write failed: {report}")

    for i in range(skus):
        sku = sku_name(i)
        writer.stage(ItemMaster(sku, f"item {i}", "EA", f"cat-{i % 20}", Sourcing.STOCKED if i % 10 else
                                Sourcing.DROP_SHIP, None if i % 10 else "SUP-1", None if i % 10 else 5, True, stamp))
        writer.stage(PriceEntry(f"L-{i}", sku, PriceRule.PRICE_LIST, "LIST-EUR", "EUR", breaks, now - DAY_MS, None,
                                False, None, stamp))
        writer.stage(PriceEntry(f"G-{i}", sku, PriceRule.CUSTOMER_GROUP, "trade", "EUR", breaks[:1], now - DAY_MS,
                                now + DAY_MS, False, None, stamp))
        if i % 10 == 0:
            for c in range(0, customers, 10):
                writer.stage(PriceEntry(f"K-{i}-{c}", sku, PriceRule.CUSTOMER_CONTRACT, customer_name(c), "EUR",
                                        (PriceBreak(1, Decimal("7.00")),), now - DAY_MS, None, False, "K", stamp))
        if writer.pending >= 5_000:
            flush()
    for c in range(customers):
        writer.stage(CustomerAccount(customer_name(c), AccountStatus.ACTIVE, c % 50 == 0, "LIST-EUR",
                                     "trade" if c % 2 else None, frozenset({"web"}), None, None, "EUR", None, None,
                                     stamp))
    flush()
    client.close()
    return time.perf_counter() - started


class Requests:
    def __init__(self, skus: int, customers: int, lines: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.carts = [json.dumps({"customer": customer_name(rng.randrange(customers)), "channel": "web", "lines": [
            {"sku": sku_name(s), "quantity": rng.choice((1, 2, 12, 150))} for s in rng.sample(range(skus), lines)]}
        ).encode() for _ in range(500)]
        self.batches = [json.dumps({"skus": [sku_name(s) for s in rng.sample(range(skus), lines)]}).encode()
                        for _ in range(500)]

    def make(self, kind: str, i: int) -> tuple[str, str, bytes | None]:
        if kind == "validate":
            return "POST", "/v1/checkout/validate", self.carts[i % len(self.carts)]
        return "POST", "/v1/availability/query", self.batches[i % len(self.batches)]


def run() -> dict[str, Any]:
    from streams.devstack import free_port

    skus = env_int("BENCH_CHECKOUT_SKUS", 20_000)
    customers = env_int("BENCH_CHECKOUT_CUSTOMERS", 1_000)
    lines = env_int("BENCH_CHECKOUT_LINES", 20)
    rate = env_float("BENCH_CHECKOUT_RATE", 1_000)
    seconds = env_float("BENCH_CHECKOUT_SECONDS", 10)
    replicas = env_int("BENCH_CHECKOUT_API_REPLICAS", 2)
    heading(f"Checkout validate: {lines}-line carts @ {rate:,.0f} req/s over Redis ({skus:,} SKUs, {customers:,} "
            f"customers), beside POST /v1/availability/query with {lines} SKUs")
    now = now_ms()
    requests = Requests(skus, customers, lines)
    results: dict[str, Any] = {"rate": rate, "lines": lines, "skus": skus, "customers": customers,
                               "replicas": replicas}
    with stack("checkout", broker=False) as st:
        prefix = unique("co") + ":"
        print(f"  wrote the read model in {write_read_model(st.redis_url, prefix, skus, customers, now):.1f} s",
              flush=True)
        assert st.redis is not None
        redis_pid = st.redis.process.proc.pid
        apis = []
        try:
            for replica in range(replicas):
                values = api_settings_values(st.redis_url, prefix, free_port())
                values["api_keys"] = f"{API_KEY}=availability:read,checkout:validate"
                apis.append(ApiProcess("redis", values, 0, now, st.workdir / f"api-checkout-{replica}.log"))
            bases = [f"http://127.0.0.1:{api.port}" for api in apis]
            runs = [("batch", replicas), ("validate", replicas), ("batch_after", replicas)]
            if replicas > 1:
                runs.append(("validate_one_replica", 1))
            for label, used in runs:
                kind = "validate" if label.startswith("validate") else "batch"
                measured = asyncio.run(paced(bases[:used], requests, kind, rate, seconds, 1.0,
                                             [api.proc.pid for api in apis[:used]], redis_pid))
                measured["replicas"] = used
                results[label] = measured
                print(f"  {label:<20} ({used} API) @{rate:,.0f}/s: {measured['rps']:7,.0f} rps  "
                      f"p50 {measured['p50_ms']:6.2f} ms  p99 {measured['p99_ms']:7.2f} ms  "
                      f"errors {measured['errors_by_status'] or 0}  shed {measured['shed']}  "
                      f"API CPU {measured['server_cpu_us_per_req']:5.0f} us/req "
                      f"(+ Redis {measured['redis_cpu_us_per_req']:.0f})", flush=True)
        finally:
            for api in apis:
                api.stop()
    v = results["validate"]
    results["target_met"] = (v["p99_ms"] <= TARGET_P99_MS and v["rps"] >= 0.98 * rate and v["errors"] == 0
                             and v["shed"] == 0)
    print(f"  validate p99 {v['p99_ms']:.2f} ms vs availability batch p99 {results['batch']['p99_ms']:.2f} ms "
          f"(after: {results['batch_after']['p99_ms']:.2f} ms), {replicas} API replica(s); target p99 ≤ "
          f"{TARGET_P99_MS:.0f} ms: {'met' if results['target_met'] else 'NOT met'}", flush=True)
    return results


if __name__ == "__main__":
    run()
