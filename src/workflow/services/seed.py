"""The demo district: 西宁市湟中区 with its townships, 街道 and departments, users and two seasons.

Idempotent: every row is looked up by its natural key first, so a second run adds nothing.  The caller
commits.  鲁沙尔镇's real 2024 report (../shared/corpus/lushaer_2024.txt) is imported as a draft, problems
included, so the demo shows the checks at work.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.factories import make_jurisdiction
from workflow.db.models import Body, ReportRow, Season, SeasonDeadline, User
from workflow.domain.bodies import BodyType, infer_body_type
from workflow.domain.states import DEFAULT_STAGES, ReportState
from workflow.services import audit
from workflow.services.accounts import cached_hash

log = logging.getLogger(__name__)

DISTRICT = "西宁市湟中区"
DEMO_PASSWORD = "demo1234"
# (code = submitter's username, full name)
BODIES: tuple[tuple[str, str], ...] = (
    ("lushaer", "鲁沙尔镇人民政府"),
    ("duoba", "多巴镇人民政府"),
    ("shangxinzhuang", "上新庄镇人民政府"),
    ("tianjiazhai", "田家寨镇人民政府"),
    ("ganhetan", "甘河滩镇人民政府"),
    ("gonghe", "共和镇人民政府"),
    ("lanlongkou", "拦隆口镇人民政府"),
    ("lijiashan", "李家山镇人民政府"),
    ("xibao", "西堡镇人民政府"),
    ("kangchuan", "康川街道办事处"),
    ("haizigou", "海子沟街道办事处"),
    ("jiaoyu", "西宁市湟中区教育局"),
    ("minzheng", "西宁市湟中区民政局"),
    ("caizheng", "西宁市湟中区财政局"),
    ("weijian", "西宁市湟中区卫生健康局"),
)
SEASONS = {2026: (date(2027, 1, 31), date(2027, 1, 15)), 2024: (date(2025, 1, 31), date(2025, 1, 15))}
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("lushaer", DEMO_PASSWORD, "填报人（鲁沙尔镇人民政府；其他机关用户名见 workflow seed-demo）"),
    ("reviewer", DEMO_PASSWORD, "审核人（西宁市湟中区，全部审核环节）"),
    ("admin", DEMO_PASSWORD, "管理员"),
]


def seed_demo(session: Session, corpus_dir: Path | str | None = None) -> dict[str, int]:
    """Create what is missing; returns how many rows of each kind were added."""
    added = {"bodies": 0, "users": 0, "seasons": 0, "reports": 0}
    district = make_jurisdiction(session, DISTRICT)
    bodies = {code: _body(session, code, name, district.id, added) for code, name in BODIES}
    for code, body in bodies.items():
        _user(session, code, "submitter", added, body_id=body.id, display_name=body.name)
    _user(
        session, "reviewer", "reviewer", added, jurisdiction_id=district.id, display_name="区政务公开办审核人"
    )
    _user(session, "admin", "admin", added, display_name="系统管理员")
    seasons = {year: _season(session, year, due, review, added) for year, (due, review) in SEASONS.items()}
    if corpus_dir is not None:
        _lushaer_2024(session, Path(corpus_dir), bodies["lushaer"], seasons[2024], added)
    session.flush()
    if any(added.values()):
        audit.record(session, "seed.demo", actor_id=None, **added)
    return added


def _body(session: Session, code: str, name: str, jurisdiction_id: int, added: dict[str, int]) -> Body:
    body = session.scalar(select(Body).where(Body.code == code))
    if body is None:
        body = Body(
            name=name,
            code=code,
            body_type=infer_body_type(name).value,
            jurisdiction_id=jurisdiction_id,
            locality=DISTRICT,
            contact_name=f"{name}政务公开工作人员",
            contact_email=f"{code}@example.gov.cn",
            head_email=f"{code}-head@example.gov.cn",
        )
        session.add(body)
        session.flush()
        added["bodies"] += 1
    return body


def _user(session: Session, username: str, role: str, added: dict[str, int], **fields: object) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(
            username=username,
            role=role,
            password_hash=cached_hash(DEMO_PASSWORD),
            email=f"{username}@example.gov.cn",
            **fields,
        )
        session.add(user)
        session.flush()
        added["users"] += 1
    return user


def _season(session: Session, year: int, due: date, review: date, added: dict[str, int]) -> Season:
    season = session.scalar(select(Season).where(Season.report_year == year))
    if season is None:
        season = Season(report_year=year, stages=list(DEFAULT_STAGES), internal_review_date=review)
        session.add(season)
        session.flush()
        for bt in BodyType:
            session.add(SeasonDeadline(season_id=season.id, body_type=bt.value, locality=None, due_date=due))
        added["seasons"] += 1
    return season


def _lushaer_2024(
    session: Session, corpus_dir: Path, body: Body, season: Season, added: dict[str, int]
) -> None:
    exists = session.scalar(
        select(ReportRow.id).where(ReportRow.body_id == body.id, ReportRow.season_id == season.id)
    )
    source = corpus_dir / "lushaer_2024.txt"
    if exists is not None:
        return
    if not source.is_file():
        log.warning("demo corpus not found at %s: 鲁沙尔镇 2024 report not imported", source)
        return
    from workflow.importers import import_bytes

    imported = import_bytes(
        source.read_bytes(), source.name, body_type=body.body_type, year=2024, body_name=body.name
    )
    row = ReportRow(
        body_id=body.id,
        season_id=season.id,
        state=ReportState.DRAFT.value,
        draft=imported.report.to_dict(),
        draft_revision=1,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "report.import", actor_id=None, report_id=row.id, body_id=body.id, filename=source.name
    )
    added["reports"] += 1


def demo_logins(session: Session) -> list[tuple[str, str, str]]:
    """Every demo user, for printing: (username, password, what they are)."""
    rows = session.execute(
        select(User.username, User.role, Body.name).join(Body, Body.id == User.body_id, isouter=True)
    ).tuples()
    labels = {"submitter": "填报人", "reviewer": "审核人", "admin": "管理员"}
    return [(u, DEMO_PASSWORD, f"{labels.get(r, r)}{'（' + n + '）' if n else ''}") for u, r, n in rows]
