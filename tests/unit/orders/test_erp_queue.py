"""The ERP dispatch queue: never faster than the rate limit, checkout-critical first, FIFO within a priority."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.orders import ErpPriority
from processors.orders.erp_queue import ErpDispatchQueue, RateLimit

PRIORITIES = list(ErpPriority)


def test_a_burst_goes_at_once_then_one_token_per_interval() -> None:
    queue = ErpDispatchQueue(RateLimit(rate_per_s=2, burst=3))
    for n in range(6):
        queue.enqueue(f"c{n}", ErpPriority.NORMAL, 0)

    assert queue.release(0) == ["c0", "c1", "c2"]
    assert queue.release(100) == []
    assert queue.next_release_ms(100) == 501
    assert queue.release(500) == ["c3"]
    assert queue.release(1_000) == ["c4"]
    assert len(queue) == 1


def test_checkout_critical_commands_overtake_waiting_background_and_normal_ones() -> None:
    queue = ErpDispatchQueue(RateLimit(rate_per_s=1, burst=1))
    queue.release(0)  # the bucket is empty now
    queue.enqueue("po", ErpPriority.NORMAL, 1)
    queue.enqueue("housekeeping", ErpPriority.BACKGROUND, 2)
    queue.enqueue("accept", ErpPriority.CHECKOUT_CRITICAL, 3)

    assert [queue.release(t) for t in (1_000, 2_000, 3_000)] == [["accept"], ["po"], ["housekeeping"]]


def test_a_replayed_decision_is_queued_once() -> None:
    queue = ErpDispatchQueue(RateLimit(rate_per_s=10, burst=10))
    assert queue.enqueue("O-1/accept", ErpPriority.CHECKOUT_CRITICAL, 0)
    assert not queue.enqueue("O-1/accept", ErpPriority.CHECKOUT_CRITICAL, 5)
    assert queue.release(10) == ["O-1/accept"]


def test_discarded_commands_never_leave() -> None:
    queue = ErpDispatchQueue(RateLimit(rate_per_s=10, burst=10))
    for name in ("a", "b", "c"):
        queue.enqueue(name, ErpPriority.NORMAL, 0)
    queue.discard({"b"})
    assert queue.release(0) == ["a", "c"]


@settings(max_examples=150, deadline=None)
@given(rate=st.integers(1, 50), burst=st.integers(1, 20),
       arrivals=st.lists(st.tuples(st.integers(0, 5_000), st.sampled_from(PRIORITIES)), max_size=80),
       polls=st.lists(st.integers(0, 6_000), min_size=1, max_size=60))
def test_never_more_than_burst_plus_rate_times_elapsed_and_priority_order_within_each_release(
        rate: int, burst: int, arrivals: list[tuple[int, ErpPriority]], polls: list[int]) -> None:
    queue = ErpDispatchQueue(RateLimit(rate, burst))
    events = sorted([(at, 0, n, p) for n, (at, p) in enumerate(arrivals)] + [(at, 1, -1, None) for at in polls])
    priority_of: dict[str, ErpPriority] = {}
    released_at: list[int] = []
    for at, kind, n, priority in events:
        if kind == 0:
            queue.enqueue(f"c{n}", priority, at)
            priority_of[f"c{n}"] = priority
            continue
        released = queue.release(at)
        ranks = [PRIORITIES.index(priority_of[c]) for c in released]
        assert ranks == sorted(ranks)
        released_at.extend([at] * len(released))
    start = min((at for at, *_ in events), default=0)
    for index, at in enumerate(released_at):
        assert index + 1 <= burst + rate * (at - start) / 1000 + 1e-9
    assert len(released_at) + len(queue) == len(arrivals)  # nothing lost, nothing sent twice
