"""Model → text / .docx / HTML → import gives the same model back (same to_dict, same hash)."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from workflow.domain.formats import FORMATS, T3_COLUMN_KEYS, FormatId
from workflow.domain.model import Report, Table
from workflow.domain.samples import sample_report
from workflow.exporters import to_docx, to_html, to_text
from workflow.importers import ImportResult, import_bytes, import_docx, import_html, import_text

# What the importer records for a 2019 report written by our exporters: the 2019-only labels, in the
# order they appear.
MARKERS_2019 = [
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "处理决定数量",
    "其他对外管理服务事项",
    "第二十条第（九）项",
    "采购项目数量",
    "采购总金额",
    "政府集中采购",
    "（六）其他处理",
]


def labelled(report: Report) -> Report:
    """An imported report records every mapped row's label; a generated one has none yet."""
    for tid, table in report.tables.items():
        for row in report.spec.table(tid).rows:
            if row.key in table.rows:
                table.labels.setdefault(row.key, row.label)
    return report


def as_2019(report: Report, rng: random.Random) -> Report:
    """The same report in the 2019 试行 format: 2019 表二, one （六）其他处理 row in 表三."""
    report.format = FormatId.F2019
    t2 = Table()
    for key in ("regulations", "normative"):
        made = rng.randint(0, 9)
        t2.set(key, "made", made)
        t2.set(key, "published", made)
        t2.set(key, "total_public", made + rng.randint(0, 50))
    for key in ("licensing", "other_services", "penalty", "enforcement"):
        t2.set(key, "prev_count", rng.randint(0, 40))
        t2.set(key, "change", rng.randint(-5, 5))
        t2.set(key, "decisions", rng.randint(0, 300))
    t2.set("fees", "prev_count", rng.randint(0, 5))
    t2.set("fees", "change", rng.randint(-2, 2))
    t2.set("procurement", "count", rng.randint(0, 20))
    t2.set("procurement", "amount", Decimal(rng.randint(0, 10**6)) / 100)
    t3 = report.tables["t3"]
    other = {c: sum(int(t3.value(k, c) or 0) for k in ("o1", "o2", "o3")) for c in T3_COLUMN_KEYS}
    for key in ("o1", "o2", "o3"):
        del t3.rows[key]
    for col, n in other.items():
        t3.set("o", col, n)
    t3.rows = {k: t3.rows[k] for k in FORMATS[FormatId.F2019].table("t3").row_keys}
    report.tables["t2"] = t2
    report.format_markers = list(MARKERS_2019)
    return report


def drifted(report: Report) -> Report:
    """Labels as people write them, and rows the format does not know."""
    t2, t3 = report.tables["t2"], report.tables["t3"]
    t2.labels["normative"] = "规范性文件"  # the 2021 alias rule A4 warns about
    t2.labels["licensing"] = "行政许可（含备案）"
    t3.labels["d3"] = '3. 危及"三安全一稳定"'
    t3.labels["granted"] = "(一) 予以公开"
    t2.extra_rows.append("其他主动公开事项")
    return report


Writer = Callable[[Report], str | bytes]
Reader = Callable[..., ImportResult]
MEDIA: list[tuple[str, Writer, Reader]] = [
    ("text", to_text, import_text),
    ("html", to_html, import_html),
    ("docx", to_docx, import_docx),
]


def _check(report: Report, write: Writer, read: Reader) -> None:
    data = write(report)
    back = read(data)
    assert back.report.to_dict() == report.to_dict()
    assert back.report.content_hash() == report.content_hash()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    assert import_bytes(raw).report.to_dict() == report.to_dict()  # the sniffing finds the same kind


@pytest.mark.parametrize(("medium", "write", "read"), MEDIA, ids=[m[0] for m in MEDIA])
def test_generated_reports(medium: str, write: Writer, read: Reader) -> None:
    seeds = range(40) if medium != "docx" else range(12)  # python-docx is slow to write
    for seed in seeds:
        _check(labelled(sample_report(random.Random(seed))), write, read)


@pytest.mark.parametrize(("medium", "write", "read"), MEDIA, ids=[m[0] for m in MEDIA])
def test_generated_2019_reports(medium: str, write: Writer, read: Reader) -> None:
    for seed in range(8):
        rng = random.Random(1000 + seed)
        _check(labelled(as_2019(sample_report(rng, year=2020), rng)), write, read)


@pytest.mark.parametrize(("medium", "write", "read"), MEDIA, ids=[m[0] for m in MEDIA])
def test_drifted_labels_survive(medium: str, write: Writer, read: Reader) -> None:
    report = drifted(labelled(sample_report(random.Random(7))))
    _check(report, write, read)
    back = read(write(report)).report
    assert back.table("t2").labels["normative"] == "规范性文件"
    assert back.table("t2").extra_rows == ["其他主动公开事项"]


def test_blank_cells_stay_blank() -> None:
    report = labelled(sample_report(random.Random(3)))
    report.tables["t4"].set("review", "upheld", "")
    report.tables["t2"].set("regulations", "in_force", "/")
    report.tables["t3"].set("new", "total", "")
    for _, write, read in MEDIA:
        _check(report, write, read)


@pytest.mark.parametrize(
    "name", ["lushaer_2024.txt", "pingtan_2021.txt", "pingtan_2022.txt", "pingtan_2021.docx"]
)
def test_corpus_models_round_trip(corpus: Path, name: str) -> None:
    """Real damage survives a round trip too: 2019 labels, missing rows, blank cells, a missing title."""
    report = import_bytes((corpus / name).read_bytes(), name).report
    for _, write, read in MEDIA:
        _check(report, write, read)
