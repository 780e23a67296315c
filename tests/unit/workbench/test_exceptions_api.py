"""The workbench routes over the in-memory read model: filters and age, and actions checked, recorded and answered
202 with the operator taken from the API key."""
from __future__ import annotations

import hashlib
from typing import Any

from streams.api.exceptions import RecordingActionSink
from tests.unit.api.support import NOW_MS, OPERATOR_KEY, OPS_KEY, bearer, example_exception_reader, run, served

OPERATOR = bearer(OPERATOR_KEY)
OPEN, CLAIMED, SHORTFALL = "unknown_sku:evt-1:O-1001", "erp_rejected:evt-2:O-1002", "shortfall:evt-3:SKU-1"


def listed(query: str) -> tuple[int, Any]:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            response = await client.get(f"/v1/exceptions{query}", headers=bearer(OPS_KEY))
            return response.status, await response.json()
    return run(scenario)


def acted(path: str, body: Any, sink: RecordingActionSink | None = None) -> tuple[int, Any]:
    async def scenario() -> tuple[int, Any]:
        async with served(actions=sink) as client:
            response = await client.post(f"/v1/exceptions/{path}", json=body, headers=OPERATOR)
            return response.status, await response.json()
    return run(scenario)


def ids(body: Any) -> list[str]:
    return [case["exception_id"] for case in body["exceptions"]]


def test_the_queues_list_oldest_first_with_age_and_allowed_actions() -> None:
    status, body = listed("")

    assert status == 200 and ids(body) == [OPEN, SHORTFALL, CLAIMED]
    first = body["exceptions"][0]
    assert first["age_ms"] == 7_200_000 and first["allowed_actions"] == ["claim", "release", "resolve", "dismiss"]
    assert body["as_of_ms"] == NOW_MS


def test_filters_by_owner_type_state_and_age() -> None:
    assert ids(listed("?owner=customer-service")[1]) == [OPEN, CLAIMED]
    assert ids(listed("?type=shortfall")[1]) == [SHORTFALL]
    assert ids(listed("?state=CLAIMED")[1]) == [CLAIMED]
    assert ids(listed("?older_than_s=3600")[1]) == [OPEN]
    assert ids(listed("?owner=nobody")[1]) == []


def test_bad_filters_are_400() -> None:
    for query, code in (("?type=volcano", "invalid_type"), ("?state=RESOLVED", "invalid_state"),
                        ("?older_than_s=-5", "invalid_older_than_s"), ("?owner=Bad%20Team", "invalid_owner")):
        status, body = listed(query)
        assert (status, body["error"]) == (400, code), query


def test_a_claim_is_recorded_for_the_pipeline_with_the_keys_client_id_and_answered_202() -> None:
    sink = RecordingActionSink()

    status, body = acted(f"{OPEN}/claim", {"action_id": "act-42"}, sink)

    assert status == 202 and body["action_id"] == "act-42" and body["operator"].startswith("key-")
    (record,) = sink.sent
    assert (record["exception_id"], record["action"], record["action_id"], record["operator"]) == (
        OPEN, "claim", "act-42", body["operator"])
    assert record["envelope"]["event_id"] == "act-42" and record["envelope"]["occurred_at"] == NOW_MS


def test_refusals_are_explained_and_nothing_is_recorded() -> None:
    sink = RecordingActionSink()

    answers = [acted(f"{CLAIMED}/resolve", {"note": "done"}, sink), acted(f"{OPEN}/resolve", {"note": "x"}, sink),
               acted(f"{SHORTFALL}/dismiss", {}, sink), acted(f"{OPEN}/claim", {"note": 7}, sink),
               acted("unknown_sku:none:O-0/claim", {}, sink)]

    assert [(status, body["error"]) for status, body in answers] == [
        (409, "claimed_by_another"), (409, "not_claimed"), (409, "action_not_allowed"), (400, "invalid_note"),
        (404, "unknown_exception")]
    assert sink.sent == []


def test_resolve_without_a_note_is_400() -> None:
    reader = example_exception_reader()
    reader.documents[CLAIMED]["claimed_by"] = "key-" + hashlib.sha256(OPERATOR_KEY.encode()).hexdigest()[:10]

    async def scenario() -> tuple[int, Any]:
        async with served(exceptions=reader) as client:
            response = await client.post(f"/v1/exceptions/{CLAIMED}/resolve", json={}, headers=OPERATOR)
            return response.status, await response.json()

    status, body = run(scenario)

    assert (status, body["error"]) == (400, "note_required")


def test_kafka_refusing_the_action_is_503_and_retryable() -> None:
    status, body = acted(f"{OPEN}/claim", {}, RecordingActionSink(reachable=False))

    assert (status, body["error"]) == (503, "actions_unavailable")


def test_the_summary_adds_up_the_workers_figures() -> None:
    async def scenario() -> Any:
        async with served() as client:
            return await (await client.get("/v1/ops/summary", headers=bearer(OPS_KEY))).json()

    body = run(scenario)

    assert body["order_backlog"] == {"ACCEPTED": 1, "RESERVED": 5}
    assert body["sync_lag"] == {"commerce": 7, "erp": 15, "wms": 0} and body["workers"] == 2


def test_the_operations_page_is_served_without_a_key_and_asks_for_one() -> None:
    async def scenario() -> tuple[int, str, str, str]:
        async with served() as client:
            response = await client.get("/ops")
            return (response.status, response.content_type, response.headers["Content-Security-Policy"],
                    await response.text())

    status, content_type, csp, page = run(scenario)

    assert status == 200 and content_type == "text/html" and "default-src 'none'" in csp
    assert "script-src 'sha256-" in csp  # only the page's own script runs, not an injected one
    assert 'id="api-key"' in page and "sessionStorage" in page and "innerHTML" not in page
