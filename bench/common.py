"""Shared helpers of the benchmarks: the embedded stack, settings with unique names, records, /proc readings.

Nothing here imports from tests/: the ideas of tests/integration/pipeline.py (unique topic prefix and Redis key
prefix per run, the catalog applied with a small partition count, a real worker) are re-stated for bench use.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams import devstack

PARTITIONS = 4
LOCATIONS = ("EAST", "WEST")
MOVEMENT_SCHEMA = "wms/inventory_movement"
ROOT = Path(__file__).resolve().parent.parent


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def batch_max_records() -> int:
    """The workers' batch size in every benchmark: BENCH_BATCH_MAX_RECORDS, else the product's default
    (DISTFLOW_BATCH_MAX_RECORDS), so a benchmark measures what a deployment runs unless told otherwise."""
    from streams.settings import Settings

    return env_int("BENCH_BATCH_MAX_RECORDS", Settings.model_fields["batch_max_records"].default)


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# -- the embedded stack ------------------------------------------------------------------------------------------------
@dataclass
class Stack:
    broker: devstack.Broker | None
    redis: devstack.RedisServer | None
    workdir: Path

    @property
    def bootstrap(self) -> str:
        assert self.broker is not None
        return self.broker.bootstrap

    @property
    def redis_url(self) -> str:
        assert self.redis is not None
        return self.redis.url


@contextmanager
def stack(name: str, broker: bool = True, redis: bool = True) -> Iterator[Stack]:
    """A fresh Tansu broker and redis-server on free loopback ports, and a scratch directory; all removed after.

    BENCH_KEEP=1 keeps the scratch directory (service and worker logs) and prints where it is.
    """
    workdir = Path(tempfile.mkdtemp(prefix=f"distflow-bench-{name}-"))
    logs = workdir / "logs"
    started_broker = started_redis = None
    try:
        started_broker = devstack.start_broker(logs) if broker else None
        started_redis = devstack.start_redis(logs) if redis else None
        yield Stack(started_broker, started_redis, workdir)
    finally:
        if started_broker is not None:
            started_broker.stop()
        if started_redis is not None:
            started_redis.stop()
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"  (kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def settings_values(bootstrap: str, redis_url: str, state_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Settings for one run, JSON-serialisable (a worker subprocess rebuilds them): unique app id, topic prefix and
    Redis key prefix, 4 partitions, short group timeouts (as tests/integration/pipeline.py's pipeline_settings)."""
    values: dict[str, Any] = dict(
        app_id=unique("distflow-bench"), topic_prefix=unique("b") + ".", topic_partitions=PARTITIONS,
        kafka_bootstrap_servers=bootstrap, kafka_session_timeout_ms=6000, kafka_heartbeat_interval_ms=500,
        kafka_max_poll_interval_ms=60000, redis_url=redis_url, redis_key_prefix=unique("snap") + ":",
        state_dir=str(state_dir), batch_max_records=batch_max_records(), log_format="json",
        log_level=os.environ.get("BENCH_LOG_LEVEL", "INFO"))
    values.update(overrides)
    return values


def build_settings(values: dict[str, Any]):  # type: ignore[no-untyped-def]
    from streams.settings import Settings

    return Settings(**values)


def apply_catalog(settings) -> None:  # type: ignore[no-untyped-def]
    from streams.kafka_admin import ensure_catalog
    from streams.topic_names import DeployedCatalog

    ensure_catalog(settings.kafka_client_config(), DeployedCatalog(settings).all_specs, 1)


def source_producer(bootstrap: str, linger_ms: int = 20):  # type: ignore[no-untyped-def]
    """What an integrator's producer would look like; Kafka's default partitioner (murmur2) as Java clients."""
    from confluent_kafka import Producer

    return Producer({"bootstrap.servers": bootstrap, "linger.ms": linger_ms, "batch.num.messages": 10_000,
                     "queue.buffering.max.messages": 1_000_000, "partitioner": "murmur2_random"})


