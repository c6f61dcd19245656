"""Small builders for bodies, users and seasons: used by the demo seed and the tests.

They add and flush (ids are available) but do not commit: the caller owns the transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import Body, Jurisdiction, Season, SeasonDeadline, User
from workflow.domain.bodies import BodyType, infer_body_type
from workflow.domain.states import DEFAULT_STAGES

_seq = itertools.count(1)


def make_jurisdiction(session: Session, name: str = "西宁市湟中区") -> Jurisdiction:
    found = session.scalar(select(Jurisdiction).where(Jurisdiction.name == name))
    if found is not None:
        return found
    j = Jurisdiction(name=name)
    session.add(j)
    session.flush()
    return j


def make_body(
    session: Session,
    name: str | None = None,
    *,
    code: str | None = None,
    jurisdiction: Jurisdiction | None = None,
    body_type: str | None = None,
    **fields: object,
) -> Body:
    n = next(_seq)
    name = name or f"测试{n}镇人民政府"
    body = Body(
        name=name,
        code=code or f"body-{n}-{abs(hash(name)) % 10**6}",
        body_type=body_type or infer_body_type(name).value,
        jurisdiction_id=(jurisdiction or make_jurisdiction(session)).id,
        **fields,
    )
    session.add(body)
    session.flush()
    return body


def make_user(
    session: Session,
    username: str | None = None,
    *,
    password_hash: str,
    role: str = "submitter",
    body: Body | None = None,
    jurisdiction: Jurisdiction | None = None,
    review_stage: str | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    """`password_hash` comes from the caller (workflow.services.accounts hashes): the database layer
    stores users, it does not know how passwords are hashed."""
    if role == "reviewer" and jurisdiction is None:
        jurisdiction = make_jurisdiction(session)
    user = User(
        username=username or f"user{next(_seq)}",
        display_name=display_name or (username or ""),
        password_hash=password_hash,
        email=email,
        role=role,
        body_id=body.id if body else None,
        jurisdiction_id=jurisdiction.id if jurisdiction else None,
        review_stage=review_stage,
    )
    session.add(user)
    session.flush()
    return user


def make_season(
    session: Session,
    report_year: int = 2026,
    *,
    stages: Sequence[str] = DEFAULT_STAGES,
    due: date | None = None,
    internal_review_date: date | None = None,
) -> Season:
    season = Season(
        report_year=report_year,
        stages=list(stages),
        internal_review_date=internal_review_date or date(report_year + 1, 1, 15),
    )
    session.add(season)
    session.flush()
    due = due or date(report_year + 1, 1, 31)
    for bt in BodyType:
        session.add(SeasonDeadline(season_id=season.id, body_type=bt.value, locality=None, due_date=due))
    session.flush()
    return season
