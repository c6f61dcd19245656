"""Every published file of one report version, rendered from the one model."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.domain.model import Report
from workflow.publish.data import render_csv, render_json, render_xlsx
from workflow.publish.html import PublicationMeta, render_html
from workflow.publish.pdf import render_pdf

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LABELS = {
    "html": "网页版",
    "pdf": "PDF 版",
    "json": "结构化数据（JSON）",
    "csv": "表格数据（CSV）",
    "xlsx": "表格数据（Excel）",
}
ORDER = ("html", "pdf", "json", "csv", "xlsx")


@dataclass(frozen=True, slots=True)
class Artifact:
    name: str  # html | pdf | json | csv | xlsx (also the file extension)
    data: bytes
    media_type: str


def render_all(report: Report, meta: PublicationMeta) -> dict[str, Artifact]:
    rendered = {
        "html": render_html(report, meta).encode("utf-8"),
        "pdf": render_pdf(report, meta),
        "json": render_json(report, meta),
        "csv": render_csv(report),
        "xlsx": render_xlsx(report, meta),
    }
    return {name: Artifact(name, data, MEDIA_TYPES[name]) for name, data in rendered.items()}


def download_name(body_name: str, year: int | None, version: int, name: str) -> str:
    """鲁沙尔镇人民政府-2024年度报告-第2版.pdf"""
    suffix = f"-第{version}版" if version > 1 else ""
    return f"{body_name}-{year or ''}年度报告{suffix}.{name}"
