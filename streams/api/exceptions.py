"""Exception workbench routes: list the open queues (from the Redis read model the worker writes,
streams/workbench_view.py) and act on an exception (claim, release, resolve, dismiss, approve).

An action is not applied here: it is checked against the case as the read model shows it (the same rules as the
worker, processors/workbench, for a fast and explained refusal), produced to distflow.operator-actions keyed by
exception id, and answered 202 with its action id once the broker acknowledged it. The workbench stage applies it
(the table is the truth: a race the read model could not see is refused there and audited). The operator is the
API key's client id. Sending the same action_id again is harmless: the stage applies each id once.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from processors import workbench as w
from streams.api.middleware import CLIENT_ID
from streams.api.queries import BadRequest
from streams.api.responses import error_response, json_response
from streams.exceptions_catalog import EXCEPTION_TYPES
from streams.snapshot.reader import SnapshotUnavailable, unavailable

EXCEPTIONS_READ = "exceptions:read"
EXCEPTIONS_WRITE = "exceptions:write"
EXCEPTION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,399}")  # ids embed event ids, which hold '/'

ACTION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
TEAM_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,63}")
ACTIONS = ("claim", "release", "resolve", "dismiss", "approve", "replay")
LISTED_STATES = ("OPEN", "CLAIMED")
MAX_LISTED = 500
MAX_NOTE = 2_000
LISTED_FIELDS = ("exception_id", "exception_type", "owner_team", "severity", "reason", "subject_type", "subject_id",
                 "details", "raised_at", "state", "claimed_by", "version", "updated_at", "note")
log = logging.getLogger("distflow.api")


class ExceptionReader(Protocol):
    async def open_cases(self, owner_team: str | None, limit: int) -> list[dict[str, Any]]: ...
    async def case(self, exception_id: str) -> dict[str, Any] | None: ...
    async def ops_stats(self) -> list[dict[str, Any]]: ...


class ActionSink(Protocol):
    async def send(self, action: dict[str, Any]) -> None: ...


class ActionsUnavailable(RuntimeError):
    """The broker did not acknowledge an operator action. Operator action: check Kafka; the caller retries."""


class RedisExceptionReader:
    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    async def open_cases(self, owner_team: str | None, limit: int) -> list[dict[str, Any]]:
        from streams.workbench_view import exception_key, open_index_key, owner_index_key

        index = open_index_key(self.prefix) if owner_team is None else owner_index_key(self.prefix, owner_team)
        try:
            ids = await self.client.zrange(index, 0, limit - 1)
            if not ids:
                return []
            async with self.client.pipeline(transaction=False) as pipe:
                for exception_id in ids:
                    pipe.hget(exception_key(self.prefix, exception_id.decode()), "document")
                raws = await pipe.execute()
        except Exception as error:  # redis.RedisError and connection errors alike
            raise unavailable(error, "the exception list") from error
        return [json.loads(raw) for raw in raws if raw is not None]

    async def case(self, exception_id: str) -> dict[str, Any] | None:
        from streams.workbench_view import exception_key

        try:
            raw = await self.client.hget(exception_key(self.prefix, exception_id), "document")
        except Exception as error:
            raise unavailable(error, "an exception") from error
        return None if raw is None else json.loads(raw)  # type: ignore[no-any-return]

    async def ops_stats(self) -> list[dict[str, Any]]:
        """Each live worker's figures (an expired one is simply missing)."""
        from streams.workbench_view import ops_worker_key, ops_workers_key

        try:
            workers = sorted(await self.client.smembers(ops_workers_key(self.prefix)))
            raws = await self.client.mget([ops_worker_key(self.prefix, w.decode()) for w in workers]) if workers \
                else []
        except Exception as error:
            raise unavailable(error, "operations figures") from error
        return [json.loads(raw) for raw in raws if raw is not None]


@dataclass
class DictExceptionReader:
    documents: dict[str, dict[str, Any]]
    reachable: bool = True
    stats: list[dict[str, Any]] = field(default_factory=list)

    async def ops_stats(self) -> list[dict[str, Any]]:
        if not self.reachable:
            raise SnapshotUnavailable("in-memory exception read model switched to unreachable")
        return self.stats

    async def open_cases(self, owner_team: str | None, limit: int) -> list[dict[str, Any]]:
        if not self.reachable:
            raise SnapshotUnavailable("in-memory exception read model switched to unreachable")
        found = [d for d in self.documents.values() if d["state"] in LISTED_STATES and
                 (owner_team is None or d["owner_team"] == owner_team)]
        return sorted(found, key=lambda d: d["raised_at"])[:limit]

    async def case(self, exception_id: str) -> dict[str, Any] | None:
        if not self.reachable:
            raise SnapshotUnavailable("in-memory exception read model switched to unreachable")
        return self.documents.get(exception_id)


