"""The OpenAPI document and the running API agree: routes, methods, status codes and answer bodies.

jsonschema comes with the dev extra (through kubernetes-validate); OpenAPI 3.1 schemas are JSON Schema 2020-12.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator

from streams.api.app import build_api
from streams.api.openapi import build_document
from streams.api.routes import ROUTES
from streams.readmodel.reader import DictCheckoutReader
from streams.api.exceptions import RecordingActionSink
from tests.unit.api.support import (
    OPERATOR_KEY, RecordingReader, api_settings, bearer, entry, example_exception_reader, example_order_reader,
    example_replayer, run, served)

DOCUMENT = build_document()
Call = Callable[[TestClient], Awaitable[Any]]


def documented_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item}


def schema_validator(reference: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**reference, "components": DOCUMENT["components"]})


def test_every_registered_route_is_documented_and_every_documented_route_is_registered() -> None:
    app = build_api(api_settings(), RecordingReader())

    registered = {(route.method, route.resource.canonical) for route in app.router.routes()}

    assert registered == documented_operations()
    assert len(registered) == len(ROUTES)


def test_the_served_document_is_the_generated_one() -> None:
    async def scenario() -> Any:
        async with served() as client:
            return await (await client.get("/openapi.json")).json()

    assert run(scenario) == DOCUMENT


def test_the_document_is_openapi_3_1_with_valid_schemas_and_known_security_schemes() -> None:
    schemes = set(DOCUMENT["components"]["securitySchemes"])

    assert DOCUMENT["openapi"] == "3.1.0"
    for schema in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    operation_ids = []
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            operation_ids.append(operation["operationId"])
            assert {"200", "202"} & set(operation["responses"])
            for requirement in operation["security"]:
                assert set(requirement) <= schemes
            for parameter in operation.get("parameters", []):
                Draft202012Validator.check_schema(parameter["schema"])
    assert len(operation_ids) == len(set(operation_ids))


def test_every_path_parameter_is_declared() -> None:
    for path, item in DOCUMENT["paths"].items():
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path


def get(path: str, headers: dict[str, str] | None = None) -> Call:
    return lambda client: client.get(path, headers=headers if headers is not None else bearer())


def post(path: str, body: Any, headers: dict[str, str] | None = None) -> Call:
    return lambda client: client.post(path, data=body if isinstance(body, bytes) else None,
                                      json=None if isinstance(body, bytes) else body,
                                      headers=headers if headers is not None else bearer())


ONE, QUERY = "/v1/availability/{sku}", "/v1/availability/query"
PRICE, CART = "/v1/prices/{sku}", "/v1/checkout/validate"
ORDER, TIMELINE = "/v1/orders/{order_id}", "/v1/orders/{order_id}/timeline"
EXCEPTIONS, ACT, SUMMARY = "/v1/exceptions", "/v1/exceptions/{exception_id}/{action}", "/v1/ops/summary"
REPLAY = "/v1/dead-letters/replay"
REPLAYABLE = {"source_topic": "wms.inventory-movements", "partition": 0, "offset": 41}
OPEN_CASE, CLAIMED_CASE = "/v1/exceptions/unknown_sku:evt-1:O-1001", "/v1/exceptions/erp_rejected:evt-2:O-1002"
OPERATOR = bearer(OPERATOR_KEY)
HEALTHY_TOUR: list[tuple[str, str, Call]] = [
    (ONE, "GET", get("/v1/availability/SKU-1")),
    (ONE, "GET", get("/v1/availability/a%20b")),
    (ONE, "GET", get("/v1/availability/SKU-1", {})),
    (ONE, "GET", get("/v1/availability/SKU-1", bearer("ops-console-key-93be51d0"))),
    (ONE, "GET", get("/v1/availability/GHOST")),
    (ONE, "GET", get("/v1/availability/SKU-1?min_version=99")),
    (QUERY, "POST", post(QUERY, {"skus": ["SKU-1", "GHOST"]})),
    (QUERY, "POST", post(QUERY, b"{oops")),
    (QUERY, "POST", post(QUERY, {"skus": ["SKU-1"]}, {})),
    (QUERY, "POST", post(QUERY, {"skus": ["SKU-1"]}, bearer("ops-console-key-93be51d0"))),
    (QUERY, "POST", post(QUERY, b'{"skus":["' + b"A" * 300_000 + b'"]}')),
    (PRICE, "GET", get("/v1/prices/SKU-00001?customer=C-1001&qty=12")),
    (PRICE, "GET", get("/v1/prices/SKU-00001?customer=NOBODY")),
    (PRICE, "GET", get("/v1/prices/SKU-00001?qty=0&customer=C-1001")),
    (PRICE, "GET", get("/v1/prices/SKU-00001?customer=C-1001", {})),
    (PRICE, "GET", get("/v1/prices/SKU-00001?customer=C-1001", bearer("ops-console-key-93be51d0"))),
    (CART, "POST", post(CART, {"customer": "C-1001", "lines": [{"sku": "SKU-00001", "quantity": 2},
                                                               {"sku": "GHOST", "quantity": 1}]})),
    (CART, "POST", post(CART, {"customer": "NOBODY", "lines": [{"sku": "SKU-00001", "quantity": 2}]})),
    (CART, "POST", post(CART, {"customer": "C-1001", "lines": []})),
    (CART, "POST", post(CART, {"customer": "C-1001", "lines": [{"sku": "A", "quantity": 1}]}, {})),
    (CART, "POST", post(CART, {"customer": "C-1001", "lines": [{"sku": "A", "quantity": 1}]},
                        bearer("ops-console-key-93be51d0"))),
    (CART, "POST", post(CART, b'{"customer":"C-1001","lines":["' + b"A" * 300_000 + b'"]}')),
    (ORDER, "GET", get("/v1/orders/O-1001")),
    (ORDER, "GET", get("/v1/orders/NO-SUCH-ORDER")),
    (ORDER, "GET", get("/v1/orders/%3Cscript%3E")),
    (ORDER, "GET", get("/v1/orders/O-1001", {})),
    (ORDER, "GET", get("/v1/orders/O-1001", bearer("ops-console-key-93be51d0"))),
    (TIMELINE, "GET", get("/v1/orders/O-1001/timeline")),
    (TIMELINE, "GET", get("/v1/orders/NO-SUCH-ORDER/timeline")),
    (TIMELINE, "GET", get("/v1/orders/%3Cscript%3E/timeline")),
    (TIMELINE, "GET", get("/v1/orders/O-1001/timeline", {})),
    (TIMELINE, "GET", get("/v1/orders/O-1001/timeline", bearer("ops-console-key-93be51d0"))),
    (EXCEPTIONS, "GET", get("/v1/exceptions?owner=customer-service&older_than_s=60", bearer("ops-console-key-93be51d0"))),
    (EXCEPTIONS, "GET", get("/v1/exceptions?state=RESOLVED", OPERATOR)),
    (EXCEPTIONS, "GET", get("/v1/exceptions", {})),
    (EXCEPTIONS, "GET", get("/v1/exceptions")),
    (ACT, "POST", post(OPEN_CASE + "/claim", {}, OPERATOR)),
    (ACT, "POST", post(OPEN_CASE + "/claim", b"{oops", OPERATOR)),
    (ACT, "POST", post("/v1/exceptions/unknown_sku:nothing:O-9/claim", {}, OPERATOR)),
    (ACT, "POST", post(CLAIMED_CASE + "/resolve", {"note": "not mine"}, OPERATOR)),
    (ACT, "POST", post(OPEN_CASE + "/claim", b'{"note":"' + b"A" * 300_000 + b'"}', OPERATOR)),
    (ACT, "POST", post(OPEN_CASE + "/claim", {}, {})),
    (ACT, "POST", post(OPEN_CASE + "/claim", {}, bearer("ops-console-key-93be51d0"))),
    (REPLAY, "POST", post(REPLAY, REPLAYABLE, OPERATOR)),
    (REPLAY, "POST", post(REPLAY, {**REPLAYABLE, "source_topic": "distflow.order-status"}, OPERATOR)),
    (REPLAY, "POST", post(REPLAY, {**REPLAYABLE, "offset": 999}, OPERATOR)),
    (REPLAY, "POST", post(REPLAY, b'{"note":"' + b"A" * 300_000 + b'"}', OPERATOR)),
    (REPLAY, "POST", post(REPLAY, REPLAYABLE, {})),
    (REPLAY, "POST", post(REPLAY, REPLAYABLE, bearer("ops-console-key-93be51d0"))),
    (SUMMARY, "GET", get("/v1/ops/summary", bearer("ops-console-key-93be51d0"))),
    (SUMMARY, "GET", get("/v1/ops/summary", {})),
    (SUMMARY, "GET", get("/v1/ops/summary")),
    ("/ops", "GET", get("/ops", {})),
    ("/healthz", "GET", get("/healthz", {})),
    ("/readyz", "GET", get("/readyz", {})),
    ("/openapi.json", "GET", get("/openapi.json", {})),
    ("/metrics", "GET", get("/metrics", {})),
]
OUTAGE_TOUR = [(ONE, "GET", get("/v1/availability/SKU-1")), (QUERY, "POST", post(QUERY, {"skus": ["SKU-1"]})),
               ("/readyz", "GET", get("/readyz", {})), (PRICE, "GET", get("/v1/prices/SKU-1?customer=C-1001")),
               (CART, "POST", post(CART, {"customer": "C-1001", "lines": [{"sku": "SKU-1", "quantity": 1}]})),
               (ORDER, "GET", get("/v1/orders/O-1001")), (TIMELINE, "GET", get("/v1/orders/O-1001/timeline")),
               (EXCEPTIONS, "GET", get("/v1/exceptions", OPERATOR)), (SUMMARY, "GET", get("/v1/ops/summary", OPERATOR)),
               (ACT, "POST", post(OPEN_CASE + "/claim", {}, OPERATOR))]
KAFKA_DOWN_TOUR = [(ACT, "POST", post(OPEN_CASE + "/claim", {}, OPERATOR)),
                   (REPLAY, "POST", post(REPLAY, REPLAYABLE, OPERATOR))]
THROTTLED_TOUR = [(ONE, "GET", get("/v1/availability/SKU-1"))] * 2 + [(QUERY, "POST", post(QUERY, {"skus": ["A"]})),
                                                                     (PRICE, "GET", get("/v1/prices/A?customer=C")),
                                                                     (CART, "POST", post(CART, {})),
                                                                     (ORDER, "GET", get("/v1/orders/O-1001")),
                                                                     (TIMELINE, "GET",
                                                                      get("/v1/orders/O-1001/timeline")),
                                                                     (EXCEPTIONS, "GET", get("/v1/exceptions")),
                                                                     (SUMMARY, "GET", get("/v1/ops/summary")),
                                                                     (ACT, "POST", post(OPEN_CASE + "/claim", {})),
                                                                     (REPLAY, "POST", post(REPLAY, REPLAYABLE))]


async def tour(client: TestClient, calls: list[tuple[str, str, Call]]) -> list[tuple[str, str, int, str, Any]]:
    seen = []
    for path, method, call in calls:
        response = await call(client)
        content_type = response.headers.get("Content-Type", "").split(";")[0]
        body = await response.json() if content_type == "application/json" else await response.text()
        seen.append((path, method, response.status, content_type, body))
    return seen


@pytest.fixture(scope="module")
def answers() -> list[tuple[str, str, int, str, Any]]:
    async def scenario() -> list[tuple[str, str, int, str, Any]]:
        down = RecordingReader([entry()])
        down.reachable = False
        async with served(settings=api_settings(api_read_your_writes_wait_ms=10)) as client:
            seen = await tour(client, HEALTHY_TOUR)
        down_checkout = DictCheckoutReader()
        down_checkout.reachable = False
        down_orders = example_order_reader()
        down_orders.reachable = False
        down_exceptions = example_exception_reader()
        down_exceptions.reachable = False
        async with served(down, checkout=down_checkout, orders=down_orders, exceptions=down_exceptions) as client:
            seen += await tour(client, OUTAGE_TOUR)
        down_replayer = example_replayer()
        down_replayer.reachable = False
        async with served(actions=RecordingActionSink(reachable=False), replayer=down_replayer) as client:
            seen += await tour(client, KAFKA_DOWN_TOUR)
        async with served(settings=api_settings(api_rate_limit_per_s=0.01, api_rate_limit_burst=1)) as client:
            seen += await tour(client, THROTTLED_TOUR)
        return seen

    return run(scenario)


def test_every_answer_has_a_documented_status_content_type_and_body(
        answers: list[tuple[str, str, int, str, Any]]) -> None:
    for path, method, status, content_type, body in answers:
        documented = DOCUMENT["paths"][path][method.lower()]["responses"]
        assert str(status) in documented, f"{method} {path} answered {status}, undocumented"
        content = documented[str(status)]["content"]
        assert content_type in content, f"{method} {path} {status}: {content_type}"
        if content_type == "application/json":
            schema_validator(content[content_type]["schema"]).validate(body)


def test_every_documented_status_is_really_answered(answers: list[tuple[str, str, int, str, Any]]) -> None:
    answered = {(path, method.lower(), str(status)) for path, method, status, _, _ in answers}

    documented = {(path, method, status) for path, item in DOCUMENT["paths"].items()
                  for method, operation in item.items() for status in operation["responses"]}

    assert documented - answered == set()
