"""Run every benchmark and write bench/RESULTS.md (`make bench`).

    python -m bench.run_all          BENCH_ONLY=inventory,snapshot,api,floor,checkout,saga,scaling,recovery picks some; see bench/README.md

Each benchmark starts its own broker/Redis/worker/API and prints as it goes; a failing one is reported and the
others still run. RESULTS.md gets the summary table (figure, baseline measured in the same run, ratio, target from
the performance issue, met or not), the run's command, date and machine, what else was using the CPU meanwhile,
and notes on what limits each figure, derived from the run's own measurements.
"""
from __future__ import annotations

import math
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (api_throughput, broker_floor, checkout_validate, inventory_path, inventory_scaling, order_saga,
                   recovery, snapshot_latency)
from bench.common import machine_info
from bench.snapshot_latency import batch_phase_ms

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "inventory": inventory_path.run,
    "snapshot": snapshot_latency.run,
    "api": api_throughput.run,
    "floor": broker_floor.run,
    "checkout": checkout_validate.run,
    "saga": order_saga.run,
    "scaling": inventory_scaling.run,
    "recovery": recovery.run,
}


# -- CPU used by other processes on the machine during a benchmark --------------------------------------------------

def _busy_ticks() -> int:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return user + nice + system + irq + softirq


def _own_cpu_s() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):  # children: every process we started and reaped
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run_one(name: str) -> dict[str, Any]:
    busy, own, started = _busy_ticks(), _own_cpu_s(), time.monotonic()
    try:
        result: dict[str, Any] = {"ok": True, **BENCHMARKS[name]()}
    except Exception as error:  # noqa: BLE001 — one failing benchmark must not hide the others
        traceback.print_exc()
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    wall = time.monotonic() - started
    machine_busy = (_busy_ticks() - busy) / os.sysconf("SC_CLK_TCK")
    result["wall_s"] = wall
    result["others_cpu_share"] = max(0.0, machine_busy - (_own_cpu_s() - own)) / wall
    return result


