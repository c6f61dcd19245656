"""The demo district: 西宁市湟中区 with its townships, 街道 and departments, users and three seasons.

- 2024: 鲁沙尔镇's real 2024 report (../shared/corpus/lushaer_2024.txt) imported as a draft, problems
  included, so the demo shows the checks at work.
- 2025 (due 31 January 2026), a past season already through the workflow: every body's report written,
  submitted, checked, approved by both stages and published, through the same service functions a clerk
  and a reviewer use, with the clock set to dates in January–March 2026 (the audit trail, publication
  dates and 逾期 flags read true).  A few bodies publish after the deadline (one of them after a return
  with a comment on a section), and one publishes a correction (a second version with its note).
  Figures are generated per body (`domain.samples`, a seeded random per body), carried on from the
  body's 2024 report where there is one, so 2026's 上年结转 follows from 2025's 结转下年度.
- 2026, the current season, open and empty.

Idempotent: every row is looked up by its natural key first, and a past-season report resumes from the
state it is in, so a second run adds nothing.  Commits: the past season goes through the services, each
step in its own transaction (publishing renders the PDFs outside any transaction).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow import clock as clock_module
from workflow.db.factories import make_jurisdiction
from workflow.db.models import Body, Publication, ReportRow, Season, SeasonDeadline, User
from workflow.domain.bodies import BodyType, infer_body_type
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.domain.states import DEFAULT_STAGES, EDITABLE_STATES, ReportState
from workflow.services import audit, outbox
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
# report year: (the 乡镇/街道 due date set by the district's notice, internal review date).  Other bodies'
# dates are the 条例's (31 January for a department, 31 March for a government's own report).
SEASONS = {
    2026: (date(2027, 1, 31), date(2027, 1, 15)),
    2025: (date(2026, 1, 31), date(2026, 1, 15)),
    2024: (date(2025, 1, 31), date(2025, 1, 15)),
}
PAST_YEAR = 2025  # the season the demo shows already published

DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("lushaer", DEMO_PASSWORD, "填报人（鲁沙尔镇人民政府；其他机关用户名见 workflow seed-demo）"),
    ("reviewer", DEMO_PASSWORD, "审核人（西宁市湟中区，全部审核环节）"),
    ("admin", DEMO_PASSWORD, "管理员"),
]


def seed_demo(
    session: Session, corpus_dir: Path | str | None = None, *, past_season: bool = True
) -> dict[str, int]:
    """Create what is missing; returns how many rows of each kind were added.

    With `past_season` (the default) the 2025 season is driven through the workflow and committed; the
    caller commits the rest (without it nothing is committed here)."""
    added = {"bodies": 0, "users": 0, "seasons": 0, "reports": 0, "publications": 0}
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
    if past_season:
        session.commit()  # the past season goes through the services, which commit step by step
        added.update(_past_season(session, bodies, seasons[PAST_YEAR]))
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
        # Only the dates the district's notice sets: every other body's date is the 条例's.
        for bt in (BodyType.TOWNSHIP, BodyType.STREET):
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


# --- the past season ------------------------------------------------------------------------------------

# Bodies whose 2025 report was published after 31 January 2026 (shangxinzhuang after a return).
LATE = ("shangxinzhuang", "haizigou", "caizheng")
RETURNED = "shangxinzhuang"
CORRECTED = "duoba"  # published on time, corrected in March
_EXPLANATION = "已与业务台账逐项核对，数据无误。"
_RETURN_COMMENT = "第五部分只写了问题，没有写上年度问题的整改结果，请补充后重新提交。"
_FIX = "对照上年度报告提出的问题逐项整改，整改结果已在政务公开专栏公示。"


@dataclass(frozen=True)
class _Round:
    """One submitted version of a past-season report and what happened to it, with the times."""

    content: Report
    edited: datetime  # the draft was written (created, fixed after a return, correction started)
    submitted: datetime
    decisions: tuple[tuple[datetime, str, str], ...]  # per review stage: when, approve | return, comment
    published: datetime | None = None  # None: returned, a next round follows
    note: str = ""  # a correction's reason (a round after a publication)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _story(code: str, index: int, content: Report) -> list[_Round]:
    """The dates and decisions of one body's 2025 report, the same on every run."""
    rng = random.Random(f"demo-{PAST_YEAR}-{code}")
    if code in LATE:
        created = _workday(date(2026, 1, 12) + timedelta(days=index % 3))
        submitted = date(2026, 1, 26) if code == RETURNED else date(2026, 1, 28 + index % 2)
    else:
        created = _workday(date(2026, 1, 5) + timedelta(days=index % 4))
        submitted = _workday(created + timedelta(days=rng.randint(4, 16)))
    first = _workday(submitted + timedelta(days=1))
    second = _workday(first + timedelta(days=rng.randint(0, 1)))
    content.header.report_date = submitted
    if code == RETURNED:
        returned = [(_at(first, 10, 10), "approve", ""), (_at(second, 16, 20), "return", _RETURN_COMMENT)]
        fixed = _fixed(content, date(2026, 1, 30))
        approvals = (
            (_at(date(2026, 2, 2), 9, 40), "approve", ""),
            (_at(date(2026, 2, 3), 10, 5), "approve", ""),
        )
        return [
            _Round(content, _at(created, 9, 30), _at(submitted, 15, 0), tuple(returned)),
            _Round(fixed, _at(date(2026, 1, 29), 9, 0), _at(date(2026, 1, 30), 11, 0), approvals,
                   _at(date(2026, 2, 3), 15, 30)),
        ]  # fmt: skip
    if code in LATE:  # approved and published in the first week of February
        first, second = date(2026, 2, 2), date(2026, 2, 3 + index % 2)
    approvals = ((_at(first, 10, 10), "approve", ""), (_at(second, 11, 30), "approve", ""))
    rounds = [_Round(content, _at(created, 9, 30), _at(submitted, 15, 0), approvals, _at(second, 14, index))]
    if code == CORRECTED:
        rounds.append(_correction(content))
    return rounds


