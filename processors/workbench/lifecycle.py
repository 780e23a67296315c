"""The life of a business exception: open → claimed → resolved | dismissed, driven by operators' actions.

Pure: no Kafka, no Redis, no clock. `raise_case` opens a case from a raised exception (raising it again is a no-op);
`act` applies one operator action and says what happened. Rules:
- nothing leaves RESOLVED or DISMISSED;
- one operator holds a claim at a time; only the holder releases, resolves or dismisses (claim first);
- resolve, dismiss, approve and replay only where the exception type allows them (the catalog's actions); approve
  closes the case as resolved (e.g. a large inventory drift accepted), and so does replay (the dead-lettered record
  was re-injected, by the API, before the action was sent);
- every action is idempotent by its action id: a second delivery of the same id changes nothing and is not
  audited again.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from enum import Enum


class CaseState(str, Enum):
    OPEN = "OPEN"
    CLAIMED = "CLAIMED"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"

    def __str__(self) -> str:
        return self.value


CLOSED = frozenset({CaseState.RESOLVED, CaseState.DISMISSED})
LIFECYCLE_ACTIONS = frozenset({"claim", "release"})  # every type allows these
CLOSING = {"resolve": CaseState.RESOLVED, "approve": CaseState.RESOLVED, "replay": CaseState.RESOLVED,
           "dismiss": CaseState.DISMISSED}
KNOWN_ACTIONS = LIFECYCLE_ACTIONS | frozenset(CLOSING)
NOTE_REQUIRED = frozenset({"resolve"})
MAX_REMEMBERED_ACTIONS = 200  # action ids kept per case for idempotency (a case sees a handful)


@dataclass(frozen=True)
class Raised:
    """An exception as the stages raise it (streams/exceptions_catalog.exception_record)."""

    exception_id: str
    exception_type: str
    owner_team: str
    severity: str
    reason: str
    subject_type: str
    subject_id: str
    details: tuple[tuple[str, str], ...]
    raised_at: int
    correlation_id: str = ""


@dataclass(frozen=True)
class OperatorAction:
    action_id: str
    exception_id: str
    action: str
    operator: str
    at: int
    note: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    at: int
    action: str
    operator: str
    from_state: str
    to_state: str
    note: str


@dataclass(frozen=True)
class ExceptionCase:
    raised: Raised
    state: CaseState = CaseState.OPEN
    claimed_by: str = ""
    version: int = 1
    updated_at: int = 0
    note: str = ""
    history: tuple[HistoryEntry, ...] = ()
    seen_actions: tuple[str, ...] = field(default=())

    @property
    def exception_id(self) -> str:
        return self.raised.exception_id

    @property
    def closed(self) -> bool:
        return self.state in CLOSED


@dataclass(frozen=True)
class Audited:
    """One audit record: a change (APPLIED) or a refusal (REFUSED, with a reason)."""

    exception_id: str
    action_id: str
    action: str
    operator: str
    outcome: str  # APPLIED | REFUSED
    from_state: str
    to_state: str
    at: int
    note: str = ""
    reason: str = ""


def raise_case(case: ExceptionCase | None, raised: Raised) -> tuple[ExceptionCase, tuple[Audited, ...]]:
    if case is not None:
        return case, ()
    opened = ExceptionCase(raised, updated_at=raised.raised_at,
                           history=(HistoryEntry(raised.raised_at, "raise", "distflow", "NONE", "OPEN", ""),))
    return opened, (Audited(raised.exception_id, raised.exception_id, "raise", "distflow", "APPLIED", "NONE",
                            "OPEN", raised.raised_at, reason=raised.reason),)


def act(case: ExceptionCase | None, action: OperatorAction,
        allowed: Collection[str]) -> tuple[ExceptionCase | None, tuple[Audited, ...]]:
    """Apply one action; `allowed` is what the exception's type allows besides claim and release."""
    if case is None:
        return None, (_refused(action, "NONE", "unknown_exception"),)
    if action.action_id in case.seen_actions:
        return case, ()
    reason = refusal(case, action, allowed)
    remembered = (case.seen_actions + (action.action_id,))[-MAX_REMEMBERED_ACTIONS:]
    if reason is not None:
        return replace(case, seen_actions=remembered), (_refused(action, str(case.state), reason),)
    new_state, holder = _next(case, action)
    entry = HistoryEntry(action.at, action.action, action.operator, str(case.state), str(new_state), action.note)
    changed = replace(case, state=new_state, claimed_by=holder, version=case.version + 1,
                      updated_at=max(case.updated_at, action.at), note=action.note or case.note,
                      history=case.history + (entry,), seen_actions=remembered)
    return changed, (Audited(case.exception_id, action.action_id, action.action, action.operator, "APPLIED",
                             str(case.state), str(new_state), action.at, action.note),)


def refusal(case: ExceptionCase, action: OperatorAction, allowed: Collection[str]) -> str | None:
    """Why `action` may not be applied to `case` now, or None when it may."""
    if action.action not in KNOWN_ACTIONS:
        return "unknown_action"
    if case.closed:
        return "closed"
    if action.action not in LIFECYCLE_ACTIONS and action.action not in allowed:
        return "action_not_allowed"
    if action.action in NOTE_REQUIRED and not action.note.strip():
        return "note_required"
    if case.state is CaseState.CLAIMED and case.claimed_by != action.operator:
        return "claimed_by_another"
    if action.action == "claim" and case.state is CaseState.CLAIMED:
        return "already_claimed"
    if action.action != "claim" and case.state is not CaseState.CLAIMED:
        return "not_claimed"
    return None


def _next(case: ExceptionCase, action: OperatorAction) -> tuple[CaseState, str]:
    if action.action == "claim":
        return CaseState.CLAIMED, action.operator
    if action.action == "release":
        return CaseState.OPEN, ""
    return CLOSING[action.action], case.claimed_by


def _refused(action: OperatorAction, state: str, reason: str) -> Audited:
    return Audited(action.exception_id, action.action_id, action.action, action.operator, "REFUSED", state, state,
                   action.at, action.note, reason)
