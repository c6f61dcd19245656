"""What the report pages show, read with few statements and derived once per immutable row.

Per page view only the small mutable facts are queried (the report row with its body and season,
the id of the latest finished run, explanations, comments, decisions).  The big JSON columns
(versions.content, validation_runs.findings, reports.draft) are read and parsed only on a memo miss,
keyed by what makes them immutable: a version id, a run id, a draft revision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, literal, null, select, union_all
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import (
    ReportRow,
    ReportVersion,
    ReviewComment,
    ReviewDecision,
    Season,
    ValidationRun,
    WarningExplanation,
)
from workflow.domain.model import Report
from workflow.rules.catalog import CATALOG_VERSION
from workflow.web import data, findings, forms
from workflow.web.diff import ReportDiff, diff_reports
from workflow.web.memo import Memo


@dataclass(frozen=True, slots=True)
class VersionView:
    id: int
    number: int
    submitted_at: datetime
    content: Report
    values: dict[str, str]  # the form values that show `content` (tables, diffs)


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    catalog_version: str
    error_count: int
    warning_count: int
    notice_count: int
    findings: list[dict[str, Any]]  # sorted for display
    at: dict[str, list[dict[str, Any]]]  # placed at cells/rows/tables/sections


@dataclass(frozen=True, slots=True)
class DraftView:
    """A draft at one revision, checked against the previous year's report as of `today`."""

    revision: int
    content: Report
    values: dict[str, str]
    found: list[dict[str, Any]]
    findings: list[dict[str, Any]]  # sorted
    counts: dict[str, int]
    at: dict[str, list[dict[str, Any]]]
    errors: dict[str, str]


def version(memo: Memo, db: Session, report_id: int, number: int) -> VersionView | None:
    """Version `number` of a report (versions never change once written)."""
    if number < 1:
        return None

    def load() -> VersionView | None:
        row = db.execute(
            select(ReportVersion.id, ReportVersion.submitted_at, ReportVersion.content).where(
                ReportVersion.report_id == report_id, ReportVersion.number == number
            )
        ).first()
        if row is None:
            return None
        content = Report.from_dict(row.content)
        return VersionView(row.id, number, row.submitted_at, content, forms.form_values(content))

    return memo.get_or_make(("version", report_id, number), load)


def version_numbers(memo: Memo, db: Session, report: ReportRow) -> tuple[int, ...]:
    """The numbers of the report's submitted versions (a new one raises `latest_version`)."""

    def load() -> tuple[int, ...]:
        q = select(ReportVersion.number).where(ReportVersion.report_id == report.id)
        return tuple(db.scalars(q.order_by(ReportVersion.number)))

    return memo.get_or_make(("versions", report.id, report.latest_version), load)


def latest_run(memo: Memo, db: Session, v: VersionView, facts: Facts) -> RunView | None:
    """The version's latest finished check (a finished run is stored once and never changes)."""
    run_id = facts.run_id
    if run_id is None:
        return None

    def load() -> RunView | None:
        run = db.get(ValidationRun, run_id)
        if run is None:
            return None
        found = list(run.findings)
        return RunView(
            run.id,
            run.catalog_version,
            run.error_count,
            run.warning_count,
            run.notice_count,
            findings.sort_findings(findings.anchored(found, v.content)),
            findings.locate(found, v.content),
        )

    return memo.get_or_make(("run", v.id, run_id), load)


def previous_year(memo: Memo, db: Session, facts: Facts) -> VersionView | None:
    """The same body's latest submitted version for the year before, if any."""
    if facts.previous_year is None:
        return None
    return version(memo, db, *facts.previous_year)


def diff(memo: Memo, old: VersionView | None, new_key: tuple[Any, ...], new: Report) -> ReportDiff | None:
    """What changed from version `old` to `new` (a version or a draft revision, named by `new_key`)."""
    if old is None:
        return None
    return memo.get_or_make(("diff", old.id, *new_key), lambda: diff_reports(old.content, new))


