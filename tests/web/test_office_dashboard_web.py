"""The office dashboard's routes and its .xlsx, on the small district of tests/web/conftest.py.

Season 2024 is due on 2025-01-31 for every body (make_season).  The clock is fixed: 鲁沙尔镇 publishes
late (2025-02-05), so it is 已公开 and 逾期公开; the two others are drafts, 逾期未公开.
"""

from __future__ import annotations

import io
import random
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from workflow.clock import SHANGHAI, FixedClock, set_clock
from workflow.db.models import AuditEvent, ReminderSent, ReportRow, ValidationRun
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import checks, drafts, publication, review, submission
from workflow.storage import LocalStorage

pytestmark = pytest.mark.both_backends


def clean_report(year: int = 2024, body_name: str = "鲁沙尔镇人民政府"):
    return sample_report(random.Random(7), year=year, body_name=body_name)


def to_review(db, report_id: int, actor_id: int, content) -> None:
    """Save `content` as the draft, explain its warnings, submit and check it (as tests/web/conftest.py;
    a copy here, since `from conftest import` finds another conftest when suites run together)."""
    with db.sessions() as s:
        rev = s.get(ReportRow, report_id).draft_revision
        drafts.save_draft(s, report_id=report_id, content=content, expected_revision=rev, actor_id=actor_id)
        for f in validate(content).warnings:
            drafts.explain_warning(
                s, report_id=report_id, finding_key=f.key, text="已核实。", actor_id=actor_id
            )
        version_id = submission.submit(s, report_id=report_id, actor_id=actor_id)
        checks.run_checks(s, version_id=version_id)


@pytest.fixture
def clock():
    c = FixedClock(datetime(2025, 1, 20, 9, 0, tzinfo=SHANGHAI))
    set_clock(c)
    yield c
    set_clock(None)


def publish_late(db, world, clock, tmp_path) -> None:
    to_review(db, world.report_id, world.ids["clerk"], clean_report())
    with db.sessions() as s:
        for _ in range(2):  # the body's head, then the district office
            review.decide(
                s,
                report_id=world.report_id,
                reviewer_id=world.ids["reviewer"],
                decision="approve",
                expected_version=1,
            )
        clock.set(datetime(2025, 2, 5, 10, 0, tzinfo=SHANGHAI))
        publication.publish(s, report_id=world.report_id, storage=LocalStorage(tmp_path / "published"))


def counts_of(html: str) -> dict[str, int]:
    states = dict(re.findall(r'<td data-status="(\w+)"><a [^>]*>(\d+)</a></td>', html))
    flags = dict(re.findall(r'<td data-flag="(\w+)"><a [^>]*>(\d+)</a></td>', html))
    return {k: int(v) for k, v in (states | flags).items()}


def row_of(html: str, code: str) -> str:
    """The body's row of the status table (not of the stuck list above it)."""
    table = html[html.index('id="status-table"') :]
    m = re.search(rf'<tr data-body="{code}">.*?</tr>', table, re.S)
    assert m, f"no row for {code}"
    return m.group(0)


def test_a_late_publication_is_published_and_late_and_counts_add_up(world, browser, db, clock, tmp_path):
    publish_late(db, world, clock, tmp_path)
    page = browser("admin").get("/admin?year=2024")
    assert page.status_code == 200
    lushaer = row_of(page.text, "lushaer")
    assert "已公开" in lushaer and "逾期公开" in lushaer and "公开于 2025-02-05" in lushaer
    assert "逾期未公开" in row_of(page.text, "duoba")
    counts = counts_of(page.text)
    assert counts["published"] == 1 and counts["published_late"] == 1
    assert counts["late"] == 2 and counts["draft"] == 2
    states = ("not_started", "draft", "submitted", "returned", "approved", "published")
    assert sum(counts[k] for k in states) == 3  # one state per body
    api = browser("admin").api("GET", "/api/dashboard?year=2024").json()
    assert {b["name"]: (b["status"], b["overdue"]) for b in api["bodies"]}["鲁沙尔镇人民政府"] == (
        "published",
        "published_late",
    )
    assert api["counts"]["published"] == 1 and api["counts"]["published_late"] == 1
    only = browser("admin").get("/admin?year=2024&status=published_late").text
    assert "共 1 个单位" in only and 'data-body="lushaer"' in only and 'data-body="duoba"' not in only


