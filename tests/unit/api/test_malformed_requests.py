"""Malformed requests: 400 with {"error", "detail"}, and a bad SKU never reaches the snapshot."""
from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api.support import RecordingReader, api_settings, bearer, entry, raw_request, run, served

HOSTILE_PATHS = [  # as sent on the wire (percent-encoded where a client would have to)
    "/v1/availability/..%2F..%2Fetc%2Fpasswd", "/v1/availability/a%20b", "/v1/availability/x%0D%0ASET%20k%20v",
    "/v1/availability/%2e%2e/%2e%2e/etc/passwd", "/v1/availability/SKU%2A", "/v1/availability/" + "x" * 65,
    "/v1/availability/a//b", "/v1/availability/-rf", "/v1/availability/%00",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_a_hostile_sku_in_the_path_is_400_and_never_asked_of_the_snapshot(path: str) -> None:
    reader = RecordingReader([entry()])

    async def scenario() -> tuple[int, bytes]:
        async with served(reader) as client:
            return await raw_request(client, f"GET {path}", bearer())

    status, body = run(scenario)

    assert status == 400 and b'"error":"invalid_sku"' in body
    assert reader.asked == []


def test_a_path_traversal_sent_without_encoding_is_400() -> None:
    reader = RecordingReader([entry()])

    async def scenario() -> tuple[int, bytes]:
        async with served(reader) as client:
            return await raw_request(client, "GET /v1/availability/../../etc/passwd", bearer())

    status, body = run(scenario)

    assert status == 400 and b"invalid_sku" in body and reader.asked == []


@pytest.mark.parametrize("query, code", [
    ({"location": "EAST", "channel": "web"}, "location_and_channel"),
    ({"channel": "marketplace"}, "unknown_channel"),
    ({"location": "../x"}, "invalid_location"),
    ({"location": ""}, "invalid_location"),
    ({"min_version": "-1"}, "invalid_min_version"),
    ({"min_version": "1e3"}, "invalid_min_version"),
    ({"min_version": "٣"}, "invalid_min_version"),
    ({"min_version": "99999999999999999999"}, "invalid_min_version"),
])
def test_a_bad_query_parameter_is_400_with_its_code(query: dict[str, str], code: str) -> None:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            response = await client.get("/v1/availability/SKU-1", params=query, headers=bearer())
            return response.status, await response.json()

    status, body = run(scenario)

    assert (status, body["error"]) == (400, code) and body["detail"]


@pytest.mark.parametrize("body, code", [
    (b"{not json", "malformed_json"),
    (b"\xff\xfe", "malformed_json"),
    (b"", "malformed_json"),
    (b'["SKU-1"]', "invalid_body"),
    (b'{"skus": []}', "invalid_body"),
    (b'{"skus": "SKU-1"}', "invalid_body"),
    (b'{"sku": ["SKU-1"]}', "unknown_field"),
    (b'{"skus": ["SKU-1", "../../etc/passwd"]}', "invalid_sku"),
    (b'{"skus": ["SKU-1", 42]}', "invalid_sku"),
    (b'{"skus": ["x\\r\\nSET k v"]}', "invalid_sku"),
    (b'{"skus": ["SKU-1"], "channel": "nowhere"}', "unknown_channel"),
    (b'{"skus": ["SKU-1"], "channel": "web", "location": "EAST"}', "location_and_channel"),
])
def test_a_bad_batch_body_is_400_with_its_code(body: bytes, code: str) -> None:
    reader = RecordingReader([entry()])

    async def scenario() -> tuple[int, Any]:
        async with served(reader) as client:
            response = await client.post("/v1/availability/query", data=body,
                                         headers=bearer() | {"Content-Type": "application/json"})
            return response.status, await response.json()

    status, answer = run(scenario)

    assert (status, answer["error"]) == (400, code) and answer["detail"]
    assert reader.asked == []


def test_501_skus_are_400_too_many() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            response = await client.post("/v1/availability/query", headers=bearer(),
                                         json={"skus": [f"SKU-{n}" for n in range(501)]})
            return response.status, await response.json()

    status, body = run(scenario)

    assert (status, body["error"]) == (400, "too_many_skus") and "500" in body["detail"]


def test_the_batch_limit_follows_the_setting() -> None:
    async def scenario() -> int:
        async with served(settings=api_settings(api_batch_max_skus=2)) as client:
            response = await client.post("/v1/availability/query", headers=bearer(), json={"skus": ["A", "B", "C"]})
            return response.status

    assert run(scenario) == 400


def test_a_body_over_256_kib_is_413() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            response = await client.post("/v1/availability/query", headers=bearer(),
                                         data=b'{"skus": ["' + b"A" * 300_000 + b'"]}')
            return response.status, await response.json()

    status, body = run(scenario)

    assert (status, body["error"]) == (413, "body_too_large")


def test_unknown_paths_and_methods_answer_json_errors() -> None:
    async def scenario() -> list[tuple[int, Any]]:
        async with served() as client:
            missing = await client.get("/v2/nothing", headers=bearer())
            wrong = await client.delete("/v1/availability/query", headers=bearer())
            return [(missing.status, await missing.json()), (wrong.status, await wrong.json())]

    (missing_status, missing), (wrong_status, wrong) = run(scenario)

    assert (missing_status, missing["error"]) == (404, "not_found")
    assert (wrong_status, wrong["error"]) == (405, "method_not_allowed")
