"""The order owner's shell pieces without a broker: translation of source records, timers, the ERP outbox."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors import orders as o
from processors.orders.erp_queue import RateLimit
from processors.orders.records import fact_from_record
from streams.agents.erp_outbox import ErpOutbox
from streams.agents.order_timers import DeadlineTimers
from streams.translate import orders as translate
from streams.translate.validation import Invalid
from tests.integration import events

NOW = events.now_ms()


def test_an_order_placed_becomes_the_models_fact_keyed_by_order_id() -> None:
    record = events.order_placed("O-1", [events.order_line("L1", "SKU-1", 2),
                                         events.order_line("L2", "SOFA", 1, "DROP_SHIP", "SUP-1")])
    [command] = translate.order_placed(record, NOW)

    fact = fact_from_record(json.loads(str(command.record["fact_json"])))
    assert command.order_id == "O-1" and command.record["fact_type"] == "OrderPlaced"
    assert isinstance(fact, o.OrderPlaced) and fact.customer == "CUST-1"
    assert [(l.line_id, l.quantity, l.fulfilment_kind, l.supplier) for l in fact.lines] == [
        ("L1", 2, o.FulfilmentKind.STOCKED, None), ("L2", 1, o.FulfilmentKind.DROP_SHIP, "SUP-1")]
    assert fact.correlation_id == "corr-O-1"


@pytest.mark.parametrize("mutate, reason_code", [
    (lambda r: r["lines"][0].update(quantity=0), "invalid_quantity"),
    (lambda r: r["lines"][0].update(sku="../etc"), "invalid_sku"),
    (lambda r: r["lines"][0].update(fulfilment_kind="DROP_SHIP", supplier_id=None), "missing_supplier"),
    (lambda r: r.update(order_id=" "), "missing_order_id"),
    (lambda r: r["envelope"].update(occurred_at=NOW + 10 * 86_400_000), "occurred_in_future"),
])
def test_a_bad_order_is_refused_with_a_reason_code(mutate, reason_code: str) -> None:  # type: ignore[no-untyped-def]
    record = events.order_placed("O-2", [events.order_line("L1", "SKU-1", 2)])
    mutate(record)
    with pytest.raises(Invalid) as refused:
        translate.order_placed(record, NOW)
    assert refused.value.reason_code == reason_code


def test_impossible_orders_raise_value_error_for_the_dead_letter_reason() -> None:
    record = events.order_placed("O-3", [events.order_line("L1", "SKU-1", 1), events.order_line("L1", "SKU-2", 1)])
    with pytest.raises(ValueError, match="repeats a line id"):
        translate.order_placed(record, NOW)


def test_tracking_is_applied_at_the_carriers_milestone_time() -> None:
    record = events.tracking("O-4", "S-1", "DELIVERED")
    record["milestone_at"] = 1_700_000_000_000
    [command] = translate.tracking_milestone(record, NOW)
    fact = fact_from_record(json.loads(str(command.record["fact_json"])))
    assert isinstance(fact, o.TrackingMilestone) and fact.occurred_at == 1_700_000_000_000
    assert fact.status is o.CarrierStatus.DELIVERED


def order_with(order_id: str, *deadlines: tuple[o.DeadlineKind, int]) -> o.Order:
    return o.Order(order_id, deadlines=tuple(o.Deadline(kind, due) for kind, due in deadlines))


def test_timers_fire_the_current_deadline_once_with_a_deterministic_event_id() -> None:
    timers = DeadlineTimers()
    timers.track(0, order_with("O-1", (o.DeadlineKind.ACCEPTANCE_SLA, 1_000)))
    timers.track(0, order_with("O-1", (o.DeadlineKind.ACCEPTANCE_SLA, 5_000)))  # moved: the old one is stale
    timers.track(1, order_with("O-2", (o.DeadlineKind.CREDIT_HOLD_TIMEOUT, 2_000)))

    assert timers.pop_due(1_500) == []
    fired = timers.pop_due(6_000)

    assert [(p, f.order_id, f.deadline_kind, f.at) for p, f in fired] == [
        (1, "O-2", o.DeadlineKind.CREDIT_HOLD_TIMEOUT, 2_000), (0, "O-1", o.DeadlineKind.ACCEPTANCE_SLA, 5_000)]
    assert fired[0][1] == o.deadline_reached("O-2", o.DeadlineKind.CREDIT_HOLD_TIMEOUT, 2_000)
    assert timers.pop_due(10_000) == []


def test_timers_of_a_partition_that_moved_away_never_fire() -> None:
    timers = DeadlineTimers()
    timers.track(3, order_with("O-9", (o.DeadlineKind.SHIPMENT_SLA, 100)))
    timers.forget_partitions({3})
    assert timers.pop_due(1_000) == []


def test_the_outbox_survives_a_restart_and_sends_each_command_once(tmp_path: Path) -> None:
    def outbox() -> ErpOutbox:
        box = ErpOutbox("changelog", "source", tmp_path, RateLimit(rate_per_s=1, burst=1), "erp")
        box.table.open(0)
        return box

    class Out:
        def __init__(self) -> None:
            self.sent: list[tuple[str, bytes]] = []

        def emit(self, record) -> None:  # type: ignore[no-untyped-def]
            self.sent.append((record.topic, record.value))

    first = outbox()
    first.sync_partitions()
    first.add(0, "O-1/po", o.ErpPriority.NORMAL, "CREATE_PURCHASE_ORDER", b"O-1", b"po", 0)
    first.add(0, "O-2/accept", o.ErpPriority.CHECKOUT_CRITICAL, "ACCEPT_ORDER", b"O-2", b"accept", 0)
    first.table.encode_batch()
    first.table.persist({0: 1})  # durable, as after a committed batch
    first.table.close_all()

    second = outbox()  # a restarted worker, same volume
    second.sync_partitions()
    out = Out()
    assert second.send_due(0, out) == 1 and out.sent == [("erp", b"accept")]  # checkout-critical first
    assert second.send_due(1_000, out) == 1 and out.sent[-1] == ("erp", b"po")
    assert second.send_due(5_000, out) == 0
    second.table.encode_batch()
    second.table.persist({0: 2})
    assert list(second.table.open(0).keys()) == []
