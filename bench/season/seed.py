"""A district for the season load test: N bodies, one clerk each, reviewers, office staff, last year's
published reports, and this year's drafts in the states a January finds them.

Everything goes through the db factories and the services (create, submit, check, decide, publish),
so the rows are what the real system would have written.  `seed_district()` returns a manifest (JSON-
serialisable) that the locustfile reads: every account, its report and what kind of draft it has.

Kinds of this season's draft (by body index, interleaved so any prefix of the clerk list has the same mix):

* ``ready``  (50 %): a complete report with no finding: the clerk can submit it as it is;
* ``warn``   (20 %): complete, but the title has no year (G6, a warning): the clerk explains it first;
* ``blank``  (20 %): an empty draft: the clerk uploads the body's report as a .docx, then submits;
* ``review`` (10 %): already submitted and checked before the run: in review when the run starts.

The first `published` bodies also have last year's report, published with its PDF (the public reads
them; this year's drafts of those bodies are consistent with last year's figures).

The season played is `season_year()`, the season under way (the report year whose 31 January deadline
comes next: 2026 until 31 January 2027), and the clock of this seeder and of the server is fixed at
the following 20 January, 09:00 (`season_now`), inside the season: reports are dated 5 to 20 January
(rule H1 wants a date after the year and not after today; the form, submission and the workers all
read "today" from that clock).
"""

from __future__ import annotations

import inspect
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import FixedClock, set_clock
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.migrate import upgrade
from workflow.db.models import ReportRow, ReportVersion, User
from workflow.db.session import begin_write, make_engine
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.exporters.docx import to_docx
from workflow.rules.catalog import validate
from workflow.services import checks, drafts, publication, review, submission
from workflow.services.accounts import cached_hash
from workflow.storage import LocalStorage

PASSWORD = "season-bench-1"
DISTRICT = "西宁市湟中区"
KIND_CYCLE = ("ready", "warn", "ready", "blank", "ready", "warn", "ready", "blank", "ready", "review")
_NAMES = ("镇人民政府", "街道办事处", "局")


def season_year(today: date | None = None) -> int:
    """The season under way: the report year whose 31 January deadline comes next."""
    today = today or date.today()
    return today.year - 1 if today <= date(today.year, 1, 31) else today.year


def season_now(year: int) -> str:
    """WORKFLOW_FIXED_NOW of the server and of the seeder for the `year` season."""
    return f"{year + 1}-01-20T09:00:00"


@dataclass
class Manifest:
    password: str
    year: int
    clerks: list[dict[str, Any]] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)
    published: list[int] = field(default_factory=list)  # report ids on the public portal
    seeded_max_version_id: int = 0  # versions above this id were submitted during the run

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def body_name(i: int) -> str:
    kind = _NAMES[i % 3]
    if kind == "局":
        return f"西宁市湟中区第{i:03d}局"
    return f"湟中第{i:03d}{kind}"


def content_for(name: str, year: int, seed: int, previous: Report | None = None) -> Report:
    return sample_report(random.Random(seed), year=year, body_name=name, previous=previous)


def seed_district(
    url: str,
    data_dir: Path,
    *,
    bodies: int,
    reviewers: int,
    offices: int,
    published: int,
    year: int | None = None,
) -> Manifest:
    """Migrate `url` and seed it; .docx files for the blank drafts go to data_dir/uploads."""
    year = year or season_year()
    upgrade(url)
    set_clock(FixedClock(datetime.fromisoformat(season_now(year))))
    engine = make_engine(url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    uploads = data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    storage = LocalStorage(data_dir / "published")
    manifest = Manifest(PASSWORD, year)
    try:
        with sessions() as s:
            begin_write(s)
            district = make_jurisdiction(s, DISTRICT)
            last, this = make_season(s, year - 1), make_season(s, year)
            office_ids = []
            for n in range(offices):
                office_ids.append(_user(s, f"office{n:02d}", role="admin").id)
                manifest.offices.append(f"office{n:02d}")
            for n in range(reviewers):
                _user(s, f"reviewer{n:02d}", role="reviewer", jurisdiction=district)
                manifest.reviewers.append(f"reviewer{n:02d}")
            rows = []
            for i in range(bodies):
                name = body_name(i)
                body = make_body(s, name, code=f"s{i:04d}", jurisdiction=district)
                user = _user(s, f"clerk{i:04d}", body=body, display_name=name)
                rows.append((i, name, body.id, user.id))
            if not office_ids:  # someone must approve last year's reports
                office_ids.append(_user(s, "season-admin", role="admin").id)
            s.commit()
            office = s.get(User, office_ids[0])
            assert office is not None
            for i, name, body_id, user_id in rows:
                previous = None
                if i < published:
                    previous = content_for(name, year - 1, 10_000 + i)
                    rid = drafts.create_report(
                        s, body_id=body_id, season_id=last.id, actor_id=user_id, content=previous
                    )
                    _to_review(s, rid, user_id, year)
                    _approve(s, rid, office.id)
                    publication.publish(s, report_id=rid, storage=storage)
                    s.commit()
                    manifest.published.append(rid)
                kind = KIND_CYCLE[i % len(KIND_CYCLE)]
                content = content_for(name, year, i, previous)
                docx = ""
                if kind == "warn":
                    content.header.title = f"{name}政府信息公开工作年度报告"  # no year: G6, a warning
                if kind == "blank":
                    path = uploads / f"clerk{i:04d}.docx"
                    path.write_bytes(to_docx(content))
                    docx = str(path)
                rid = drafts.create_report(
                    s,
                    body_id=body_id,
                    season_id=this.id,
                    actor_id=user_id,
                    content=None if kind == "blank" else content,
                )
                if kind == "review":
                    _to_review(s, rid, user_id, year)
                manifest.clerks.append(
                    {"username": f"clerk{i:04d}", "report_id": rid, "kind": kind, "docx": docx}
                )
            manifest.seeded_max_version_id = int(s.scalar(select(func.max(ReportVersion.id))) or 0)
    finally:
        set_clock(None)
        engine.dispose()
    return manifest


def _user(s: Session, username: str, **fields: Any) -> User:
    """make_user with PASSWORD, whether the factory takes the password or its hash."""
    if "password_hash" in inspect.signature(make_user).parameters:
        fields["password_hash"] = cached_hash(PASSWORD)
    else:
        fields["password"] = PASSWORD
    return make_user(s, username, **fields)


def _to_review(s: Session, report_id: int, actor_id: int, year: int) -> None:
    """Explain the warnings, submit and run the checks in-process: the report is in review."""
    report = s.get(ReportRow, report_id, populate_existing=True)
    assert report is not None
    for f in validate(Report.from_dict(report.draft), today=date(year + 1, 1, 20)).warnings:
        drafts.explain_warning(s, report_id=report_id, finding_key=f.key, text="已核实。", actor_id=actor_id)
    version_id = submission.submit(s, report_id=report_id, actor_id=actor_id)
    checks.run_checks(s, version_id=version_id)
    s.commit()
    report = s.get(ReportRow, report_id, populate_existing=True)
    assert report is not None and report.state == "in_review", (report_id, report and report.state)


def _approve(s: Session, report_id: int, reviewer_id: int) -> None:
    report = s.get(ReportRow, report_id, populate_existing=True)
    assert report is not None
    for _ in report.season.stages:
        review.decide(
            s,
            report_id=report_id,
            reviewer_id=reviewer_id,
            decision="approve",
            expected_version=report.latest_version,
        )