def produce(producer, topic: str, key: bytes, value: bytes) -> None:  # type: ignore[no-untyped-def]
    while True:
        try:
            producer.produce(topic, key=key, value=value)
            return
        except BufferError:
            producer.poll(0.05)


def produce_all(producer, topic: str, records: Sequence[tuple[bytes, bytes]]) -> None:  # type: ignore[no-untyped-def]
    """Every (key, value) produced and acknowledged."""
    for i, (key, value) in enumerate(records):
        produce(producer, topic, key, value)
        if i % 10_000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    if remaining:
        raise RuntimeError(f"{remaining} records not acknowledged")


def movement(event_id: str, sku: str, location: str, kind: str, quantity: int, occurred_at: int) -> dict[str, Any]:
    """A wms/inventory_movement record as the WMS integration produces it."""
    return {"envelope": {"event_id": event_id, "event_type": "InventoryMovement", "source": "wms",
                         "correlation_id": f"corr-{event_id}", "causation_id": None, "occurred_at": occurred_at,
                         "produced_at": occurred_at},
            "movement_id": f"MOV-{event_id}", "sku": sku, "location": location, "movement_type": kind,
            "quantity": quantity, "reason": None if kind == "RECEIVED" else "shrinkage", "from_status": None,
            "to_status": None, "reference": None}


# -- worker subprocess -------------------------------------------------------------------------------------------------
class WorkerProcess:
    """The real worker (streams.app.build_worker, run in a thread) in its own process: bench/worker_proc.py.

    Its own process so its peak RSS and CPU time are the worker's alone, and so the load generator's Python does not
    share the worker's GIL.
    """

    def __init__(self, values: dict[str, Any], log_path: Path, mode: str, target_records: int = 0,
                 timeout_s: float = 300.0, profile_to: Path | None = None, ready_timeout_s: float = 60.0) -> None:
        config = {"settings": values, "mode": mode, "target_records": target_records, "timeout_s": timeout_s,
                  "ready_timeout_s": ready_timeout_s}
        self._log = open(log_path, "ab")
        argv = [sys.executable, "-m", "bench.worker_proc", json.dumps(config)]
        spy = py_spy()
        self.profile_path = profile_to if spy else None
        if self.profile_path is not None:  # sampled by py-spy (raw stacks); the pid below is then py-spy's
            argv = [spy, "record", "-f", "raw", "-r", "200", "-o", str(self.profile_path), "--"] + argv
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                                     text=True)
        self.log_path = log_path

    def wait_for(self, event: str, timeout_s: float) -> dict[str, Any]:
        """The next JSON line the worker prints with this "event" (the worker enforces its own timeouts)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"worker process exited (code {self.proc.wait()}); see {self.log_path}")
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("event") == "error":
                raise RuntimeError(f"worker process: {message.get('detail')}; see {self.log_path}")
            if message.get("event") == event:
                return message  # type: ignore[no-any-return]
        raise TimeoutError(f"no {event!r} from the worker process in {timeout_s}s")

    def stop(self) -> dict[str, Any]:
        """Ask the worker to stop (stdin closed); its final report (peak RSS, CPU)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
            return self.wait_for("stopped", 60)
        finally:
            self.close()

    def close(self) -> None:
        try:
            self.proc.wait(30 if self.proc.stdin is None or self.proc.stdin.closed else 0.1)
        except subprocess.TimeoutExpired:
            pass
        terminate(self.proc)
        self._log.close()


