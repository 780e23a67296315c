"""Intake routes each source record to the owners that must hear of it, by the record's business key."""
from __future__ import annotations

from prometheus_client import CollectorRegistry

from streams.agents.intake import IntakeStage
from streams.engine.records import InputRecord, OutputRecord
from streams.metrics import WorkerMetrics
from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from tests.integration import events
from topics import catalog
from topics.codec import build_codec


class Out:
    def __init__(self) -> None:
        self.records: list[OutputRecord] = []

    def emit(self, record: OutputRecord) -> None:
        self.records.append(record)

    def send_routed(self, topic, key, record, encode, headers, origin) -> None:  # type: ignore[no-untyped-def]
        self.records.append(OutputRecord(topic, key, encode(record), headers=tuple(headers)))


def setup(suppliers: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
    settings = Settings(topic_prefix="intake-test.")
    names, codec = DeployedCatalog(settings), build_codec(settings)
    registry = CollectorRegistry()
    return IntakeStage(codec, names, WorkerMetrics.create(registry), supplier_locations=suppliers), names, codec, registry


def feed(stage, names, codec, spec, key: str, record: dict) -> Out:  # type: ignore[no-untyped-def]
    topic = names[spec]
    out = Out()
    stage.process([InputRecord(topic, 0, 1, key.encode(), codec.encode(topic, spec.value_schema, record), (), 0)], out)
    return out


def test_a_shipment_goes_to_each_skus_owner_and_to_the_orders_owner() -> None:
    stage, names, codec, _ = setup()
    shipment = events.shipment("O-7", "S-1", "EAST", [("L1", "SKU-A", 2), ("L2", "SKU-B", 1)], "O-7/F1")

    out = feed(stage, names, codec, catalog.SHIPMENTS, "S-1", shipment)

    routed = sorted((r.topic, r.key) for r in out.records)
    assert routed == sorted([(names[catalog.INVENTORY_COMMANDS], b"SKU-A"), (names[catalog.INVENTORY_COMMANDS], b"SKU-B"),
                             (names[catalog.ORDER_COMMANDS], b"O-7")])


def test_a_suppliers_drop_ship_parcel_reaches_only_the_order() -> None:
    stage, names, codec, _ = setup(frozenset({"SUP-1"}))
    out = feed(stage, names, codec, catalog.SHIPMENTS, "S-2",
               events.shipment("O-8", "S-2", "SUP-1", [("L1", "SOFA", 1)]))
    assert [(r.topic, r.key) for r in out.records] == [(names[catalog.ORDER_COMMANDS], b"O-8")]


def test_tracking_keyed_by_shipment_is_re_keyed_by_order() -> None:
    stage, names, codec, _ = setup()
    out = feed(stage, names, codec, catalog.TRACKING, "S-3", events.tracking("O-9", "S-3", "IN_TRANSIT"))
    assert [(r.topic, r.key) for r in out.records] == [(names[catalog.ORDER_COMMANDS], b"O-9")]


def test_an_order_with_one_bad_line_is_dead_lettered_whole() -> None:
    stage, names, codec, _ = setup()
    order = events.order_placed("O-10", [events.order_line("L1", "SKU-A", 1), events.order_line("L2", "SKU-B", 0)])
    out = feed(stage, names, codec, catalog.ORDERS, "O-10", order)
    assert [r.topic for r in out.records] == [names[catalog.DEAD_LETTERS]]


def test_rma_decisions_go_to_the_order_and_are_counted_by_outcome_for_the_dashboard() -> None:
    stage, names, codec, registry = setup()
    for decision in ("AUTHORISED", "REFUSED", "REFUSED"):
        record = {"envelope": events.envelope("RmaDecision", "erp"), "return_id": "R-1", "order_id": "O-1",
                  "decision": decision, "rma_number": None, "reason": None}
        routed = feed(stage, names, codec, catalog.RMA_DECISIONS, "R-1", record).records
        assert [(r.topic, r.key) for r in routed] == [(names[catalog.ORDER_COMMANDS], b"O-1")]
    assert registry.get_sample_value("distflow_return_authorisations_total", {"outcome": "refused"}) == 2
    assert registry.get_sample_value("distflow_return_authorisations_total", {"outcome": "authorised"}) == 1
