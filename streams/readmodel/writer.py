"""The worker's side of the checkout read model: stage values between flushes, write them in one pipeline.

Never older over newer: each write is a Lua compare-and-set on the value's stamp (as_of_ms, then event_id) inside
Redis, so a replayed, redelivered or late record changes nothing, whichever worker writes it. Nothing is lost on a
Redis outage: staged values stay staged and the next flush retries them.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from processors.checkout import (CustomerAccount, ItemMaster, PriceEntry, account_to_record, is_newer,
                                 item_to_record, price_to_record)
from streams.readmodel.keys import ReadModelKeys

log = logging.getLogger(__name__)

# A JSON string value carrying top-level as_of_ms and event_id. KEYS[1]; ARGV: as_of_ms, event_id, value.
SET_IF_NEWER = """
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, value = pcall(cjson.decode, stored)
  if ok and type(value) == 'table' then
    local as_of = tonumber(value['as_of_ms'])
    local event_id = value['event_id']
    local new_as_of = tonumber(ARGV[1])
    if as_of and type(event_id) == 'string' and
       (as_of > new_as_of or (as_of == new_as_of and event_id >= ARGV[2])) then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
"""

# One entry inside a hash field holding {"<id>": [as_of_ms, "event_id", "<entry JSON>"]}. The entry stays a string,
# so Lua never re-encodes its numbers. KEYS[1] (the scope's hash); ARGV: SKU field, entry id, as_of_ms, event_id,
# entry JSON.
MERGE_IF_NEWER = """
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local entries = {}
if stored then
  local ok, value = pcall(cjson.decode, stored)
  if ok and type(value) == 'table' then entries = value end
end
local current = entries[ARGV[2]]
local new_as_of = tonumber(ARGV[3])
if type(current) == 'table' then
  local as_of = tonumber(current[1])
  if as_of and type(current[2]) == 'string' and
     (as_of > new_as_of or (as_of == new_as_of and current[2] >= ARGV[4])) then
    return 0
  end
end
entries[ARGV[2]] = {new_as_of, ARGV[4], ARGV[5]}
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entries))
return 1
"""

Value = ItemMaster | CustomerAccount | PriceEntry


@dataclass(frozen=True)
class FlushReport:
    written: int = 0
    kept_newer: int = 0  # Redis already had the same or a newer stamp
    pending: int = 0  # still staged (Redis unavailable or refusing)
    redis_unavailable: bool = False
    detail: str = ""


def _dumps(record: dict[str, object]) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


class ReadModelWriter:
    """Synchronous: used from the worker's batch loop. Give the client short timeouts (snapshot_writer_client)."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._client = client
        self._keys = ReadModelKeys(key_prefix)
        self._staged: dict[tuple[str, ...], Value] = {}
        self._shas: dict[str, str] = {}

    @property
    def pending(self) -> int:
        return len(self._staged)

    def stage(self, value: Value) -> None:
        """Keep the newest value per key until the next flush."""
        key = _stage_key(value)
        if is_newer(self._staged.get(key), value):  # type: ignore[arg-type]
            self._staged[key] = value

    def flush(self) -> FlushReport:
        batch = list(self._staged.items())
        if not batch:
            return FlushReport()
        try:
            replies = self._write([value for _, value in batch])
        except (RedisConnectionError, RedisTimeoutError) as error:
            return FlushReport(pending=len(self._staged), redis_unavailable=True,
                               detail=f"{type(error).__name__}: {error}")
        except ResponseError as error:
            log.error("Redis refused the read model flush, %d values kept: %s", len(self._staged), error)
            return FlushReport(pending=len(self._staged), detail=str(error))
        written = kept = 0
        errors = []
        for (key, value), reply in zip(batch, replies):
            if isinstance(reply, ResponseError):
                errors.append(str(reply))
                continue
            if self._staged.get(key) is value:
                del self._staged[key]
            written, kept = (written + 1, kept) if reply == 1 else (written, kept + 1)
        if errors:
            log.error("Redis refused %d read model writes (kept for retry); first: %s", len(errors), errors[0])
        return FlushReport(written, kept, len(self._staged), detail=errors[0] if errors else "")

    def _write(self, values: Sequence[Value]) -> list[object]:
        replies = self._send(values)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:  # Redis restarted and forgot the scripts: load them, resend only those
            self._shas.clear()
            for i, reply in zip(missing, self._send([values[i] for i in missing])):
                replies[i] = reply
        return replies

    def _send(self, values: Sequence[Value]) -> list[object]:
        set_sha, merge_sha = self._sha(SET_IF_NEWER), self._sha(MERGE_IF_NEWER)
        pipe = self._client.pipeline(transaction=False)
        for value in values:
            stamp = value.stamp
            if isinstance(value, ItemMaster):
                pipe.evalsha(set_sha, 1, self._keys.item(value.sku), stamp.as_of_ms, stamp.event_id,
                             _dumps(item_to_record(value)))
            elif isinstance(value, CustomerAccount):
                pipe.evalsha(set_sha, 1, self._keys.customer(value.customer_id), stamp.as_of_ms, stamp.event_id,
                             _dumps(account_to_record(value)))
            else:
                pipe.evalsha(merge_sha, 1, self._keys.prices(value.rule, value.scope_id), value.sku, value.price_id,
                             stamp.as_of_ms, stamp.event_id, _dumps(price_to_record(value)))
        return list(pipe.execute(raise_on_error=False))

    def _sha(self, script: str) -> str:
        sha = self._shas.get(script)
        if sha is None:
            sha = self._shas[script] = str(self._client.script_load(script))
        return sha


def _stage_key(value: Value) -> tuple[str, ...]:
    if isinstance(value, ItemMaster):
        return ("item", value.sku)
    if isinstance(value, CustomerAccount):
        return ("customer", value.customer_id)
    return ("price", value.sku, value.rule.value, value.scope_id, value.price_id)
