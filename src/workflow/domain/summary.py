"""The district's summary (汇总): the national tables summed over its bodies' reports, and the bodies
whose figures stand out.

Pure: the service hands in the approved reports (with their body's type and the report id to link);
this module sums, compares with last year, finds outliers and builds the district government's own
draft.  Every figure is a Decimal while summing (amounts in 万元 carry decimals) and shown as an int
when it is whole.

Formats: a summary is in one format (the one its year must use, formats.format_for_year).  A report in
the other format is mapped cell by cell where FORMAT.md gives a counterpart (表四 and 表三 are the same
in both, except 2019's single （六）其他处理 row, which is the sum of 2021's three; 表二's 处理决定数量 of
行政许可 / 行政处罚 / 行政强制); its figures with no counterpart are listed, never silently dropped.
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from workflow.domain.bodies import BODY_TYPE_LABELS, BodyType
from workflow.domain.formats import FORMATS, SECTION_TITLES, FormatId, ReportFormat, format_for_year
from workflow.domain.model import Header, Report, Section, Table

TABLE_IDS: Final = ("t2", "t3", "t4")
# tid -> row -> column -> value
Tables = dict[str, dict[str, dict[str, Decimal]]]
Cell = tuple[str, str, str]  # (table, row, column)

ZERO: Final = Decimal(0)
TEN_TIMES: Final = 10  # a value this many times its peers' median stands out …
OUTLIER_FLOOR: Final = Decimal(20)  # … if it is also at least this large (small numbers vary a lot)
MIN_PEERS: Final = 4  # fewer peers of the same type: no median worth comparing with
COPY_SIMILARITY: Final = 0.9  # Jaccard ratio of the distinctive shingles of a section
COPY_MIN_CHARS: Final = 80  # shorter sections are too short to call copied
COPY_MIN_SHINGLES: Final = 30  # distinctive shingles a section needs before it can be compared
SHINGLE: Final = 5
COPY_SECTIONS: Final = (1, 5, 6)

# Body types in the order a district lists them.
TYPE_ORDER: Final = (
    BodyType.COUNTY_GOVERNMENT,
    BodyType.COUNTY_DEPARTMENT,
    BodyType.TOWNSHIP,
    BodyType.STREET,
    BodyType.CITY_GOVERNMENT,
    BodyType.CITY_DEPARTMENT,
    BodyType.PROVINCIAL_GOVERNMENT,
    BodyType.PROVINCIAL_OFFICE,
    BodyType.STATE_COUNCIL_DEPARTMENT,
    BodyType.OTHER,
)


@dataclass(frozen=True, slots=True)
class BodyReport:
    """One approved report as the summary sees it."""

    report_id: int
    body_name: str
    body_type: str
    report: Report


@dataclass(frozen=True, slots=True)
class Unmapped:
    """Figures of a report in the other format that have no counterpart in the summary's format."""

    report_id: int
    body_name: str
    what: str  # plain Chinese: which row/column and its value


@dataclass(frozen=True, slots=True)
class Outlier:
    report_id: int
    body_name: str
    body_type: str
    kind: str  # ten_times | identical_tables | copied_text
    reason: str  # plain Chinese
    other_report_id: int | None = None


@dataclass(slots=True)
class Summary:
    year: int
    format: FormatId
    totals: Tables
    by_type: dict[str, Tables]
    type_counts: dict[str, int]
    report_ids: list[int] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def spec(self) -> ReportFormat:
        return FORMATS[self.format]

    @property
    def count(self) -> int:
        return len(self.report_ids)

    def value(self, tid: str, row: str, col: str, body_type: str | None = None) -> Decimal:
        tables = self.totals if body_type is None else self.by_type.get(body_type, {})
        return tables.get(tid, {}).get(row, {}).get(col, ZERO)

    @property
    def types(self) -> list[str]:
        """Body types present, in the district's usual order."""
        order = [t.value for t in TYPE_ORDER]
        return sorted(self.type_counts, key=lambda t: order.index(t) if t in order else len(order))


# ---------------------------------------------------------------- summing
def empty_tables(fmt: FormatId) -> Tables:
    return {t.id: {r.key: {c.key: ZERO for c in r.columns} for r in t.rows} for t in FORMATS[fmt].tables}


def _num(table: Table, row: str, col: str) -> Decimal:
    v = table.value(row, col)
    return ZERO if v is None else Decimal(v)


