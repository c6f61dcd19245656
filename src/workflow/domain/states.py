"""The report's life cycle as one explicit table.

draft → submitted → checking → needs_fixes | in_review → returned (back to draft) | approved → published.
A published report is corrected only through a new version that takes the same path (start_correction).
Review stages are configured per season (e.g. the body's head signs off, then the district office
decides); the stage index lives on the report row, the table only knows "next stage" vs "last stage".

Pure: the services decide *when* an event happens (guards that need the database), this module
decides *whether* it may happen in the current state.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHECKING = "checking"
    NEEDS_FIXES = "needs_fixes"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    PUBLISHED = "published"


class ReportEvent(StrEnum):
    SUBMIT = "submit"
    START_CHECK = "start_check"
    CHECKS_FAILED = "checks_failed"
    CHECKS_PASSED = "checks_passed"
    APPROVE_STAGE = "approve_stage"  # a stage before the last signs off: stays in review, next stage
    APPROVE = "approve"  # the last stage decides
    RETURN = "return"
    EDIT = "edit"
    WITHDRAW = "withdraw"
    RECHECK = "recheck"  # the rule catalog changed while the report waited for review
    PUBLISH = "publish"
    START_CORRECTION = "start_correction"


S, E = ReportState, ReportEvent

TRANSITIONS: dict[tuple[ReportState, ReportEvent], ReportState] = {
    (S.DRAFT, E.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, E.START_CHECK): S.CHECKING,
    (S.CHECKING, E.CHECKS_FAILED): S.NEEDS_FIXES,
    (S.CHECKING, E.CHECKS_PASSED): S.IN_REVIEW,
    (S.IN_REVIEW, E.APPROVE_STAGE): S.IN_REVIEW,
    (S.IN_REVIEW, E.APPROVE): S.APPROVED,
    (S.IN_REVIEW, E.RETURN): S.RETURNED,
    (S.RETURNED, E.EDIT): S.DRAFT,
    (S.NEEDS_FIXES, E.EDIT): S.DRAFT,
    (S.SUBMITTED, E.WITHDRAW): S.DRAFT,
    (S.CHECKING, E.WITHDRAW): S.DRAFT,
    # Only before any review decision on the version: the service checks that (stage index 0).
    (S.IN_REVIEW, E.WITHDRAW): S.DRAFT,
    (S.IN_REVIEW, E.RECHECK): S.CHECKING,
    (S.APPROVED, E.PUBLISH): S.PUBLISHED,
    (S.PUBLISHED, E.START_CORRECTION): S.DRAFT,
}

STATE_LABELS: dict[ReportState, str] = {
    S.DRAFT: "草稿",
    S.SUBMITTED: "已提交",
    S.CHECKING: "正在校验",
    S.NEEDS_FIXES: "校验未通过，待修改",
    S.IN_REVIEW: "审核中",
    S.RETURNED: "已退回",
    S.APPROVED: "已审定",
    S.PUBLISHED: "已公开",
}

EVENT_LABELS: dict[ReportEvent, str] = {
    E.SUBMIT: "提交",
    E.START_CHECK: "开始校验",
    E.CHECKS_FAILED: "校验未通过",
    E.CHECKS_PASSED: "校验通过",
    E.APPROVE_STAGE: "本环节审核通过",
    E.APPROVE: "审定通过",
    E.RETURN: "退回修改",
    E.EDIT: "修改",
    E.WITHDRAW: "撤回",
    E.RECHECK: "重新校验",
    E.PUBLISH: "公开",
    E.START_CORRECTION: "发起更正",
}

# States a submitter may edit the draft in (editing a returned / needs_fixes report moves it to draft).
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED, S.NEEDS_FIXES})

DEFAULT_STAGES: tuple[str, ...] = ("body_head", "district_office")
STAGE_LABELS: dict[str, str] = {
    "body_head": "本机关负责人审核",
    "district_office": "区政务公开办审定",
}


class InvalidTransition(Exception):
    """An event that the current state does not allow; `message` is for the user."""

    def __init__(self, state: ReportState, event: ReportEvent) -> None:
        self.state = state
        self.event = event
        self.message = f"报告当前状态为“{STATE_LABELS[state]}”，不能执行“{EVENT_LABELS[event]}”操作"
        super().__init__(self.message)


def apply(state: ReportState | str, event: ReportEvent | str) -> ReportState:
    """The state after `event`, or InvalidTransition."""
    s, e = ReportState(state), ReportEvent(event)
    try:
        return TRANSITIONS[(s, e)]
    except KeyError:
        raise InvalidTransition(s, e) from None


def allowed_events(state: ReportState | str) -> list[ReportEvent]:
    s = ReportState(state)
    return [e for (st, e) in TRANSITIONS if st is s]


def approval_event(stages: Sequence[str], stage_index: int) -> ReportEvent:
    """APPROVE at the last configured stage, APPROVE_STAGE before it."""
    if not 0 <= stage_index < len(stages):
        raise ValueError(f"stage index {stage_index} outside {list(stages)}")
    return ReportEvent.APPROVE if stage_index == len(stages) - 1 else ReportEvent.APPROVE_STAGE


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage)
