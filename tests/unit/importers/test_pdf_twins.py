"""A published report's PDF twin is checked exactly as its text: same rule ids, same cells, same header.

The twins in tests/corpus/pdf/ were made once by make_twins.py: each source report as a Word
document printed to PDF by LibreOffice (justified or ragged text, a running 页眉, page numbers as
"- N -" or "第 N 页 共 M 页", tables broken over pages with rows split by the break), the original
平潭 2021 .docx printed the same way, and a few rendered by our own publication renderer
(compared with the HTML page published with them).  `workflow validate` runs on both files through
the command itself, as a clerk would run it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workflow.cli import main
from workflow.importers import import_path

TWINS = Path(__file__).resolve().parents[2] / "corpus" / "pdf"


def _text_twin(pdf: Path) -> Path:
    stem = pdf.name.split(".")[0]
    if pdf.name.endswith(".own.pdf"):
        return TWINS / f"{stem}.own.html"
    for suffix in (".txt", ".docx"):
        if (TWINS / f"{stem}{suffix}").is_file():
            return TWINS / f"{stem}{suffix}"
    raise AssertionError(f"no text twin for {pdf.name}")


PDFS = sorted(TWINS.glob("*.pdf"))


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status = main(["validate", str(path), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert status in (0, 1), f"{path.name} could not be read"
    return out


def _cells(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    report = import_path(path).report
    return {
        tid: {
            key: {c: cell.raw for c, cell in row.items() if cell.raw.strip()} for key, row in t.rows.items()
        }
        for tid, t in report.tables.items()
    }


def test_there_are_twins_of_at_least_eight_reports() -> None:
    reports = {p.name.split(".")[0] for p in PDFS}
    assert len(reports) >= 8, reports
    assert any(p.name.endswith(".office.pdf") for p in PDFS) and any(
        p.name.endswith(".own.pdf") for p in PDFS
    )


@pytest.mark.parametrize("pdf", PDFS, ids=[p.name for p in PDFS])
def test_pdf_twin_gives_the_same_findings_as_its_text(pdf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _text_twin(pdf)
    from_text = _validate(text, capsys)
    from_pdf = _validate(pdf, capsys)
    assert {f["rule"] for f in from_pdf["findings"]} == {f["rule"] for f in from_text["findings"]}
    for key in ("body_name", "body_type", "year", "format"):
        assert from_pdf["report"][key] == from_text["report"][key], key
    assert _cells(pdf) == _cells(text)
