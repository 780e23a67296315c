"""What the Redis read-model writers of the worker share (order views, exception views): the newest value per id
is staged until the next flush; a flush the Redis client refuses keeps the newest of what failed and what came
since, and the next attempt waits RETRY_AFTER_FAILURE_S. The tables stay the truth; Redis catches up.

Subclasses say how a value is identified and how a batch of them is written (a compare-and-set script on the
value's version, so an older document never replaces a newer one).
"""
from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from typing import Generic, Protocol, TypeVar

import redis
from redis.client import Pipeline

log = logging.getLogger(__name__)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


class VersionedViewWriter(ABC, Generic[V]):
    RETRY_AFTER_FAILURE_S = 0.5
    what = "views"  # in the log line when Redis refuses a flush

    def __init__(self, client: redis.Redis, prefix: str, script: str) -> None:
        self.client, self.prefix = client, prefix
        self._pending: dict[str, V] = {}
        self._script = client.register_script(script)
        self._retry_at = 0.0
        self.failures = 0

    @abstractmethod
    def identity(self, value: V) -> str:
        """The id the view is stored under."""

    @abstractmethod
    def write(self, pipe: Pipeline, values: list[V]) -> None:
        """Queue the script calls writing these values on the pipeline."""

    @property
    def pending(self) -> int:
        return len(self._pending)

    def stage(self, value: V) -> None:
        self._keep_newest(self.identity(value), value)

    def flush(self) -> None:
        if not self._pending or time.monotonic() < self._retry_at:
            return
        pending, self._pending = self._pending, {}
        try:
            with self.client.pipeline(transaction=False) as pipe:
                self.write(pipe, list(pending.values()))
                pipe.execute()
        except redis.RedisError as error:
            for key, value in pending.items():  # keep the newest of what failed and what came since
                self._keep_newest(key, value)
            self._retry_at = time.monotonic() + self.RETRY_AFTER_FAILURE_S
            self.failures += 1
            log.error("Redis unavailable: %d %s held (%s)", len(self._pending), self.what, type(error).__name__)

    def _keep_newest(self, key: str, value: V) -> None:
        held = self._pending.get(key)
        if held is None or held.version < value.version:
            self._pending[key] = value
