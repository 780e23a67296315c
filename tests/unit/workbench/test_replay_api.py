"""POST /v1/dead-letters/replay over the in-memory replayer: the original record goes back to its source topic with
its bytes and headers (plus who replayed what), and the replay is audited."""
from __future__ import annotations

from typing import Any

from streams.api.exceptions_replay import REPLAY_HEADER, REPLAYED_BY_HEADER, RecordingReplayer
from tests.unit.api.support import OPERATOR_KEY, bearer, example_replayer, run, served

POSITION = {"source_topic": "wms.inventory-movements", "partition": 0, "offset": 41}


def replay(body: Any, replayer: RecordingReplayer) -> tuple[int, Any]:
    async def scenario() -> tuple[int, Any]:
        async with served(replayer=replayer) as client:
            response = await client.post("/v1/dead-letters/replay", json=body, headers=bearer(OPERATOR_KEY))
            return response.status, await response.json()
    return run(scenario)


def test_the_original_bytes_and_headers_go_back_to_the_source_topic_and_the_replay_is_audited() -> None:
    replayer = example_replayer()

    status, body = replay({**POSITION, "note": "movement type deployed"}, replayer)

    assert status == 202 and body["source"] == "wms.inventory-movements:0@41"
    ((topic, original, audit),) = replayer.reinjected
    assert topic == "wms.inventory-movements"
    assert (original.key, original.value) == (b"SKU-1", b"\x00original-bytes")
    assert original.headers == (("correlation_id", b"corr-7"), ("traceparent", b"00-abc"),
                                (REPLAY_HEADER, b"wms.inventory-movements:0@41"),
                                (REPLAYED_BY_HEADER, body["operator"].encode()))
    assert (audit["action"], audit["operator"], audit["note"], audit["exception_id"]) == (
        "replay", body["operator"], "movement type deployed", "dead_letter:wms.inventory-movements:0@41")
    assert audit["envelope"]["correlation_id"] == "corr-7"


def test_only_an_existing_record_of_a_source_topic_is_replayed() -> None:
    replayer = example_replayer()

    answers = [replay({**POSITION, "offset": 40}, replayer), replay({**POSITION, "source_topic": "x"}, replayer),
               replay({**POSITION, "partition": -1}, replayer), replay({**POSITION, "offset": True}, replayer)]

    assert [(status, body["error"]) for status, body in answers] == [
        (404, "unknown_source_record"), (400, "not_a_source_topic"), (400, "invalid_partition"),
        (400, "invalid_offset")]
    assert replayer.reinjected == []


def test_replaying_a_claimed_dead_letter_case_reinjects_its_record_then_sends_the_action() -> None:
    import hashlib

    from streams.api.exceptions import RecordingActionSink
    from tests.unit.api.support import example_exception_reader

    operator = "key-" + hashlib.sha256(OPERATOR_KEY.encode()).hexdigest()[:10]
    reader = example_exception_reader()
    case_id = "invalid_event:dl-1:wms.inventory-movements:0@41"
    reader.documents[case_id] = {**reader.documents["unknown_sku:evt-1:O-1001"], "exception_id": case_id,
                                 "exception_type": "invalid_event", "owner_team": "integration-support",
                                 "state": "CLAIMED", "claimed_by": operator, "details": {
                                     "source_topic": "wms.inventory-movements", "source_partition": "0",
                                     "source_offset": "41", "replayable": "true"}}
    not_replayable = "invalid_event:dl-2:distflow.inventory-commands:0@3"
    reader.documents[not_replayable] = {**reader.documents[case_id], "exception_id": not_replayable,
                                        "details": {"replayable": "false"}}
    replayer, sink = example_replayer(), RecordingActionSink()

    async def scenario() -> list[tuple[int, Any]]:
        async with served(exceptions=reader, actions=sink, replayer=replayer) as client:
            answers = []
            for target in (case_id, not_replayable):
                response = await client.post(f"/v1/exceptions/{target}/replay", json={"note": "fixed"},
                                             headers=bearer(OPERATOR_KEY))
                answers.append((response.status, await response.json()))
            return answers

    (ok, ok_body), (refused, refused_body) = run(scenario)

    assert ok == 202 and [r[0] for r in replayer.reinjected] == ["wms.inventory-movements"]
    assert [(a["exception_id"], a["action"]) for a in sink.sent] == [(case_id, "replay")]
    assert (refused, refused_body["error"]) == (409, "not_replayable")
