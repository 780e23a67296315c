"""How long a worker's fetch waits at the broker is configuration: short for the embedded broker (which answers only
when the wait is over), longer on Kafka (which answers as soon as a record arrives)."""
from __future__ import annotations

import pytest

from streams.app import worker_config
from streams.engine.worker import BatchWorker
from streams.settings import Settings, load_settings


def consumer_fetch_wait(settings: Settings) -> object:
    worker = BatchWorker(worker_config(settings), [])  # librdkafka refuses an ill-typed property here
    try:
        return worker._consumer_config()["fetch.wait.max.ms"]
    finally:
        worker.close()


def test_the_default_suits_the_embedded_broker() -> None:
    assert consumer_fetch_wait(Settings(kafka_bootstrap_servers="127.0.0.1:9")) == 10


def test_the_environment_sets_the_workers_fetch_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTFLOW_KAFKA_FETCH_WAIT_MAX_MS", "500")

    assert consumer_fetch_wait(load_settings(kafka_bootstrap_servers="127.0.0.1:9")) == 500


@pytest.mark.parametrize("value", [0, 60_001])
def test_a_wait_outside_one_ms_to_a_minute_is_refused_at_startup(value: int) -> None:
    with pytest.raises(ValueError, match="kafka_fetch_wait_max_ms"):
        Settings(kafka_fetch_wait_max_ms=value)
