"""Request metrics by route template and status on an explicit registry, and one JSON access line per request."""
from __future__ import annotations

import json
import logging

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from streams.api.app import build_api
from streams.logs import JsonFormatter
from tests.unit.api.support import RecordingReader, api_settings, bearer, run, served


def test_requests_are_counted_and_timed_by_route_template_method_and_status() -> None:
    registry = CollectorRegistry()

    async def scenario() -> str:
        async with served(registry=registry) as client:
            await client.get("/v1/availability/SKU-1", headers=bearer())
            await client.get("/v1/availability/OTHER-SKU", headers=bearer())
            await client.get("/v1/availability/SKU-1")
            await client.get("/no/such/path/42")
            return await (await client.get("/metrics")).text()

    exposition = run(scenario)

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    one = "/v1/availability/{sku}"
    assert sample("distflow_api_requests_total", route=one, method="GET", status="200") == 1
    assert sample("distflow_api_requests_total", route=one, method="GET", status="404") == 1
    assert sample("distflow_api_requests_total", route=one, method="GET", status="401") == 1
    assert sample("distflow_api_requests_total", route="unmatched", method="GET", status="404") == 1
    assert sample("distflow_api_request_seconds_count", route=one, method="GET", status="200") == 1
    assert "OTHER-SKU" not in exposition and "/no/such/path" not in exposition
    assert "distflow_api_request_seconds_bucket" in exposition


def test_each_api_uses_its_own_registry_never_the_global_one() -> None:
    build_api(api_settings(), RecordingReader(), registry=CollectorRegistry())
    build_api(api_settings(), RecordingReader(), registry=CollectorRegistry())

    assert not [name for name in REGISTRY._names_to_collectors if name.startswith("distflow_api")]  # noqa: SLF001


def test_each_request_writes_one_structured_access_line(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with served() as client:
            await client.get("/v1/availability/SKU-1", headers=bearer())

    with caplog.at_level(logging.INFO, logger="distflow.api.access"):
        run(scenario)

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "distflow.api.access"]
    assert len(lines) == 1
    line = lines[0]
    assert (line["method"], line["route"], line["path"], line["status"]) == (
        "GET", "/v1/availability/{sku}", "/v1/availability/SKU-1", 200)
    assert line["client_id"].startswith("key-") and line["duration_ms"] >= 0
