"""OpenAPI pieces of the exception workbench routes (merged into the document by streams.api.openapi)."""
from __future__ import annotations

from typing import Any

from streams.api.exceptions import (
    ACTION_ID_PATTERN, ACTIONS, EXCEPTION_ID_PATTERN, EXCEPTIONS_READ, EXCEPTIONS_WRITE, LISTED_STATES, MAX_NOTE,
    TEAM_PATTERN)
from streams.exceptions_catalog import EXCEPTION_TYPES

SCOPES = {EXCEPTIONS_READ: "list the open exception queues",
          EXCEPTIONS_WRITE: "claim, release, resolve, dismiss or approve an exception (the key's client id is the "
                            "operator)"}
_MS = {"type": "integer", "minimum": 0, "description": "milliseconds since the Unix epoch"}

PARAMETERS: dict[str, dict[str, Any]] = {
    "exception_id": {"name": "exception_id", "in": "path", "required": True,
                     "example": "unknown_sku:evt-1:O-1001",
                     "schema": {"type": "string", "pattern": f"^{EXCEPTION_ID_PATTERN.pattern}$"}},
    "action": {"name": "action", "in": "path", "required": True, "schema": {"enum": list(ACTIONS)}, "example": "claim",
               "description": "claim and release always; resolve, dismiss and approve where the exception type "
                              "allows them (allowed_actions in the list)"},
    "owner": {"name": "owner", "in": "query", "required": False,
              "schema": {"type": "string", "pattern": f"^{TEAM_PATTERN.pattern}$"},
              "description": "only this owning team's queue, e.g. customer-service"},
    "type": {"name": "type", "in": "query", "required": False, "schema": {"enum": sorted(EXCEPTION_TYPES)}},
    "state": {"name": "state", "in": "query", "required": False, "schema": {"enum": list(LISTED_STATES)}},
    "older_than_s": {"name": "older_than_s", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0},
                     "description": "only exceptions raised at least this many seconds ago"},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "ExceptionCase": {"type": "object", "required": ["exception_id", "exception_type", "owner_team", "state",
                                                     "raised_at", "age_ms", "allowed_actions"], "properties": {
        "exception_id": {"type": "string"}, "exception_type": {"type": "string"},
        "owner_team": {"type": "string"}, "severity": {"enum": ["info", "warning", "critical"]},
        "reason": {"type": "string"}, "subject_type": {"type": "string"}, "subject_id": {"type": "string"},
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
        "raised_at": _MS, "state": {"enum": list(LISTED_STATES)},
        "claimed_by": {"type": "string", "description": "client id of the operator holding it ('' when open)"},
        "version": {"type": "integer", "minimum": 1}, "updated_at": _MS, "note": {"type": "string"},
        "age_ms": {"type": "integer", "minimum": 0, "description": "now − raised_at"},
        "allowed_actions": {"type": "array", "items": {"enum": list(ACTIONS)}}}},
    "ExceptionList": {"type": "object", "required": ["exceptions", "count", "as_of_ms"], "properties": {
        "exceptions": {"type": "array", "items": {"$ref": "#/components/schemas/ExceptionCase"},
                       "description": "oldest first, at most 500"},
        "count": {"type": "integer", "minimum": 0}, "as_of_ms": _MS}},
    "OperatorActionRequest": {"type": "object", "additionalProperties": False, "properties": {
        "note": {"type": "string", "maxLength": MAX_NOTE, "description": "required to resolve"},
        "action_id": {"type": "string", "pattern": f"^{ACTION_ID_PATTERN.pattern}$",
                      "description": "optional idempotency key: send the same id to retry safely"}},
        "example": {"note": "SKU created in the ERP; order released"}},
    "ActionAccepted": {"type": "object", "required": ["action_id", "exception_id", "action", "operator"],
                       "properties": {"action_id": {"type": "string"}, "exception_id": {"type": "string"},
                                      "action": {"enum": list(ACTIONS)}, "operator": {"type": "string"},
                                      "accepted_at": _MS}},
    "ReplayRequest": {"type": "object", "required": ["source_topic", "partition", "offset"],
                      "additionalProperties": False, "properties": {
                          "source_topic": {"type": "string", "description": "as the dead letter names it"},
                          "partition": {"type": "integer", "minimum": 0}, "offset": {"type": "integer", "minimum": 0},
                          "note": {"type": "string", "maxLength": MAX_NOTE}},
                      "example": {"source_topic": "wms.inventory-movements", "partition": 0, "offset": 41,
                                  "note": "movement type added to the pipeline"}},
    "ReplayAccepted": {"type": "object", "required": ["action_id", "source", "operator", "replayed_to"],
                       "properties": {"action_id": {"type": "string"}, "source": {"type": "string"},
                                      "operator": {"type": "string"},
                                      "replayed_to": {"type": "object", "required": ["topic", "partition", "offset"],
                                                      "properties": {"topic": {"type": "string"},
                                                                     "partition": {"type": "integer"},
                                                                     "offset": {"type": "integer"}}}}},
    "OpsSummary": {"type": "object", "required": ["order_backlog", "sync_lag", "workers", "as_of_ms"], "properties": {
        "order_backlog": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                          "description": "open orders by state, over every worker reporting"},
        "sync_lag": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                     "description": "records not yet consumed from each source system's topics"},
        "workers": {"type": "integer", "minimum": 0, "description": "workers that reported in the last 15 s"},
        "as_of_ms": _MS}},
}

FAILURES: dict[tuple[str, int], tuple[str, str]] = {
    ("act_on_exception", 400): ("Malformed request: bad JSON or body, an invalid exception id, a resolve without a "
                                "note", "Error"),
    ("act_on_exception", 404): ("No such open exception in the workbench read model (or, to replay, its source "
                                "record is past retention)", "Error"),
    ("act_on_exception", 409): ("Refused by the lifecycle: closed, claimed by another operator, not claimed, an "
                                "action the exception type does not allow, or nothing to replay (the code says "
                                "which)", "Error"),
    ("act_on_exception", 503): ("Redis or Kafka unreachable: the action was not recorded; retry with the same "
                                "action_id", "Error"),
    ("replay_dead_letter", 400): ("Malformed request: not a source topic, a bad partition or offset", "Error"),
    ("replay_dead_letter", 404): ("No record at that source position (never written, or past retention)", "Error"),
    ("replay_dead_letter", 503): ("Kafka could not be read or did not acknowledge the replay; retry", "Error"),
    ("list_exceptions", 400): ("Malformed filter: owner, type, state or older_than_s", "Error"),
}
