"""Abuse of the real API (aiohttp app, in-memory snapshot): scopes route by route from the OpenAPI document,
hostile bodies and SKUs, one throttled key never throttling another, and no secret in any log line (with the real
Redis reader failing against a password-protected URL where no server listens, so the 503 path logs for real)."""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import SecretStr

from streams.api.app import MAX_BODY_BYTES
from streams.api.openapi import build_document
from streams.devstack import free_port
from streams.snapshot.connection import snapshot_reader_client
from streams.snapshot.reader import RedisAvailabilityReader
from tests.unit.api.support import RecordingReader, api_settings, bearer, entry, key_for, run, served
from tests.unit.api.test_auth import example_request

DOCUMENT = build_document()
OPERATIONS = [(path, method.upper(), op) for path, item in DOCUMENT["paths"].items() for method, op in item.items()]
SECURED = [(path, method, op) for path, method, op in OPERATIONS if op["security"]]
WITH_BODY = [(path, method, op) for path, method, op in SECURED if "requestBody" in op]
SCOPES = sorted({scope for _, _, op in SECURED for requirement in op["security"] for scopes in requirement.values()
                 for scope in scopes} | {"exceptions:read", "orders:read"})
ALMOST_ALL_KEY, ONLY_KEY = "almost-all-scopes-key-01", "exactly-one-scope-key-01"


def route_scope(operation: dict[str, Any]) -> str:
    (scope,) = {scope for requirement in operation["security"] for scopes in requirement.values() for scope in scopes}
    return scope


def ids(table: Sequence[tuple[str, str, Any]]) -> list[str]:
    return [f"{method} {path}" for path, method, _ in table]


@pytest.mark.parametrize("path, method, operation", SECURED, ids=ids(SECURED))
def test_a_key_with_every_scope_but_the_routes_own_is_403_and_the_routes_scope_alone_is_enough(
        path: str, method: str, operation: dict[str, Any]) -> None:
    scope = route_scope(operation)
    others = ",".join(s for s in SCOPES if s != scope)
    settings = api_settings(api_keys=SecretStr(f"{ALMOST_ALL_KEY}={others};{ONLY_KEY}={scope}"))
    target, body = example_request(path, operation)

    async def scenario() -> tuple[int, Any, int, int]:
        async with served(RecordingReader([entry("SKU-00001"), entry("SKU-00002")]), settings) as client:
            refused = await client.request(method, target, json=body, headers=bearer(ALMOST_ALL_KEY))
            allowed = await client.request(method, target, json=body, headers=bearer(ONLY_KEY))
            anonymous = await client.request(method, target, json=body)
            return refused.status, await refused.json(), allowed.status, anonymous.status

    refused, refused_body, allowed, anonymous = run(scenario)

    assert (refused, refused_body["error"]) == (403, "forbidden")
    assert scope in refused_body["detail"]  # says which scope is missing
    assert str(allowed) in [s for s in operation["responses"] if s.startswith("2")] and anonymous == 401


MALFORMED_BODIES = {
    "truncated JSON": b'{"skus": ["SKU-1"',
    "not JSON": b"skus=SKU-1",
    "invalid UTF-8": b'{"skus": ["\xff\xfe"]}',
    "JSON null": b"null",
    "JSON list": b'["SKU-1"]',
    "JSON string": b'"SKU-1"',
    "deeply nested": b"[" * 50_000 + b"]" * 50_000,
    "wrong field types": b'{"skus": "SKU-1", "lines": "SKU-1", "channel": 7, "customer": []}',
    "empty": b"",
}


@pytest.mark.parametrize("path, method, operation", WITH_BODY, ids=ids(WITH_BODY))
@pytest.mark.parametrize("name", MALFORMED_BODIES)
def test_a_malformed_json_body_is_400_with_a_clear_error(path: str, method: str, operation: dict[str, Any],
                                                         name: str) -> None:
    reader = RecordingReader([entry("SKU-00001")])
    target, _ = example_request(path, operation)

    async def scenario() -> tuple[int, str, Any]:
        async with served(reader) as client:
            response = await client.request(method, target, data=MALFORMED_BODIES[name],
                                            headers={**bearer(key_for(route_scope(operation))),
                                                     "Content-Type": "application/json"})
            return response.status, response.content_type, await response.json()

    status, content_type, body = run(scenario)

    assert status == 400, body
    assert content_type == "application/json" and body["error"] and body["detail"]
    assert reader.asked == []


