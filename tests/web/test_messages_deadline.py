"""The clerk's header: due date with workdays left on every clerk page, the 消息 page with returns
(and their comments), approvals and read / unread state, and the unread count in the menu (#15.7)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.web.conftest import clean_report, to_review
from workflow.clock import SHANGHAI, FixedClock, set_clock
from workflow.db.models import Extension
from workflow.services import review
from workflow.web.header import work_calendar


@pytest.fixture
def clock():
    c = FixedClock(datetime(2025, 1, 20, 9, 0, tzinfo=SHANGHAI))
    set_clock(c)
    yield c
    set_clock(None)


def _left(today: date, due: date) -> int:
    return work_calendar().workdays_between(today - timedelta(days=1), due)


def test_every_clerk_page_shows_the_due_date_and_workdays_left(world, browser, clock):
    b = browser("lushaer")
    left = _left(date(2025, 1, 20), date(2025, 1, 31))
    want = f"2024年度报告截止日期：2025年1月31日（还有 {left} 个工作日）"
    for url in ("/reports", f"/reports/{world.report_id}/edit", f"/reports/{world.report_id}", "/messages"):
        r = b.get(url)
        assert r.status_code == 200, url
        assert want in r.text, url
    clock.set(datetime(2025, 2, 3, 9, 0, tzinfo=SHANGHAI))
    assert "（已逾期 3 天）" in browser("lushaer").get("/reports").text  # signed in again: two weeks on


def test_a_granted_extension_is_the_due_date(world, browser, clock, db):
    with db.sessions() as s:
        s.add(
            Extension(
                season_id=world.season_id,
                body_id=world.ids["ours"],
                new_due_date=date(2025, 2, 14),
                reason="断网",
            )
        )
        s.commit()
    text = browser("lushaer").get("/reports").text
    left = _left(date(2025, 1, 20), date(2025, 2, 14))
    assert f"截止日期：2025年2月14日（已延期，原定2025年1月31日）（还有 {left} 个工作日）" in text
    assert "2025年2月14日" not in browser("duoba").get("/reports").text  # 多巴镇 has no extension


def test_a_return_with_comments_is_a_message_until_read(world, browser, clock, db):
    version = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    with db.sessions() as s:
        review.decide(
            s,
            report_id=world.report_id,
            reviewer_id=world.ids["reviewer"],
            decision="return",
            expected_version=version,
            reason_codes=["numbers"],
            comments={2: "主动公开的数字请与门户网站核对。"},
        )
    b = browser("lushaer")
    page = b.get("/reports").text
    assert 'id="nav-unread"' in page and ">1</span>" in page
    msgs = b.get("/messages").text
    assert "2024年度报告被退回修改" in msgs
    assert "第二部分：主动公开的数字请与门户网站核对。" in msgs
    assert f'href="/reports/{world.report_id}"' in msgs
    assert "未读" in msgs
    # 多巴镇's clerk sees nothing of it
    assert "被退回" not in browser("duoba").get("/messages").text
    r = b.post("/messages/read")
    assert r.status_code == 303
    assert 'id="nav-unread"' not in b.get("/messages").text
    assert "没有未读消息" in b.get("/messages").text
