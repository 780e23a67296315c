"""One SKU's availability as the storefront sees it, and its compact JSON form in Redis."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from processors.values import fast_init
from streams.snapshot.keys import is_valid_sku


class InvalidEntry(ValueError):
    """An entry that must not be written: negative stock, a bad SKU, a non-integer figure."""


class UnreadableEntry(ValueError):
    """Bytes in Redis that are not an entry this code wrote."""


@fast_init
@dataclass(frozen=True, slots=True)
class AvailabilityEntry:
    """Available-to-promise of one SKU, per location and in total.

    version is monotonic per SKU and assigned by the SKU's owner; as_of_ms is the event time of the newest fact
    reflected; written_at_ms is stamped by the writer when it flushes (0 until then); source_offsets maps
    "topic:partition" to the input offset the figures reflect.
    """

    sku: str
    version: int
    as_of_ms: int
    total_available: int
    locations: Mapping[str, int]
    source_offsets: Mapping[str, int] = field(default_factory=dict)
    written_at_ms: int = 0
    # the API's answer for all locations up to its staleness, rendered once per entry object (entries are immutable
    # and a near-cached one is answered many times): streams.api.responses.availability_answer_json
    rendered_answer: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_valid_sku(self.sku):
            raise InvalidEntry(f"SKU {self.sku!r} is not a valid snapshot SKU")
        for name in ("version", "as_of_ms", "total_available", "written_at_ms"):
            _require_count(name, getattr(self, name))
        object.__setattr__(self, "locations", _counts("locations", self.locations))
        object.__setattr__(self, "source_offsets", _counts("source_offsets", self.source_offsets))

    def to_json(self) -> str:
        """The compact JSON string stored under the SKU's key."""
        return orjson.dumps({
            "sku": self.sku, "version": self.version, "as_of_ms": self.as_of_ms, "written_at_ms": self.written_at_ms,
            "total_available": self.total_available, "locations": self.locations,
            "source_offsets": self.source_offsets,
        }, option=orjson.OPT_SORT_KEYS).decode()

    @classmethod
    def checked(cls, sku: str, version: int, as_of_ms: int, total_available: int,
                locations: Mapping[str, int] | Iterable[tuple[str, int]],
                source_offsets: Mapping[str, int]) -> "AvailabilityEntry":
        """An entry by the constructor's rules (InvalidEntry otherwise), checked in one pass of exact type tests
        instead of its per-field calls: the SKU owner stages one per availability change (written_at_ms 0).
        `locations` may be (location, quantity) pairs; the entry keeps its own copies of both mappings."""
        values = (sku, version, as_of_ms, total_available, dict(locations), dict(source_offsets), 0)
        problem = _read_problem(values)
        if problem:
            raise InvalidEntry(problem)
        return _built(cls, values)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "AvailabilityEntry":
        """Unknown fields are ignored (a newer writer may add some); missing or invalid ones: UnreadableEntry.

        The API's hot path: the fields are checked as the constructor would (same rules), without its copies."""
        try:
            data: Any = orjson.loads(raw)
            values = (data["sku"], data["version"], data["as_of_ms"], data["total_available"],
                      data["locations"], data["source_offsets"], data["written_at_ms"])
        except (ValueError, TypeError, KeyError) as error:
            raise UnreadableEntry(f"not a snapshot entry ({type(error).__name__}: {error})") from error
        problem = _read_problem(values)
        if problem:
            raise UnreadableEntry(f"not a snapshot entry ({problem})")
        return _built(cls, values)


_FIELDS = ("sku", "version", "as_of_ms", "total_available", "locations", "source_offsets", "written_at_ms")


def _built(cls: type[AvailabilityEntry], values: tuple[Any, ...]) -> AvailabilityEntry:
    """An entry from values _read_problem accepted, without the constructor's checks and copies."""
    entry = object.__new__(cls)
    for name, value in zip(_FIELDS, values):
        object.__setattr__(entry, name, value)
    object.__setattr__(entry, "rendered_answer", None)
    return entry


def _read_problem(values: tuple[Any, ...]) -> str:
    sku, version, as_of_ms, total_available, locations, source_offsets, written_at_ms = values
    if not is_valid_sku(sku):
        return f"SKU {sku!r} is not a valid snapshot SKU"
    for count in (version, as_of_ms, total_available, written_at_ms):
        if type(count) is not int or count < 0:
            return f"{count!r} is not an integer ≥ 0"
    for counts in (locations, source_offsets):
        if type(counts) is not dict:
            return f"{counts!r} is not a mapping"
        for key, count in counts.items():
            if type(key) is not str or not key or type(count) is not int or count < 0:
                return f"{key!r}: {count!r} is not a non-empty name with an integer ≥ 0"
    return ""


def _require_count(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEntry(f"{name} must be an integer ≥ 0, got {value!r}")


def _counts(name: str, values: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(values, Mapping):
        raise InvalidEntry(f"{name} must be a mapping, got {type(values).__name__}")
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise InvalidEntry(f"{name} keys must be non-empty strings, got {key!r}")
        _require_count(f"{name}[{key}]", value)
    return dict(values)
