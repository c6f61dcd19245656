"""Imports show before they replace (issue #15.2, #15.5, #15.6), through the web routes.

A file is parsed into a pending import and the preview lists what would change; the draft changes
only on 确认导入, never on 取消, never when it changed since the preview; a file with no report in it
is refused.  The 2019 ↔ 2021 switch lists what has no counterpart; the Excel download comes back
through the same preview; last year's report is carried into this year's draft.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import clean_report, to_review

from workflow.db.factories import make_season
from workflow.db.models import ReportRow
from workflow.domain.model import Report
from workflow.services import drafts

ROOT = Path(__file__).resolve().parents[2]
LUSHAER = Path("/work/shared/corpus/lushaer_2024.txt")
PENDING = re.compile(r"/import\?p=([A-Za-z0-9_-]+)")
pytestmark = pytest.mark.both_backends


def _draft(db, report_id: int) -> tuple[int, Report]:
    with db.sessions() as s:
        row = s.get(ReportRow, report_id)
        return row.draft_revision, Report.from_dict(row.draft)


def _upload(b, report_id: int, name: str, data: bytes, revision: int = 1):
    return b.client.post(
        f"/reports/{report_id}/import",
        files={"file": (name, data, "application/octet-stream")},
        data={"revision": str(revision), "csrf_token": b.csrf},
    )


def _pending_of(r) -> str:
    assert r.status_code == 303, r.text[:300]
    m = PENDING.search(r.headers["location"])
    assert m, r.headers["location"]
    return m.group(1)


def test_a_readme_is_refused_and_nothing_changes(world, browser, db):
    b = browser("lushaer")
    before = _draft(db, world.report_id)
    r = _upload(b, world.report_id, "README.md", (ROOT / "README.md").read_bytes())
    assert r.status_code == 422
    assert "未在文件中找到年度报告的表格或章节" in r.text
    assert "请上传按国家模板编写的年度报告" in r.text
    assert _draft(db, world.report_id) == before


def test_preview_then_confirm_replaces_the_draft(world, browser, db):
    b = browser("lushaer")
    r = _upload(b, world.report_id, "lushaer_2024.txt", LUSHAER.read_bytes())
    pid = _pending_of(r)
    page = b.get(f"/reports/{world.report_id}/import?p={pid}")
    assert page.status_code == 200
    assert "确认导入" in page.text and "草稿还没有改变" in page.text
    assert "规章" in page.text and "（空）" in page.text  # changed cells, old → new
    assert "一、总体情况：新增" in page.text  # a changed section
    assert _draft(db, world.report_id)[0] == 1  # nothing stored yet
    done = b.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid})
    assert done.status_code == 200
    assert "已从“lushaer_2024.txt”导入" in done.text
    revision, content = _draft(db, world.report_id)
    assert revision == 2
    assert "鲁沙尔镇" in content.header.title and content.section_text(1)
    again = b.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid})  # used up
    assert again.status_code == 303
    assert _draft(db, world.report_id)[0] == 2


def test_cancel_leaves_the_draft(world, browser, db):
    b = browser("lushaer")
    pid = _pending_of(_upload(b, world.report_id, "lushaer_2024.txt", LUSHAER.read_bytes()))
    r = b.post(f"/reports/{world.report_id}/import/cancel", {"pending": pid})
    assert r.status_code == 303
    assert _draft(db, world.report_id)[0] == 1
    assert b.get(f"/reports/{world.report_id}/import?p={pid}").status_code == 303  # gone


def test_a_pending_import_is_bound_to_its_user(world, browser, db):
    clerk, admin = browser("lushaer"), browser("admin")
    pid = _pending_of(_upload(clerk, world.report_id, "lushaer_2024.txt", LUSHAER.read_bytes()))
    assert admin.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid}).status_code == 303
    assert _draft(db, world.report_id)[0] == 1
    other = browser("duoba")  # another body's clerk: not even their report
    assert other.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid}).status_code == 403


def test_confirm_is_refused_when_the_draft_changed_since_the_preview(world, browser, db):
    b = browser("lushaer")
    pid = _pending_of(_upload(b, world.report_id, "lushaer_2024.txt", LUSHAER.read_bytes()))
    typed = clean_report()
    with db.sessions() as s:
        drafts.save_draft(s, report_id=world.report_id, content=typed, expected_revision=1, actor_id=None)
    r = b.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid})
    assert r.status_code == 303
    page = b.get(r.headers["location"])
    assert "导入没有执行" in page.text
    revision, content = _draft(db, world.report_id)
    assert revision == 2 and content.to_dict() == typed.to_dict()


def test_the_format_switch_lists_what_has_no_counterpart(world, browser, db):
    b = browser("lushaer")
    content = clean_report()
    content.tables["t2"].set("normative", "in_force", "7")
    content.tables["t2"].set("normative", "issued", "2")
    with db.sessions() as s:
        drafts.save_draft(s, report_id=world.report_id, content=content, expected_revision=1, actor_id=None)
    pid = _pending_of(b.post(f"/reports/{world.report_id}/format", {"format": "2019", "revision": "2"}))
    page = b.get(f"/reports/{world.report_id}/import?p={pid}").text
    assert "新格式中没有对应项的数字" in page
    assert "行政规范性文件 现行有效件数" in page
    assert _draft(db, world.report_id)[0] == 2
    b.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid})
    revision, switched = _draft(db, world.report_id)
    assert revision == 3 and switched.format.value == "2019"
    assert switched.table("t2").value("normative", "made") == 2
    for row in ("new", "granted", "forward"):  # 表三 kept, cell for cell
        assert switched.table("t3").rows.get(row) == content.table("t3").rows.get(row)
    assert switched.table("t4").rows == content.table("t4").rows
    assert switched.sections == content.sections


def test_excel_round_trip(world, browser, db):
    from openpyxl import load_workbook

    b = browser("lushaer")
    r = b.get(f"/reports/{world.report_id}/tables.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["表三"]
    rows = {ws.cell(i, 2).value: i for i in range(1, ws.max_row + 1)}
    new = rows["一、本年新收政府信息公开申请数量"]
    ws.cell(new, 3).value = 5
    ws.cell(new, 4).value = 2
    assert str(ws.cell(new, 9).value).startswith("=SUM(")
    out = io.BytesIO()
    wb.save(out)
    pid = _pending_of(_upload(b, world.report_id, "表格.xlsx", out.getvalue()))
    page = b.get(f"/reports/{world.report_id}/import?p={pid}").text
    assert "Excel 表格导入" in page
    b.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid})
    _, content = _draft(db, world.report_id)
    assert content.table("t3").value("new", "natural") == 5
    assert content.table("t3").value("new", "commercial") == 2
    assert content.table("t3").value("new", "total") == 7  # the sum, recomputed from the inputs


def test_an_xlsx_that_is_not_ours_is_refused(world, browser, db):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["一、本年新收政府信息公开申请数量", 3])
    out = io.BytesIO()
    wb.save(out)
    r = _upload(browser("lushaer"), world.report_id, "mine.xlsx", out.getvalue())
    assert r.status_code == 422 and "不是从本系统下载的表格" in r.text
    assert _draft(db, world.report_id)[0] == 1


def test_start_from_last_year(world, browser, db):
    with db.sessions() as s:
        last = make_season(s, 2023)
        s.commit()
        last_id = last.id
    with db.sessions() as s:
        old = drafts.create_report(
            s, body_id=world.ids["ours"], season_id=last_id, actor_id=None, content=None
        )
    previous = clean_report(year=2023)
    forward = previous.table("t3").value("forward", "total")
    in_force = previous.table("t2").value("normative", "in_force")
    to_review(db, old, world.ids["clerk"], previous)
    b = browser("lushaer")
    pid = _pending_of(b.post(f"/reports/{world.report_id}/last-year"))
    page = b.get(f"/reports/{world.report_id}/import?p={pid}").text
    assert "从上一年度报告带入的数字" in page
    assert "二、上年结转政府信息公开申请数量 总计" in page
    done = b.post(f"/reports/{world.report_id}/import/confirm", {"pending": pid})
    assert "从上一年度报告带入了" in done.text
    _, content = _draft(db, world.report_id)
    assert content.header.year == 2024
    assert content.table("t3").value("carried", "total") == forward
    assert content.table("t2").value("normative", "in_force") == in_force
    assert content.section_text(1) == previous.section_text(1)
    assert "2023" not in content.header.title
