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
