"""The contest path in the pages: the clerk contests an error on the form, submits, the reviewer accepts
it on the review page, and the status page shows the outcome; a refusal keeps the typed text."""

from __future__ import annotations

import re
from html import unescape

import pytest
from conftest import clean_report

from workflow.db.models import ReportRow
from workflow.rules.catalog import validate
from workflow.services import checks, drafts

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def _with_error(db, world) -> list[str]:
    """鲁沙尔镇's draft with 表三's total one more than its columns: the checker raises errors."""
    content = clean_report()
    t3 = content.table("t3")
    t3.set("new", "total", (t3.value("new", "total") or 0) + 1)
    with db.sessions() as s:
        rev = s.get(ReportRow, world.report_id).draft_revision
        drafts.save_draft(s, report_id=world.report_id, content=content, expected_revision=rev, actor_id=None)
        for f in validate(content).warnings:
            drafts.explain_warning(
                s, report_id=world.report_id, finding_key=f.key, text="已核实。", actor_id=None
            )
    return [f.key for f in validate(content).errors]


def _keys_on_form(html: str) -> list[str]:
    return re.findall(
        r'action="/reports/\d+/contest" class="contest-form">\s*<input[^>]*>\s*<input type="hidden" name="finding_key" value="([^"]+)"',
        html,
    )


def test_contest_on_the_form_then_accepted_on_the_review_page(db, world, browser) -> None:
    _with_error(db, world)
    clerk = browser("lushaer")
    form = clerk.get(f"/reports/{world.report_id}/edit")
    assert "对校验错误提出异议" in form.text
    keys = [unescape(k) for k in _keys_on_form(form.text)]
    assert keys, "each error has a contest form"

    # A contest without a reason is refused, and the page says what to do.
    refused = clerk.post(f"/reports/{world.report_id}/contest", {"finding_key": keys[0], "reason": "  "})
    assert refused.status_code == 422 and "写明" in refused.text

    for key in keys:
        r = clerk.post(
            f"/reports/{world.report_id}/contest", {"finding_key": key, "reason": "表三合计含1件转办申请"}
        )
        assert r.status_code == 303
    form = clerk.get(f"/reports/{world.report_id}/edit")
    assert form.text.count("待审核人决定") == len(keys)

    r = clerk.post(f"/reports/{world.report_id}/submit")
    assert r.status_code == 303, r.text
    with db.sessions() as s:
        version_id = s.get(ReportRow, world.report_id).latest_version
        from workflow.db.models import ReportVersion

        vid = s.query(ReportVersion.id).filter_by(report_id=world.report_id, number=version_id).scalar()
        checks.run_checks(s, version_id=vid)
        assert s.get(ReportRow, world.report_id).state == "in_review"

    reviewer = browser("reviewer")
    page = reviewer.get(f"/review/{world.report_id}")
    assert "报送单位对校验错误的异议" in page.text and "表三合计含1件转办申请" in page.text
    # Rejecting without a comment is refused; the page keeps the panel and says why.
    r = reviewer.post(
        f"/review/{world.report_id}/contest", {"finding_key": keys[0], "decision": "reject", "comment": ""}
    )
    assert r.status_code == 422 and "写明理由" in r.text
    for key in keys:
        r = reviewer.post(f"/review/{world.report_id}/contest", {"finding_key": key, "decision": "accept"})
        assert r.status_code == 303
    status = clerk.get(f"/reports/{world.report_id}")
    assert status.text.count("审核人已接受") == len(keys)


def test_a_refused_contest_keeps_the_typed_reason(db, world, browser) -> None:
    _with_error(db, world)
    clerk = browser("lushaer")
    r = clerk.post(
        f"/reports/{world.report_id}/contest", {"finding_key": "B1@3/t2/none/none", "reason": "理由"}
    )
    assert r.status_code == 409 and "已不存在" in r.text and "刷新" in r.text
    keys = [unescape(k) for k in _keys_on_form(clerk.get(f"/reports/{world.report_id}/edit").text)]
    typed = "表三合计含1件转办申请。" + "说明" * 1000  # over the 2,000 characters a reason may have
    r = clerk.post(f"/reports/{world.report_id}/contest", {"finding_key": keys[0], "reason": typed})
    assert r.status_code == 422 and "最多 2000 字" in r.text
    assert typed in unescape(r.text)  # still in its box, to shorten
