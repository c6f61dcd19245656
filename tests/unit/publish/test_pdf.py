"""The PDF: A4, Chinese text in an embedded CJK font, page numbers, the correction note first."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.publish.lushaer import CORRECTION_NOTE, META, corrected_lushaer
from workflow.domain.samples import sample_report
from workflow.publish.pdf import render_pdf

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
    path = tmp_path_factory.mktemp("pdf") / "lushaer.pdf"
    path.write_bytes(render_pdf(corrected_lushaer(corpus), META))
    return path


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@needs_poppler
def test_a4_with_page_numbers_on_every_page(pdf: Path) -> None:
    info = _run("pdfinfo", str(pdf))
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    assert "595.276 x 841.89 pts (A4)" in info
    for page in range(1, pages + 1):
        text = _run("pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-")
        assert f"第{page}页共{pages}页" in text.replace(" ", "")


@needs_poppler
def test_chinese_text_in_an_embedded_cjk_font(pdf: Path) -> None:
    fonts = _run("pdffonts", str(pdf))
    assert "ReportCJK" in fonts and " yes yes yes " in fonts  # embedded, subset, unicode map
    text = _run("pdftotext", str(pdf), "-").replace("\n", "")
    assert "鲁沙尔镇人民政府2024年政府信息公开工作年度报告" in text
    assert "更正说明" in text
    assert text.index("更正说明") < text.index("一、总体情况")
    assert CORRECTION_NOTE[:20] in text
    assert "申请人情况" in text and "法人或其他组织" in text and "未经复议直接起诉" in text
    tail = _run("pdftotext", "-layout", str(pdf), "-").split("六、其他需要报告的事项")[-1]
    assert "西宁市湟中区鲁沙尔镇人民政府" in tail and "2025年1月14日" in tail


@needs_poppler
def test_characters_outside_gb2312_come_from_the_full_font(tmp_path: Path) -> None:
    report = sample_report(random.Random(3), year=2026, body_name="堃喆镇人民政府")
    path = tmp_path / "rare.pdf"
    path.write_bytes(render_pdf(report, META))
    assert "ReportCJKFull" in _run("pdffonts", str(path))  # the subset font lacks 堃 and 喆
    assert "堃喆镇人民政府2026年政府信息公开工作年度报告" in _run("pdftotext", str(path), "-").replace(
        "\n", ""
    )
