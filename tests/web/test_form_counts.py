"""The form's cells (issue #15.3): the sum rules the page carries are the server's own, and the count
of errors and warnings is one number, the same on the form, the status page and the API."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import clean_report, to_review

from workflow.db.models import ReportRow
from workflow.domain.formats import FormatId
from workflow.rules.catalog import validate
from workflow.rules.sums import sum_rules
from workflow.services import drafts
from workflow.web import findings

pytestmark = pytest.mark.both_backends


def _save(db, report_id: int, content) -> None:
    with db.sessions() as s:
        rev = s.get(ReportRow, report_id).draft_revision
        drafts.save_draft(s, report_id=report_id, content=content, expected_revision=rev, actor_id=None)


def _page_rules(page: str) -> list[dict]:
    m = re.search(r'<div id="sum-rules" hidden data-rules="([^"]*)"', page)
    assert m, "the form carries no sum rules"
    return json.loads(html.unescape(m.group(1)))


def _counts(page: str) -> dict[str, int]:
    return {
        k: int(re.search(rf'id="count-{k}">(\d+)<', page).group(1)) for k in ("error", "warning", "notice")
    }


def test_the_form_carries_the_servers_sum_rules_and_texts(world, browser, db):
    report = clean_report()
    report.table("t3").set("new", "total", report.table("t3").value("new", "total") + 5)
    report.table("t4").set("review", "total", report.table("t4").value("review", "total") + 2)
    _save(db, world.report_id, report)
    page = browser("lushaer").get(f"/reports/{world.report_id}/edit").text
    rules = _page_rules(page)
    assert rules == sum_rules(FormatId(report.format))
    assert {r["rule"] for r in rules} == {"B1", "B2", "C1"}
    # Every target and part is a cell of the form.
    cells = set(re.findall(r'data-cell="([^"]+)"', page))
    assert all(r["target"] in cells and set(r["parts"]) <= cells for r in rules)
    # The page's text, filled as the browser fills it, is the server's message for the same sum.
    server = {f.message for f in validate(report).findings if f.rule in ("B1", "C1")}
    t3, t4 = report.table("t3"), report.table("t4")
    for rule, tid, table, row in (("B1", "t3", t3, "new"), ("C1", "t4", t4, "review")):
        r = next(x for x in rules if x["rule"] == rule and x["target"] == f"{tid}.{row}.total")
        expected = sum(table.value(*p.split(".")[1:]) for p in r["parts"])
        actual = table.value(row, "total")
        text = r["message"].replace("{expected}", str(expected)).replace("{actual}", str(actual))
        assert text in server, (text, server)


def test_one_count_on_the_form_the_status_page_and_the_api(world, browser, db):
    report = clean_report()
    report.table("t3").set("new", "natural", None)  # a blank: A1 at the cell
    report.table("t4").rows.pop("review")  # a missing 表四 group: A1 at its row
    _save(db, world.report_id, report)
    clerk = browser("lushaer")
    found = findings.check(report)
    want = findings.counts(found)
    assert want["error"] >= 2

    form = clerk.get(f"/reports/{world.report_id}/edit").text
    status = clerk.get(f"/reports/{world.report_id}").text
    api = clerk.get(f"/api/reports/{world.report_id}/check-status").json()
    assert _counts(form) == _counts(status) == api["counts"] == want
    assert api["source"] == "draft" and api["checking"] is False
    assert "暂无校验结果" not in status  # the draft's check, labelled as such
    assert "当前草稿的校验结果" in status and "当前草稿的校验结果" in form
    # Each finding in the list links to the place that shows it; the row finding marks the row.
    assert 'href="#cell-t3-new-natural"' in form and 'id="cell-t3-new-natural"' in form
    assert 'href="#row-t4-review"' in form and 'id="row-t4-review"' in form
    cell = re.search(r'<td class="cell([^"]*)" data-cell="t3.new.natural".*?</td>', form, re.S)
    assert "has-error" in cell.group(1)
    assert 'aria-describedby="cell-t3-new-natural-msg"' in cell.group(0)
    assert 'id="cell-t3-new-natural-msg"' in cell.group(0) and "A1" in cell.group(0)
    # Saving again without a change keeps the count (the same draft, the same check).
    fields = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', form))
    fields |= {"revision": re.search(r'name="revision" value="(\d+)"', form).group(1)}
    assert clerk.post(f"/reports/{world.report_id}/edit", fields).status_code == 303
    again = clerk.get(f"/reports/{world.report_id}/edit").text
    assert _counts(again) == want


def test_a_submitted_report_shows_its_versions_check_labelled_as_such(world, browser, db):
    to_review(db, world.report_id, world.ids["clerk"], clean_report())
    clerk = browser("lushaer")
    api = clerk.get(f"/api/reports/{world.report_id}/check-status").json()
    assert api["source"] == "version" and api["checking"] is False and api["version"] == 1
    assert api["label"] == "第 1 版（已提交）"
    status = clerk.get(f"/reports/{world.report_id}").text
    assert "第 1 版（已提交）的校验结果" in status
    assert _counts(status) == api["counts"]
    # Others see it only as far as they may see the report.
    assert browser("duoba").get(f"/api/reports/{world.report_id}/check-status").status_code in (403, 404)