@dataclass
class RecordingActionSink:
    sent: list[dict[str, Any]] = field(default_factory=list)
    reachable: bool = True

    async def send(self, action: dict[str, Any]) -> None:
        if not self.reachable:
            raise ActionsUnavailable("in-memory action sink switched to unreachable")
        self.sent.append(action)


class KafkaActionSink:
    """Produces operator actions with the worker's partitioner (murmur2), so an action lands with its exception."""

    def __init__(self, settings: Any, timeout_s: float = 10.0) -> None:
        from confluent_kafka import Producer

        from streams.topic_names import DeployedCatalog
        from topics import catalog
        from topics.codec import build_codec

        self.topic = DeployedCatalog(settings)[catalog.OPERATOR_ACTIONS]
        self.schema = catalog.OPERATOR_ACTIONS.value_schema or ""
        self.codec = build_codec(settings)
        self.timeout_s = timeout_s
        self.producer = Producer({**settings.kafka_client_config(), "partitioner": "murmur2_random", "acks": "all",
                                  "enable.idempotence": settings.kafka_idempotent_producer, "linger.ms": 0})

    async def send(self, action: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        delivered: asyncio.Future[None] = loop.create_future()

        def settle(error: object, _: object) -> None:
            def done() -> None:
                if delivered.done():
                    return
                if error is None:
                    delivered.set_result(None)
                else:
                    delivered.set_exception(ActionsUnavailable(f"operator action not acknowledged: {error}"))
            loop.call_soon_threadsafe(done)

        try:
            value = self.codec.encode(self.topic, self.schema, action)
            self.producer.produce(self.topic, key=str(action["exception_id"]).encode(), value=value,
                                  on_delivery=settle)
        except Exception as error:  # BufferError (queue full), KafkaException, an encoding error
            raise ActionsUnavailable(f"operator action not produced: {type(error).__name__}") from error
        remaining = await asyncio.to_thread(self.producer.flush, self.timeout_s)
        if remaining:
            raise ActionsUnavailable(f"operator action not acknowledged within {self.timeout_s}s")
        await asyncio.wait_for(delivered, self.timeout_s)

    def close(self) -> None:
        self.producer.flush(5)


@dataclass(frozen=True)
class WorkbenchContext:
    reader: ExceptionReader
    actions: ActionSink
    clock_ms: Any


WORKBENCH = web.AppKey("workbench", WorkbenchContext)


async def list_exceptions(request: web.Request) -> web.Response:
    context = request.app[WORKBENCH]
    owner = _optional(request, "owner", TEAM_PATTERN, "invalid_owner")
    kind = request.query.get("type")
    if kind is not None and kind not in EXCEPTION_TYPES:
        raise BadRequest("invalid_type", f"type {kind[:64]!r} is not in the exception catalog")
    state = request.query.get("state")
    if state is not None and state not in LISTED_STATES:
        raise BadRequest("invalid_state", f"state must be one of {', '.join(LISTED_STATES)} (closed cases leave "
                                          "the queues)")
    older_than_ms = _older_than_ms(request.query.get("older_than_s"))
    now_ms = context.clock_ms()
    listed = []
    for document in await context.reader.open_cases(owner, MAX_LISTED):
        age_ms = max(0, now_ms - int(document["raised_at"]))
        if (kind and document["exception_type"] != kind) or (state and document["state"] != state) or \
                age_ms < older_than_ms:
            continue
        listed.append({**{name: document.get(name) for name in LISTED_FIELDS}, "age_ms": age_ms,
                       "allowed_actions": allowed_for(document["exception_type"])})
    return json_response(200, {"exceptions": listed, "count": len(listed), "as_of_ms": now_ms})


async def operations_summary(request: web.Request) -> web.Response:
    """Order backlog by state and sync lag per source system, added up over the workers reporting now."""
    context = request.app[WORKBENCH]
    backlog: dict[str, int] = {}
    lag: dict[str, int] = {}
    reports = await context.reader.ops_stats()
    for report in reports:
        for state, count in report.get("order_backlog", {}).items():
            backlog[state] = backlog.get(state, 0) + int(count)
        for system, behind in report.get("sync_lag", {}).items():
            lag[system] = lag.get(system, 0) + int(behind)
    return json_response(200, {"order_backlog": dict(sorted(backlog.items())), "sync_lag": dict(sorted(lag.items())),
                               "workers": len(reports), "as_of_ms": context.clock_ms()})


def allowed_for(exception_type: str) -> list[str]:
    kind = EXCEPTION_TYPES.get(exception_type)
    extra = kind.actions if kind is not None else ("resolve", "dismiss")
    return ["claim", "release", *(a for a in extra if a in w.KNOWN_ACTIONS)]


async def act_on_exception(request: web.Request) -> web.Response:
    context = request.app[WORKBENCH]
    exception_id = _exception_id(request.match_info["exception_id"])
    action_name = request.match_info["action"]
    note, action_id = await _action_body(request)
    operator = request[CLIENT_ID]
    document = await context.reader.case(exception_id)
    if document is None:
        return error_response(404, "unknown_exception", f"no open exception {exception_id!r} in the workbench read "
                              "model: never raised, not yet seen, or closed long ago", exception_id=exception_id)
    now_ms = context.clock_ms()
    action = w.OperatorAction(action_id, exception_id, action_name, operator, now_ms, note)
    reason = w.refusal(_case_of(document), action, allowed_for(document["exception_type"]))
    if reason == "note_required":
        raise BadRequest("note_required", "resolving needs a note saying what was done")
    if reason is not None:
        return error_response(409, reason, f"{action_name} refused on {exception_id!r} ({document['state']}"
                              f"{', claimed by ' + document['claimed_by'] if document.get('claimed_by') else ''}): "
                              f"{reason}", exception_id=exception_id, state=document["state"])
    if action_name == "replay":
        refused = await _replay_case(request, document, operator, note)
        if refused is not None:
            return refused
    record = {"envelope": {"event_id": action_id, "event_type": "OperatorAction", "source": "distflow",
                           "correlation_id": document.get("correlation_id") or exception_id,
                           "causation_id": None, "occurred_at": now_ms, "produced_at": now_ms},
              "exception_id": exception_id, "action_id": action_id, "action": action_name, "operator": operator,
              "note": note}
    try:
        await context.actions.send(record)
    except (ActionsUnavailable, asyncio.TimeoutError) as error:
        log.warning("answering 503: %s", error)
        return error_response(503, "actions_unavailable", "The action could not be recorded (Kafka did not "
                              "acknowledge it); nothing was done. Retry with the same action_id.",
                              {"Retry-After": "1"})
    log.info("operator action %s %s on %s", operator, action_name, exception_id,
             extra={"exception_id": exception_id, "action_id": action_id, "operator": operator})
    return json_response(202, {"action_id": action_id, "exception_id": exception_id, "action": action_name,
                               "operator": operator, "accepted_at": now_ms})


async def _replay_case(request: web.Request, document: dict[str, Any], operator: str,
                       note: str) -> web.Response | None:
    """Re-inject the case's dead-lettered record (streams/api/exceptions_replay.py) before the action is sent: if
    sending the action then fails, a retry replays again, which de-duplication makes harmless."""
    from streams.api.exceptions_replay import replay_position

    details = document.get("details") or {}
    if details.get("replayable") != "true":
        return error_response(409, "not_replayable", "this exception names no source record to replay",
                              exception_id=document["exception_id"], state=document["state"])
    return await replay_position(request, details["source_topic"], int(details["source_partition"]),
                                 int(details["source_offset"]), operator, note, document["exception_id"])


def _case_of(document: dict[str, Any]) -> w.ExceptionCase:
    return w.from_record({**document, "format": 1, "seen_actions": document.get("seen_actions", []),
                          "history": document.get("history", [])})


async def _action_body(request: web.Request) -> tuple[str, str]:
    raw = await request.read()  # over client_max_size: HTTPRequestEntityTooLarge → 413
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("malformed_json", "the body is not valid UTF-8 JSON ({} when there is nothing to say)") \
            from None
    if not isinstance(body, dict) or set(body) - {"note", "action_id"}:
        raise BadRequest("invalid_body", "the body is an object with an optional 'note' and 'action_id'")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise BadRequest("invalid_note", f"note must be a string of at most {MAX_NOTE} characters")
    action_id = body.get("action_id") or str(uuid.uuid4())
    if not isinstance(action_id, str) or not ACTION_ID_PATTERN.fullmatch(action_id):
        raise BadRequest("invalid_action_id", f"action_id must match {ACTION_ID_PATTERN.pattern}")
    return note.strip(), action_id


def _exception_id(raw: str) -> str:
    if not EXCEPTION_ID_PATTERN.fullmatch(raw):
        raise BadRequest("invalid_exception_id", f"exception id {raw[:64]!r} does not match "
                                                 f"{EXCEPTION_ID_PATTERN.pattern}")
    return raw


def _optional(request: web.Request, name: str, pattern: re.Pattern[str], code: str) -> str | None:
    value = request.query.get(name)
    if value is not None and not pattern.fullmatch(value):
        raise BadRequest(code, f"{name} {value[:64]!r} does not match {pattern.pattern}")
    return value


def _older_than_ms(raw: str | None) -> int:
    if raw is None:
        return 0
    if not raw.isdigit() or len(raw) > 12:
        raise BadRequest("invalid_older_than_s", "older_than_s is a whole number of seconds")
    return int(raw) * 1000
