"""The district office's reminder preview, calendar warnings and holiday table pages (issue 6)."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from sqlalchemy import select

from workflow import holidays
from workflow.db.factories import make_body, make_jurisdiction, make_season
from workflow.db.models import AuditEvent
from workflow.services import reminders as svc


@pytest.fixture
def holiday_file(tmp_path, monkeypatch):
    """A temp copy of config/holidays.toml without 2027: the real file is never touched."""
    path = tmp_path / "holidays.toml"
    shutil.copy(holidays.HOLIDAYS_FILE, path)
    holidays.delete_year(2027, path)
    monkeypatch.setenv("WORKFLOW_HOLIDAYS_FILE", str(path))
    return path


@pytest.fixture
def season_2026(db, world):
    """The 2026 season (reminders in January 2027) with one body that has not submitted."""
    with db.sessions() as s:
        make_season(s, 2026)
        make_body(s, "上新庄镇人民政府", code="shangxinzhuang", jurisdiction=make_jurisdiction(s, "大通县"))
        s.commit()


def test_admin_sees_the_preview_and_the_missing_2027_warning(db, world, season_2026, holiday_file, browser):
    with db.sessions() as s:
        expected = svc.describe_plan(svc.plan(s, as_of=date(2027, 1, 20)))
    assert expected, "the scenario should have reminders due on 2027-01-20"
    page = browser("admin").get("/admin/reminders?as_of=2027-01-20")
    assert page.status_code == 200, page.text[:500]
    assert f"应发送的提醒：{len(expected)} 条" in page.text
    assert "上新庄镇人民政府" in page.text
    assert "【注意】2027 年没有节假日数据" in page.text
    assert "发送失败的提醒：0 条" in page.text
    assert browser("lushaer").get("/admin/reminders").status_code == 403


def test_saving_a_year_with_a_malformed_date_changes_nothing(db, world, holiday_file, browser):
    admin = browser("admin")
    before = holiday_file.read_bytes()
    r = admin.post(
        "/admin/holidays",
        {
            "year": "2027",
            "holiday_dates": "2027-02-06 春节\n2027-02-30\n",
            "workday_dates": "",
            "confirmed": "1",
        },
    )
    assert r.status_code == 422  # the page again, with the reason and everything typed kept
    assert "未保存" in r.text and "第 2 行" in r.text and "没有这一天" in r.text
    assert "2027-02-06 春节\n2027-02-30" in r.text
    assert holiday_file.read_bytes() == before

    r = admin.post(
        "/admin/holidays",
        {"year": "2027", "holiday_dates": "2027-02-06 春节\n2027-02-07 春节", "workday_dates": "2027-01-30"},
    )
    assert r.status_code == 303
    saved = holidays.read_table(holiday_file)[2027]
    assert len(saved.holidays) == 2 and len(saved.workdays) == 1 and not saved.confirmed
    page = admin.get("/admin/holidays")
    assert "2027-02-06 春节" in page.text
    with db.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "admin.holidays_save")).all()
    assert [e.details["year"] for e in events] == [2027]  # only the good save is audited