def test_stuck_work_is_flagged_and_retried_through_the_outbox(world, browser, db, clock, sent):
    with db.sessions() as s:
        content = clean_report(body_name="多巴镇人民政府")
        rev = s.get(ReportRow, world.other_report_id).draft_revision
        drafts.save_draft(
            s,
            report_id=world.other_report_id,
            content=content,
            expected_revision=rev,
            actor_id=world.ids["other_clerk"],
        )
        for f in validate(content).warnings:
            drafts.explain_warning(
                s,
                report_id=world.other_report_id,
                finding_key=f.key,
                text="已核实。",
                actor_id=world.ids["other_clerk"],
            )
        version_id = submission.submit(s, report_id=world.other_report_id, actor_id=world.ids["other_clerk"])
    # Its check_report message was lost (nothing runs it); 9 minutes later it is not stuck yet.
    admin = browser("admin")
    clock.advance(minutes=9)
    assert 'id="stuck"' not in admin.get("/admin?year=2024").text
    clock.advance(minutes=2)
    app_cache = admin.client.app.state.status_cache
    app_cache.forget()
    page = admin.get("/admin?year=2024").text
    assert 'id="stuck"' in page and "检查未完成" in row_of(page, "duoba")
    assert counts_of(page)["stuck"] == 1
    sent.clear()
    r = admin.post(f"/admin/reports/{world.other_report_id}/retry")
    assert r.status_code == 303 and r.headers["location"].endswith("#stuck")
    assert sent.sent == [("check_report", {"version_id": version_id})]  # what the sweeper sends
    assert "已重新安排检查多巴镇人民政府的报告" in admin.get(r.headers["location"]).text
    with db.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "admin.retry_stuck")).one()
        assert event.report_id == world.other_report_id and event.details["kind"] == "checking"
    # A report that is not stuck: nothing is sent, and the page says so.
    sent.clear()
    r = admin.post(f"/admin/reports/{world.report_id}/retry")
    assert sent.sent == [] and "没有卡住" in admin.get(r.headers["location"]).text


