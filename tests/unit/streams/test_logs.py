"""Structured logs: one JSON line per notable event, carrying the correlation id, the event id and the business key."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from streams import logs
from streams.agents.intake import IntakeStage
from streams.engine.records import InputRecord, OutputRecord
from streams.metrics import WorkerMetrics
from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from tests.integration import events
from topics import catalog
from topics.codec import build_codec


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log line of the process, formatted as in production (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_inside_handling_carries_the_events_ids_and_its_business_keys(captured: io.StringIO) -> None:
    log = logging.getLogger("distflow.test")
    with logs.handling("corr-ORD-1001", "evt-42"):
        log.info("reserved %d units", 3, extra={"sku": "LAMP-9", "order_id": "ORD-1001"})
    log.info("worker subscribed")

    inside, outside = lines(captured)

    assert inside["msg"] == "reserved 3 units"
    assert (inside["correlation_id"], inside["event_id"]) == ("corr-ORD-1001", "evt-42")
    assert (inside["sku"], inside["order_id"], inside["level"]) == ("LAMP-9", "ORD-1001", "info")
    assert "correlation_id" not in outside and "event_id" not in outside


def test_nested_handling_restores_the_outer_events_ids(captured: io.StringIO) -> None:
    log = logging.getLogger("distflow.test")
    with logs.handling("corr-outer", "evt-outer"):
        with logs.handling("corr-inner", "evt-inner"):
            log.info("inner")
        log.info("outer")

    inner, outer = lines(captured)

    assert (inner["correlation_id"], inner["event_id"]) == ("corr-inner", "evt-inner")
    assert (outer["correlation_id"], outer["event_id"]) == ("corr-outer", "evt-outer")


def test_secrets_in_messages_and_tracebacks_are_masked(captured: io.StringIO) -> None:
    log = logging.getLogger("distflow.test")
    try:
        raise ConnectionError("redis://default:hunter2@redis:6379/0 refused")
    except ConnectionError:
        log.exception("flush failed, sasl.password=s3cret api_key: abc123")

    (line,) = lines(captured)
    text = json.dumps(line)

    assert "hunter2" not in text and "s3cret" not in text and "abc123" not in text
    assert "redis://default:***@redis" in line["exception"]  # type: ignore[operator]


@given(st.lists(st.sampled_from(["password", "token", "api_key", "Authorization", "bearer", "sasl.password", "redis",
                                  "://", ":", "=", "@", "/", " ", "x", "7", "\n"]), max_size=20).map("".join))
@example("token: abc")
@example("Authorization: bearer xyz")
@example("redis://user:pw@host")
@example("POST /v1/checkout/validate 200")
def test_redact_masks_exactly_what_the_patterns_mask(text: str) -> None:
    """The shortcut for lines without ':' or '=' never skips a secret the patterns would have masked."""
    masked = text
    for pattern, replacement in logs._SECRET_PATTERNS:
        masked = pattern.sub(replacement, masked)

    assert logs.redact(text) == masked


class CollectingOut:
    def __init__(self) -> None:
        self.records: list[OutputRecord] = []

    def emit(self, record: OutputRecord) -> None:
        self.records.append(record)


def test_a_dead_lettered_event_logs_one_line_with_its_correlation_and_event_id(captured: io.StringIO) -> None:
    settings = Settings(topic_prefix="logs-test.")
    names, codec = DeployedCatalog(settings), build_codec(settings)
    stage = IntakeStage(codec, names, WorkerMetrics.create(CollectorRegistry()))
    topic = names[catalog.INVENTORY_MOVEMENTS]
    movement = events.movement("NOT A SKU!", "EAST", "RECEIVED", 3, event_id="evt-bad-sku")
    movement["envelope"]["correlation_id"] = "corr-MOV-7"  # type: ignore[index]
    value = codec.encode(topic, catalog.INVENTORY_MOVEMENTS.value_schema or "", movement)
    out = CollectingOut()

    stage.process([InputRecord(topic, 2, 17, b"NOT A SKU!", value, (), 0)], out)  # type: ignore[arg-type]

    written = [line for line in lines(captured) if line["logger"] == "streams.agents.intake"]
    assert len(written) == 1
    assert (written[0]["correlation_id"], written[0]["event_id"]) == ("corr-MOV-7", "evt-bad-sku")
    assert written[0]["level"] == "warning" and written[0]["reason_code"]
    assert [r.topic for r in out.records] == [names[catalog.DEAD_LETTERS]]


@given(st.lists(st.floats(min_value=0, max_value=4e9, allow_nan=False), min_size=1, max_size=6))
@example([1.9995, 2.0005, 1.5])  # back to an earlier second: the remembered one must not be reused
def test_the_timestamp_is_the_records_moment_in_utc_to_the_millisecond(moments: list[float]) -> None:
    import time

    formatter = logs.JsonFormatter()
    for created in moments:
        record = logging.makeLogRecord({"msg": "tick", "levelname": "INFO", "levelno": logging.INFO})
        record.created, record.msecs = created, int((created - int(created)) * 1000)
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{record.msecs:03d}Z"
        assert json.loads(formatter.format(record))["ts"] == expected
