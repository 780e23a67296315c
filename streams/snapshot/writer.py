"""The worker's side of the snapshot: stage entries between commits, write them all in one pipeline on flush.

A flush never lets an older version overwrite a newer one (a Lua script compares versions inside Redis), and never
loses what it could not write: on a Redis outage the entries stay staged and the next flush retries them, so the
snapshot catches up by itself when Redis comes back.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from processors.values import evolve
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.keys import SnapshotKeys

log = logging.getLogger(__name__)

# KEYS[i] a SKU's key; ARGV[2i-1] its new version; ARGV[2i] its encoded entry. One reply per key, in order: 1 =
# written, 0 = Redis kept its own: a newer version, or the same version with the same figures. The same version
# with other figures is overwritten: the worker writes a batch's entries before its changelog is acknowledged, so a
# crash can leave an entry whose batch is then applied again — in another batch composition a SKU's facts from
# different sources may interleave otherwise and reach that version with other figures, and the replay is what the
# state now says. A stored value that is not an entry (corrupt) is replaced. Many keys per call: one script call
# per chunk of entries instead of one per entry (the per-command packing and reply parsing was most of a flush's
# cost in the worker).
WRITE_IF_NEWER = """
local function same_figures(stored, fresh)
  if type(fresh) ~= 'table' or stored['total_available'] ~= fresh['total_available'] then
    return false
  end
  local a, b = stored['locations'], fresh['locations']
  if type(a) ~= 'table' or type(b) ~= 'table' then
    return false
  end
  for location, quantity in pairs(a) do
    if b[location] ~= quantity then return false end
  end
  for location, quantity in pairs(b) do
    if a[location] ~= quantity then return false end
  end
  return true
end

local written = {}
for i, key in ipairs(KEYS) do
  local write = 1
  local stored = redis.call('GET', key)
  if stored then
    local ok, entry = pcall(cjson.decode, stored)
    if ok and type(entry) == 'table' then
      local stored_version, version = tonumber(entry['version']), tonumber(ARGV[2 * i - 1])
      if stored_version and stored_version > version then
        write = 0
      elseif stored_version == version then
        local fresh_ok, fresh = pcall(cjson.decode, ARGV[2 * i])
        if fresh_ok and same_figures(entry, fresh) then
          write = 0
        end
      end
    end
  end
  if write == 1 then
    redis.call('SET', key, ARGV[2 * i])
  end
  written[i] = write