def test_the_reminders_column_says_what_was_sent_in_words(world, browser, db, clock):
    with db.sessions() as s:
        s.add(
            ReminderSent(
                season_id=world.season_id,
                body_id=world.ids["other"],
                reminder="deadline.body@2025-01-31",
                step="-3",
                channel="email",
                status="sent",
                attempts=1,
                sent_at=datetime(2025, 1, 26, 9, 0, tzinfo=SHANGHAI),
                payload={},
            )
        )
        s.commit()
    page = browser("admin").get("/admin?year=2024").text
    assert "截止前 3 个工作日 · 已发送 2025-01-26 09:00 · 邮件" in row_of(page, "duoba")
    assert "未发送过" in row_of(page, "lushaer")
    assert "deadline.body" not in page
    ws = load_workbook(io.BytesIO(browser("admin").get("/admin/status.xlsx?year=2024").content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    said = {row[0]: row[rows[0].index("最近一次提醒")] for row in rows[1:]}
    assert said["duoba"] == "截止前 3 个工作日 · 已发送 2025-01-26 09:00 · 邮件" and not said["lushaer"]


def test_the_xlsx_has_one_row_per_body_and_a_summary(world, browser, db, clock, tmp_path):
    publish_late(db, world, clock, tmp_path)
    clock.set(datetime(2025, 2, 10, 9, 0, tzinfo=SHANGHAI))
    r = browser("admin").get("/admin/status.xlsx?year=2024")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    by_code = {row[0]: dict(zip(head, row, strict=True)) for row in rows[1:]}
    assert set(by_code) == {"lushaer", "duoba", "dongguan"}  # one row per body
    lu = by_code["lushaer"]
    assert lu["状态"] == "已公开" and lu["是否逾期"] == "逾期公开"
    assert lu["截止日期"].date().isoformat() == "2025-01-31"
    assert lu["公开日期"].date().isoformat() == "2025-02-05" and lu["逾期天数"] == 5
    assert lu["提交日期"].date().isoformat() == "2025-01-20" and lu["审定日期"] is not None
    with db.sessions() as s:
        run = s.scalars(select(ValidationRun).order_by(ValidationRun.id.desc())).first()
        assert (lu["错误"], lu["警告"]) == (run.error_count, run.warning_count)
        report = s.get(ReportRow, world.report_id)
    t3 = clean_report().table("t3")
    assert lu["表三 本年新收申请"] == t3.value("new", "total")
    assert lu["表三 上年结转申请"] == t3.value("carried", "total")
    assert lu["表三 予以公开"] == t3.value("granted", "total")
    assert lu["表三 不予公开"] == sum(t3.value(f"d{i}", "total") or 0 for i in range(1, 9))
    assert lu["表三 办理结果总计"] == t3.value("total", "total")
    t4 = clean_report().table("t4")
    assert lu["表四 行政复议总计"] == t4.value("review", "total")
    duoba = by_code["duoba"]
    assert duoba["状态"] == "草稿" and duoba["是否逾期"] == "逾期未公开" and duoba["逾期天数"] == 10
    assert duoba["表三 本年新收申请"] is None and duoba["公开日期"] is None
    assert report.state == "published"

    summary = wb["汇总"]
    cells = [row for row in summary.iter_rows(values_only=True) if row and row[0] is not None]
    by_label = {row[0]: row[1:] for row in cells}
    assert by_label["已公开"][0] == 1 and by_label["草稿"][0] == 2 and by_label["合计"][0] == 3
    assert by_label["其中：逾期公开"][0] == 1 and by_label["其中：逾期未公开"][0] == 2
    assert by_label["乡镇人民政府"][:7] == (0, 1, 0, 0, 0, 1, 2)  # per body type, then its total
    assert by_label["街道办事处"][6] == 1
    assert by_label["表三 本年新收申请"][0] == t3.value("new", "total")  # the one report with figures


def test_the_holiday_editor_saves_a_chinese_range_as_its_days(world, browser, db, tmp_path, monkeypatch):
    from workflow import holidays

    path = tmp_path / "holidays.toml"
    monkeypatch.setenv("WORKFLOW_HOLIDAYS_FILE", str(path))
    admin = browser("admin")
    typed = "春节：2月6日至12日\n2027年2月30日"
    r = admin.post(
        "/admin/holidays", {"year": "2027", "holiday_dates": typed, "workday_dates": "2027年2月20日"}
    )
    assert r.status_code == 422
    assert "节假日第 2 行" in r.text and "没有这一天" in r.text
    assert "春节：2月6日至12日\n2027年2月30日" in r.text and "2027年2月20日" in r.text  # kept as typed
    assert not path.exists()
    r = admin.post(
        "/admin/holidays",
        {
            "year": "2027",
            "holiday_dates": "2027年2月6日至2月12日 春节\n2027-01-01 元旦",
            "workday_dates": "2月20日",
        },
    )
    assert r.status_code == 303
    saved = holidays.read_table(path)[2027]
    assert sorted(d.day for d in saved.holidays if d.month == 2) == list(range(6, 13))
    assert len(saved.holidays) == 8 and saved.names[datetime(2027, 2, 9).date()] == "春节"
    assert [d.isoformat() for d in saved.workdays] == ["2027-02-20"]
    page = admin.get(r.headers["location"]).text
    assert "2027-02-06至2027-02-12 春节" in page  # shown back as the range it was typed as


def test_no_internal_words_on_the_office_pages(world, browser, db):
    admin = browser("admin")
    for url in ("/admin?year=2024", "/admin/holidays", "/admin/reminders", "/admin/seasons", "/admin/bodies"):
        text = admin.get(url).text
        for word in (
            "body_head",
            "district_office",
            "chinese_calendar",
            "程序包",
            "deadline.body",
            "in_review",
        ):
            assert word not in text, (url, word)


def test_an_approved_report_left_unpublished_is_flagged_and_retried(world, browser, db, clock, sent):
    to_review(db, world.report_id, world.ids["clerk"], clean_report())
    with db.sessions() as s:
        for _ in range(2):  # approved; its publish_report message is only recorded, never run
            review.decide(
                s,
                report_id=world.report_id,
                reviewer_id=world.ids["reviewer"],
                decision="approve",
                expected_version=1,
            )
    clock.advance(minutes=11)
    admin = browser("admin")
    page = admin.get("/admin?year=2024").text
    assert "公开文件未生成" in row_of(page, "lushaer") and "已审定" in row_of(page, "lushaer")
    sent.clear()
    r = admin.post(f"/admin/reports/{world.report_id}/retry")
    assert sent.sent == [("publish_report", {"report_id": world.report_id})]
    assert "已重新安排生成并公开鲁沙尔镇人民政府的报告" in admin.get(r.headers["location"]).text