def draft_content(memo: Memo, db: Session, report: ReportRow) -> tuple[int, Report, dict[str, str]]:
    """(revision, content, form values) of the stored draft; the draft column is read only on a miss.

    The draft and its revision are read together, so content is only ever kept under its own
    revision (a save between the report lookup and this read shows the newer draft, never mixes).
    """
    hit = memo.get(("draft", report.id, report.draft_revision))
    if hit is not None:
        return report.draft_revision, *hit  # type: ignore[no-any-return]
    row = db.execute(select(ReportRow.draft, ReportRow.draft_revision).where(ReportRow.id == report.id)).one()
    content = Report.from_dict(row.draft) if row.draft else data.draft_of(report)
    values = forms.form_values(content)
    memo.put(("draft", report.id, row.draft_revision), (content, values))
    return row.draft_revision, content, values


@dataclass(frozen=True, slots=True)
class Shown:
    """What a report page shows: the latest submitted version with its latest finished check, or
    the draft while nothing was submitted."""

    facts: Facts
    version: VersionView | None
    run: RunView | None
    content: Report
    values: dict[str, str]
    content_key: tuple[Any, ...]  # names `content`: a version id or a draft revision (diffs)
    view_key: tuple[Any, ...]  # names `content` with the findings placed on it (rendered tables)

    @property
    def at(self) -> dict[str, list[dict[str, Any]]]:
        return self.run.at if self.run else {}


def shown(memo: Memo, db: Session, report: ReportRow) -> Shown:
    done = facts(db, report)
    v = version(memo, db, report.id, report.latest_version)
    if v is None:
        revision, content, values = draft_content(memo, db, report)
        key = ("draft", report.id, revision)
        return Shown(done, None, None, content, values, key, key)
    run = latest_run(memo, db, v, done)
    view_key = ("view", v.id, run.id if run else None)
    return Shown(done, v, run, v.content, v.values, ("version", v.id), view_key)


def checked_draft(
    memo: Memo, db: Session, report: ReportRow, prev: VersionView | None
) -> tuple[DraftView, tuple[Any, ...]]:
    """The stored draft with its in-process findings (against `prev`, the previous year's report),
    and the key that identifies them.

    The findings depend on the draft (its revision), the catalog, today's date and the previous
    year's report, so all of these are in the key.
    """
    revision, content, values = draft_content(memo, db, report)
    key = ("checked", report.id, revision, CATALOG_VERSION, now().date(), prev and prev.id)

    def load() -> DraftView:
        found = findings.check(content, prev.content if prev else None)
        return DraftView(
            revision,
            content,
            values,
            found,
            findings.sort_findings(findings.anchored(found, content)),
            findings.counts(found),
            findings.locate(found, content),
            forms.cell_errors(content),
        )

    return memo.get_or_make(key, load), key


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    section: int | None
    text: str
    at: datetime


def comments_by_section(items: list[Comment]) -> dict[int | None, list[Comment]]:
    out: dict[int | None, list[Comment]] = {}
    for c in items:
        out.setdefault(c.section, []).append(c)
    return out


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    stage: str
    decision: str
    reason_codes: list[str]
    at: datetime


@dataclass(frozen=True, slots=True)
class Facts:
    """The small facts about a report that change while it is viewed, read in one round trip."""

    explained: dict[str, str]  # finding key -> the submitter's explanation
    comments: list[Comment]
    decisions: list[Decision]
    run_id: int | None  # the latest finished check of the latest submitted version
    previous_year: tuple[int, int] | None  # (report id, latest version) of the year before


def _facts_statement() -> Any:
    """Explanations, comments, decisions, the latest run and the previous year's report as one
    UNION ALL of (kind, id, name, text, section, codes, at) rows; kinds e, c, d, r and p."""
    rid = bindparam("rid", type_=Integer)
    e, c, d = WarningExplanation, ReviewComment, ReviewDecision
    no_text, no_int, no_codes = cast(null(), String), cast(null(), Integer), cast(null(), d.reason_codes.type)
    no_at = cast(null(), e.at.type)
    run = (
        select(ValidationRun.id)
        .join(ReportVersion, ReportVersion.id == ValidationRun.version_id)
        .where(
            ReportVersion.report_id == rid,
            ReportVersion.number == bindparam("number", type_=Integer),
            ValidationRun.status == "done",
        )
        .order_by(ValidationRun.id.desc())
        .limit(1)
        .subquery()
    )
    previous = (
        select(ReportRow.id, ReportRow.latest_version)
        .join(Season, Season.id == ReportRow.season_id)
        .where(ReportRow.body_id == bindparam("bid"), Season.report_year == bindparam("year"))
        .limit(1)
        .subquery()
    )
    return union_all(
        select(
            literal("e").label("kind"),
            e.id,
            e.finding_key.label("name"),
            e.text,
            no_int.label("section"),
            no_codes.label("codes"),
            e.at,
        ).where(e.report_id == rid),
        select(literal("c"), c.id, no_text, c.text, c.section, no_codes, c.at).where(c.report_id == rid),
        select(literal("d"), d.id, d.stage, d.decision, no_int, d.reason_codes, d.at).where(
            d.report_id == rid
        ),
        select(literal("r"), run.c.id, no_text, no_text, no_int, no_codes, no_at),
        select(literal("p"), previous.c.id, no_text, no_text, previous.c.latest_version, no_codes, no_at),
    )