def report_tables(report: Report, fmt: FormatId) -> tuple[Tables, list[str]]:
    """The report's figures in format `fmt`, and (in plain Chinese) its figures with no counterpart there."""
    out = empty_tables(fmt)
    if report.format is fmt:
        for tid, rows in out.items():
            table = report.table(tid)
            for row, cols in rows.items():
                for col in cols:
                    cols[col] = _num(table, row, col)
        return out, []
    src = report.spec
    covered: set[Cell] = set()
    for (tid, row, col), sources in _counterparts(report.format, fmt).items():
        table = report.table(tid)
        out[tid][row][col] = sum((_num(table, r, c) for r, c in sources), ZERO)
        covered.update((tid, r, c) for r, c in sources)
    missing: list[str] = []
    for t in src.tables:
        table = report.table(t.id)
        for r in t.rows:
            for c in r.columns:
                v = _num(table, r.key, c.key)
                if (t.id, r.key, c.key) not in covered and v != 0:
                    missing.append(f"{t.name}“{r.label}”的“{c.label}”：{show(v)}")
    return out, missing


def _counterparts(src: FormatId, dst: FormatId) -> dict[Cell, list[tuple[str, str]]]:
    """For each cell of `dst`, the cells of `src` that add up to it (FORMAT.md's counterparts)."""
    mapping: dict[Cell, list[tuple[str, str]]] = {}
    dst_spec = FORMATS[dst]
    for r in dst_spec.table("t4").rows:
        for c in r.columns:
            mapping[("t4", r.key, c.key)] = [(r.key, c.key)]
    for r in dst_spec.table("t3").rows:
        for c in r.columns:
            if r.key == "o":  # 2019's single row = 2021's three
                mapping[("t3", "o", c.key)] = [(k, c.key) for k in ("o1", "o2", "o3")]
            elif not r.key.startswith("o"):
                mapping[("t3", r.key, c.key)] = [(r.key, c.key)]
    for row in ("licensing", "penalty", "enforcement"):
        mapping[("t2", row, "decisions")] = [(row, "decisions")]
    del src  # both directions share the same counterparts
    return mapping


def add_into(total: Tables, part: Tables) -> None:
    for tid, rows in part.items():
        for row, cols in rows.items():
            for col, v in cols.items():
                total[tid][row][col] += v


def summarize(year: int, reports: Sequence[BodyReport], fmt: FormatId | None = None) -> Summary:
    """The national tables summed over `reports`, in total and per body type."""
    fmt = fmt or format_for_year(year)
    summary = Summary(year=year, format=fmt, totals=empty_tables(fmt), by_type={}, type_counts={})
    for br in reports:
        tables, missing = report_tables(br.report, fmt)
        add_into(summary.totals, tables)
        if br.body_type not in summary.by_type:
            summary.by_type[br.body_type] = empty_tables(fmt)
            summary.type_counts[br.body_type] = 0
        add_into(summary.by_type[br.body_type], tables)
        summary.type_counts[br.body_type] += 1
        summary.report_ids.append(br.report_id)
        summary.unmapped += [Unmapped(br.report_id, br.body_name, m) for m in missing]
    return summary


# ---------------------------------------------------------------- showing
def show(v: Decimal) -> str:
    """A figure as people write it: 12, 3.5 (never 3.500000 or 1E+1)."""
    if v == v.to_integral_value():
        return str(int(v))
    return format(v.normalize(), "f")


def change_text(current: Decimal, previous: Decimal | None) -> str:
    """How a figure moved since last year, in words (no negative numbers)."""
    if previous is None:
        return "上年无数据"
    diff = current - previous
    if diff == 0:
        return "持平"
    return f"增加 {show(diff)}" if diff > 0 else f"减少 {show(-diff)}"


def type_label(body_type: str) -> str:
    try:
        return BODY_TYPE_LABELS[BodyType(body_type)]
    except ValueError:
        return "其他"


# ---------------------------------------------------------------- outliers
def find_outliers(reports: Sequence[BodyReport], fmt: FormatId) -> list[Outlier]:
    """Bodies whose figures stand out: far above their peers', tables equal to another body's, text copied."""
    tables = {br.report_id: report_tables(br.report, fmt)[0] for br in reports}
    found = _ten_times(reports, tables, fmt)
    found += _identical_tables(reports, tables)
    found += _copied_text(reports)
    return found


def _cells(fmt: FormatId) -> list[tuple[Cell, str]]:
    out: list[tuple[Cell, str]] = []
    for t in FORMATS[fmt].tables:
        for r in t.rows:
            for c in r.columns:
                out.append(((t.id, r.key, c.key), f"{t.name}“{r.label}”的“{c.label}”"))
    return out


