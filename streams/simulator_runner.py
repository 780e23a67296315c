"""Run the simulation against the configured cluster, paced to a rate."""
from __future__ import annotations

import logging
import signal
import time

from confluent_kafka import Consumer, Producer

from streams.partners import Partners
from streams.settings import Settings
from streams.simulator import Simulation, SimulatedEvent
from streams.simulator_checkout import DEMO_CUSTOMERS
from streams.topic_names import DeployedCatalog

log = logging.getLogger(__name__)


def run_simulation(settings: Settings, rate: float, seed: int, sku_count: int, limit: int | None,
                   customers: int = DEMO_CUSTOMERS, checkout_change_rate: float = 0.0005) -> int:
    from topics.codec import build_codec

    codec, names = build_codec(settings), DeployedCatalog(settings)
    producer = Producer({**settings.kafka_client_config(), "linger.ms": 5, "enable.idempotence": True})
    simulation = Simulation(seed=seed, sku_count=sku_count, start_ms=int(time.time() * 1000),
                            wall_clock_ms=lambda: int(time.time() * 1000), partners=True,
                            customer_count=customers, checkout_change_rate=checkout_change_rate)
    partners = PartnerLink(settings, codec, names, Partners(seed=seed + 1))
    stopping = {"now": False}
    previous = {sig: signal.signal(sig, lambda *_: stopping.update(now=True))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _run(simulation, partners, producer, codec, names, rate, limit, stopping)
    finally:
        for sig, handler in previous.items():  # a caller in-process (a test) gets its own handlers back
            signal.signal(sig, handler)


def _run(simulation: Simulation, partners: PartnerLink, producer: Producer, codec,  # type: ignore[no-untyped-def]
         names: DeployedCatalog, rate: float, limit: int | None, stopping: dict[str, bool]) -> int:
    def send(event: SimulatedEvent) -> None:
        topic = names[event.topic]
        value = codec.encode(topic, event.topic.value_schema or "", event.record)
        envelope = event.record["envelope"]
        producer.produce(topic, key=event.key.encode(), value=value,
                         headers=[("correlation_id", str(envelope["correlation_id"]).encode())])  # type: ignore[index]
        producer.poll(0)

    sent = 0
    for event in simulation.opening_checkout():  # item master, prices, customer accounts: before any order
        send(event)
        sent += 1
    for event in simulation.opening_stock():
        send(event)
        sent += 1
    producer.flush(30)
    log.info("opening checkout data and stock sent", extra={"events": sent})
    started, interval = time.monotonic(), 1.0 / rate if rate > 0 else 0.0
    while not stopping["now"] and (limit is None or sent < limit):
        for event in simulation.next_events() + partners.answers():
            send(event)
            sent += 1
        pause = started + sent * interval - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, 0.5))
    producer.flush(30)
    partners.close()
    log.info("simulation stopped", extra={"events": sent})
    return sent


class PartnerLink:
    """Feeds what distflow asked of the ERP and the warehouses to the demo partners; returns their answers."""

    def __init__(self, settings: Settings, codec, names: DeployedCatalog, partners: Partners) -> None:  # type: ignore[no-untyped-def]
        from topics import catalog

        self.codec, self.partners = codec, partners
        self.specs = {names[catalog.ERP_COMMANDS]: catalog.ERP_COMMANDS,
                      names[catalog.FULFILMENT_REQUESTS]: catalog.FULFILMENT_REQUESTS}
        self.consumer = Consumer({**settings.kafka_client_config(), "group.id": f"{settings.app_id}-demo-partners",
                                  "auto.offset.reset": "earliest", "enable.auto.commit": True})
        self.consumer.subscribe(sorted(self.specs))

    def answers(self) -> list[SimulatedEvent]:
        from topics import catalog

        now_ms = int(time.time() * 1000)
        for message in self.consumer.consume(500, 0):
            if message.error() or message.value() is None:
                continue
            spec = self.specs[message.topic()]
            record = self.codec.decode(message.value(), spec.value_schema or "")
            if spec is catalog.ERP_COMMANDS:
                self.partners.erp_command(record, now_ms)
            else:
                self.partners.fulfilment_request(record, now_ms)
        return self.partners.due(now_ms)

    def close(self) -> None:
        self.consumer.close()
