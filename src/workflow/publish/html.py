"""The report as an HTML document (Jinja2, autoescaped), for the web and as the source of the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from workflow.domain.formats import SECTION_TITLES, TABLE_SECTION
from workflow.domain.model import Report
from workflow.publish.layout import Grid, GridCell, grids

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class PublicationMeta:
    """What the rendered files say about the publication itself (not part of the report's content)."""

    version: int = 1
    published_at: datetime | None = None
    first_published_at: datetime | None = None
    correction_note: str = ""
    report_id: int | None = None
    # Errors of the checker that the submitter contested and the reviewer accepted (the data says so).
    contested: tuple[dict[str, Any], ...] = ()

    @property
    def is_correction(self) -> bool:
        return bool(self.correction_note)


def cn_date(value: date | datetime | None) -> str:
    """2025年1月15日; datetimes are shown in local (Beijing) time, where the deadline is judged."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = (value.astimezone(LOCAL_TZ) if value.tzinfo else value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def paragraphs(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def cell_html(c: GridCell) -> Markup:
    """One table cell: th for labels, td with its model keys (data-row/data-col) for numbers."""
    attrs = ""
    if c.rowspan > 1:
        attrs += f' rowspan="{c.rowspan}"'
    if c.colspan > 1:
        attrs += f' colspan="{c.colspan}"'
    if c.kind:
        attrs += f' class="{escape(c.kind)}"'
    if c.head:
        return Markup(f"<th{attrs}>{escape(c.text)}</th>")
    return Markup(f'<td{attrs} data-row="{escape(c.row)}" data-col="{escape(c.col)}">{escape(c.text)}</td>')


def row_html(cells: list[GridCell]) -> Markup:
    return Markup("<tr>" + "".join(cell_html(c) for c in cells) + "</tr>")


@lru_cache(maxsize=4)
def environment(extra_dirs: tuple[Path, ...] = ()) -> Environment:
    """The Jinja2 environment: autoescape on for HTML/XML so narrative text can never become markup."""
    env = Environment(
        loader=FileSystemLoader([*extra_dirs, TEMPLATES]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    env.globals["paragraphs"] = paragraphs
    env.globals["row_html"] = row_html
    return env


def report_title(report: Report) -> str:
    h = report.header
    return h.title or f"{h.body_name}{h.year or ''}年政府信息公开工作年度报告"


PERIOD_WORD = "统计期限"


def period_statement(report: Report) -> str:
    """The 统计期限 sentence to print under the preamble, or "" when the report states it itself.

    The national format asks every report to say which period its figures cover; many say it in
    the preamble.  When a report does not, the published document prints the standard sentence for
    its year (the figures always cover one calendar year), so no reader has to guess.
    """
    year = report.header.year
    if not year or PERIOD_WORD in report.full_text:
        return ""
    return f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"


def document_context(report: Report, meta: PublicationMeta) -> dict[str, Any]:
    """Everything _document.html needs; the portal adds its own keys to it."""
    by_section: dict[int, Grid] = {TABLE_SECTION[g.table_id]: g for g in grids(report)}
    sections = [
        (n, SECTION_TITLES[n], report.section_text(n), by_section.get(n)) for n in sorted(SECTION_TITLES)
    ]
    return {
        "report": report,
        "meta": meta,
        "title": report_title(report),
        "period": period_statement(report),
        "sections": sections,
        "signature": report.header.signature or report.header.body_name,
    }


def render_html(report: Report, meta: PublicationMeta | None = None) -> str:
    """A standalone page (inline CSS, no external asset) anyone can save and open."""
    ctx = document_context(report, meta or PublicationMeta())
    return environment().get_template("standalone.html").render(ctx, pdf=False, font_url="")


def render_print_html(report: Report, meta: PublicationMeta | None, font_url: str) -> str:
    ctx = document_context(report, meta or PublicationMeta())
    return environment().get_template("standalone.html").render(ctx, pdf=True, font_url=font_url)
