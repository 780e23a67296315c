"""An exception case ↔ a plain record (the changelog's JSON layout; also what the read model documents hold)."""
from __future__ import annotations

from typing import Any

from processors.workbench.lifecycle import CaseState, ExceptionCase, HistoryEntry, Raised

FORMAT = 1


def to_record(case: ExceptionCase) -> dict[str, Any]:
    r = case.raised
    return {
        "format": FORMAT, "exception_id": r.exception_id, "exception_type": r.exception_type,
        "owner_team": r.owner_team, "severity": r.severity, "reason": r.reason, "subject_type": r.subject_type,
        "subject_id": r.subject_id, "details": dict(r.details), "raised_at": r.raised_at,
        "correlation_id": r.correlation_id, "state": str(case.state), "claimed_by": case.claimed_by,
        "version": case.version, "updated_at": case.updated_at, "note": case.note,
        "history": [{"at": h.at, "action": h.action, "operator": h.operator, "from": h.from_state,
                     "to": h.to_state, "note": h.note} for h in case.history],
        "seen_actions": list(case.seen_actions),
    }


def from_record(record: dict[str, Any]) -> ExceptionCase:
    if record.get("format") != FORMAT:
        raise ValueError(f"unknown exception case format {record.get('format')!r}")
    raised = Raised(record["exception_id"], record["exception_type"], record["owner_team"], record["severity"],
                    record["reason"], record["subject_type"], record["subject_id"],
                    tuple(sorted(record["details"].items())), record["raised_at"], record.get("correlation_id", ""))
    history = tuple(HistoryEntry(h["at"], h["action"], h["operator"], h["from"], h["to"], h["note"])
                    for h in record["history"])
    return ExceptionCase(raised, CaseState(record["state"]), record["claimed_by"], record["version"],
                         record["updated_at"], record["note"], history, tuple(record["seen_actions"]))