# Built once: what every report page needs beyond the report row, in one round trip.
_FACTS = _facts_statement()


def facts(db: Session, report: ReportRow) -> Facts:
    """Explanations, comments and decisions (each list in the order they were written), the id of
    the latest finished run of the report's latest version, and the previous year's report."""
    params = {
        "rid": report.id,
        "number": report.latest_version,
        "bid": report.body_id,
        "year": report.season.report_year - 1,
    }
    out = Facts({}, [], [], None, None)
    # Core rows on the session's connection: the ORM adds nothing to a few plain tuples.
    rows = db.connection().execute(_FACTS, params).all()
    for kind, id_, name, text, section, codes, at in sorted(rows, key=lambda r: r[1] or 0):
        if kind == "e":
            out.explained[name] = text
        elif kind == "c":
            out.comments.append(Comment(id_, section, text, at))
        elif kind == "d":
            out.decisions.append(Decision(id_, name, text, list(codes or []), at))
        elif kind == "r" and id_ is not None:
            out = replace(out, run_id=id_)
        elif kind == "p" and section:  # a report for the year before that was submitted
            out = replace(out, previous_year=(id_, section))
    return out


# ---------------------------------------------------------------- one count of findings, for every page

EDITABLE_STATES = ("draft", "returned", "needs_fixes")
CHECKING_STATES = ("submitted", "checking")


@dataclass(frozen=True, slots=True)
class CheckStatus:
    """The one count of errors, warnings and notices every page shows for a report.

    While the clerk can edit, it is the stored draft's check (what the form shows); once submitted,
    it is the latest submitted version's latest finished check, labelled as such, or "checking"
    while the workers have not finished it.
    """

    source: str  # "draft" or "version"
    label: str  # what a person reads: 当前草稿 / 第 2 版（已提交）
    counts: dict[str, int] | None  # None while the check runs
    checking: bool
    state: str
    version: int
    draft: DraftView | None = None
    run: RunView | None = None

    @property
    def progress(self) -> tuple[int, int, str]:
        """(step, of, words): 已提交 → 正在检查 → 检查完成."""
        if not self.checking:
            return 3, 3, "检查完成"
        if self.state == "checking":
            return 2, 3, "正在逐项检查表格和正文"
        return 1, 3, "已提交，等待检查"

    def to_json(self) -> dict[str, Any]:
        step, of, words = self.progress
        return {
            "source": self.source,
            "label": self.label,
            "counts": self.counts,
            "checking": self.checking,
            "state": self.state,
            "version": self.version,
            "progress": {"step": step, "of": of, "text": words},
        }


def check_status(memo: Memo, db: Session, report: ReportRow, done: Facts | None = None) -> CheckStatus:
    done = done if done is not None else facts(db, report)
    if report.state in EDITABLE_STATES or report.latest_version < 1:
        view, _ = checked_draft(memo, db, report, previous_year(memo, db, done))
        return CheckStatus("draft", "当前草稿", dict(view.counts), False, report.state, 0, draft=view)
    v = version(memo, db, report.id, report.latest_version)
    run = latest_run(memo, db, v, done) if v is not None else None
    label = f"第 {report.latest_version} 版（已提交）"
    if run is None:
        checking = report.state in CHECKING_STATES or v is not None
        return CheckStatus("version", label, None, checking, report.state, report.latest_version)
    counts = {"error": run.error_count, "warning": run.warning_count, "notice": run.notice_count}
    return CheckStatus("version", label, counts, False, report.state, report.latest_version, run=run)
