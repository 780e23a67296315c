"""The snapshot entry: what may be written, and its compact JSON form round-trips exactly."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.snapshot.entry import AvailabilityEntry, InvalidEntry, UnreadableEntry

counts = st.integers(min_value=0, max_value=2**53)
names = st.from_regex(r"[A-Z][A-Z0-9-]{0,11}", fullmatch=True)
entries = st.builds(
    AvailabilityEntry, sku=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,30}", fullmatch=True), version=counts,
    as_of_ms=counts, total_available=counts, locations=st.dictionaries(names, counts, max_size=6),
    source_offsets=st.dictionaries(st.from_regex(r"[a-z.-]{1,20}:[0-9]{1,2}", fullmatch=True), counts, max_size=4),
    written_at_ms=counts)


@given(entries)
def test_an_entry_survives_its_json_form(entry: AvailabilityEntry) -> None:
    assert AvailabilityEntry.from_json(entry.to_json()) == entry


def test_the_json_form_is_compact_and_carries_the_version() -> None:
    entry = AvailabilityEntry("SKU-1", 12, 1_795_700_000_000, 7, {"EAST": 7}, {"wms.movements:0": 9}, 1_795_700_000_010)

    text = entry.to_json()

    assert " " not in text
    assert json.loads(text)["version"] == 12


INVALID = [
    {"total_available": -1}, {"version": -3}, {"locations": {"EAST": -2}}, {"locations": {"EAST": 1.5}},
    {"version": True}, {"sku": "../x"}, {"sku": 7}, {"locations": {"": 1}}, {"locations": {3: 1}},
    {"source_offsets": {"t:0": -1}}, {"as_of_ms": 2.0}, {"total_available": None},
]


def entry_fields(changes: dict[str, object]) -> dict[str, object]:
    fields: dict[str, object] = {"sku": "SKU-1", "version": 1, "as_of_ms": 1, "total_available": 1,
                                 "locations": {"EAST": 1}, "source_offsets": {}}
    fields.update(changes)
    return fields


@pytest.mark.parametrize("changes", INVALID)
def test_an_entry_never_holds_negative_or_non_integer_stock(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidEntry):
        AvailabilityEntry(**entry_fields(changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("changes", INVALID)
def test_the_checked_builder_refuses_what_the_constructor_refuses(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidEntry):
        AvailabilityEntry.checked(**entry_fields(changes))  # type: ignore[arg-type]


@given(entries)
def test_the_checked_builder_builds_what_the_constructor_builds(entry: AvailabilityEntry) -> None:
    locations, offsets = dict(entry.locations), dict(entry.source_offsets)
    built = AvailabilityEntry.checked(entry.sku, entry.version, entry.as_of_ms, entry.total_available, locations,
                                      offsets)
    locations["LATER"], offsets["later:0"] = 1, 1  # the caller's mappings change afterwards

    assert built == AvailabilityEntry(entry.sku, entry.version, entry.as_of_ms, entry.total_available,
                                      entry.locations, entry.source_offsets)
    as_pairs = AvailabilityEntry.checked(entry.sku, entry.version, entry.as_of_ms, entry.total_available,
                                         list(entry.locations.items()), entry.source_offsets)
    assert as_pairs == built  # the SKU owner's decisions carry (location, quantity) pairs


@pytest.mark.parametrize("raw", [b"not json", b"[]", b"{}", b'{"sku":"SKU-1"}', b"\xff\xfe",
                                 b'{"sku":"SKU-1","version":-1,"as_of_ms":1,"written_at_ms":1,"total_available":1,'
                                 b'"locations":{},"source_offsets":{}}'])
def test_bytes_that_are_not_an_entry_are_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableEntry):
        AvailabilityEntry.from_json(raw)


def test_fields_a_newer_writer_adds_are_ignored() -> None:
    entry = AvailabilityEntry("SKU-1", 2, 10, 3, {"EAST": 3})
    data = json.loads(entry.to_json()) | {"reserved_hint": 4}

    assert AvailabilityEntry.from_json(json.dumps(data)) == entry
