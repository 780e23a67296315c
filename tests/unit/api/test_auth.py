"""API keys: parsing the secret, identifying a caller, and 401/403 on every secured route of the document."""
from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import SecretStr

from streams.api.auth import ApiKeyAuthenticator, ApiKeyConfigError, presented_key
from streams.api.openapi import build_document
from tests.unit.api.support import OPS_KEY, STOREFRONT_KEY, RecordingReader, bearer, entry, key_for, run, served

DOCUMENT = build_document()
OPERATIONS = [(path, method.upper(), operation) for path, item in DOCUMENT["paths"].items()
              for method, operation in item.items()]
SECURED = [(path, method, op) for path, method, op in OPERATIONS if op["security"]]
PUBLIC = [(path, method) for path, method, op in OPERATIONS if not op["security"]]


def example_request(path: str, operation: dict[str, Any]) -> tuple[str, Any]:
    """A well-formed request to the operation, from the document's own examples."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", parameter["example"])
    required = [p for p in operation.get("parameters", []) if p["in"] == "query" and p["required"]]
    if required:
        path += "?" + "&".join(f"{p['name']}={p['example']}" for p in required)
    body = None
    if "requestBody" in operation:
        name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        body = DOCUMENT["components"]["schemas"][name]["example"]
    return path, body


async def call(client: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return await client.request(method, path, json=body, headers=headers)


def test_only_probes_metrics_and_the_document_are_public() -> None:
    assert sorted(PUBLIC) == [("/healthz", "GET"), ("/metrics", "GET"), ("/openapi.json", "GET"),
                              ("/ops", "GET"), ("/readyz", "GET")]
    assert SECURED


@pytest.mark.parametrize("path, method, operation", SECURED, ids=[f"{m} {p}" for p, m, _ in SECURED])
def test_a_secured_route_refuses_a_missing_or_unknown_key_and_a_key_without_its_scope(
        path: str, method: str, operation: dict[str, Any]) -> None:
    target, body = example_request(path, operation)
    (scope,) = {scope for requirement in operation["security"] for scopes in requirement.values() for scope in scopes}
    allowed_key = key_for(scope)
    wrong_key = STOREFRONT_KEY if allowed_key != STOREFRONT_KEY else OPS_KEY
    ok = next(status for status in operation["responses"] if status.startswith("2"))

    async def scenario() -> dict[str, tuple[int, Any, str | None]]:
        async with served(RecordingReader([entry("SKU-00001"), entry("SKU-00002")])) as client:
            answers = {
                "no key": await call(client, method, target, body, {}),
                "unknown key": await call(client, method, target, body, bearer("not-a-configured-key-000")),
                "empty bearer": await call(client, method, target, body, {"Authorization": "Bearer "}),
                "wrong scope": await call(client, method, target, body, bearer(wrong_key)),
                "bearer": await call(client, method, target, body, bearer(allowed_key)),
                "x-api-key": await call(client, method, target, body, {"X-API-Key": allowed_key}),
            }
            return {name: (r.status, await r.json(), r.headers.get("WWW-Authenticate")) for name, r in answers.items()}

    answers = run(scenario)

    for refused in ("no key", "unknown key", "empty bearer"):
        assert answers[refused][0] == 401, refused
        assert answers[refused][1]["error"] == "unauthenticated" and answers[refused][2] == "Bearer"
    assert (answers["wrong scope"][0], answers["wrong scope"][1]["error"]) == (403, "forbidden")
    assert str(answers["bearer"][0]) == ok and str(answers["x-api-key"][0]) == ok


@pytest.mark.parametrize("path, method", PUBLIC)
def test_a_public_route_answers_without_a_key(path: str, method: str) -> None:
    async def scenario() -> int:
        async with served() as client:
            return (await client.request(method, path)).status

    assert run(scenario) == 200


def test_a_key_is_recognised_whichever_configured_key_it_is() -> None:
    authenticator = ApiKeyAuthenticator(SecretStr("first-key-aaaaaaaaaa=availability:read;"
                                                  "second-key-bbbbbbbbb=orders:read,exceptions:write"))

    first, second = authenticator.identify("first-key-aaaaaaaaaa"), authenticator.identify("second-key-bbbbbbbbb")

    assert first is not None and first.scopes == {"availability:read"}
    assert second is not None and second.may("exceptions:write") and not second.may("availability:read")
    assert first.client_id != second.client_id and first.client_id.startswith("key-")
    assert authenticator.identify("first-key-aaaaaaaaa") is None  # a prefix is not the key
    assert authenticator.identify(None) is None


@pytest.mark.parametrize("configured", [
    "short=availability:read",
    "no-equals-sign-here-at-all",
    "long-enough-key-123456=",
    "long-enough-key-123456=Availability Read",
    "long-enough-key-123456=availability:read;long-enough-key-123456=orders:read",
    "long enough key 123456=availability:read",
])
def test_a_malformed_key_setting_fails_at_start_without_showing_the_key(configured: str) -> None:
    with pytest.raises(ApiKeyConfigError) as failure:
        ApiKeyAuthenticator(SecretStr(configured))

    assert "123456" not in str(failure.value) and "short" not in str(failure.value)


@pytest.mark.parametrize("headers, expected", [
    ({"Authorization": "Bearer abc"}, "abc"),
    ({"Authorization": "bearer  abc "}, "abc"),
    ({"Authorization": "Basic abc"}, None),
    ({"X-API-Key": "xyz"}, "xyz"),
    ({"Authorization": "Bearer abc", "X-API-Key": "xyz"}, "abc"),
    ({}, None),
])
def test_the_key_comes_from_the_bearer_header_or_x_api_key(headers: dict[str, str], expected: str | None) -> None:
    assert presented_key(headers) == expected


def test_keys_never_reach_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with served() as client:
            await client.get("/v1/availability/SKU-1", headers=bearer())
            await client.get("/v1/availability/SKU-1", headers=bearer("a-wrong-key-that-is-long-1"))
            await client.get("/v1/availability/SKU-1", headers={"X-API-Key": OPS_KEY})

    with caplog.at_level(logging.DEBUG):
        run(scenario)

    logged = " ".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    assert "distflow.api.access" in {record.name for record in caplog.records}
    for secret in (STOREFRONT_KEY, OPS_KEY, "a-wrong-key-that-is-long-1"):
        assert secret not in logged