end
return written
"""
ENTRIES_PER_CALL = 500  # a script call blocks Redis while it runs: ~1-2 ms per call at this size


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class FlushOutcome(str, Enum):
    FLUSHED = "flushed"
    NOTHING_STAGED = "nothing_staged"
    REDIS_UNAVAILABLE = "redis_unavailable"  # connection/timeout: everything stays staged
    REDIS_REFUSED = "redis_refused"  # Redis answered some writes with an error: those stay staged


@dataclass(frozen=True)
class FlushResult:
    outcome: FlushOutcome
    entries: tuple[AvailabilityEntry, ...] = ()  # written by this flush, stamped with written_at_ms
    kept_newer: int = 0  # entries Redis already had at a newer version, or at the same one with the same figures
    pending: int = 0  # entries still staged after this flush
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in (FlushOutcome.FLUSHED, FlushOutcome.NOTHING_STAGED)

    @property
    def redis_unavailable(self) -> bool:
        return self.outcome is FlushOutcome.REDIS_UNAVAILABLE


class SnapshotWriter:
    """Batched, version-guarded writes of availability entries. Synchronous: used from the worker's commit loop.

    The client should have short socket timeouts (see streams.snapshot.connection): a flush during an outage must
    fail fast rather than stall the worker.
    """

    def __init__(self, client: redis.Redis, key_prefix: str, *, clock_ms: Callable[[], int] = wall_clock_ms,
                 heartbeat_interval_ms: int = 1_000) -> None:
        self._client = client
        self._keys = SnapshotKeys(key_prefix)
        self._clock_ms = clock_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._staged: dict[str, AvailabilityEntry] = {}
        self._script_sha: str | None = None
        self._last_heartbeat_ms: int | None = None

    @property
    def pending(self) -> int:
        return len(self._staged)

    def staged_version(self, sku: str) -> int | None:
        staged = self._staged.get(sku)
        return None if staged is None else staged.version

    def stage(self, entry: AvailabilityEntry) -> None:
        """Keep the newest version per SKU; an older or equal one staged later is ignored."""
        current = self._staged.get(entry.sku)
        if current is None or entry.version > current.version:
            self._staged[entry.sku] = entry

    def flush(self, now_ms: int | None = None) -> FlushResult:
        """Write everything staged; now_ms (default: the writer's clock) becomes each entry's written_at_ms."""
        now_ms = self._clock_ms() if now_ms is None else now_ms
        batch = list(self._staged.values())
        if not batch:
            return self._idle_heartbeat(now_ms)
        stamped = [_stamped(entry, now_ms) for entry in batch]
        try:
            replies = self._write(stamped, now_ms)
        except (RedisConnectionError, RedisTimeoutError) as error:
            log.debug("snapshot flush failed, %d entries kept for the next flush: %s", len(self._staged),
                      type(error).__name__, extra={"pending_entries": len(self._staged)})
            return FlushResult(FlushOutcome.REDIS_UNAVAILABLE, pending=len(self._staged),
                               detail=f"{type(error).__name__}: {error}")
        except ResponseError as error:  # e.g. OOM or READONLY while loading the script
            log.error("Redis refused the snapshot flush, %d entries kept: %s", len(self._staged), error)
            return FlushResult(FlushOutcome.REDIS_REFUSED, pending=len(self._staged), detail=str(error))
        self._last_heartbeat_ms = now_ms
        return self._settle(batch, stamped, replies)

    def _write(self, entries: Sequence[AvailabilityEntry], now_ms: int) -> list[object]:
        """One pipeline round trip (a script call per chunk of entries); one reply per entry: 1, 0 or the
        ResponseError of its chunk. Only chunks whose script was missing (Redis restarted) are sent again."""
        sha = self._script_sha or self._load_script()
        chunks = [entries[start:start + ENTRIES_PER_CALL] for start in range(0, len(entries), ENTRIES_PER_CALL)]
        replies = self._send(sha, chunks, now_ms)
        missing = [index for index, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            sha = self._load_script()
            retried = self._send(sha, [chunks[index] for index in missing], now_ms)
            for index, reply in zip(missing, retried):
                replies[index] = reply
        per_entry: list[object] = []
        for chunk, reply in zip(chunks, replies):
            if isinstance(reply, list) and len(reply) == len(chunk):
                per_entry.extend(reply)
            else:  # the chunk's error (or an unexpected reply) stands for each of its entries: all stay staged
                error = reply if isinstance(reply, Exception) else ResponseError(f"unexpected reply {reply!r}")
                per_entry.extend([error] * len(chunk))
        return per_entry

    def _send(self, sha: str, chunks: Sequence[Sequence[AvailabilityEntry]], now_ms: int) -> list[object]:
        pipe = self._client.pipeline(transaction=False)
        availability = self._keys.availability
        for chunk in chunks:
            args: list[object] = []
            for entry in chunk:
                args.append(entry.version)
                args.append(entry.to_json())
            pipe.evalsha(sha, len(chunk), *[availability(entry.sku) for entry in chunk], *args)
        pipe.set(self._keys.writer_heartbeat, now_ms)
        return list(pipe.execute(raise_on_error=False)[:-1])

    def _load_script(self) -> str:
        self._script_sha = str(self._client.script_load(WRITE_IF_NEWER))
        return self._script_sha

    def _settle(self, batch: Sequence[AvailabilityEntry], stamped: Sequence[AvailabilityEntry],
                replies: Sequence[object]) -> FlushResult:
        written: list[AvailabilityEntry] = []
        errors: list[str] = []
        kept_newer = 0
        for original, entry, reply in zip(batch, stamped, replies):
            if isinstance(reply, ResponseError):
                errors.append(f"{entry.sku}: {reply}")
                continue
            if self._staged.get(original.sku) is original:
                del self._staged[original.sku]
            if reply == 1:
                written.append(entry)
            else:
                kept_newer += 1
        if errors:
            log.error("Redis refused %d snapshot writes (kept for retry); first: %s", len(errors), errors[0],
                      extra={"pending_entries": len(self._staged)})
            return FlushResult(FlushOutcome.REDIS_REFUSED, tuple(written), kept_newer, len(self._staged),
                               f"{len(errors)} refused; first: {errors[0]}")
        return FlushResult(FlushOutcome.FLUSHED, tuple(written), kept_newer, len(self._staged))

    def unpublished(self, partitions: Sequence[int]) -> list[int]:
        """The partitions whose published marker Redis does not hold; [] when Redis cannot tell."""
        if not partitions:
            return []
        try:
            values = self._client.mget([self._keys.partition_published(p) for p in partitions])
        except (RedisConnectionError, RedisTimeoutError, ResponseError):
            return []  # the outage is seen and reported by the flushes
        return [partition for partition, value in zip(partitions, values) if value is None]

    def mark_published(self, partitions: Sequence[int], now_ms: int | None = None) -> bool:
        """Set the partitions' markers (value: when); False if Redis did not take them (they are set next time)."""
        stamp = self._clock_ms() if now_ms is None else now_ms
        try:
            self._client.mset({self._keys.partition_published(p): stamp for p in partitions})
        except (RedisConnectionError, RedisTimeoutError, ResponseError):
            return False
        return True

    def _idle_heartbeat(self, now_ms: int) -> FlushResult:
        """Nothing staged: refresh the heartbeat at most once per interval, so quiet ≠ dead for the API."""
        due = self._last_heartbeat_ms is None or now_ms - self._last_heartbeat_ms >= self._heartbeat_interval_ms
        if due:
            try:
                self._client.set(self._keys.writer_heartbeat, now_ms)
            except (RedisConnectionError, RedisTimeoutError) as error:
                return FlushResult(FlushOutcome.REDIS_UNAVAILABLE, detail=f"{type(error).__name__}: {error}")
            except ResponseError as error:
                return FlushResult(FlushOutcome.REDIS_REFUSED, detail=str(error))
            self._last_heartbeat_ms = now_ms
        return FlushResult(FlushOutcome.NOTHING_STAGED)


def _stamped(entry: AvailabilityEntry, written_at_ms: int) -> AvailabilityEntry:
    """The entry with its flush time: a copy of an already validated entry (dataclasses.replace would run the
    whole validation again for every entry of every flush); written_at_ms is a flush clock, ≥ 0."""
    if written_at_ms < 0:
        return replace(entry, written_at_ms=written_at_ms)  # let the entry refuse it
    # evolve copies slot by slot without __post_init__: the rest of the entry was checked when it was built
    return evolve(entry, written_at_ms=written_at_ms, rendered_answer=None)  # a rendered answer shows written_at