def terminate(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """SIGTERM, then SIGKILL if it has not stopped within 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def py_spy() -> str | None:
    """py-spy next to this interpreter (not a project dependency), unless BENCH_PROFILE=0."""
    if os.environ.get("BENCH_PROFILE", "auto") == "0":
        return None
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


# Where a worker-thread sample goes: the deepest frame of its stack that names one of these functions ("function"
# or, where a bare name is ambiguous, "path/of/file.py:function").
WORKER_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("AvroCodec.decode", "Avro decode (fastavro)"),
    ("AvroCodec.encode", "Avro encode (fastavro)"),
    ("ChangelogTable.get", "table state JSON loads"),
    ("ChangelogTable.encode_batch", "table state JSON dumps"),
    ("processors/inventory/records.py:from_record", "SKU state record -> values (model path)"),
    ("processors/inventory/records.py:to_record", "SKU state values -> record (model path)"),
    ("apply_on_stored_record", "SKU owner: facts on the stored record (movements, reservations)"),
    ("PartitionStore.write", "RocksDB write batch"),
    ("PartitionStore.get", "RocksDB get"),
    ("RedisAvailabilitySink.stage", "snapshot entries staged"),
    ("RedisAvailabilitySink.flush", "Redis snapshot flush (Lua CAS pipeline)"),
    ("Emitter.flush", "producer flush (waiting for acks)"),
    ("Emitter._produce", "librdkafka produce calls"),
    ("BatchWorker._commit", "engine commit (changelog records, offsets)"),
    ("IntakeStage._route", "intake translation + validation"),
    ("IntakeStage.process", "intake other"),
    ("InventoryStage._apply_run", "SKU owner: domain model + decisions"),
    ("InventoryStage._publish_availability", "SKU owner: availability records"),
    ("InventoryStage.process", "SKU owner other (grouping, owner check)"),
    ("BatchWorker.run_once", "engine consume + records"),
)


def _frame_names(frame: str) -> tuple[str, str]:
    """("function", "path/of/file.py:function") of a py-spy frame "function (path/of/file.py:line)"."""
    function, _, where = frame.partition(" (")
    return function, f"{where.rpartition(':')[0]}:{function}"


def profile_breakdown(path: Path, components: tuple[tuple[str, str], ...] = WORKER_COMPONENTS
                      ) -> tuple[int, list[tuple[str, float]]]:
    """Samples of the worker thread (stacks through BatchWorker.run) split by `components`; shares in %."""
    names = dict(components)
    counts: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack_text, _, count_text = line.rstrip().rpartition(" ")
        if not count_text.isdigit() or "BatchWorker.run " not in stack_text:
            continue
        count = int(count_text)
        total += count
        label = "other"
        for frame in reversed(stack_text.split(";")):
            function, qualified = _frame_names(frame)
            found = names.get(function) or names.get(qualified)
            if found:
                label = found
                break
        counts[label] = counts.get(label, 0) + count
    return total, sorted(((label, 100 * c / total) for label, c in counts.items()), key=lambda item: -item[1])


# -- /proc readings -------------------------------------------------------------------------------------------------
def proc_status_kb(field: str, pid: int | str = "self") -> int:
    """A kB figure of /proc/<pid>/status, e.g. VmHWM (peak resident set) or VmRSS."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat: user, nice, system, irq, softirq)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    return (sum(fields[:3]) + sum(fields[5:7])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return float(sorted_values[rank - 1])


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    return {"count": len(ordered), "p50_ms": percentile(ordered, 50), "p90_ms": percentile(ordered, 90),
            "p99_ms": percentile(ordered, 99), "max_ms": ordered[-1] if ordered else float("nan")}


def machine_info() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        mem = f"{proc_meminfo_mb('MemTotal'):,} MB"
    except (OSError, KeyError):
        pass
    return {"nproc": str(os.cpu_count()), "cpu": model, "memory": mem,
            "python": platform.python_version(), "kernel": platform.release()}


def proc_meminfo_mb(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    raise KeyError(field)


def heading(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


# -- snapshot entries ----------------------------------------------------------------------------------------------
def sku_name(i: int) -> str:
    return f"SKU-{i:06d}"


def availability_entries(n: int, now: int) -> list[Any]:
    """N deterministic availability entries (two locations each), as the worker would write them."""
    from streams.snapshot.entry import AvailabilityEntry

    entries = []
    for i in range(n):
        east, west = i % 13, i % 7
        entries.append(AvailabilityEntry(sku=sku_name(i), version=1 + i % 5, as_of_ms=now - 1_000 - i % 997,
                                         total_available=east + west, locations={"EAST": east, "WEST": west},
                                         source_offsets={"distflow.inventory-commands:0": i}, written_at_ms=now))
    return entries
