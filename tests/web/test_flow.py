"""The review round trip through the pages, bulk approval, the dashboard and login throttling."""

from __future__ import annotations

import io
import re

from conftest import PASSWORD, clean_report, csrf_of, to_review
from openpyxl import load_workbook

from workflow.db.models import AuditEvent, ReportRow
from workflow.domain.model import Section


def _state(db, rid: int) -> str:
    with db.sessions() as s:
        return s.get(ReportRow, rid).state


def test_return_with_comment_on_section_five_then_resubmit_and_approve(world, browser, db):
    report = clean_report()
    version = to_review(db, world.report_id, world.ids["clerk"], report)
    reviewer = browser("reviewer")
    page = reviewer.get("/review")
    assert "鲁沙尔镇人民政府" in page.text
    r = reviewer.post(
        f"/review/{world.report_id}/decide",
        {
            "decision": "return",
            "version": str(version),
            "reason": "text",
            "comment.5": "第五部分请写明上一年度问题的整改情况。",
        },
    )
    assert r.status_code == 303 and _state(db, world.report_id) == "returned"
    clerk = browser("lushaer")
    status = clerk.get(f"/reports/{world.report_id}")
    assert 'data-section="5"' in status.text and "第五部分请写明上一年度问题的整改情况。" in status.text
    s5 = report.sections[5]
    report.sections[5] = Section(s5.title, s5.text + "\n上一年度提出的培训不足问题，已组织两次专题培训。")
    version = to_review(db, world.report_id, world.ids["clerk"], report)
    review_page = reviewer.get(f"/review/{world.report_id}")
    assert "与上一次提交的版本相比" in review_page.text
    assert "<ins>" in review_page.text and "已组织两次专题培训" in review_page.text
    # Two stages (本机关负责人审核, 区政务公开办审定): this reviewer may decide both.
    for _ in range(2):
        r = reviewer.post(
            f"/review/{world.report_id}/decide", {"decision": "approve", "version": str(version)}
        )
        assert r.status_code == 303, r.text[:300]
    assert _state(db, world.report_id) == "approved"
    with db.sessions() as s:
        actions = [a.action for a in s.query(AuditEvent).filter(AuditEvent.report_id == world.report_id)]
    assert any("return" in a for a in actions) and any("approve" in a for a in actions)


def test_a_second_decision_on_the_same_version_is_refused_clearly(world, browser, db):
    version = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    reviewer = browser("reviewer")
    data = {"decision": "return", "version": str(version), "comment.general": "请修改。"}
    assert reviewer.post(f"/review/{world.report_id}/decide", data).status_code == 303
    again = reviewer.post(f"/review/{world.report_id}/decide", data)
    assert again.status_code in (409, 422) and re.search(r"已由其他审核人|当前状态|不能", again.text)


def test_bulk_approve_several_clean_reports(world, browser, db):
    v1 = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    v2 = to_review(
        db, world.other_report_id, world.ids["other_clerk"], clean_report(body_name="多巴镇人民政府")
    )
    reviewer = browser("reviewer")
    r = reviewer.client.post(
        "/review/bulk-approve",
        data={
            "csrf_token": reviewer.csrf,
            "pick": [f"{world.report_id}:{v1}", f"{world.other_report_id}:{v2}", f"{world.far_report_id}:1"],
        },
    )
    # A confirmation page lists what was picked (the far report is not theirs) and changes nothing.
    assert r.status_code == 200 and "确认通过这 2 份报告" in r.text and "不在您的审核范围内" in r.text
    assert _state(db, world.report_id) == "in_review"
    with db.sessions() as s:
        assert s.get(ReportRow, world.report_id).review_stage == 0
    r = reviewer.client.post(
        "/review/bulk-approve",
        data={
            "csrf_token": reviewer.csrf,
            "confirm": "1",
            "pick": [f"{world.report_id}:{v1}", f"{world.other_report_id}:{v2}", f"{world.far_report_id}:1"],
        },
    )
    assert r.status_code == 303
    page = reviewer.get("/review")
    assert "已通过 2 份报告" in page.text and "未通过" in page.text  # the far report is not theirs
    assert _state(db, world.report_id) == "in_review"  # stage 1 of 2 approved, now at the office stage
    with db.sessions() as s:
        assert s.get(ReportRow, world.report_id).review_stage == 1


def test_dashboard_counts_chart_and_xlsx(world, browser, db):
    to_review(db, world.report_id, world.ids["clerk"], clean_report())
    admin = browser("admin")
    page = admin.get("/admin?year=2024")
    assert "<svg" in page.text and "逾期" in page.text
    counts = dict(re.findall(r'<td data-status="(\w+)"><a [^>]*>(\d+)</a></td>', page.text))
    assert sum(int(v) for v in counts.values()) == 3
    xlsx = admin.get("/admin/status.xlsx?year=2024")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("单位编码", "单位名称", "单位类型", "状态")
    assert {r[1] for r in rows[1:]} == {"鲁沙尔镇人民政府", "多巴镇人民政府", "东关大街街道办事处"}


def test_extension_moves_a_due_date(world, browser):
    admin = browser("admin")
    r = admin.post(
        f"/admin/seasons/{world.season_id}/extensions",
        {"body_code": "lushaer", "new_due_date": "2099-03-01", "reason": "机构改革"},
    )
    assert r.status_code == 303
    page = admin.get("/admin?year=2024")
    assert "2099-03-01" in page.text


def test_repeated_failed_logins_make_that_address_wait(world, app, db):
    """No lock (tests/security/test_throttle.py): the address that keeps failing waits, unchecked."""
    from fastapi.testclient import TestClient

    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        r = client.post("/login", data={"username": "lushaer", "password": "wrong", "csrf_token": token})
        assert r.status_code == 401
    assert "请稍候" in r.text
    # Even the right password is not checked during the wait.
    r = client.post("/login", data={"username": "lushaer", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 401 and "请稍候" in r.text
    with db.sessions() as s:
        events = [a.action for a in s.query(AuditEvent).filter(AuditEvent.action.like("login%"))]
    assert events.count("login_failed") == 5 and "login" not in events