@pytest.mark.parametrize("path, method, operation", WITH_BODY, ids=ids(WITH_BODY))
def test_a_body_over_the_size_limit_is_413_and_never_parsed(path: str, method: str, operation: dict[str, Any]) -> None:
    reader = RecordingReader([entry("SKU-00001")])
    huge = json.dumps({"skus": ["SKU-00001"] * (MAX_BODY_BYTES // 10)}).encode()
    target, _ = example_request(path, operation)

    async def scenario() -> tuple[int, Any]:
        async with served(reader) as client:
            response = await client.request(method, target, data=huge,
                                            headers={**bearer(key_for(route_scope(operation))),
                                                     "Content-Type": "application/json"})
            return response.status, await response.json()

    status, body = run(scenario)

    assert len(huge) > MAX_BODY_BYTES
    assert (status, body["error"]) == (413, "body_too_large") and reader.asked == []


def test_a_batch_over_the_configured_size_is_refused_before_the_snapshot_is_asked() -> None:
    reader = RecordingReader([entry("SKU-00001")])
    settings = api_settings(api_batch_max_skus=10)

    async def scenario() -> tuple[int, Any]:
        async with served(reader, settings) as client:
            response = await client.post("/v1/availability/query", headers=bearer(),
                                         json={"skus": [f"SKU-{n:05d}" for n in range(11)]})
            return response.status, await response.json()

    status, body = run(scenario)

    assert 400 <= status < 500 and body["error"] and "10" in body["detail"]
    assert reader.asked == []


HOSTILE_SKUS = ["../../etc/passwd", "..", "SKU-1\r\nFLUSHALL", "SKU-1\nSET x y", "' OR '1'='1", "SKU-1; DROP TABLE",
                "<script>alert(1)</script>", "$(rm -rf /)", "SKU-1\x00", "*", "SKU-?", " SKU-1", "x" * 5_000,
                "SKU-1/../../x", "%2e%2e%2f", "{{7*7}}", "ＳＫＵ－１"]


@pytest.mark.parametrize("sku", HOSTILE_SKUS, ids=range(len(HOSTILE_SKUS)))
def test_an_injection_or_traversal_string_in_a_batch_is_400_and_never_reaches_the_snapshot(sku: str) -> None:
    reader = RecordingReader([entry("SKU-00001")])

    async def scenario() -> tuple[int, Any, int, Any]:
        async with served(reader) as client:
            batch = await client.post("/v1/availability/query", headers=bearer(), json={"skus": ["SKU-00001", sku]})
            cart = await client.post("/v1/checkout/validate", headers=bearer(), json={
                "customer": "C-1001", "channel": "web", "lines": [{"line_id": "1", "sku": sku, "quantity": 1}]})
            return batch.status, await batch.json(), cart.status, await cart.json()

    batch_status, batch_body, cart_status, cart_body = run(scenario)

    assert batch_status == 400 and batch_body["error"] == "invalid_sku"
    assert cart_status == 400 and cart_body["error"]
    assert sku not in reader.asked


def test_one_throttled_key_does_not_throttle_another() -> None:
    keys = "noisy-client-key-0001=availability:read;quiet-client-key-0001=availability:read"
    settings = api_settings(api_keys=SecretStr(keys), api_rate_limit_per_s=0.001, api_rate_limit_burst=3)

    async def scenario() -> tuple[list[int], list[int], str | None]:
        async with served(settings=settings) as client:
            noisy = [await client.get("/v1/availability/SKU-1", headers=bearer("noisy-client-key-0001"))
                     for _ in range(6)]
            quiet = [await client.get("/v1/availability/SKU-1", headers=bearer("quiet-client-key-0001"))
                     for _ in range(3)]
            return [r.status for r in noisy], [r.status for r in quiet], noisy[-1].headers.get("Retry-After")

    noisy, quiet, retry_after = run(scenario)

    assert noisy == [200, 200, 200, 429, 429, 429]
    assert quiet == [200, 200, 200]
    assert retry_after is not None and int(retry_after) >= 1


SECRETS = {"api key": "storefront-secret-key-42", "redis password": "hunter2-redis-password",
           "sasl password": "sasl-secret-password-7", "registry auth": "registry-user:registry-secret-9",
           "presented wrong key": "almost-the-storefront-key"}


def test_no_secret_reaches_any_log_line_whatever_the_request(caplog: pytest.LogCaptureFixture) -> None:
    settings = api_settings(
        api_keys=SecretStr(f"{SECRETS['api key']}=availability:read"),
        redis_url=SecretStr(f"redis://:{SECRETS['redis password']}@127.0.0.1:{free_port()}/0"),  # nobody there
        redis_password=SecretStr(SECRETS["redis password"]), kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="distflow", kafka_sasl_password=SecretStr(SECRETS["sasl password"]),
        schema_registry_basic_auth=SecretStr(SECRETS["registry auth"]))
    good, wrong = bearer(SECRETS["api key"]), bearer(SECRETS["presented wrong key"])

    async def scenario() -> list[int]:
        statuses = []
        unreachable = RedisAvailabilityReader(snapshot_reader_client(settings), settings.redis_key_prefix)
        for reader in (RecordingReader([entry("SKU-00001")]), unreachable):
            async with served(reader, settings) as client:  # type: ignore[arg-type]
                for method, path, headers, body in [
                        ("GET", "/v1/availability/SKU-00001", good, None),
                        ("GET", "/v1/availability/SKU-00001", wrong, None),
                        ("GET", "/v1/availability/SKU-00001", {"X-API-Key": SECRETS["presented wrong key"]}, None),
                        ("GET", "/v1/availability/SKU-UNKNOWN", good, None),
                        ("POST", "/v1/availability/query", good, {"skus": ["SKU-00001", "../x"]}),
                        ("POST", "/v1/availability/query", good, {"skus": ["SKU-00001"]}),
                        ("GET", "/readyz", {}, None), ("GET", "/metrics", {}, None)]:
                    statuses.append((await client.request(method, path, headers=headers, json=body)).status)
        return statuses

    with caplog.at_level(logging.DEBUG):
        statuses = run(scenario)
        logging.getLogger("distflow.test").info("settings in use: %s", settings)
    captured = caplog.text + "".join(json.dumps(record.__dict__, default=str) for record in caplog.records)

    assert 503 in statuses and 401 in statuses and 400 in statuses  # the error paths that log were exercised
    for name, secret in SECRETS.items():
        assert secret not in captured, name
