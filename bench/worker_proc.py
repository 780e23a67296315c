"""The real worker in a process of its own, driven by a benchmark (bench.common.WorkerProcess).

    python -m bench.worker_proc '{"settings": {...}, "mode": "count"|"serve", "target_records": N, "timeout_s": T}'

Builds the worker exactly as `distflow worker` does (streams.app.build_worker, logs configured from the settings)
and runs it in a thread. Prints JSON lines on stdout:

  {"event": "ready", ...}     partitions assigned (and restored): the engine is about to process its first batch
  {"event": "done", ...}      count mode: engine.status.records_in reached target_records (timings inside)
  {"event": "stopped", ...}   after stdin closed (or count mode finished): peak RSS (VmHWM), CPU time, counters
"""
from __future__ import annotations

import json
import resource
import sys
import threading
import time
from typing import Any

from bench.common import build_settings, proc_status_kb

POLL_S = 0.02  # ± this on runs of several seconds; a faster poll only takes the GIL from the worker


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main() -> None:
    config = json.loads(sys.argv[1])
    from streams import logs
    from streams.app import build_worker

    settings = build_settings(config["settings"])
    logs.configure(settings.log_level, settings.log_format)
    rss_before_kb = proc_status_kb("VmRSS")
    worker = build_worker(settings)
    status = worker.engine.status
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="bench-worker", daemon=True)
    started = time.time()
    thread.start()
    timeout_s = float(config.get("timeout_s", 300))
    try:
        while not status.ready:
            if time.time() - started > float(config.get("ready_timeout_s", 60)) or not thread.is_alive():
                say("error", detail="the worker was not ready (partitions assigned and restored) in time")
                return
            time.sleep(POLL_S)
        ready_at = time.time()
        say("ready", at=ready_at, assigned=len(status.assigned))
        if config["mode"] == "count":
            _count(status, int(config["target_records"]), ready_at, timeout_s, thread)
        else:
            sys.stdin.read()  # the benchmark closes stdin to stop the worker
    finally:
        stop.set()
        thread.join(60)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        say("stopped", peak_rss_mb=proc_status_kb("VmHWM") / 1024, rss_before_worker_mb=rss_before_kb / 1024,
            cpu_user_s=usage.ru_utime, cpu_system_s=usage.ru_stime, records_in=status.records_in,
            records_handed_over=status.records_handed_over, batches=status.batches,
            batch_phase_seconds=_phase_totals(worker.registry))


def _phase_totals(registry: Any) -> dict[str, float]:
    """Seconds spent in each phase of a batch, summed over every batch (distflow_batch_phase_seconds)."""
    from streams.engine.worker import BATCH_PHASES

    return {phase: registry.get_sample_value("distflow_batch_phase_seconds_sum", {"phase": phase}) or 0.0
            for phase in BATCH_PHASES}


def _count(status: Any, target: int, ready_at: float, timeout_s: float, thread: threading.Thread) -> None:
    first_batch_at = None
    cpu_at_ready = _cpu()
    while status.records_in + status.records_handed_over < target:  # consumed, or handed over in process
        if time.time() - ready_at > timeout_s or not thread.is_alive():
            say("error", detail=f"records_in {status.records_in} + handed over {status.records_handed_over} of "
                                f"{target} after {timeout_s} s")
            return
        if first_batch_at is None and status.records_in:
            first_batch_at = time.time()
        time.sleep(POLL_S)
    done_at = time.time()
    say("done", ready_at=ready_at, first_batch_at=first_batch_at, done_at=done_at, records_in=status.records_in,
        records_handed_over=status.records_handed_over, batches=status.batches, cpu_s=_cpu() - cpu_at_ready)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
