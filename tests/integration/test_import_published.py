"""`workflow import-published`: a district's published reports become last year's baselines.

A folder as an office would fill it from its website: 鲁沙尔镇's 2024 report as a PDF (Word printed by
LibreOffice), 教育局's as .docx, 康川街道's as a web page, and another county's report that is none of
ours.  Three baselines are stored, the fourth is listed with the reason, a second run changes
nothing, and this year's checks compare 上年结转 with the baseline's 结转下年度.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow.cli import main
from workflow.db.factories import make_body, make_season
from workflow.db.models import AuditEvent, ReportRow, Season
from workflow.domain.model import Cell, Report
from workflow.domain.samples import sample_report
from workflow.exporters.docx import to_docx
from workflow.exporters.html import to_html
from workflow.exporters.text import to_text
from workflow.rules.catalog import validate
from workflow.services import baselines, checks, drafts

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

TWINS = Path(__file__).resolve().parents[1] / "corpus" / "pdf"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "published"
    folder.mkdir()
    rng = random.Random(5)
    (folder / "lushaer.pdf").write_bytes((TWINS / "lushaer_2024.office.pdf").read_bytes())
    jiaoyu = sample_report(rng, year=2024, body_name="西宁市湟中区教育局", with_requests=True)
    (folder / "2024年报-教育.docx").write_bytes(to_docx(jiaoyu))
    kangchuan = sample_report(rng, year=2024, body_name="康川街道办事处", with_requests=True)
    (folder / "page.html").write_text(to_html(kangchuan), encoding="utf-8")
    other = sample_report(rng, year=2024, body_name="大通县教育局", with_requests=True)
    (folder / "datong.txt").write_text(to_text(other), encoding="utf-8")
    return folder


@pytest.fixture
def district(db):
    with db.sessions() as s:
        ids = {
            name: make_body(s, name).id
            for name in ("鲁沙尔镇人民政府", "西宁市湟中区教育局", "康川街道办事处")
        }
        make_body(s, "多巴镇人民政府")
        season = make_season(s, 2025)
        s.commit()
        return ids, season.id


def test_published_reports_become_baselines_and_the_rest_is_listed_with_the_reason(
    db, district, tmp_path, capsys
):
    ids, season_id = district
    folder = _folder(tmp_path)

    status = main(["import-published", str(folder), "--year", "2025"])
    out = capsys.readouterr().out
    assert status == 1  # one file did not match
    assert "已导入：lushaer.pdf —— → 鲁沙尔镇人民政府（2024年度报告，作为2025年度的上年报告）" in out
    assert "已导入：2024年报-教育.docx —— → 西宁市湟中区教育局" in out
    assert "已导入：page.html —— → 康川街道办事处" in out
    assert "未匹配：datong.txt —— 报告标题中的单位名称「大通县教育局」在本区找不到" in out
    assert "共 4 个文件：3 个已作为2024年度报告导入，1 个未导入。" in out

    with db.sessions() as s:
        last_season = s.scalar(select(Season).where(Season.report_year == 2024))
        assert last_season is not None and last_season.deadlines == []  # no reminders for it
        rows = s.scalars(select(ReportRow).where(ReportRow.season_id == last_season.id)).all()
        assert {r.body_id for r in rows} == set(ids.values())
        assert all(r.state == "draft" and r.latest_version == 0 for r in rows)
        stored = {r.body_id: Report.from_dict(r.draft) for r in rows}
        events = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "baseline.import")
        )
    assert events == 3
    lushaer = stored[ids["鲁沙尔镇人民政府"]]
    assert lushaer.header.year == 2024 and lushaer.table("t3").value("forward", "total") == 0

    # Run again: nothing changes, nothing is written twice.
    status = main(["import-published", str(folder), "--year", "2025"])
    out = capsys.readouterr().out
    assert out.count("无变化：") == 3 and "未匹配：datong.txt" in out
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 3
        again = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "baseline.import")
        )
        assert again == 3

    # This year's draft is checked against the baseline: 上年结转 = last year's 结转下年度.
    with db.sessions() as s:
        this_year = sample_report(random.Random(1), year=2025, body_name="鲁沙尔镇人民政府", previous=lushaer)
        report_id = drafts.create_report(
            s, body_id=ids["鲁沙尔镇人民政府"], season_id=season_id, actor_id=None, content=this_year
        )
        row = s.get(ReportRow, report_id)
        previous, imported = checks.previous_report(s, row)
        assert imported and previous is not None and previous.header.year == 2024
        assert not [
            f for f in validate(this_year, previous, previous_imported=imported).findings if f.rule == "E1"
        ]
        this_year.table("t3").rows["carried"]["natural"] = Cell.of("3")
        e1 = [f for f in validate(this_year, previous, previous_imported=imported).findings if f.rule == "E1"]
        assert len(e1) == 1 and e1[0].severity.value == "warning"  # imported from outside: a question
        assert "结转下年度继续办理”为0" in e1[0].message


def test_a_changed_file_replaces_the_baseline_but_a_report_submitted_in_the_system_stands(
    db, district, tmp_path
):
    ids, _ = district
    rng = random.Random(9)
    first = sample_report(rng, year=2024, body_name="康川街道办事处", with_requests=True)
    with db.sessions() as s:
        items = baselines.import_published(s, [("k.html", to_html(first).encode())], year=2025)
        assert [i.status for i in items] == ["stored"]
        second = sample_report(rng, year=2024, body_name="康川街道办事处", with_requests=True)
        items = baselines.import_published(s, [("k.html", to_html(second).encode())], year=2025)
        assert [i.status for i in items] == ["updated"]
        row = s.scalar(select(ReportRow).where(ReportRow.body_id == ids["康川街道办事处"]))
        assert row is not None and row.draft_revision == 2
        row.latest_version = 1  # as if the body had submitted its 2024 report in the system
        s.commit()
        items = baselines.import_published(s, [("k.html", to_html(first).encode())], year=2025)
        assert [i.status for i in items] == ["skipped"] and "以系统中的为准" in items[0].reason
        # A draft someone started in the system is a person's work: not replaced either.
        typed = drafts.create_report(
            s, body_id=ids["鲁沙尔镇人民政府"], season_id=row.season_id, actor_id=None, content=first
        )
        lushaer = sample_report(rng, year=2024, body_name="鲁沙尔镇人民政府")
        items = baselines.import_published(s, [("l.txt", to_text(lushaer).encode())], year=2025)
        assert [i.status for i in items] == ["skipped"] and "已有草稿" in items[0].reason
        assert s.get(ReportRow, typed).draft_revision == 1
        wrong_year = sample_report(rng, year=2023, body_name="鲁沙尔镇人民政府")
        items = baselines.import_published(s, [("old.txt", to_text(wrong_year).encode())], year=2025)
        assert items[0].status == "unreadable" and "这是2023年度的报告，不是2024年度的" in items[0].reason


def test_an_uploaded_pdf_fills_the_draft(db, district):
    ids, season_id = district
    with db.sessions() as s:
        report_id = drafts.create_report(
            s, body_id=ids["鲁沙尔镇人民政府"], season_id=season_id, actor_id=None
        )
        data = (TWINS / "sample_2026_a.office.pdf").read_bytes()
        drafts.import_upload(
            s, report_id=report_id, data=data, filename="report.pdf", expected_revision=1, actor_id=None
        )
        draft = Report.from_dict(s.get(ReportRow, report_id).draft)
    expected = Report.from_dict(_text_twin("sample_2026_a"))
    assert draft.table("t3").rows.keys() == expected.table("t3").rows.keys()
    assert draft.table("t3").value("new", "total") == expected.table("t3").value("new", "total")


def _text_twin(name: str) -> dict:
    from workflow.importers import import_path

    return import_path(TWINS / f"{name}.txt").report.to_dict()


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["西宁市湟中区鲁沙尔镇人民政府"], "鲁沙尔镇人民政府"),  # the 落款, with the region before it
        (["湟中区鲁沙尔镇"], "鲁沙尔镇人民政府"),  # a title without 人民政府
        (["湟中区教育局"], "西宁市湟中区教育局"),
        (["西宁市教育局"], "西宁市教育局"),  # the longer name wins over 湟中区's 教育局
        (["康川街道"], "康川街道办事处"),
        (["", "鲁沙尔镇2024年报"], "鲁沙尔镇人民政府"),  # no name in the report: the file name
        (["大通县教育局", "jiaoyu"], None),  # another county's 教育局 is not ours
        (["某某公司"], None),
    ],
)
def test_names_as_reports_write_them_match_the_right_body(texts, expected):
    bodies = [
        baselines._Candidate(i, name, baselines._keys(name, region), baselines._norm(name + region))
        for i, (name, region) in enumerate(
            [
                ("鲁沙尔镇人民政府", "西宁市湟中区"),
                ("西宁市湟中区教育局", "西宁市湟中区"),
                ("西宁市教育局", "西宁市"),
                ("康川街道办事处", "西宁市湟中区"),
            ]
        )
    ]
    hits, _ = baselines.match(texts, bodies)
    assert [b.name for b in hits] == ([expected] if expected else [])
