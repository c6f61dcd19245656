"""Make the PDF twins in this folder (run once by hand; the PDFs are committed, tests need no LibreOffice).

    .venv/bin/python tests/corpus/pdf/make_twins.py            # needs `soffice` (libreoffice-writer)

For each source report (a text file; the original .docx for 平潭 2021):
  <name>.txt         the text twin: the source as read by the importer, written out by our text
                     exporter (tab-separated tables), so the PDF and its text say exactly the same
                     thing and neither a later edit of the source nor a better importer makes them
                     drift apart
  <name>.office.pdf  the way an office makes it: the report as a Word document (our .docx writer,
                     then styled like an office's file: body text justified with a two-character
                     first-line indent on every other report, a running header, the page number in
                     the footer as "- N -" or "第 N 页 共 M 页"), printed to PDF by LibreOffice
  <name>.own.pdf     for a few: the PDF our publication renderer (WeasyPrint) makes, and
  <name>.own.html    the HTML page published with it (its text twin: the renderer prints every
                     template heading and row, so it says more than the source)
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SHARED = ROOT.parent / "shared" / "corpus"
REPORTS = ROOT / "tests" / "corpus" / "reports"

# (twin name, source file, also render with our own PDF renderer)
SOURCES: list[tuple[str, Path, bool]] = [
    ("lushaer_2024", SHARED / "lushaer_2024.txt", True),
    ("pingtan_2021", SHARED / "pingtan_2021.txt", False),
    ("pingtan_2022", SHARED / "pingtan_2022.txt", True),
    ("2020_huangpi_sanliqiao_jiedao", REPORTS / "2020_huangpi_sanliqiao_jiedao.txt", False),
    ("2020_liwan_nanyuan_jiedao", REPORTS / "2020_liwan_nanyuan_jiedao.txt", False),
    ("2020_qianan_dawuli_zhen", REPORTS / "2020_qianan_dawuli_zhen.txt", False),
    ("2022_jiulongpo_erlang_jiedao", REPORTS / "2022_jiulongpo_erlang_jiedao.txt", False),
    ("2023_haicheng_xiliu_zhen", REPORTS / "2023_haicheng_xiliu_zhen.txt", False),
    ("2025_hantai_xuwang_zhen", REPORTS / "2025_hantai_xuwang_zhen.txt", False),
    ("2025_lufeng_hudong_zhen", REPORTS / "2025_lufeng_hudong_zhen.txt", False),
]
SAMPLES = [("sample_2026_a", 7, True), ("sample_2026_b", 11, False)]  # (name, seed, own render)


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from workflow.domain.samples import sample_report
    from workflow.exporters.text import to_text
    from workflow.importers import import_bytes

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("soffice not found: apt-get install libreoffice-writer-nogui", file=sys.stderr)
        return 1
    jobs: list[tuple[str, str, bool]] = []
    for name, source, own in SOURCES:
        jobs.append((name, source.read_text(encoding="utf-8"), own))
    for name, seed, own in SAMPLES:
        jobs.append((name, to_text(sample_report(random.Random(seed), year=2026)), own))
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, text, own) in enumerate(jobs):
            report = import_bytes(text.encode("utf-8"), f"{name}.txt").report
            (HERE / f"{name}.txt").write_text(to_text(report), encoding="utf-8")
            docx = _office_docx(report, styled=i % 2 == 0, footer="dash" if i % 3 else "page_of")
            _print_pdf(soffice, docx, HERE / f"{name}.office.pdf", Path(tmp))
            if own:
                from workflow.publish.html import render_html
                from workflow.publish.pdf import render_pdf

                # Our renderer prints the template's headings and rows even where the source lacks
                # them, so the own PDF's text is the HTML page published with it, not the source.
                (HERE / f"{name}.own.pdf").write_bytes(render_pdf(report))
                (HERE / f"{name}.own.html").write_text(render_html(report), encoding="utf-8")
            print(name, "done")
        pingtan_docx = SHARED / "pingtan_2021.docx"
        _print_pdf(soffice, pingtan_docx.read_bytes(), HERE / "pingtan_2021_word.office.pdf", Path(tmp))
        shutil.copy(pingtan_docx, HERE / "pingtan_2021_word.docx")
    return 0


def _office_docx(report: object, *, styled: bool, footer: str) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    from workflow.exporters.docx import to_docx

    document = docx.Document(io.BytesIO(to_docx(report)))  # type: ignore[arg-type]
    for paragraph in document.paragraphs:
        if paragraph.style is not None and paragraph.style.name.startswith("Heading"):
            continue
        if styled:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            paragraph.paragraph_format.first_line_indent = Pt(24)
    section = document.sections[0]
    running = section.header.paragraphs[0]
    running.add_run("政府信息公开工作年度报告").font.size = Pt(9)  # 页眉 in 小五, as offices set it
    running.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def field(code: str) -> None:
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), code)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        simple.append(run)
        para._p.append(simple)

    if footer == "dash":
        para.add_run("- ")
        field("PAGE")
        para.add_run(" -")
    else:
        para.add_run("第 ")
        field("PAGE")
        para.add_run(" 页 共 ")
        field("NUMPAGES")
        para.add_run(" 页")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _print_pdf(soffice: str, docx: bytes, target: Path, tmp: Path) -> None:
    source = tmp / (target.name.removesuffix(".office.pdf") + ".docx")
    source.write_bytes(docx)
    subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
         "--convert-to", "pdf", "--outdir", str(tmp), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    shutil.move(tmp / (source.stem + ".pdf"), target)


if __name__ == "__main__":
    sys.exit(main())
