"""The exception workbench's read model in Redis: one document per exception and the open queues, for the API.

Keys (under DISTFLOW_REDIS_KEY_PREFIX):
- ``exception:{id}``: hash of ``version`` and ``document`` (the case as JSON, streams/processors layout);
- ``exceptions:open``: sorted set of every open or claimed exception id, scored by when it was raised;
- ``exceptions:owner:{team}``: the same, per owning team (the team's queue).

Written after the batch is durable, one pipeline per flush; one Lua script per case sets the document and moves
the case in or out of the queues only if its version is newer than the stored one, so an older document (two
workers during a rebalance, a replay after a crash) never replaces a newer one or reopens a closed case. Held while
Redis is down and written when it returns; the table stays the truth. Closed cases leave the queues and their
document expires after CLOSED_TTL_S.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis
from redis.client import Pipeline

from processors import workbench as w
from streams.versioned_view import VersionedViewWriter

log = logging.getLogger(__name__)
CLOSED_TTL_S = 30 * 24 * 3600

# KEYS: document, all-open index, owner index. ARGV: version, document, raised_at, open (1|0), id, closed TTL.
_CAS = """
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'document', ARGV[2])
if ARGV[4] == '1' then
  redis.call('PERSIST', KEYS[1])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
else
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  redis.call('ZREM', KEYS[2], ARGV[5])
  redis.call('ZREM', KEYS[3], ARGV[5])
end
return 1
"""


def exception_key(prefix: str, exception_id: str) -> str:
    return f"{prefix}exception:{exception_id}"


def open_index_key(prefix: str) -> str:
    return f"{prefix}exceptions:open"


def owner_index_key(prefix: str, owner_team: str) -> str:
    return f"{prefix}exceptions:owner:{owner_team}"


def case_document(case: w.ExceptionCase) -> dict[str, Any]:
    document = w.to_record(case)
    del document["seen_actions"], document["format"]
    return document


class WorkbenchViewWriter(VersionedViewWriter[w.ExceptionCase]):
    what = "exception views"

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        super().__init__(client, prefix, _CAS)

    def identity(self, case: w.ExceptionCase) -> str:
        return case.exception_id

    def write(self, pipe: Pipeline, cases: list[w.ExceptionCase]) -> None:
        for case in cases:
            keys = [exception_key(self.prefix, case.exception_id), open_index_key(self.prefix),
                    owner_index_key(self.prefix, case.raised.owner_team)]
            document = json.dumps(case_document(case), separators=(",", ":"))
            args = [case.version, document, case.raised.raised_at, "0" if case.closed else "1", case.exception_id,
                    CLOSED_TTL_S]
            self._script(keys=keys, args=args, client=pipe)


def read_exception_document(client: redis.Redis, prefix: str, exception_id: str) -> dict[str, Any] | None:
    raw = client.hget(exception_key(prefix, exception_id), "document")
    return None if raw is None else json.loads(raw)  # type: ignore[arg-type]


# --- operations figures for the ops page: each worker reports its own share, the API adds them up ---------------------
OPS_STATS_TTL_S = 15


def ops_workers_key(prefix: str) -> str:
    return f"{prefix}ops:workers"


def ops_worker_key(prefix: str, worker_id: str) -> str:
    return f"{prefix}ops:worker:{worker_id}"


def ops_stats_source(order_backlog: Any, base_by_name: dict[str, Any],
                     consumer_lag: Any) -> Any:
    """What this worker reports: open orders by state (its order_backlog gauge) and its consumer lag on source
    topics, summed per source system (the catalog's producer of each topic)."""
    from topics.spec import Role

    def stats() -> dict[str, Any]:
        backlog = {sample.labels["state"]: int(sample.value) for metric in order_backlog.collect()
                   for sample in metric.samples if sample.value > 0}
        lag: dict[str, int] = {}
        for (topic, _), behind in consumer_lag().items():
            spec = base_by_name.get(topic)
            if spec is not None and spec.role is Role.SOURCE:
                system = spec.producer.value
                lag[system] = lag.get(system, 0) + max(0, int(behind))
        return {"order_backlog": backlog, "sync_lag": lag}
    return stats


class OpsStatsWriter:
    """Writes this worker's figures (expiring, so a gone worker drops out) at most once per interval."""

    def __init__(self, client: redis.Redis, prefix: str, interval_s: float = 1.0) -> None:
        import uuid

        self.client, self.prefix, self.interval_s = client, prefix, interval_s
        self.worker_id = uuid.uuid4().hex[:12]
        self._next_at = 0.0

    def publish(self, stats: dict[str, Any]) -> None:
        now = time.monotonic()
        if now < self._next_at:
            return
        self._next_at = now + self.interval_s
        try:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.set(ops_worker_key(self.prefix, self.worker_id),
                         json.dumps({**stats, "written_at_ms": int(time.time() * 1000)}), ex=OPS_STATS_TTL_S)
                pipe.sadd(ops_workers_key(self.prefix), self.worker_id)
                pipe.execute()
        except redis.RedisError as error:
            log.warning("Redis unavailable: operations figures not written (%s)", type(error).__name__)