def _fixed(content: Report, on: date) -> Report:
    fixed = Report.from_dict(content.to_dict())
    fixed.header.report_date = on
    section = fixed.sections[5]
    section.text = section.text.rstrip() + f"\n（四）整改结果：{_FIX}"
    return fixed


def _correction(content: Report) -> _Round:
    """A figure of 表二 mistyped in the first publication, corrected in March."""
    corrected = Report.from_dict(content.to_dict())
    t2 = corrected.table("t2")
    wrong = int(t2.value("licensing", "decisions") or 0)
    right = wrong + 12
    t2.set("licensing", "decisions", right)
    note = f"更正表二“行政许可”本年处理决定数：原误填为{wrong}件，应为{right}件。"
    days = (date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12))
    approvals = ((_at(days[1], 10, 0), "approve", ""), (_at(days[2], 9, 30), "approve", ""))
    return _Round(corrected, _at(days[0], 9, 0), _at(days[0], 16, 0), approvals, _at(days[2], 10, 0), note)


@contextmanager
def _at_the_time() -> Iterator[clock_module.FixedClock]:
    """A settable clock for the past season, and no messages to the workers: the seed does the checks
    and the publishing itself.  Both are put back as they were."""
    previous_clock = clock_module._override
    previous_dispatcher = outbox.set_dispatcher(outbox.RecordingDispatcher())
    demo_clock = clock_module.FixedClock(datetime(2026, 1, 5, 9, 0))
    clock_module.set_clock(demo_clock)
    try:
        yield demo_clock
    finally:
        clock_module.set_clock(previous_clock)
        outbox.set_dispatcher(previous_dispatcher)


def _past_season(session: Session, bodies: dict[str, Body], season: Season) -> dict[str, int]:
    """Every body's report of PAST_YEAR through to publication; resumes a report left half-way."""
    reviewer = session.scalar(select(User).where(User.username == "reviewer"))
    assert reviewer is not None
    counts = {"reports": 0, "publications": 0}
    before = _publication_count(session, season)
    with _at_the_time() as demo_clock:
        for index, (code, _name) in enumerate(BODIES):
            body = bodies[code]
            submitter = session.scalar(select(User.id).where(User.username == code))
            rounds = _story(code, index, _content(session, body, season, code))
            counts["reports"] += _drive(session, body, season, rounds, submitter, reviewer.id, demo_clock)
    counts["publications"] = _publication_count(session, season) - before
    session.commit()
    return counts


