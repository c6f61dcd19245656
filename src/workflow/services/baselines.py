"""Last year's reports from outside the system: a district's published reports as baselines.

In its first season an office has last year's reports only on its website.  `import_published`
reads them (PDF, .docx, HTML, text; one file per body), matches each to a body of the district by
the name the report gives (its title, 单位名称 or 落款) or else by its file name, and stores each
as that body's report of the year before, as a draft without versions.  That is what the cross-year
rules already take as an imported baseline (services.checks.previous_report: flagged imported, so a
mismatch is a warning, not an error).  The season of the year before is created if missing, without
deadlines, so no reminder ever goes out for it.

Parsing is done first, with no transaction open; the matching reads; one transaction stores
everything.  A second run with the same files changes nothing; a changed file replaces the draft it
stored before; a report the body submitted in the system, or a draft someone wrote or uploaded there,
is never overwritten.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import AuditEvent, Body, Jurisdiction, ReportRow, Season
from workflow.domain.states import DEFAULT_STAGES, ReportState
from workflow.services import audit
from workflow.services.lifecycle import transactional

KINDS = (".pdf", ".docx", ".html", ".htm", ".txt")
KIND_NAMES = "PDF、Word（.docx）、网页（.html）或文本（.txt）"

# Outcome statuses, and the word the listing starts each line with.
STORED, UPDATED, UNCHANGED, SKIPPED, UNMATCHED, UNREADABLE = (
    "stored",
    "updated",
    "unchanged",
    "skipped",
    "unmatched",
    "unreadable",
)
STATUS_WORDS = {
    STORED: "已导入",
    UPDATED: "已更新",
    UNCHANGED: "无变化",
    SKIPPED: "已跳过",
    UNMATCHED: "未匹配",
    UNREADABLE: "未导入",
}
MATCHED = frozenset({STORED, UPDATED, UNCHANGED})

_SUFFIXES = ("人民政府办公室", "人民政府", "办事处", "政府")
_REGION = re.compile(r"[\u4e00-\u9fff]{1,8}?(?:省|自治区|市|自治州|州|盟|区|县|旗)")
_NOISE = re.compile(r"[\s\u3000（）()【】\[\]《》“”\"'·._\-—]+")


@dataclass(slots=True)
class Published:
    """One file: what was read from it, and what became of it."""

    filename: str
    report: Any = None  # workflow.domain.model.Report, or None when unreadable
    error: str = ""
    names: list[str] = field(default_factory=list)  # the body names the report gives
    status: str = ""
    reason: str = ""
    body_id: int | None = None
    body_name: str = ""
    by_file_name: bool = False  # the report names no body of ours; its file name does

    @property
    def line(self) -> str:
        """The file's line in the listing, in plain Chinese."""
        word = STATUS_WORDS.get(self.status, self.status)
        return f"{word}：{self.filename} —— {self.reason}"


# ---------------------------------------------------------------- reading (no database)
def read_published(files: Iterable[tuple[str, bytes]]) -> list[Published]:
    """Parse each (file name, content); unreadable files are kept with the reason."""
    from workflow.importers import ImportFailure, import_bytes

    out: list[Published] = []
    for filename, data in sorted(files, key=lambda f: f[0]):
        item = Published(filename)
        if not filename.lower().endswith(KINDS):
            item.status, item.reason = UNREADABLE, f"不是可导入的文件类型（可导入 {KIND_NAMES}）"
        else:
            try:
                item.report = import_bytes(data, filename).report
            except ImportFailure as exc:
                item.status, item.reason = UNREADABLE, f"无法读取：{exc}"
        if item.report is not None:
            h = item.report.header
            item.names = [n for n in dict.fromkeys((h.body_name, h.signature, _title_name(h.title))) if n]
        out.append(item)
    return out


def _title_name(title: str) -> str:
    from workflow.importers.header import body_from_title

    return body_from_title(title) if title else ""


