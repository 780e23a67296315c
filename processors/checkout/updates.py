"""Applying updates to the read model: the newer stamp wins, an older or repeated one changes nothing.

Because stamps are totally ordered (event time, then event id), the state after a set of updates does not depend
on their order or on duplicates: replay, redelivery and shuffled partitions all end in the same state.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, TypeVar

from processors.checkout.values import Stamp


class Stamped(Protocol):
    @property
    def stamp(self) -> Stamp: ...


T = TypeVar("T", bound=Stamped)


def newer(current: T | None, incoming: T) -> T:
    """incoming if it is newer than current (or current is absent), else current (the same object)."""
    if current is None or incoming.stamp > current.stamp:
        return incoming
    return current


def is_newer(current: T | None, incoming: T) -> bool:
    return current is None or incoming.stamp > current.stamp


def apply_all(state: Mapping[str, T], updates: Iterable[T], key: Callable[[T], str]) -> dict[str, T]:
    """The state after every update, keyed by key(update): per key, the newest stamp."""
    result = dict(state)
    for update in updates:
        result[key(update)] = newer(result.get(key(update)), update)
    return result

