"""The demo partners answer distflow's requests as an ERP, a warehouse and a carrier would."""
from __future__ import annotations

from streams.partners import Partners
from topics import catalog


def request(kind: str = "REQUEST", fulfilment_id: str = "O-1/F1") -> dict[str, object]:
    return {"envelope": {"event_id": "e1", "correlation_id": "corr-O-1"}, "fulfilment_id": fulfilment_id,
            "order_id": "O-1", "location": "EAST", "kind": kind,
            "lines": [{"line_id": "L1", "sku": "SKU-1", "quantity": 3}, {"line_id": "L2~r1", "sku": "SKU-2",
                                                                       "quantity": 1}]}


def test_the_erp_answers_every_acceptance_request_later_and_ignores_other_commands() -> None:
    partners = Partners(seed=3)
    for n in range(50):
        partners.erp_command({"envelope": {"event_id": f"c{n}", "correlation_id": f"corr-{n}"},
                              "command": "ACCEPT_ORDER", "order_id": f"O-{n}"}, 0)
    partners.erp_command({"envelope": {"event_id": "po", "correlation_id": "x"}, "command": "CREATE_PURCHASE_ORDER",
                          "order_id": "O-PO"}, 0)
    assert partners.due(0) == []

    decided = partners.due(60_000)

    assert {e.record["order_id"] for e in decided} == {f"O-{n}" for n in range(50)}
    assert {e.topic for e in decided} == {catalog.ORDER_DECISIONS}
    assert "ACCEPTED" in {e.record["decision"] for e in decided}


def test_the_warehouse_ships_what_was_requested_from_that_location_and_the_carrier_follows() -> None:
    partners = Partners(seed=5)
    partners.fulfilment_request(request(), 0)

    events = partners.due(60_000)

    shipments = [e for e in events if e.topic is catalog.SHIPMENTS]
    assert len(shipments) == 1
    shipped = shipments[0].record
    assert (shipped["fulfilment_id"], shipped["location"]) == ("O-1/F1", "EAST")
    picks = [e for e in events if e.topic is catalog.PICKS]
    short = sum(int(line["short_quantity"]) for p in picks for line in p.record["lines"])
    assert sum(int(line["quantity"]) for line in shipped["lines"]) + short == 4
    milestones = [e.record["milestone"] for e in partners.due(120_000) if e.topic is catalog.TRACKING]
    assert milestones == ["LABEL_CREATED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]


def test_a_cancel_request_is_accepted_before_the_parcel_leaves_and_refused_after() -> None:
    early, late = Partners(seed=1), Partners(seed=1)
    for partners in (early, late):
        partners.fulfilment_request(request(), 0)
    late.due(60_000)  # shipped

    early.fulfilment_request(request("CANCEL_REQUEST"), 10)
    late.fulfilment_request(request("CANCEL_REQUEST"), 60_010)

    early_events, late_events = early.due(120_000), late.due(120_000)
    assert [e.record["accepted"] for e in early_events if e.topic is catalog.FULFILMENT_CANCELLATIONS] == [True]
    assert not [e for e in early_events if e.topic is catalog.SHIPMENTS]
    assert [e.record["accepted"] for e in late_events if e.topic is catalog.FULFILMENT_CANCELLATIONS] == [False]


def test_some_delivered_parcels_come_back_through_rma_receipt_and_credit_memo() -> None:
    partners = Partners(seed=2)
    for n in range(60):
        partners.fulfilment_request(request(fulfilment_id=f"O-{n}/F1") | {"order_id": f"O-{n}"}, 0)
    partners.due(1_000)  # nothing yet
    shipped_then_later = partners.due(600_000) + partners.due(650_000)
    requests = [e for e in shipped_then_later if e.topic is catalog.RETURN_REQUESTS]
    assert requests  # about one parcel in ten

    first = requests[0].record
    partners.erp_command({"envelope": {"event_id": "c", "correlation_id": "x"}, "command": "AUTHORISE_RETURN",
                          "command_id": f"{first['order_id']}/rma/{first['return_id']}",
                          "order_id": first["order_id"]}, 700_000)
    answered = partners.due(800_000)
    [decision] = [e.record for e in answered if e.topic is catalog.RMA_DECISIONS]
    receipts = [e.record for e in answered if e.topic is catalog.RETURN_RECEIPTS]
    assert len(receipts) == (1 if decision["decision"] == "AUTHORISED" else 0)