# -- formatting -------------------------------------------------------------------------------------------------
def n0(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def ms(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def met(flag: bool | None) -> str:
    return "—" if flag is None else ("**yes**" if flag else "**no**")


def summary_rows(results: dict[str, dict[str, Any]]) -> list[list[str]]:
    rows: list[list[str]] = []
    inv = results.get("inventory")
    if inv and inv["ok"]:
        rows.append(["Inventory path (intake + SKU owner), events/s end to end",
                     f"{n0(inv['worker_events_per_s'])} ev/s",
                     f"decode ceiling {n0(inv['decode_ceiling_per_s'])} rec/s (aiokafka "
                     f"{n0(inv['baseline_aiokafka_per_s'])}, confluent-kafka {n0(inv['baseline_confluent_per_s'])})",
                     f"{inv['ratio_to_ceiling']:.0%}", "≥ 40,000 ev/s and ≥ 45 % of the ceiling",
                     met(inv["worker_events_per_s"] >= inventory_path.TARGET_EVENTS_PER_S
                         and inv["ratio_to_ceiling"] >= inventory_path.TARGET_SHARE_OF_CEILING)])
        floor = inv.get("library_floor")
        if floor:
            rows.append(["Inventory path: library floor — CPU per event of the library calls alone (consume + "
                         "decode per event; Avro encode, 3 produces, state write, Redis entry per SKU per batch; no "
                         "distflow logic)",
                         f"{floor['floor_us']:.1f} µs/event → at most {n0(floor['max_events_per_s'])} ev/s on one "
                         f"core", f"the worker: {inv['worker_cpu_us_per_event']:.0f} µs/event",
                         f"{floor['floor_us'] / inv['worker_cpu_us_per_event']:.0%} of the worker's CPU",
                         f"context (40,000 ev/s needs ≤ {1e6 / inventory_path.TARGET_EVENTS_PER_S:.0f} µs/event)",
                         "—"])
        rows.append(["Inventory worker peak RSS", f"{n0(inv['peak_rss_mb'])} MB",
                     f"{n0(inv['rss_before_worker_mb'])} MB interpreter + imports", "—", "≤ 600 MB",
                     met(inv["peak_rss_mb"] <= inventory_path.TARGET_PEAK_RSS_MB)])
    elif inv:
        rows.append(["Inventory path", "failed", inv["error"], "—", "≥ 40,000 ev/s, ≥ 45 %, ≤ 600 MB", "**no**"])
    snap = results.get("snapshot")
    if snap and snap["ok"]:
        for key in ("target", "low"):
            phase = snap.get(key)
            if not phase:
                continue
            target = key == "target"
            rows.append([f"Snapshot event → visible in Redis @ {n0(phase['rate'])} ev/s, p50 / p99",
                         f"{ms(phase['visible']['p50_ms'])} / {ms(phase['visible']['p99_ms'])}",
                         f"one Kafka hop (produce → plain consumer) {ms(phase['transport']['p50_ms'])} / "
                         f"{ms(phase['transport']['p99_ms'])}",
                         f"{phase['visible']['p50_ms'] / phase['transport']['p50_ms']:.0f}× (p50)",
                         "p50 ≤ 20 ms, p99 ≤ 100 ms @ 5k ev/s" if target else "— (context: below saturation)",
                         met(snap["target_met"]) if target else "—"])
    elif snap:
        rows.append(["Snapshot latency", "failed", snap["error"], "—", "p50 ≤ 20 ms, p99 ≤ 100 ms", "**no**"])
    api = results.get("api")
    if api and api["ok"]:
        for kind, label, p99 in (("single", "GET one SKU", "5"), ("batch", f"POST {api['batch_skus']} SKUs", "15")):
            r, d = api["redis"][kind], api["dict"][kind]
            rows.append([f"API {label} over Redis @ {n0(api['rate'])} req/s on {api['redis'].get('replicas', 1)} API "
                         f"replica(s): achieved rps, p50 / p99; saturated rps of one",
                         f"{n0(r['paced']['rps'])} rps, {ms(r['paced']['p50_ms'])} / {ms(r['paced']['p99_ms'])}"
                         f"{_errors(r['paced'])}; max {n0(r['saturated']['rps'])} rps",
                         f"same API over a dict: {n0(d['paced']['rps'])} rps, {ms(d['paced']['p50_ms'])} / "
                         f"{ms(d['paced']['p99_ms'])}{_errors(d['paced'])}; max {n0(d['saturated']['rps'])} rps",
                         f"{api[f'{kind}_ratio']:.0%} (max rps)", f"≥ 70 % of dict, p99 ≤ {p99} ms @ 2k rps",
                         met(api[f"{kind}_target_met"])])
    elif api:
        rows.append(["API throughput", "failed", api["error"], "—", "≥ 70 % of dict, p99 ≤ 5 / 15 ms", "**no**"])
    checkout = results.get("checkout")
    if checkout and checkout["ok"]:
        v, b = checkout["validate"], checkout["batch"]
        rows.append([f"Checkout validate, {checkout['lines']}-line cart over Redis @ {n0(checkout['rate'])} req/s, "
                     f"{checkout['replicas']} API replica(s): achieved rps, p50 / p99",
                     f"{n0(v['rps'])} rps, {ms(v['p50_ms'])} / {ms(v['p99_ms'])}{_errors(v)}", f"availability batch of {checkout['lines']} SKUs: {n0(b['rps'])} rps, "
                     f"{ms(b['p50_ms'])} / {ms(b['p99_ms'])}{_errors(b)}",
                     f"{v['p99_ms'] / b['p99_ms']:.1f}× (p99)", "p99 ≤ 10 ms @ 1k rps", met(checkout["target_met"])])
        one = checkout.get("validate_one_replica")
        if one:
            rows.append([f"Checkout validate, same load on 1 API replica", f"{n0(one['rps'])} rps, {ms(one['p50_ms'])} "
                         f"/ {ms(one['p99_ms'])}{_errors(one)}; API CPU {n0(one['server_cpu_us_per_req'])} µs/req",
                         f"{checkout['replicas']} replicas: API CPU {n0(v['server_cpu_us_per_req'])} µs/req", "—",
                         "— (context)", "—"])
    elif checkout:
        rows.append(["Checkout validate", "failed", checkout["error"], "—", "p99 ≤ 10 ms @ 1k rps", "**no**"])
    if results.get("saga"):
        rows += order_saga.result_rows(results["saga"])
    if results.get("scaling"):
        rows += inventory_scaling.result_rows(results["scaling"])
    if results.get("recovery"):
        rows += recovery.result_rows(results["recovery"])
    floor = results.get("floor")
    if floor and floor["ok"]:
        rows.append([f"Context: Tansu one hop @ {n0(floor['rate'])} msg/s after {n0(floor['small_batches'])} "
                     f"small batches, p50 / p99", f"{ms(floor['loaded']['p50_ms'])} / {ms(floor['loaded']['p99_ms'])}"
                     f", broker CPU {floor['loaded']['broker_cpu_share']:.0%}",
                     f"fresh topic {ms(floor['fresh']['p50_ms'])} / {ms(floor['fresh']['p99_ms'])}, broker CPU "
                     f"{floor['fresh']['broker_cpu_share']:.0%}"
                     + (f"; a fresh topic beside the loaded one {ms(floor['fresh_beside_loaded']['p50_ms'])} p50"
                        if floor.get("fresh_beside_loaded") else ""),
                     f"{floor['loaded']['p50_ms'] / floor['fresh']['p50_ms']:.1f}× (p50)", "—", "—"])
        idle = floor.get("idle_fetches")
        if idle:
            rows.append([f"Context: Tansu CPU while one consumer waits on {idle['partitions']} idle partitions "
                         "(as many as a worker's inputs), fetch.wait.max.ms 10",
                         f"broker CPU {idle['all_10ms']:.0%}",
                         f"{idle['one_topic_partitions']} partitions: {idle['one_topic_10ms']:.0%}; "
                         f"fetch.wait.max.ms 100: {idle['all_100ms']:.0%}", "—", "—", "—"])
    return rows


def _errors(paced: dict[str, Any]) -> str:
    parts = []
    if paced.get("errors"):
        parts.append(", ".join(f"{count:,}× {status or 'failed'}"
                               for status, count in paced["errors_by_status"].items()))
    if paced.get("shed"):
        parts.append(f"{paced['shed']:,} shed")
    return f" ({'; '.join(parts)})" if parts else ""


def batch_cycle_note(phase: dict[str, Any], where: str, explain: bool = True) -> str:
    """Where the worker's batch time went (its distflow_batch_phase_seconds), and what that means for latency."""
    per_batch = batch_phase_ms(phase)
    if not per_batch:
        return ""
    cycle = sum(per_batch.values())
    acks = per_batch.get("outputs_acknowledged", 0.0) + per_batch.get("changelog_acknowledged", 0.0)
    process = per_batch.get("process", 0.0)
    records = phase["worker_records_in"] / max(1, phase["worker_batches"])
    redis_ms = per_batch.get("early_views_written", 0.0) + per_batch.get("views_written", 0.0)
    return (f" {where} a batch took {cycle:.1f} ms on average: {process:.1f} ms of the stages' work "
            f"({process * 1000 / max(1.0, records):.0f} µs per record), {acks:.1f} ms waiting for the broker's two "
            f"acknowledgements, {redis_ms:.1f} ms writing Redis and "
            f"{per_batch.get('state_persisted', 0.0):.1f} ms RocksDB"
            + (" (`distflow_batch_phase_seconds`). An event waits on average half a batch for the one in progress, "
               "after its Kafka hop, then its own batch's processing and snapshot write (the snapshot is written "
               "before the two acknowledgements, which the next batch then waits for); the batch grows until the "
               "worker keeps up, so the waits for acknowledgements still set a floor that only faster broker round "
               "trips or less CPU per record lower (docs/performance.md, \"Event → Redis\")." if explain else "."))


def checkout_note(checkout: dict[str, Any]) -> str:
    """Where the CPU of a checkout validation goes at the paced rate, from the run's own readings."""
    v, rate = checkout["validate"], checkout["rate"]
    per_request = {"the API processes": v["server_cpu_us_per_req"], "Redis": v["redis_cpu_us_per_req"],
                   "the load generator": v.get("client_cpu_us_per_req", 0.0)}
    cores = sum(per_request.values()) * rate / 1e6
    spent = ", ".join(f"{who} {us:.0f} µs" for who, us in per_request.items())
    text = (f"**Checkout validate.** A {checkout['lines']}-line cart cost {spent} of CPU per request in the paced "
            f"run: at {n0(rate)} req/s that is {cores:.2f} of the machine's {os.cpu_count()} cores before the "
            f"kernel's loopback traffic, so requests queue behind each other whenever the processes meet on one "
            f"core, and the tail shows it (p50 {ms(v['p50_ms'])}, p99 {ms(v['p99_ms'])}; the availability batch "
            f"of the same {checkout['lines']} SKUs, ~{checkout['batch']['server_cpu_us_per_req']:.0f} µs of API CPU, "
            f"p99 {ms(checkout['batch']['p99_ms'])}). The API's share is the cart's pricing and rules and its "
            f"JSON answer per line (domain code in processors/checkout) on top of aiohttp and the middlewares; "
            f"Redis's is the one cart script (account, items, availability entries and the price scopes' HMGETs). "
            f"At this share of the machine the p99 swings with its speed and load from run to run; less CPU per "
            f"cart is what moves it away from the knee.")
    one = checkout.get("validate_one_replica")
    if one:
        text += (f" One replica alone: {n0(one['rps'])} rps, p99 {ms(one['p99_ms'])} — one event loop at "
                 f"{one['server_cpu_us_per_req'] * rate / 1e6:.0%} of a core.")
    return text


def notes(results: dict[str, dict[str, Any]]) -> list[str]:
    """What limits each figure, from this run's own measurements."""
    out: list[str] = []
    inv = results.get("inventory")
    if inv and inv["ok"]:
        needed = 1e6 / inventory_path.TARGET_EVENTS_PER_S
        out.append(
            f"**Inventory path.** The worker is one Python thread and is CPU-bound: it used "
            f"{inv['worker_cpu_share']:.0%} of one core for {inv['worker_seconds']:.1f} s, "
            f"{inv['worker_cpu_us_per_event']:.0f} µs of CPU per source event (each event is consumed once, as a "
            f"source record by intake, whose command goes to the SKU owner in process when this worker owns the SKU "
            f"— {inv.get('records_handed_over', 0):,} of {inv['events']:,} here — rather than round the broker; "
            f"then an Avro decode of the source record, the translation, a table state read/write, the availability "
            f"record encoded once for two topics and a snapshot entry). 40,000 ev/s needs ≤ {needed:.0f} "
            f"µs per event on one core, i.e. about {inv['worker_cpu_us_per_event'] / needed:.0f}× less work per "
            f"event (a second worker process would add at most the second core, which the broker shares). The "
            f"baselines show the transport and Avro decoding are not the limit "
            f"({n0(inv['decode_ceiling_per_s'])} rec/s). Memory is far from its limit "
            f"({n0(inv['peak_rss_mb'])} MB peak). The snapshot check found {inv['snapshot_entries']:,} Redis entries "
            f"and {inv['snapshot_sample_mismatches']} wrong totals in a sample.")
        floor = inv.get("library_floor")
        if floor:
            steps = ", ".join(f"{step} {us:.1f}" for step, us in floor["steps_us"].items())
            budget = 1e6 / inventory_path.TARGET_EVENTS_PER_S
            out.append(
                f"The library floor, measured in the same run on the same records (`bench/inventory_floor.py`): the "
                f"calls this benchmark's events need whatever the worker's own logic costs (a consume and decode "
                f"each; outputs, state write and snapshot entry once per SKU per batch of "
                f"{inv.get('batch_max_records', 0):,}: {floor.get('outputs', floor['events']):,} for "
                f"{floor['events']:,} events) — {steps} µs — "
                f"add up to {floor['floor_us']:.1f} µs of CPU per event (at most {n0(floor['max_events_per_s'])} "
                f"ev/s on one core), {floor['floor_us'] / budget:.0%} of the {budget:.0f} µs per event that "
                f"40,000 ev/s allows, before a line of validation, domain logic or bookkeeping runs. The worker's "
                f"own code (validation, translation, the SKU owner, metrics, the engine) adds "
                f"{inv['worker_cpu_us_per_event'] - floor['floor_us']:.0f} µs per event on top; the target leaves it "
                f"{max(0.0, budget - floor['floor_us']):.1f}. On this stack 40,000 ev/s needs cheaper codec and I/O "
                f"calls (or fewer outputs per event) as well as less distflow code.")
        profile = inv.get("profile") or {}
        if profile.get("samples"):
            table = "\n".join(f"| {share:.1f} % | {label} |" for label, share in profile["shares"] if share >= 0.5)
            out.append(f"Where the worker thread's CPU goes: a separate pass of {profile['events']:,} events on a "
                       f"fresh stack with the worker sampled by py-spy at 200 Hz ({profile['samples']:,} samples, "
                       f"{n0(profile['events_per_s'])} ev/s under the sampler); each sample is counted once, under "
                       f"the deepest of these functions on its stack"
                       + (". No single component dominates: the cost is spread over per-record Python work"
                          if profile["shares"][0][1] < 25 else "")
                       + f".\n\n| share | component |\n| ---: | --- |\n{table}")
    snap = results.get("snapshot")
    if snap and snap["ok"]:
        t = snap["target"]
        low = snap.get("low")
        capacity = (inv or {}).get("worker_events_per_s") if inv and inv.get("ok") else None
        first, last = t["trend"]["first_p50_ms"], t["trend"]["last_p50_ms"]
        growing = last > 1.25 * first and last - first > 50
        text = (f"**Snapshot latency.** At {n0(t['rate'])} ev/s "
                + ("the worker does not keep up" if growing else "the worker keeps up")
                + (f" (benchmark 1: {n0(capacity)} ev/s with full batches)" if capacity else "")
                + f": visible p50 was {ms(t['trend']['first_p50_ms'])} for the first 2 s of events and "
                  f"{ms(t['trend']['last_p50_ms'])} for the last 2 s"
                + (" — a growing backlog, not a fixed delay" if growing else "")
                + f"; the worker used {t['cpu_share']['worker']:.0%} of a core and the broker "
                  f"{t['cpu_share']['broker']:.0%} while events were produced.")
        per_batch = t["worker_records_in"] / max(1, t["worker_batches"])
        text += (f" The worker took {t['worker_records_in']:,} records in {t['worker_batches']:,} batches "
                 f"({per_batch:,.0f} a batch): each event waits for the batch in progress to finish, then is taken "
                 f"with whatever else has arrived (a batch never waits to fill), source → intake → SKU owner in one "
                 f"batch; each batch ends with the Redis snapshot write, then two producer flushes that wait for the "
                 f"broker's acknowledgements (the outputs, then the changelog: a restore must never find state whose "
                 f"outputs were not sent) — which the next batch waits for, not this batch's events — and an "
                 f"asynchronous offset commit. The embedded broker is the busiest process.")
        text += batch_cycle_note(t, "At this rate")
        if low:
            low_batch = low["worker_records_in"] / max(1, low["worker_batches"])
            text += (f" Below saturation ({n0(low['rate'])} ev/s) the path takes {ms(low['visible']['p50_ms'])} p50 / "
                     f"{ms(low['visible']['p99_ms'])} p99 against {ms(low['transport']['p50_ms'])} for one plain "
                     f"Kafka hop, with batches of {low_batch:,.0f} records and the broker at "
                     f"{low['cpu_share']['broker']:.0%} of a core (its fetch handling: the worker's consumer fetches "
                     f"every input partition with `fetch.wait.max.ms` 10; at 100 the broker's CPU fell by two thirds "
                     f"and the latency rose by the wait); the written_at stamp is "
                     f"{ms(low['written']['p50_ms'])} p50, so the Redis write itself is a small part.")
            text += batch_cycle_note(low, "Below saturation", explain=False)
        out.append(text)
    api = results.get("api")
    if api and api["ok"]:
        rs, ds = api["redis"]["single"]["paced"], api["dict"]["single"]["paced"]
        rb, db = api["redis"]["batch"]["paced"], api["dict"]["batch"]["paced"]
        try:
            import hiredis  # noqa: F401
            parser = "hiredis"
        except ImportError:
            parser = "redis-py's pure-Python RESP parser (hiredis is not installed)"
        sat = api["redis"]["single"]["saturated"]["server_cpu_share"]
        text = (f"**API.** The paced runs spread the load over {api['redis'].get('replicas', 1)} API processes (the "
                f"API is stateless and runs as replicas); the saturated figures and the ratio are one process's. "
                f"One API process is one event loop, so one core at most"
                + (f" (it ran at {sat:.0%} of a core when saturated with single-SKU requests: the API, not the load "
                   f"generator, was the limit)" if sat >= 0.9 else
                   f" (it ran at only {sat:.0%} of a core when saturated: the load generator or the machine limited "
                   f"the saturated figure)")
                + ". Per request the API "
                f"process spent {ds['server_cpu_us_per_req']:.0f} µs of CPU over the dict and "
                f"{rs['server_cpu_us_per_req']:.0f} µs over Redis for a single SKU; {db['server_cpu_us_per_req']:.0f}"
                f" / {rb['server_cpu_us_per_req']:.0f} µs for {api['batch_skus']} SKUs. The dict baseline's cost is "
                f"aiohttp, the middlewares (auth, rate limit, metrics, one JSON access-log line at "
                f"{os.environ.get('BENCH_LOG_LEVEL', 'INFO')}) and the JSON answer; Redis adds the asyncio client "
                f"round trip with {parser}, and entry JSON parsing per SKU — except what the near cache answers "
                f"from memory, kept fresh by Redis's invalidations"
                + (f" ({api['near_cache_hit_rate']:.1%} of the lookups here, with "
                   f"{n0(api['redis'].get('writes_per_s') or 0)} snapshot entries rewritten per second during the "
                   f"runs; each rewritten entry a process had cached was read again in the background right after "
                   f"its invalidation — {n0(api.get('near_cache_refreshed') or 0)} such reads — so the next request "
                   f"for it found it in memory)" if api.get("near_cache_hit_rate") is not None
                   else " (off in this run)")
                + f". Redis itself used "
                f"{rs['redis_cpu_us_per_req']:.0f} µs per single request. An answer for all locations is rendered "
                f"to JSON once per entry held in memory (only its staleness is formatted per request). "
                f"{api['batch_skus']}-SKU batches at {n0(api['rate'])} req/s need "
                f"{rb['server_cpu_us_per_req'] * api['rate'] / 1e6:.1f} cores of API CPU (achieved "
                f"{n0(rb['rps'])} rps) on this 2-core machine, shared with Redis and the load generator. A send on "
                f"a loopback socket costs the sender "
                f"the receiver's TCP processing in this VM (about 100-200 µs a call under load, py-spy), one for "
                f"Redis and one for the answer per request.")
        reasons = api["redis"].get("answers_503") or {}
        if reasons:
            listed = "; ".join(f"{count:,}× “{reason}”" for reason, count in
                               sorted(reasons.items(), key=lambda item: -item[1])[:3])
            text += f" Overloaded, the Redis-backed API answered 503 ({listed})."
            if any("MaxConnectionsError" in reason for reason in reasons):
                text += (" `MaxConnectionsError` is the asyncio Redis client's pool (redis-py's default: 100 "
                         "connections) running out when more requests wait for Redis than that; the API reports "
                         "it as 'snapshot unavailable' although Redis is up.")
        out.append(text)
    checkout = results.get("checkout")
    if checkout and checkout["ok"]:
        out.append(checkout_note(checkout))
    floor = results.get("floor")
    if floor and floor["ok"]:
        beside = floor.get("fresh_beside_loaded")
        out.append(f"**The embedded broker.** Tansu (memory storage) slows down on partitions holding many small "
                   f"record batches: one hop at {n0(floor['rate'])} msg/s went from {ms(floor['fresh']['p50_ms'])} to "
                   f"{ms(floor['loaded']['p50_ms'])} p50 and the broker from "
                   f"{floor['fresh']['broker_cpu_share']:.0%} to {floor['loaded']['broker_cpu_share']:.0%} of a core "
                   f"after {n0(floor['small_batches'])} single-record batches"
                   + (f", while a fresh topic beside the loaded one still took {ms(beside['p50_ms'])} "
                      f"({beside['broker_cpu_share']:.0%} of a core)" if beside else "")
                   + ". The cause is in Tansu 0.6's source: every fetch that finds new records in a partition lists "
                   "every batch object the partition holds to find its offset (`tansu-storage/src/dynostore.rs`, "
                   "`fetch`), and the fetch handler then sleeps out the rest of the consumer's `fetch.wait.max.ms` "
                   "even when it found data (`service/fetch.rs`). So each fetch costs in proportion to the batches "
                   "already in the partition, a consumer fetches about every wait, and the cost grows through a run: "
                   "the snapshot benchmark's source topic gains ~200 batches per partition per second from its "
                   "producer (librdkafka's default `linger.ms` 5), which is why its latency climbs from the first "
                   "seconds to the last. The snapshot benchmark starts each phase on a fresh broker. Kafka finds a "
                   "fetch offset through its offset index and answers a waiting fetch when data arrives, so this is "
                   "specific to the embedded broker.")
    if results.get("saga"):
        out += order_saga.limits_note(results["saga"], results.get("inventory"))
    if results.get("scaling"):
        out += inventory_scaling.limits_note(results["scaling"])
    if results.get("recovery"):
        out += recovery.limits_note(results["recovery"])
    others = {name: r.get("others_cpu_share", 0.0) for name, r in results.items()}
    busy = {name: share for name, share in others.items() if share >= 0.10}
    if busy:
        out.append("**Shared machine.** Other processes (not started by the benchmarks) used CPU during the run: "
                   + ", ".join(f"{name} {share:.0%} of a core" for name, share in busy.items())
                   + ". On 2 cores that competes with the worker, the broker and the API; treat those figures as "
                     "lower bounds for throughput and upper bounds for latency.")
    return out


def write_results(results: dict[str, dict[str, Any]], started: str, wall_s: float) -> None:
    machine = machine_info()
    rows = summary_rows(results)
    lines = [
        "# Benchmark results",
        "",
        "Generated by `bench/run_all.py`; every figure is printed beside a baseline measured in the same run, on the "
        "same machine (bench/README.md says what each one measures). Targets are the performance issue's.",
        "",
        "| benchmark | figure | baseline (same run) | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        "## Run",
        "",
        f"* command: `{' '.join(['python', '-m', 'bench.run_all'] + sys.argv[1:])}` (`make bench`)"
        + _env_note(),
        f"* date: {started} (UTC), {wall_s / 60:.1f} min in total",
        f"* machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} RAM, Linux "
        f"{machine['kernel']}, Python {machine['python']}",
        "* services: embedded Tansu broker (memory storage) and redis-server on loopback, started per benchmark "
        "(`streams/devstack.py`); 4 partitions per topic",
        "* per benchmark: " + ", ".join(
            f"{name} {r['wall_s']:.0f} s (other processes {r.get('others_cpu_share', 0.0):.0%} of a core)"
            for name, r in results.items()),
        "",
        "## What limits the figures",
        "",
    ]
    for note in notes(results):
        lines += [note, ""]
    failed = {name: r["error"] for name, r in results.items() if not r["ok"]}
    if failed:
        lines += ["## Failures", ""] + [f"* {name}: {error}" for name, error in failed.items()] + [""]
    RESULTS.write_text("\n".join(lines))


def _env_note() -> str:
    settings = sorted(f"{k}={v}" for k, v in os.environ.items()
                      if k.startswith("BENCH_") and k not in ("BENCH_ONLY",))
    only = os.environ.get("BENCH_ONLY")
    parts = ([f"BENCH_ONLY={only}"] if only else []) + settings
    return f" with {' '.join(parts)}" if parts else " (default sizes)"


def main() -> dict[str, dict[str, Any]]:
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    begin = time.monotonic()
    wanted = [name.strip() for name in os.environ.get("BENCH_ONLY", ",".join(BENCHMARKS)).split(",") if name.strip()]
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown {unknown}; choose from {list(BENCHMARKS)}")
    results = {name: run_one(name) for name in wanted}
    write_results(results, started, time.monotonic() - begin)
    print(f"\nwrote {RESULTS} ({(time.monotonic() - begin) / 60:.1f} min)")
    print(RESULTS.read_text().split("## Run")[0])
    return results


if __name__ == "__main__":
    # Exit 1 only if a benchmark could not run; a missed target is a figure, not a failure.
    sys.exit(0 if all(result["ok"] for result in main().values()) else 1)