def _content(session: Session, body: Body, season: Season, code: str) -> Report:
    """Plausible figures for one body, carried on from its report of the year before when it has one."""
    from workflow.services.checks import previous_report

    # A transient row (never added): previous_report needs only the body and the season.
    previous, _imported = previous_report(session, ReportRow(body_id=body.id, season_id=season.id))
    session.rollback()  # end the read
    rng = random.Random(f"demo-{PAST_YEAR}-{code}-figures")
    return sample_report(rng, year=PAST_YEAR, body_name=body.name, previous=previous)


def _publication_count(session: Session, season: Season) -> int:
    return int(
        session.scalar(
            select(func.count(Publication.id))
            .join(ReportRow, ReportRow.id == Publication.report_id)
            .where(ReportRow.season_id == season.id)
        )
        or 0
    )


def _drive(
    session: Session,
    body: Body,
    season: Season,
    rounds: list[_Round],
    submitter: int | None,
    reviewer: int,
    demo_clock: clock_module.FixedClock,
) -> int:
    """Move one body's report on, step by step, until its last round is published; 1 if it was created."""
    from workflow.services import checks, drafts, publication, review, submission
    from workflow.services.lifecycle import get_report, get_version

    report_id = session.scalar(
        select(ReportRow.id).where(ReportRow.body_id == body.id, ReportRow.season_id == season.id)
    )
    created = 0
    if report_id is None:
        demo_clock.set(rounds[0].edited)
        report_id = drafts.create_report(
            session, body_id=body.id, season_id=season.id, actor_id=submitter, content=rounds[0].content
        )
        created = 1
    for _ in range(8 * len(rounds) + 8):  # each pass takes one step; a bound instead of `while True`
        report = get_report(session, report_id)
        state, number = ReportState(report.state), report.latest_version
        if state is ReportState.PUBLISHED and number >= len(rounds):
            session.rollback()
            return created
        if state is ReportState.PUBLISHED:  # a correction follows
            step = rounds[number]
            demo_clock.set(step.edited)
            review.start_correction(session, report_id=report_id, reason=step.note, actor_id=submitter)
        elif state in EDITABLE_STATES:
            step = rounds[number]
            if Report.from_dict(report.draft).content_hash() != step.content.content_hash():
                demo_clock.set(step.edited)
                drafts.save_draft(
                    session,
                    report_id=report_id,
                    content=step.content,
                    expected_revision=report.draft_revision,
                    actor_id=submitter,
                )
            demo_clock.set(step.submitted - timedelta(minutes=5))
            _explain_warnings(session, report_id, submitter)
            demo_clock.set(step.submitted)
            submission.submit(session, report_id=report_id, actor_id=submitter)
        elif state in (ReportState.SUBMITTED, ReportState.CHECKING):
            demo_clock.set(rounds[number - 1].submitted + timedelta(minutes=2))
            version_id = get_version(session, report_id, number).id
            session.rollback()
            checks.run_checks(session, version_id=version_id)
        elif state is ReportState.IN_REVIEW:
            when, decision, comment = rounds[number - 1].decisions[report.review_stage]
            stage = report.review_stage
            session.rollback()
            demo_clock.set(when)
            review.decide(
                session,
                report_id=report_id,
                reviewer_id=reviewer,
                decision=decision,
                expected_version=number,
                expected_stage=stage,
                comments={5: comment} if comment else None,
            )
        elif state is ReportState.APPROVED:
            published = rounds[number - 1].published
            assert published is not None, "an approved round is published"
            session.rollback()
            demo_clock.set(published)
            publication.publish(session, report_id=report_id)
        else:
            raise RuntimeError(f"demo report of {body.name} stuck in {state.value}")
    raise RuntimeError(f"demo report of {body.name} did not reach publication")


def _explain_warnings(session: Session, report_id: int, submitter: int | None) -> None:
    """Explain every warning the submission would ask about, as the clerk does on the form."""
    from workflow.clock import now
    from workflow.rules.catalog import validate
    from workflow.services import drafts
    from workflow.services.checks import previous_report
    from workflow.services.lifecycle import get_report

    report = get_report(session, report_id)
    previous, imported = previous_report(session, report)
    result = validate(
        Report.from_dict(report.draft), previous, previous_imported=imported, today=now().date()
    )
    session.rollback()
    if result.errors:
        raise RuntimeError(f"demo report {report_id} has errors: {[f.message for f in result.errors]}")
    for warning in result.warnings:
        drafts.explain_warning(
            session, report_id=report_id, finding_key=warning.key, text=_EXPLANATION, actor_id=submitter
        )
