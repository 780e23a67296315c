"""The exception lifecycle: examples of each rule, then properties over random action sequences."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from processors import workbench as w

ALLOWED = ("resolve", "dismiss")
RAISED = w.Raised("unknown_sku:evt-1:O-1", "unknown_sku", "customer-service", "warning", "SKU GHOST unknown",
                  "order", "O-1", (("sku", "GHOST"),), 1_000)


def opened() -> w.ExceptionCase:
    return w.raise_case(None, RAISED)[0]


def action(action_id: str, name: str, operator: str = "key-alice", note: str = "", at: int = 2_000) -> w.OperatorAction:
    return w.OperatorAction(action_id, RAISED.exception_id, name, operator, at, note)


def run(case: w.ExceptionCase | None, *actions: w.OperatorAction,
        allowed: tuple[str, ...] = ALLOWED) -> tuple[w.ExceptionCase | None, list[w.Audited]]:
    audits: list[w.Audited] = []
    for one in actions:
        case, out = w.act(case, one, allowed)
        audits.extend(out)
    return case, audits


def test_raising_opens_a_case_and_audits_it_once() -> None:
    case, audits = w.raise_case(None, RAISED)

    again, second = w.raise_case(case, RAISED)

    assert case.state is w.CaseState.OPEN and case.version == 1
    assert [(a.action, a.outcome, a.to_state) for a in audits] == [("raise", "APPLIED", "OPEN")]
    assert again is case and second == ()


def test_claim_then_resolve_with_a_note_closes_the_case() -> None:
    case, audits = run(opened(), action("a1", "claim"), action("a2", "resolve", note="SKU created in the ERP"))

    assert case is not None and case.state is w.CaseState.RESOLVED and case.version == 3
    assert case.note == "SKU created in the ERP"
    assert [(a.action, a.outcome, a.from_state, a.to_state) for a in audits] == [
        ("claim", "APPLIED", "OPEN", "CLAIMED"), ("resolve", "APPLIED", "CLAIMED", "RESOLVED")]


def test_a_claimed_case_belongs_to_its_holder_alone() -> None:
    case, audits = run(opened(), action("a1", "claim"), action("b1", "claim", "key-bob"),
                       action("b2", "dismiss", "key-bob"), action("b3", "release", "key-bob"))

    assert case is not None and case.state is w.CaseState.CLAIMED and case.claimed_by == "key-alice"
    assert [a.reason for a in audits[1:]] == ["claimed_by_another"] * 3


def test_release_lets_another_operator_claim() -> None:
    case, _ = run(opened(), action("a1", "claim"), action("a2", "release"), action("b1", "claim", "key-bob"))

    assert case is not None and case.claimed_by == "key-bob"


def test_resolve_needs_a_claim_a_note_and_an_allowed_action() -> None:
    _, unclaimed = run(opened(), action("a1", "resolve", note="done"))
    _, no_note = run(opened(), action("a1", "claim"), action("a2", "resolve", note="  "))
    _, not_allowed = run(opened(), action("a1", "claim"), action("a2", "dismiss"), allowed=("resolve",))
    _, unknown = run(opened(), action("a1", "explode"))

    assert [a.reason for a in unclaimed] == ["not_claimed"]
    assert no_note[-1].reason == "note_required"
    assert not_allowed[-1].reason == "action_not_allowed"
    assert unknown[-1].reason == "unknown_action"


def test_approve_closes_as_resolved_where_the_type_allows_it() -> None:
    case, _ = run(opened(), action("a1", "claim"), action("a2", "approve"), allowed=("approve", "resolve"))

    assert case is not None and case.state is w.CaseState.RESOLVED


def test_replay_closes_a_dead_letter_case_as_resolved_where_the_type_allows_it() -> None:
    replayed, _ = run(opened(), action("a1", "claim"), action("a2", "replay"), allowed=("replay", "dismiss"))
    _, refused = run(opened(), action("a1", "claim"), action("a2", "replay"), allowed=("resolve",))

    assert replayed is not None and replayed.state is w.CaseState.RESOLVED
    assert refused[-1].reason == "action_not_allowed"


def test_an_action_on_an_unknown_exception_is_refused() -> None:
    case, audits = w.act(None, action("a1", "claim"), ALLOWED)

    assert case is None and [(a.outcome, a.reason) for a in audits] == [("REFUSED", "unknown_exception")]


def test_the_same_action_id_twice_is_applied_and_audited_once() -> None:
    claimed, first = run(opened(), action("a1", "claim"), action("a2", "release"))

    again, second = run(claimed, action("a1", "claim"), action("a2", "release"))

    assert again == claimed and second == []
    assert len(first) == 2


def test_a_case_survives_its_record_layout() -> None:
    case, _ = run(opened(), action("a1", "claim"), action("a2", "resolve", note="fixed"))

    assert case is not None and w.from_record(w.to_record(case)) == case


OPERATORS = st.sampled_from(["key-alice", "key-bob", "key-carol"])
NAMES = st.sampled_from(["claim", "release", "resolve", "dismiss", "approve", "replay", "explode"])
ACTIONS = st.lists(st.tuples(st.integers(0, 30), NAMES, OPERATORS, st.sampled_from(["", "a note"])), max_size=40)


def actions_from(drawn: list[tuple[int, str, str, str]]) -> list[w.OperatorAction]:
    return [action(f"act-{n}", name, operator, note, at=2_000 + i) for i, (n, name, operator, note) in
            enumerate(drawn)]


@settings(max_examples=300, deadline=None)
@given(ACTIONS, st.sets(st.sampled_from(["resolve", "dismiss", "approve", "replay"])))
def test_no_transition_ever_leaves_a_closed_case(drawn: list[tuple[int, str, str, str]], allowed: set[str]) -> None:
    case: w.ExceptionCase | None = opened()
    closed_at: w.ExceptionCase | None = None
    for one in actions_from(drawn):
        case, audits = w.act(case, one, allowed)
        assert case is not None
        if closed_at is not None:
            assert (case.state, case.version, case.history) == (closed_at.state, closed_at.version, closed_at.history)
            assert all(a.outcome == "REFUSED" for a in audits)
        elif case.closed:
            closed_at = case


@settings(max_examples=300, deadline=None)
@given(ACTIONS)
def test_a_claim_is_held_by_one_operator_and_only_the_holder_moves_the_case(
        drawn: list[tuple[int, str, str, str]]) -> None:
    case: w.ExceptionCase = opened()
    for one in actions_from(drawn):
        before = case
        after, audits = w.act(case, one, ("resolve", "dismiss", "approve"))
        assert after is not None
        if before.state is w.CaseState.CLAIMED and after.version != before.version:
            assert one.operator == before.claimed_by
        assert (after.state is w.CaseState.CLAIMED) == bool(after.claimed_by) or after.closed
        assert len(audits) <= 1
        case = after


@settings(max_examples=300, deadline=None)
@given(ACTIONS, st.randoms(use_true_random=False))
def test_redelivering_any_actions_changes_nothing(drawn: list[tuple[int, str, str, str]], random: object) -> None:
    actions = actions_from(drawn)
    once, audits_once = run(opened(), *actions, allowed=("resolve", "dismiss", "approve"))
    redelivered = list(actions)
    random.shuffle(redelivered)  # type: ignore[attr-defined]

    again, audits_again = run(once, *redelivered, allowed=("resolve", "dismiss", "approve"))

    assert again == once and audits_again == []
    assert len({a.action_id for a in audits_once}) == len(audits_once)
