"""Shared plumbing: one transaction per service call, and the guarded state change.

A transition is a conditional update `UPDATE reports SET state=:new … WHERE id=:id AND state=:expected
[AND …]`: of two concurrent requests exactly one matches a row; the other gets a ServiceError and the
stored state stays as the winner left it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.clock import now
from workflow.db.models import ReportRow, ReportVersion, Season, User
from workflow.db.session import begin_write
from workflow.domain import states
from workflow.domain.states import ReportEvent, ReportState
from workflow.services import audit
from workflow.services.errors import InvalidTransition, NotFound, StateConflict

REPORTS = cast(Table, ReportRow.__table__)

P = ParamSpec("P")
T = TypeVar("T")


def transactional(fn: Callable[P, T]) -> Callable[P, T]:
    """One write transaction around `fn` (the session is the first argument): begun when `fn` is
    called (BEGIN IMMEDIATE on SQLite), committed when it returns, rolled back when it raises.  Do the
    slow parts (parsing, password hashing) before calling a service: the write lock is held throughout."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        session = args[0] if args else kwargs["session"]
        assert isinstance(session, Session)
        try:
            begin_write(session)
            result = fn(*args, **kwargs)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return result

    return wrapper


def get_report(session: Session, report_id: int) -> ReportRow:
    report = session.get(ReportRow, report_id, populate_existing=True)
    if report is None:
        raise NotFound(f"找不到编号为 {report_id} 的报告")
    return report


def get_user(session: Session, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"找不到编号为 {user_id} 的用户")
    return user


def get_version(session: Session, report_id: int, number: int) -> ReportVersion:
    v = session.scalar(
        select(ReportVersion).where(ReportVersion.report_id == report_id, ReportVersion.number == number)
    )
    if v is None:
        raise NotFound(f"报告 {report_id} 没有第 {number} 版")
    return v


def season_stages(season: Season) -> list[str]:
    return list(season.stages or states.DEFAULT_STAGES)


def check_event(report: ReportRow, event: ReportEvent) -> ReportState:
    """The target state, or InvalidTransition (service flavour) before anything is written."""
    return _apply(ReportState(report.state), event)


def _apply(current: ReportState, event: ReportEvent) -> ReportState:
    try:
        return states.apply(current, event)
    except states.InvalidTransition as exc:
        raise InvalidTransition.wrap(exc) from None


def transition(
    session: Session,
    report: ReportRow,
    event: ReportEvent,
    *,
    actor_id: int | None,
    values: dict[str, Any] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
    conflict: type[StateConflict] = StateConflict,
    conflict_message: str | None = None,
    **details: Any,
) -> ReportState:
    """Move `report` by `event` if it is still in the state we read; audit it."""
    target, changed = transition_by_id(
        session,
        report.id,
        ReportState(report.state),
        event,
        body_id=report.body_id,
        actor_id=actor_id,
        values=values,
        where=where,
        conflict=conflict,
        conflict_message=conflict_message,
        **details,
    )
    # The columns we wrote, as the database stored them (no reload of the whole row and its draft).
    for key, value in changed.items():
        set_committed_value(report, key, value)
    return target


def transition_by_id(
    session: Session,
    report_id: int,
    current: ReportState,
    event: ReportEvent,
    *,
    body_id: int,
    actor_id: int | None,
    values: dict[str, Any] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
    conflict: type[StateConflict] = StateConflict,
    conflict_message: str | None = None,
    **details: Any,
) -> tuple[ReportState, dict[str, Any]]:
    """The transition without a loaded row: the state we expect, and the written columns returned.

    `UPDATE … WHERE id = :id AND state = :current … RETURNING <written columns>`, then one audit row.
    Core statements on the tables (the ORM's bulk-DML layer costs more CPU than the SQL itself); so
    what the session holds is flushed first, as the ORM's autoflush would.
    """
    target = _apply(current, event)
    changes = {"state": target.value, "state_changed_at": now(), **(values or {})}
    session.flush()
    stmt = (
        update(REPORTS)
        .where(REPORTS.c.id == report_id, REPORTS.c.state == current.value, *where)
        .values(**changes)
        .returning(*(REPORTS.c[key] for key in changes))
    )
    row = session.execute(stmt).first()
    if row is None:
        raise conflict(conflict_message)
    audit.insert(
        session,
        f"report.{event.value}",
        actor_id=actor_id,
        report_id=report_id,
        body_id=body_id,
        details={"from_state": current.value, "to_state": target.value, **details},
    )
    return target, dict(zip(changes, row, strict=True))
