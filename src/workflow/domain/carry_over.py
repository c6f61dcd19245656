"""Starting this year's report from last year's: what is copied, and what is carried as a figure.

- header: the body, this year (titles, 统计期限 and preamble with last year's year replaced), the 落款 unit;
  the 落款 date is left for the clerk;
- sections: titles and text, to edit;
- 表三 二、上年结转 = last year's 四、结转下年度继续办理, column by column;
- 表二 (2021): 现行有效件数 starts at last year's 现行有效件数 (the year-end figure: this year's is it plus
  本年制发 minus 本年废止); (2019 试行): 上一年项目数量 = last year's 上一年项目数量 + 本年增/减, and
  对外公开总数量 starts at last year's.
Every carried cell is listed, so the clerk sees what came from last year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflow.domain.format_switch import switch_format
from workflow.domain.formats import FORMATS, FormatId, format_for_year
from workflow.domain.model import Header, Report, Section, Table


@dataclass(frozen=True, slots=True)
class Carried:
    where: str  # 表三 二、上年结转政府信息公开申请数量 自然人
    value: str
    source: str  # what it came from, in words


def _year_swap(text: str, old: int | None, new: int) -> str:
    return text.replace(str(old), str(new)) if old and text else text


def start_from(
    previous: Report, *, year: int, body_name: str, body_type: str
) -> tuple[Report, list[Carried]]:
    target = format_for_year(year)
    prev, _lost = switch_format(previous, target) if previous.format is not target else (previous, [])
    old_year = previous.header.year or year - 1
    h = prev.header
    header = Header(
        body_name=body_name or h.body_name,
        body_type=body_type or h.body_type,
        year=year,
        title=_year_swap(h.title, old_year, year),
        period_text=_year_swap(h.period_text, old_year, year),
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        report_date=None,
        signature=h.signature or body_name,
    )
    spec = FORMATS[target]
    report = Report(
        header=header,
        format=target,
        preamble=_year_swap(prev.preamble, old_year, year),
        sections={n: Section(s.title, s.text) for n, s in prev.sections.items()},
        tables={t.id: Table() for t in spec.tables},
    )
    carried: list[Carried] = []
    t3_def = spec.table("t3")
    last_t3 = prev.table("t3")
    for col in t3_def.row("carried").columns:
        cell = last_t3.cell("forward", col.key)
        if cell is not None and cell.value is not None:
            report.tables["t3"].set("carried", col.key, cell.raw.strip())
            carried.append(
                Carried(
                    f"表三 {t3_def.row('carried').label} {col.label}",
                    cell.raw.strip(),
                    "上年“结转下年度继续办理”",
                )
            )
    t2_def = spec.table("t2")
    last_t2 = prev.table("t2")
    t2 = report.tables["t2"]
    if target is FormatId.F2021:
        for row in ("regulations", "normative"):
            cell = last_t2.cell(row, "in_force")
            if cell is not None and cell.value is not None:
                t2.set(row, "in_force", cell.raw.strip())
                carried.append(
                    Carried(
                        f"表二 {t2_def.row(row).label} 现行有效件数",
                        cell.raw.strip(),
                        "上年末现行有效件数（请加上本年制发、减去本年废止）",
                    )
                )
    else:
        for row in ("regulations", "normative"):
            cell = last_t2.cell(row, "total_public")
            if cell is not None and cell.value is not None:
                t2.set(row, "total_public", cell.raw.strip())
                carried.append(
                    Carried(
                        f"表二 {t2_def.row(row).label} 对外公开总数量", cell.raw.strip(), "上年对外公开总数量"
                    )
                )
        for row in ("licensing", "other_services", "penalty", "enforcement", "fees"):
            before, change = last_t2.value(row, "prev_count"), last_t2.value(row, "change")
            if before is None:
                continue
            end = before + (change or 0)
            t2.set(row, "prev_count", str(end))
            carried.append(
                Carried(f"表二 {t2_def.row(row).label} 上一年项目数量", str(end), "上年项目数量加本年增减")
            )
    return report, carried
