"""The order's history of transitions, bounded: the latest `timeline_limit` entries are kept, the rest counted."""
from __future__ import annotations

from typing import Any

from processors.values import evolve
from processors.orders.state import Order, TimelineEntry


def recorded(order: Order, entries: tuple[TimelineEntry, ...], limit: int, **changes: Any) -> Order:
    """The order with the entries added to its timeline (and any other `changes` in the same copy)."""
    timeline = (*order.timeline, *entries)
    dropped = max(0, len(timeline) - limit)
    return evolve(order, timeline=timeline[dropped:], timeline_dropped=order.timeline_dropped + dropped, **changes)
