"""The Redis order view on a real redis-server: many orders per script call, never an older document over a newer
one, and documents held while Redis cannot be reached."""
from __future__ import annotations

import uuid

import redis

from processors import orders as o
from streams import devstack
from streams.order_view import ORDERS_PER_CALL, OrderViewWriter, read_order_document


def order(order_id: str, version: int, status: o.OrderStatus = o.OrderStatus.RECEIVED) -> o.Order:
    return o.Order(order_id, correlation_id=f"corr-{order_id}", customer="C-1", channel="web", placed_at=1,
                   status=status, version=version, as_of=version)


def test_every_staged_order_is_written_across_several_script_calls(redis_server: devstack.RedisServer) -> None:
    client, prefix = redis.Redis.from_url(redis_server.url), f"view-{uuid.uuid4().hex[:8]}:"
    writer = OrderViewWriter(client, prefix)
    count = 2 * ORDERS_PER_CALL + 7
    for i in range(count):
        writer.stage(order(f"O-{i}", 1))
        writer.stage(order(f"O-{i}", 3, o.OrderStatus.RESERVED))  # the newest staged one is written
        writer.stage(order(f"O-{i}", 2))

    writer.flush()

    assert writer.pending == 0 and writer.failures == 0
    documents = [read_order_document(client, prefix, f"O-{i}") for i in range(count)]
    assert [(d["version"], d["status"], d["correlation_id"]) for d in documents if d] == [
        (3, "RESERVED", f"corr-O-{i}") for i in range(count)]


def test_an_older_document_never_replaces_a_newer_one(redis_server: devstack.RedisServer) -> None:
    client, prefix = redis.Redis.from_url(redis_server.url), f"view-{uuid.uuid4().hex[:8]}:"
    newer = OrderViewWriter(client, prefix)
    newer.stage(order("O-1", 5, o.OrderStatus.RESERVED))
    newer.flush()

    stale = OrderViewWriter(client, prefix)  # e.g. the previous owner during a rebalance, or a replay
    stale.stage(order("O-1", 4))
    stale.stage(order("O-2", 1))
    stale.flush()

    assert read_order_document(client, prefix, "O-1")["version"] == 5  # type: ignore[index]
    assert read_order_document(client, prefix, "O-1")["status"] == "RESERVED"  # type: ignore[index]
    assert read_order_document(client, prefix, "O-2")["version"] == 1  # type: ignore[index]


def test_documents_are_held_while_redis_is_unreachable() -> None:
    unreachable = redis.Redis(host="127.0.0.1", port=devstack.free_port(), socket_connect_timeout=0.2)
    writer = OrderViewWriter(unreachable, "view:")
    writer.stage(order("O-1", 2))
    writer.flush()
    writer.stage(order("O-1", 1))  # older than the held one: the held one stays

    assert writer.failures == 1 and writer.pending == 1
    assert writer._pending["O-1"].version == 2