def _ten_times(reports: Sequence[BodyReport], tables: dict[int, Tables], fmt: FormatId) -> list[Outlier]:
    by_type: dict[str, list[BodyReport]] = {}
    for br in reports:
        by_type.setdefault(br.body_type, []).append(br)
    found: list[Outlier] = []
    cells = _cells(fmt)
    for body_type, group in by_type.items():
        if len(group) < MIN_PEERS + 1:
            continue
        # Per cell, the non-zero values of the group, sorted: peers that report this figure at all
        # (most townships receive no request, and 30 requests is no anomaly beside a median of 0).
        nonzero: dict[Cell, list[Decimal]] = {}
        for cell, _ in cells:
            tid, row, col = cell
            nonzero[cell] = sorted(v for p in group if (v := tables[p.report_id][tid][row][col]) > 0)
        reasons_of: dict[int, list[str]] = {br.report_id: [] for br in group}
        for cell, label in cells:
            values = nonzero[cell]
            if not values or values[-1] < OUTLIER_FLOOR or len(values) < 3:
                continue
            tid, row, col = cell
            for br in group:
                value = tables[br.report_id][tid][row][col]
                if value < OUTLIER_FLOOR:
                    continue
                peers = list(values)
                del peers[bisect.bisect_left(peers, value)]  # the body itself is no peer
                median = Decimal(statistics.median(peers))
                if value >= TEN_TIMES * median:
                    reasons_of[br.report_id].append(
                        f"{label}为 {show(value)}，同类单位（有此项的）中位数为 {show(median)}"
                    )
        for br in group:
            reasons = reasons_of[br.report_id]
            if reasons:
                more = f"等 {len(reasons)} 项" if len(reasons) > 3 else ""
                reason = "；".join(reasons[:3]) + more + f"，超过同类单位（{type_label(body_type)}）的十倍"
                found.append(Outlier(br.report_id, br.body_name, br.body_type, "ten_times", reason))
    return found


def _identical_tables(reports: Sequence[BodyReport], tables: dict[int, Tables]) -> list[Outlier]:
    groups: dict[tuple[tuple[Cell, Decimal], ...], list[BodyReport]] = {}
    for br in reports:
        key = tuple(
            ((tid, row, col), v.normalize())
            for tid, rows in sorted(tables[br.report_id].items())
            for row, cols in sorted(rows.items())
            for col, v in sorted(cols.items())
        )
        if all(v == 0 for _, v in key):
            continue
        groups.setdefault(key, []).append(br)
    found: list[Outlier] = []
    for group in groups.values():
        if len(group) < 2:
            continue
        for br in group:
            others = [o for o in group if o.report_id != br.report_id]
            names = "、".join(o.body_name for o in others)
            reason = f"表二、表三、表四的全部数字与{names}的完全相同，请核对是否照抄"
            found.append(
                Outlier(
                    br.report_id, br.body_name, br.body_type, "identical_tables", reason, others[0].report_id
                )
            )
    return found


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({n for n in names if n}, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in unique)) if unique else None


