"""The state machine: every row of the table, and every pair not in it, is refused with a Chinese message."""

from __future__ import annotations

import itertools

import pytest

from workflow.domain.states import (
    TRANSITIONS,
    InvalidTransition,
    ReportEvent,
    ReportState,
    allowed_events,
    apply,
    approval_event,
)

ALL_PAIRS = list(itertools.product(ReportState, ReportEvent))
ILLEGAL = [p for p in ALL_PAIRS if p not in TRANSITIONS]

EXPECTED = {
    ("draft", "submit"): "submitted",
    ("submitted", "start_check"): "checking",
    ("checking", "checks_failed"): "needs_fixes",
    ("checking", "checks_passed"): "in_review",
    ("in_review", "approve_stage"): "in_review",
    ("in_review", "approve"): "approved",
    ("in_review", "return"): "returned",
    ("returned", "edit"): "draft",
    ("needs_fixes", "edit"): "draft",
    ("submitted", "withdraw"): "draft",
    ("checking", "withdraw"): "draft",
    ("in_review", "withdraw"): "draft",
    ("in_review", "recheck"): "checking",
    ("approved", "publish"): "published",
    ("published", "start_correction"): "draft",
}


def test_table_is_exactly_the_documented_life_cycle() -> None:
    assert {(s.value, e.value): t.value for (s, e), t in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("pair", "target"), sorted(EXPECTED.items()), ids=lambda v: str(v))
def test_every_row_applies(pair: tuple[str, str], target: str) -> None:
    assert apply(*pair) is ReportState(target)


@pytest.mark.parametrize(("state", "event"), ILLEGAL, ids=lambda v: str(v))
def test_every_illegal_pair_is_refused(state: ReportState, event: ReportEvent) -> None:
    with pytest.raises(InvalidTransition) as exc:
        apply(state, event)
    assert exc.value.state is state and exc.value.event is event
    assert "不能执行" in exc.value.message


def test_message_names_state_and_action_in_chinese() -> None:
    with pytest.raises(InvalidTransition, match="已公开.*审定通过"):
        apply(ReportState.PUBLISHED, ReportEvent.APPROVE)


def test_published_is_only_left_through_a_correction() -> None:
    assert allowed_events(ReportState.PUBLISHED) == [ReportEvent.START_CORRECTION]


def test_every_state_is_reachable_from_draft() -> None:
    seen, frontier = {ReportState.DRAFT}, [ReportState.DRAFT]
    while frontier:
        s = frontier.pop()
        for e in allowed_events(s):
            t = apply(s, e)
            if t not in seen:
                seen.add(t)
                frontier.append(t)
    assert seen == set(ReportState)


def test_approval_event_depends_on_the_stage() -> None:
    stages = ["body_head", "district_office"]
    assert approval_event(stages, 0) is ReportEvent.APPROVE_STAGE
    assert approval_event(stages, 1) is ReportEvent.APPROVE
    assert approval_event(["district_office"], 0) is ReportEvent.APPROVE
    with pytest.raises(ValueError):
        approval_event(stages, 2)
