"""The pre-rendered availability answer (streams/api/responses.py): byte for byte what the dict form serialises to,
whatever the entry, scope and clock, and never carried over to a changed entry."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from streams.api.queries import ALL_LOCATIONS, LocationScope
from streams.api.responses import availability_answer, availability_answer_json, batch_answer_json, dumps
from streams.snapshot.entry import AvailabilityEntry

counts = st.integers(min_value=0, max_value=2**53)
locations = st.dictionaries(st.sampled_from(["EAST", "WEST", "NORTH", "DC-9"]), st.integers(0, 10**9), max_size=4)
entries = st.builds(
    lambda sku, version, as_of, locs, written_at: AvailabilityEntry(sku, version, as_of, sum(locs.values()), locs,
                                                                    {"t:0": 1}, written_at),
    st.from_regex(r"[A-Z][A-Z0-9-]{0,20}", fullmatch=True), counts, st.integers(0, 4 * 10**12), locations,
    st.integers(0, 4 * 10**12))
scopes = st.sampled_from([ALL_LOCATIONS, LocationScope(frozenset({"EAST"}), location="EAST"),
                          LocationScope(frozenset({"EAST", "SOUTH"}), channel="web")])


@given(entries, scopes, st.lists(st.integers(0, 5 * 10**12), min_size=1, max_size=3))
def test_the_rendered_answer_is_the_dict_answer_serialised_at_every_moment(
        entry: AvailabilityEntry, scope: LocationScope, moments: list[int]) -> None:
    for now_ms in moments:  # the first call renders and keeps the fixed part; later ones reuse it
        assert availability_answer_json(entry, scope, now_ms) == dumps(availability_answer(entry, scope, now_ms))


def test_a_changed_copy_of_an_entry_is_rendered_afresh() -> None:
    entry = AvailabilityEntry("LAMP-1", 3, 1_000, 5, {"EAST": 5}, written_at_ms=1_100)
    availability_answer_json(entry, ALL_LOCATIONS, 2_000)
    stamped = replace(entry, written_at_ms=1_500)

    assert stamped.rendered_answer is None
    assert b'"written_at":"1970-01-01T00:00:01.500Z"' in availability_answer_json(stamped, ALL_LOCATIONS, 2_000)


@given(st.lists(st.one_of(entries, st.none()), max_size=5), scopes, st.lists(st.integers(0, 5 * 10**12), min_size=1,
                                                                           max_size=3))
def test_a_batch_body_lists_the_answers_then_the_skus_not_found_at_every_moment(
        found: list[AvailabilityEntry | None], scope: LocationScope, moments: list[int]) -> None:
    by_sku = {entry.sku if entry is not None else f"GHOST-{n}": entry for n, entry in enumerate(found)}
    for entry in found[::2]:  # answered before for all locations, as a near-cached entry usually was
        if entry is not None:
            availability_answer_json(entry, ALL_LOCATIONS, 0)
    for now_ms in moments:  # the first call renders and keeps each entry's fixed part; later ones reuse it
        expected = {"results": [availability_answer(entry, scope, now_ms) for entry in by_sku.values() if entry],
                    "not_found": [sku for sku, entry in by_sku.items() if entry is None]}
        assert batch_answer_json(by_sku, scope, now_ms) == dumps(expected)