def _normalise(text: str, names: re.Pattern[str] | None) -> str:
    """The text without body names (a copy names the body it came from) and without whitespace."""
    if names is not None:
        text = names.sub("", text)
    return "".join(text.split())


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    return {text[i : i + size] for i in range(max(0, len(text) - size + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _copied_text(reports: Sequence[BodyReport]) -> list[Outlier]:
    """Sections whose distinctive wording (what is not the district's common template) is the same.

    A shingle used by more than a few bodies is template wording every body shares (the sample
    sentences of a notice, "本年度未收取信息处理费"): dropped before comparing, so only text that two
    bodies share and the others do not counts."""
    names = _names_pattern(br.body_name for br in reports)
    found: list[Outlier] = []
    common_limit = max(3, len(reports) // 5)
    for number in COPY_SECTIONS:
        texts = {br.report_id: _normalise(br.report.section_text(number), names) for br in reports}
        sets = {rid: shingles(t) for rid, t in texts.items() if len(t) >= COPY_MIN_CHARS}
        df: dict[str, int] = {}
        for s in sets.values():
            for sh in s:
                df[sh] = df.get(sh, 0) + 1
        distinct = {rid: {sh for sh in s if df[sh] <= common_limit} for rid, s in sets.items()}
        distinct = {rid: s for rid, s in distinct.items() if len(s) >= COPY_MIN_SHINGLES}
        by_id = {br.report_id: br for br in reports}
        for rid_a, rid_b in _candidate_pairs(distinct, df):
            a, b = by_id[rid_a], by_id[rid_b]
            ratio = jaccard(distinct[rid_a], distinct[rid_b])
            if ratio >= COPY_SIMILARITY:
                title = SECTION_TITLES[number]
                for x, y in ((a, b), (b, a)):
                    reason = f"“{title}”一节的文字与{y.body_name}的几乎相同（相似度 {round(ratio * 100)}%）"
                    found.append(
                        Outlier(x.report_id, x.body_name, x.body_type, "copied_text", reason, y.report_id)
                    )
    found.sort(key=lambda o: (o.report_id, o.other_report_id or 0))
    return found


def _candidate_pairs(sets: dict[int, set[str]], df: dict[str, int]) -> list[tuple[int, int]]:
    """Pairs that can reach COPY_SIMILARITY, by prefix filtering (Chaudhuri et al.): with every set's
    shingles in one global order (rarest first), two sets with Jaccard ≥ t share at least one of the
    first |S| − ⌈t·|S|⌉ + 1 shingles of each.  A district of 500 bodies is then no 125,000 set
    comparisons per section."""
    index: dict[str, list[int]] = {}
    pairs: set[tuple[int, int]] = set()
    for rid in sorted(sets):
        ordered = sorted(sets[rid], key=lambda sh: (df[sh], sh))
        prefix = len(ordered) - math.ceil(COPY_SIMILARITY * len(ordered)) + 1
        for sh in ordered[:prefix]:
            for other in index.get(sh, ()):
                pairs.add((other, rid))
            index.setdefault(sh, []).append(rid)
    return sorted(pairs)


OUTLIER_KIND_LABELS: Final = {
    "ten_times": "数字远高于同类单位",
    "identical_tables": "表格与其他单位完全相同",
    "copied_text": "文字与其他单位雷同",
}


# ---------------------------------------------------------------- the district government's own draft
def overview_paragraph(summary: Summary, district: str) -> str:
    """总体情况's opening with the key totals (the office edits the rest)."""
    v = summary.value
    t3 = "total"
    handled = v("t3", "total", t3)
    granted, partial = v("t3", "granted", t3), v("t3", "partial", t3)
    review = v("t4", "review", "total")
    suits = v("t4", "direct", "total") + v("t4", "after_review", "total")
    if summary.format is FormatId.F2021:
        docs = f"制发行政规范性文件 {show(v('t2', 'normative', 'issued'))} 件，现行有效 {show(v('t2', 'normative', 'in_force'))} 件"
    else:
        docs = f"新制作规范性文件 {show(v('t2', 'normative', 'made'))} 件，对外公开总数 {show(v('t2', 'normative', 'total_public'))} 件"
    return (
        f"{summary.year}年，{district}及所属 {summary.count} 个单位认真贯彻落实《中华人民共和国政府信息公开条例》。"
        f"（一）主动公开。全区{docs}；作出行政许可决定 {show(v('t2', 'licensing', 'decisions'))} 件、"
        f"行政处罚决定 {show(v('t2', 'penalty', 'decisions'))} 件、行政强制决定 {show(v('t2', 'enforcement', 'decisions'))} 件。\n"
        f"（二）依申请公开。全区新收政府信息公开申请 {show(v('t3', 'new', t3))} 件，上年结转 {show(v('t3', 'carried', t3))} 件，"
        f"办理完毕 {show(handled)} 件（予以公开 {show(granted)} 件、部分公开 {show(partial)} 件），"
        f"结转下年度继续办理 {show(v('t3', 'forward', t3))} 件。\n"
        f"（三）政府信息管理。（请补充）\n（四）政府信息公开平台建设。（请补充）\n"
        f"（五）监督保障。全区因政府信息公开被申请行政复议 {show(review)} 件、提起行政诉讼 {show(suits)} 件。（请补充）"
    )


def district_draft(summary: Summary, district_body: str, *, base: Report | None = None) -> Report:
    """The district government's own report, pre-filled: the summed tables and the 总体情况 paragraph.

    `base` (the existing draft) keeps everything the office already wrote apart from the tables and
    总体情况."""
    fmt = summary.format
    report = base or Report(format=fmt)
    report.format = fmt
    year = summary.year
    report.header = Header(
        body_name=district_body,
        body_type=BodyType.COUNTY_GOVERNMENT.value,
        year=year,
        title=report.header.title or f"{district_body}{year}年政府信息公开工作年度报告",
        period_text=report.header.period_text
        or f"本报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        report_date=report.header.report_date,
        signature=report.header.signature or district_body,
    )
    report.aggregates_bodies = True
    report.tables = {}
    for tid, rows in summary.totals.items():
        table = Table()
        for row, cols in rows.items():
            for col, value in cols.items():
                table.set(row, col, show(value))
        report.tables[tid] = table
    sections = dict(report.sections)
    sections[1] = Section(SECTION_TITLES[1], overview_paragraph(summary, district_body))
    for n in range(2, 7):
        sections.setdefault(n, Section(SECTION_TITLES[n], ""))
    report.sections = sections
    return report
