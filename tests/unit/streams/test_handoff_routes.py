"""In-process hand-off: when a worker may skip the broker for its own partitions without reordering what it routed."""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.engine.handoff import HandoffRoutes
from topics.partitioning import partition_for

TOPIC = "commands"


def routes_for(partitions: int = 4, assigned: tuple[int, ...] = (0, 1, 2, 3)) -> HandoffRoutes:
    routes = HandoffRoutes([TOPIC])
    routes.assigned(TOPIC, assigned, partitions)
    return routes


def key_on(partition: int, partitions: int = 4) -> bytes:
    return next(k for k in (f"SKU-{i}".encode() for i in range(10_000)) if partition_for(k, partitions) == partition)


def test_nothing_is_handed_over_before_the_partition_end_is_reached() -> None:
    routes = routes_for()
    assert routes.local_partition(TOPIC, key_on(2)) is None
    routes.reached_end(TOPIC, 2, 0)
    assert routes.local_partition(TOPIC, key_on(2)) == 2
    assert routes.local_partition(TOPIC, key_on(1)) is None  # its end not seen yet


def test_an_end_below_what_this_worker_produced_there_does_not_start_hand_offs() -> None:
    routes = routes_for()
    routes.acknowledged(TOPIC, 2, 41)  # a record routed through the broker before: offset 41
    routes.reached_end(TOPIC, 2, 41)  # a fetch from before it was written
    assert routes.local_partition(TOPIC, key_on(2)) is None
    routes.reached_end(TOPIC, 2, 42)  # consumed past it
    assert routes.local_partition(TOPIC, key_on(2)) == 2


def test_only_assigned_partitions_and_configured_topics_are_handed_over() -> None:
    routes = routes_for(assigned=(0,))
    for partition in range(4):
        routes.reached_end(TOPIC, partition, 0)
    assert routes.local_partition(TOPIC, key_on(0)) == 0
    assert routes.local_partition(TOPIC, key_on(3)) is None
    assert routes.local_partition("other-topic", key_on(0)) is None


def test_revocation_stops_hand_offs_and_a_new_assignment_waits_for_the_end_again() -> None:
    routes = routes_for()
    routes.reached_end(TOPIC, 1, 0)
    routes.revoked(TOPIC, (1,))
    assert routes.local_partition(TOPIC, key_on(1)) is None
    routes.assigned(TOPIC, (1,), 4)
    assert routes.local_partition(TOPIC, key_on(1)) is None
    routes.reached_end(TOPIC, 1, 7)
    assert routes.local_partition(TOPIC, key_on(1)) == 1


def test_the_owner_partition_is_the_producers_murmur2_partition() -> None:
    routes = routes_for(partitions=6, assigned=tuple(range(6)))
    for i in range(200):
        key = f"SKU-{i:05d}".encode()
        assert routes.partition_of(TOPIC, key) == partition_for(key, 6)


# -- the order guarantee, against a model of the broker and the consumer ------------------------------------------
@dataclass
class Partition:
    """One partition of the hand-off topic as this worker sees it: the log, what the consumer has fetched (records
    and end markers, delivered later, in order), and what the owning stage has applied."""
    log: list[int | None] = field(default_factory=list)  # routed sequence numbers; None: another producer's record
    fetched_up_to: int = 0
    prefetched: list[tuple[str, int]] = field(default_factory=list)  # ("record", offset) | ("end", offset)
    unacknowledged: list[int] = field(default_factory=list)
    applied: list[int] = field(default_factory=list)


OPS = st.lists(st.one_of(
    st.tuples(st.just("fetch"), st.just(0)),
    st.tuples(st.just("foreign"), st.just(0)),
    # consume n, then route m, of which at most `cap` in process (Emitter: handoff_max_per_batch)
    st.tuples(st.just("batch"), st.tuples(st.integers(0, 6), st.integers(0, 4), st.integers(0, 5))),
), max_size=60)


@settings(max_examples=300, deadline=None)
@given(earlier=st.integers(0, 5), ops=OPS)
def test_what_one_worker_routes_is_applied_in_routing_order(earlier: int, ops: list) -> None:  # type: ignore[type-arg]
    """Batches as the worker runs them: consume (records and partition ends fetched earlier, possibly stale), route
    records (in process, or produced), flush (the broker acknowledges what was produced). Fetches and other
    producers' records happen at any time. Whatever the interleaving, the records this worker routed are applied
    in the order it routed them — including ones routed through the broker before the assignment, and ones
    produced because the batch had handed over as many as it may."""
    partition = Partition(log=list(range(earlier)))  # routed before this assignment, not yet consumed
    sequence = earlier
    routes = routes_for(partitions=1, assigned=(0,))
    key = key_on(0, 1)
    for op, arg in ops:
        if op == "fetch":
            partition.prefetched += [("record", o) for o in range(partition.fetched_up_to, len(partition.log))]
            partition.fetched_up_to = len(partition.log)
            partition.prefetched.append(("end", len(partition.log)))
        elif op == "foreign":
            partition.log.append(None)
        else:
            consume, route, cap = arg
            for _ in range(min(consume, len(partition.prefetched))):
                kind, offset = partition.prefetched.pop(0)
                if kind == "end":
                    routes.reached_end(TOPIC, 0, offset)
                elif partition.log[offset] is not None:
                    partition.applied.append(partition.log[offset])  # type: ignore[arg-type]
            handed = 0
            for _ in range(route):
                local = routes.local_partition(TOPIC, key) == 0
                if local and handed < cap:
                    partition.applied.append(sequence)
                    handed += 1
                else:
                    partition.log.append(sequence)
                    partition.unacknowledged.append(len(partition.log) - 1)
                sequence += 1
            for offset in partition.unacknowledged:  # flush at the end of the batch
                routes.acknowledged(TOPIC, 0, offset)
            partition.unacknowledged = []
    assert partition.applied == sorted(partition.applied)
    assert len(set(partition.applied)) == len(partition.applied)


def test_a_record_produced_while_its_partition_hands_off_stops_hand_offs_until_the_consumer_is_past_it() -> None:
    routes = routes_for()  # the batch reached its hand-off limit, so a record for a handing-off partition was produced
    routes.reached_end(TOPIC, 2, 10)
    routes.acknowledged(TOPIC, 2, 10)
    routes.acknowledged(TOPIC, 2, 12)  # two of them, stored at 10 and 12
    assert routes.local_partition(TOPIC, key_on(2)) is None  # what follows goes through the broker, behind them
    routes.reached_end(TOPIC, 2, 12)
    assert routes.local_partition(TOPIC, key_on(2)) is None
    routes.reached_end(TOPIC, 2, 13)
    assert routes.local_partition(TOPIC, key_on(2)) == 2
