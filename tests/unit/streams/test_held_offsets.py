"""Offsets applied but not committed are held until a commit covers them, and never move a group backwards."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.engine.offsets import HeldOffsets

P0, P1 = ("orders", 0), ("orders", 1)


def test_offsets_held_back_by_several_batches_are_committed_together_at_the_latest() -> None:
    held = HeldOffsets()
    held.processed({P0: 10})
    held.processed({P0: 25, P1: 3})

    assert held.take() == {P0: 25, P1: 3}
    assert not held and held.take() == {}


def test_a_failed_commit_is_held_again_unless_a_later_commit_was_asked_for() -> None:
    held = HeldOffsets()
    held.processed({P0: 10, P1: 5})
    held.take()
    held.processed({P0: 20})
    held.take()

    held.failed([(P0, 10), (P1, 5)])  # P0's later commit (20) covers it; P1 has none

    assert held.take() == {P1: 5}


def test_offsets_of_a_revoked_partition_are_forgotten_with_a_late_failure_report() -> None:
    held = HeldOffsets()
    held.processed({P0: 10, P1: 5})
    held.take()
    held.processed({P0: 12})
    held.forget([P0])

    held.failed([(P0, 10)])  # the commit answered after the revocation

    assert held.take() == {}


batches = st.lists(st.dictionaries(st.sampled_from([P0, P1, ("returns", 0)]), st.integers(1, 1_000), min_size=1),
                   min_size=1, max_size=30)


@given(batches, st.lists(st.booleans(), min_size=30, max_size=30), st.lists(st.booleans(), min_size=30, max_size=30))
def test_what_is_committed_ends_at_each_partitions_highest_offset_and_never_goes_back(
        applied: list[dict[tuple[str, int], int]], committable: list[bool], fails: list[bool]) -> None:
    """Each batch either commits what is held or holds it back; each commit may fail. Once commits are allowed
    again and succeed, every partition's committed offset is the highest applied, and no successful commit ever
    moved a partition's committed offset backwards."""
    held, committed = HeldOffsets(), {}
    for batch, allowed, failure in zip(applied, committable, fails):
        held.processed(batch)
        if allowed:
            asked = held.take()
            if failure:
                held.failed(asked.items())
            else:
                for partition, offset in asked.items():
                    assert offset >= committed.get(partition, 0)
                    committed[partition] = offset
    for partition, offset in held.take().items():  # the idle loop, with nothing failing
        assert offset >= committed.get(partition, 0)
        committed[partition] = offset

    highest: dict[tuple[str, int], int] = {}
    for batch in applied:
        for partition, offset in batch.items():
            highest[partition] = max(offset, highest.get(partition, 0))
    assert committed == highest
