"""The reviewer's desk without a browser: anchored comments (service and routes), the comparison with
last year and the previous version, the whole report shown, bulk approval behind a confirmation page,
the queue's search, filters, sort and overdue marks, and plain words in what the reviewer reads."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.web.desk_support import ANCHOR, approve_all_stages, reports_for, submit_clean, with_cell
from workflow.clock import now
from workflow.db.factories import make_season
from workflow.db.models import AuditEvent, Extension, ReportRow, ReviewComment, WarningExplanation
from workflow.services import drafts, review
from workflow.services.errors import PermissionDenied, ServiceError

FLASH = re.compile(r'<div class="flash [^"]*" role="status">([^<]*)</div>')


def flash_of(html: str) -> str:
    m = FLASH.search(html)
    assert m, "no message on the page"
    return m.group(1)


CHANGED_CELL = re.compile(r'<td class="cell[^"]*\bchanged\b[^"]*" data-cell="' + re.escape(ANCHOR) + '"')


@pytest.fixture
def desk(db, world):
    """鲁沙尔镇: 2023 and 2024 reports in review; 多巴镇: 2024 in review with an extension (not late)."""
    ours_last, ours_this = reports_for("鲁沙尔镇人民政府")
    _, other_this = reports_for("多巴镇人民政府")
    with db.sessions() as s:
        season_2023 = make_season(s, 2023)
        s.add(
            Extension(
                season_id=world.season_id,
                body_id=world.ids["other"],
                new_due_date=now().date() + timedelta(days=30),
                reason="测试",
            )
        )
        s.commit()
        last_id = drafts.create_report(
            s, body_id=world.ids["ours"], season_id=season_2023.id, actor_id=None, content=None
        )
    submit_clean(db.sessions, last_id, world.ids["clerk"], ours_last)
    submit_clean(db.sessions, world.report_id, world.ids["clerk"], ours_this)
    submit_clean(db.sessions, world.other_report_id, world.ids["other_clerk"], other_this)
    return {"this": ours_this, "last_id": last_id}


@pytest.mark.both_backends
def test_decide_keeps_cell_comments_and_resolve_marks_them(db, world, desk) -> None:
    rid = world.report_id
    with db.sessions() as s:
        with pytest.raises(ServiceError) as bad:
            review.decide(
                s,
                report_id=rid,
                reviewer_id=world.ids["reviewer"],
                decision="return",
                expected_version=1,
                cell_comments=[review.CellComment("t2", "no_such_row", "decisions", "请核对")],
            )
        assert bad.value.code == 422 and "单元格" in bad.value.message
        review.decide(
            s,
            report_id=rid,
            reviewer_id=world.ids["reviewer"],
            decision="return",
            expected_version=1,
            cell_comments=[review.CellComment("t2", "licensing", "decisions", "  请核对本年处理决定数。 ")],
        )
    with db.sessions() as s:
        c = s.scalar(select(ReviewComment).where(ReviewComment.report_id == rid))
        assert (c.section, c.table_id, c.row_key, c.column_key) == (2, "t2", "licensing", "decisions")
        assert c.text == "请核对本年处理决定数。" and c.resolved_at is None
        cid = c.id
        with pytest.raises(PermissionDenied):
            review.resolve_comment(s, comment_id=cid, actor_id=world.ids["far_reviewer"])
        with pytest.raises(PermissionDenied):
            review.resolve_comment(s, comment_id=cid, actor_id=world.ids["clerk"])
        assert review.resolve_comment(s, comment_id=cid, actor_id=world.ids["reviewer"]) is True
        assert review.resolve_comment(s, comment_id=cid, actor_id=world.ids["reviewer"]) is True  # no-op
    with db.sessions() as s:
        c = s.get(ReviewComment, cid)
        assert c.resolved_at is not None and c.resolved_by_id == world.ids["reviewer"]
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.report_id == rid)))
        assert actions.count("report.resolve_comment") == 1
        assert (
            review.resolve_comment(s, comment_id=cid, actor_id=world.ids["reviewer"], resolved=False) is False
        )
    with db.sessions() as s:
        assert s.get(ReviewComment, cid).resolved_at is None


def test_review_page_shows_the_whole_report_beside_last_year_and_the_previous_version(
    db, world, desk, browser
) -> None:
    reviewer, clerk = browser("reviewer"), browser("lushaer")
    rid = world.report_id
    page = reviewer.get(f"/review/{rid}").text
    # Every part: header fields, 前言, six sections, 落款.
    content = desk["this"]
    for piece in ('id="report-header"', 'id="preamble"', 'id="report-signature"', 'id="decision-bar"'):
        assert piece in page
    assert content.header.title in page and content.header.signature in page
    assert content.preamble.strip()[:20] in page
    assert all(f'id="section-{n}"' in page for n in range(1, 7))
    # No earlier version: compared with 2023 by default; the 2023 figures differ somewhere.
    assert 'id="compare-year" aria-current="page"' in page and "与上一年度报告相比（2023 年度）" in page
    # Returned with a cell comment, changed at that cell, resubmitted: compared with version 1.
    r = reviewer.post(
        f"/review/{rid}/decide",
        {"decision": "return", "version": "1", "stage": "0", "cell_anchor": ANCHOR, "cell_text": "请核对。"},
    )
    assert r.status_code == 303, r.text
    flash = flash_of(reviewer.get("/review").text)
    assert "已退回" in flash and not re.search(r"[a-z_]{4,}", flash)
    form = clerk.get(f"/reports/{rid}/edit").text
    assert f'data-anchor="{ANCHOR}"' in form and "请核对。" in form and "review-note open" in form
    status = clerk.get(f"/reports/{rid}").text
    assert f'data-anchor="{ANCHOR}"' in status and "待处理" in status
    submit_clean(db.sessions, rid, world.ids["clerk"], with_cell(content, 3))
    page = reviewer.get(f"/review/{rid}").text
    assert 'id="compare-prev" aria-current="page"' in page and "与上一次提交的版本相比（第 1 版）" in page
    assert CHANGED_CELL.search(page), "the changed cell is marked against version 1"
    assert '<strong id="changed-cells">1</strong>' in page
    assert f'data-anchor="{ANCHOR}"' in page and 'name="resolve"' in page  # the comment of round 1
    year = reviewer.get(f"/review/{rid}?compare=year").text
    assert 'id="compare-year" aria-current="page"' in year and "原为：" in year
    preamble = re.search(r'<div class="narrative[^"]*" id="preamble">(.*?)</div>', year, re.S)
    assert preamble and "<del>3</del><ins>4</ins>" in preamble.group(1)  # 前言 compared with 2023 too
    # Approving with the comment ticked resolved: kept, shown resolved to the clerk.
    with db.sessions() as s:
        cid = s.scalar(select(ReviewComment.id).where(ReviewComment.report_id == rid))
    r = reviewer.post(
        f"/review/{rid}/decide",
        {"decision": "approve", "version": "2", "stage": "0", "shown_note": str(cid), "resolve": str(cid)},
    )
    assert r.status_code == 303, r.text
    msg = flash_of(reviewer.get("/review").text)
    assert "已通过本环节" in msg and not re.search(r"[a-z_]{4,}", msg)
    status = clerk.get(f"/reports/{rid}").text
    assert "review-note resolved" in status and "均已处理" in status
    # Decided at the last stage: the page shows the report and the comments, no decision bar.
    approve_all_stages(db.sessions, rid, world.ids["reviewer"])
    done = reviewer.get(f"/review/{rid}").text
    assert 'id="decision-bar"' not in done and "review-note resolved" in done and 'name="resolve"' not in done


def test_decision_refused_keeps_what_was_typed(db, world, desk, browser) -> None:
    reviewer = browser("reviewer")
    r = reviewer.post(
        f"/review/{world.report_id}/decide",
        {
            "decision": "return",
            "version": "1",
            "stage": "0",
            "cell_anchor": "t2.nope.x",
            "cell_text": "打字的意见",
        },
    )
    assert r.status_code == 422 and "打字的意见" in r.text and "单元格" in r.text
    with db.sessions() as s:
        assert s.get(ReportRow, world.report_id).state == "in_review"


def test_bulk_approve_asks_to_confirm_and_changes_nothing_before(db, world, desk, browser) -> None:
    reviewer = browser("reviewer")
    picks = [f"{world.report_id}:1", f"{world.other_report_id}:1"]
    page = reviewer.post("/review/bulk-approve", {"pick": picks})
    assert page.status_code == 200 and "确认通过这 2 份报告" in page.text
    assert "鲁沙尔镇人民政府" in page.text and "多巴镇人民政府" in page.text
    with db.sessions() as s:
        assert {s.get(ReportRow, i).review_stage for i in (world.report_id, world.other_report_id)} == {0}
    far = reviewer.post("/review/bulk-approve", {"pick": [f"{world.far_report_id}:0"]})
    assert "不在您的审核范围内" in far.text
    done = reviewer.post("/review/bulk-approve", {"pick": picks, "confirm": "1"})
    assert done.status_code == 303
    with db.sessions() as s:
        assert {s.get(ReportRow, i).review_stage for i in (world.report_id, world.other_report_id)} == {1}
    assert flash_of(reviewer.get("/review").text) == "已通过 2 份报告。"


def test_queue_searches_filters_sorts_and_marks_overdue(db, world, desk, browser) -> None:
    reviewer = browser("reviewer")

    def names(url: str) -> list[str]:
        html = reviewer.get(url).text
        return re.findall(r'<td><a href="/review/\d+">([^<]+)</a></td>', html)

    assert names("/review?q=鲁沙尔") == ["鲁沙尔镇人民政府", "鲁沙尔镇人民政府"]  # 2023 and 2024
    assert names("/review?overdue=1") == ["鲁沙尔镇人民政府", "鲁沙尔镇人民政府"]  # 多巴镇 has an extension
    assert names("/review?sort=body") == ["多巴镇人民政府", "鲁沙尔镇人民政府", "鲁沙尔镇人民政府"]
    by_due = names("/review?sort=due")
    assert by_due[-1] == "多巴镇人民政府"  # the latest due date last
    with db.sessions() as s, s.begin():
        s.add(WarningExplanation(report_id=world.other_report_id, finding_key="k", text="已核实。"))
    assert names("/review?explained=1") == ["多巴镇人民政府"]
    assert "有警告说明" in reviewer.get("/review?explained=1").text
    assert names("/review?stage=district_office") == []
    assert len(names("/review?stage=body_head")) == 3
    assert names("/review?body_type=county_department") == []
    html = reviewer.get("/review").text
    assert "已逾期" in html and 'class="overdue"' in html
    assert "没有符合条件的报告" in reviewer.get("/review?q=不存在的单位").text
    assert reviewer.get("/review?state=bogus").status_code == 422


def test_the_api_takes_cell_comments(db, world, desk, browser) -> None:
    reviewer = browser("reviewer")
    url = f"/api/reports/{world.report_id}/decision"
    bad = {
        "decision": "return",
        "expected_version": 1,
        "cells": [{"table": "t9", "row": "x", "column": "y", "text": "?"}],
    }
    r = reviewer.api("POST", url, json=bad)
    assert r.status_code == 422 and "单元格" in r.text
    good = {
        "decision": "return",
        "expected_version": 1,
        "cells": [{"table": "t2", "row": "licensing", "column": "decisions", "text": "请核对。"}],
    }
    r = reviewer.api("POST", url, json=good)
    assert r.status_code == 200 and r.json()["state"] == "returned"
    with db.sessions() as s:
        c = s.scalar(select(ReviewComment).where(ReviewComment.report_id == world.report_id))
        assert (c.table_id, c.row_key, c.column_key, c.section) == ("t2", "licensing", "decisions", 2)