# ---------------------------------------------------------------- matching (reads)
@dataclass(frozen=True, slots=True)
class _Candidate:
    id: int
    name: str
    keys: tuple[str, ...]  # the forms of its name a report may use, longest first
    regions: str  # the body's own and its jurisdiction's names: the regions it lies in


def _norm(name: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", name))


def _keys(name: str, region: str) -> tuple[str, ...]:
    """鲁沙尔镇人民政府 → 鲁沙尔镇人民政府, 鲁沙尔镇; 西宁市湟中区教育局 → …, 湟中区教育局, 教育局."""
    full = _norm(name)
    forms = {full}
    for form in list(forms):
        rest = form
        while (m := _REGION.match(rest)) is not None and len(rest) > len(m.group(0)) + 1:
            rest = rest[len(m.group(0)) :]
            forms.add(rest)
    for form in list(forms):
        for suffix in _SUFFIXES:
            if form.endswith(suffix) and len(form) > len(suffix) + 1:
                forms.add(form[: -len(suffix)])
    generic = {"人民政府", "政府", "办公室", "办事处"}
    return tuple(sorted((f for f in forms if len(f) >= 2 and f not in generic), key=len, reverse=True))


def _candidates(session: Session, district: str | None) -> list[_Candidate]:
    rows = session.execute(select(Body.id, Body.name, Jurisdiction.name).join(Jurisdiction)).all()
    out = []
    for body_id, name, jurisdiction in rows:
        if district and _norm(district) not in _norm(jurisdiction) and _norm(district) not in _norm(name):
            continue
        out.append(_Candidate(body_id, name, _keys(name, jurisdiction), _norm(name + jurisdiction)))
    return out


def _regions_agree(text: str, key: str, body: _Candidate) -> bool:
    """Every region the report's name puts before the body's key (大通县 in 大通县教育局) is one
    the body lies in: another county's 教育局 is not ours."""
    before = text[: text.find(key)]
    while (m := _REGION.match(before)) is not None:
        if m.group(0) not in body.regions:
            return False
        before = before[len(m.group(0)) :]
    return True


def match(texts: Sequence[str], bodies: Sequence[_Candidate]) -> tuple[list[_Candidate], str]:
    """The bodies the longest key found in the texts names, and the text it was found in."""
    best: list[_Candidate] = []
    best_len, found_in = 0, ""
    for raw in texts:
        text = _norm(raw)
        if not text:
            continue
        for body in bodies:
            key = next((k for k in body.keys if k in text and _regions_agree(text, k, body)), "")
            if not key or len(key) < best_len:
                continue
            if len(key) > best_len:
                best, best_len, found_in = [], len(key), raw
            if body not in best:
                best.append(body)
        if best:
            return best, found_in  # the report's own name wins over the file name
    return best, found_in


def plan(session: Session, items: list[Published], *, year: int, district: str | None = None) -> None:
    """Match each readable file to a body; sets status/reason of those that cannot be stored."""
    bodies = _candidates(session, district)
    taken: dict[int, str] = {}
    for item in items:
        if item.status:
            continue
        report = item.report
        if report.header.year is not None and report.header.year != year - 1:
            item.status = UNREADABLE
            item.reason = f"这是{report.header.year}年度的报告，不是{year - 1}年度的（{year}年度的上年报告）"
            continue
        stem = item.filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        hits, found_in = match([*item.names, stem], bodies)
        if not hits:
            item.status, item.reason = UNMATCHED, _no_match_reason(item)
            continue
        if len(hits) > 1:
            names = "」「".join(b.name for b in hits)
            item.status = UNMATCHED
            item.reason = f"单位名称「{found_in}」同时符合本区的「{names}」，无法确定是哪一个；请把文件名改为单位全称后重试"
            continue
        body = hits[0]
        if body.id in taken:
            item.status = UNREADABLE
            item.reason = f"与 {taken[body.id]} 是同一单位（{body.name}）的报告，只导入了 {taken[body.id]}"
            continue
        taken[body.id] = item.filename
        item.body_id, item.body_name = body.id, body.name
        item.by_file_name = found_in == stem and found_in not in item.names


def _no_match_reason(item: Published) -> str:
    if item.names:
        return f"报告标题中的单位名称「{item.names[0]}」在本区找不到；请核对单位名称，或把文件名改为本区单位的全称后重试"
    return "报告中没有找到单位名称（标题、单位名称或落款），文件名中也没有本区的单位名称；请把文件名改为单位全称后重试"


# ---------------------------------------------------------------- storing (one transaction)
@transactional
def store_baselines(
    session: Session, *, items: list[Published], year: int, actor_id: int | None = None
) -> list[Published]:
    """Store each matched file as its body's report of `year - 1`; idempotent."""
    matched = [it for it in items if not it.status and it.body_id is not None]
    if not matched:
        return items
    season = _season(session, year - 1, actor_id)
    for item in matched:
        assert item.body_id is not None
        content = item.report.to_dict()
        if content["header"].get("year") is None:
            content["header"]["year"] = year - 1
        row = session.scalar(
            select(ReportRow).where(ReportRow.body_id == item.body_id, ReportRow.season_id == season.id)
        )
        label = f"{item.body_name}（{year - 1}年度报告，作为{year}年度的上年报告）"
        if item.by_file_name:
            label += "（报告中未找到本区单位名称，按文件名匹配）"
        if row is None:
            row = ReportRow(
                body_id=item.body_id,
                season_id=season.id,
                state=ReportState.DRAFT.value,
                draft=content,
                draft_revision=1,
            )
            session.add(row)
            session.flush()
            item.status, item.reason = STORED, f"→ {label}"
        elif row.latest_version > 0 or row.state != ReportState.DRAFT.value:
            item.status = SKIPPED
            item.reason = f"{item.body_name}的{year - 1}年度报告已在系统中提交，以系统中的为准，未覆盖"
            continue
        elif _touched_in_system(session, row.id):
            item.status = SKIPPED
            item.reason = (
                f"{item.body_name}的{year - 1}年度报告在系统中已有草稿（有人填写或上传过），未覆盖；"
                "如应以发布的版本为准，请在该草稿页面上传此文件"
            )
            continue
        elif row.draft == content:
            item.status, item.reason = UNCHANGED, f"→ {label}，与上次导入的相同"
            continue
        else:
            row.draft, row.draft_revision = content, row.draft_revision + 1
            item.status, item.reason = UPDATED, f"→ {label}，已替换上次导入的内容"
        audit.record(
            session,
            "baseline.import",
            actor_id=actor_id,
            report_id=row.id,
            body_id=item.body_id,
            filename=item.filename,
            year=year - 1,
        )
    return items


def _touched_in_system(session: Session, report_id: int) -> bool:
    """Whether anything but this import wrote the report (created, typed, uploaded): a person's draft
    is never replaced by a published file."""
    other = session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.report_id == report_id, AuditEvent.action != "baseline.import")
        .limit(1)
    )
    return other is not None


def _season(session: Session, report_year: int, actor_id: int | None) -> Season:
    season = session.scalar(select(Season).where(Season.report_year == report_year))
    if season is None:
        season = Season(report_year=report_year, stages=list(DEFAULT_STAGES))  # no deadlines: no reminders
        session.add(season)
        session.flush()
        audit.record(session, "baseline.season_add", actor_id=actor_id, year=report_year)
    return season


def import_published(
    session: Session,
    files: Iterable[tuple[str, bytes]],
    *,
    year: int,
    actor_id: int | None = None,
    district: str | None = None,
) -> list[Published]:
    """Read, match and store; returns one entry per file, in file-name order."""
    items = read_published(files)  # the slow part: no transaction open
    plan(session, items, year=year, district=district)
    session.commit()  # end the read before the write transaction begins
    return store_baselines(session, items=items, year=year, actor_id=actor_id)
