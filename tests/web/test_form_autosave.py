"""The form's autosave, its conflicts, 历史版本 and the one explanations panel (issue #15.1, #15.4),
through the real app (TestClient): what the browser script sends and what a clerk sees."""

from __future__ import annotations

import html
import re

import pytest
from conftest import clean_report
from sqlalchemy import select

from workflow.db.models import DraftRevision, ReportRow, WarningExplanation
from workflow.domain.model import Report
from workflow.rules.catalog import validate
from workflow.services import drafts
from workflow.web.forms import form_values

pytestmark = pytest.mark.both_backends
CELL = "cell.t2.licensing.decisions"


def _two_warnings(db, world):
    """A draft with two warnings to explain (a vague figure, a township's 行政规范性文件)."""
    content = clean_report()
    content.sections[1].text += "全年主动公开政府信息300余条。"
    content.table("t2").set("normative", "issued", 3)
    with db.sessions() as s:
        rev = s.get(ReportRow, world.report_id).draft_revision
        drafts.save_draft(
            s, report_id=world.report_id, content=content, expected_revision=rev, actor_id=world.ids["clerk"]
        )
    keys = [f.key for f in validate(content).warnings]
    assert len(keys) == 2
    return content, keys


def _row(db, rid):
    with db.sessions() as s:
        row = s.get(ReportRow, rid)
        s.expunge(row)
        return row


def _form(content: Report, revision: int, **changes: str) -> dict[str, str]:
    return {**form_values(content), "revision": str(revision), **changes}


def _explained(db, rid) -> dict[str, str]:
    with db.sessions() as s:
        rows = s.scalars(select(WarningExplanation).where(WarningExplanation.report_id == rid))
        return {r.finding_key: r.text for r in rows}


def test_autosave_stores_the_form_and_says_when(world, browser, db):
    content, keys = _two_warnings(db, world)
    clerk = browser("lushaer")
    rev = _row(db, world.report_id).draft_revision
    posted = _form(content, rev, **{CELL: "十二", f"explain.{keys[0]}": "已核实，确为约数。"})
    r = clerk.api("POST", f"/reports/{world.report_id}/autosave", data=posted)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "saved" and body["revision"] == rev + 1
    assert re.fullmatch(r"\d\d:\d\d", body["saved_at"])
    assert CELL in body["errors"] and "不是有效数字" in body["message"]  # kept as typed, marked
    row = _row(db, world.report_id)
    assert Report.from_dict(row.draft).table("t2").cell("licensing", "decisions").raw == "十二"
    assert _explained(db, world.report_id) == {keys[0]: "已核实，确为约数。"}
    with db.sessions() as s:
        kinds = s.scalars(
            select(DraftRevision.kind)
            .where(DraftRevision.report_id == world.report_id)
            .order_by(DraftRevision.revision)
        ).all()
    assert kinds[-1] == "autosave"

    # Only an explanation changed: no new draft revision, the explanation alone.
    posted[f"explain.{keys[1]}"] = "已确认为行政规范性文件。"
    posted["revision"] = str(rev + 1)
    r = clerk.api("POST", f"/reports/{world.report_id}/autosave", data=posted)
    assert r.json()["revision"] == rev + 1
    assert len(_explained(db, world.report_id)) == 2


def test_a_stale_autosave_shows_both_versions_and_stores_nothing(world, browser, db):
    content, _ = _two_warnings(db, world)
    clerk = browser("lushaer")
    rev = _row(db, world.report_id).draft_revision
    first = clerk.api("POST", f"/reports/{world.report_id}/autosave", data=_form(content, rev, **{CELL: "5"}))
    assert first.json()["status"] == "saved"
    # The second tab, still on `rev`, types 7 in the same cell.
    r = clerk.api("POST", f"/reports/{world.report_id}/autosave", data=_form(content, rev, **{CELL: "7"}))
    assert r.status_code == 409
    body = r.json()
    assert body["status"] == "conflict" and body["current_revision"] == rev + 1
    assert "没有覆盖" in body["message"]
    diff = {d["name"]: d for d in body["differences"]}
    assert diff[CELL]["mine"] == "7" and diff[CELL]["theirs"] == "5"
    assert "表二" in diff[CELL]["label"] and "licensing" not in diff[CELL]["label"]
    assert Report.from_dict(_row(db, world.report_id).draft).table("t2").value("licensing", "decisions") == 5
    # Keep mine: the same content on the newer revision.
    r = clerk.api("POST", f"/reports/{world.report_id}/autosave", data=_form(content, rev + 1, **{CELL: "7"}))
    assert r.json()["status"] == "saved"
    assert Report.from_dict(_row(db, world.report_id).draft).table("t2").value("licensing", "decisions") == 7


def test_a_refused_autosave_says_why_and_stores_nothing(world, browser, db):
    content, keys = _two_warnings(db, world)
    clerk = browser("lushaer")
    rev = _row(db, world.report_id).draft_revision
    bad_date = _form(content, rev, **{"header.report_date": "明年春天"})
    r = clerk.api("POST", f"/reports/{world.report_id}/autosave", data=bad_date)
    assert r.status_code == 422 and r.json()["status"] == "refused"
    assert "header.report_date" in r.json()["errors"]
    too_long = _form(content, rev, **{CELL: "9", f"explain.{keys[1]}": "长" * 5001})
    r = clerk.api("POST", f"/reports/{world.report_id}/autosave", data=too_long)
    assert r.status_code == 422 and "第 1 条警告的说明超过 5000 字" in r.json()["message"]
    assert _row(db, world.report_id).draft_revision == rev  # neither the cell nor the explanation
    assert _explained(db, world.report_id) == {}
    # Without the page's token: refused (a cross-site page cannot autosave).
    r = clerk.client.post(f"/reports/{world.report_id}/autosave", data=_form(content, rev))
    assert r.status_code == 403


def test_the_form_saves_every_explanation_with_one_button(world, browser, db):
    content, keys = _two_warnings(db, world)
    clerk = browser("lushaer")
    page = clerk.get(f"/reports/{world.report_id}/edit").text
    assert page.count('class="explain"') == 2 and 'id="save-explanations"' in page
    assert "/static/form-save.js" in page and 'id="save-status"' in page
    rev = _row(db, world.report_id).draft_revision
    typed = {f"explain.{keys[0]}": "一：已核实。", f"explain.{keys[1]}": "二：已核实。"}
    r = clerk.post(f"/reports/{world.report_id}/edit", _form(content, rev, **typed))
    assert r.status_code == 303
    assert _explained(db, world.report_id) == {keys[0]: "一：已核实。", keys[1]: "二：已核实。"}
    # One too long: nothing saved, both texts stay in their boxes with the reason.
    long = "很长的说明" * 1100
    typed = {f"explain.{keys[0]}": "改过的第一条", f"explain.{keys[1]}": long}
    r = clerk.post(f"/reports/{world.report_id}/edit", _form(content, rev + 1, **typed))
    assert r.status_code == 422
    assert "超过 5000 字" in r.text
    assert "改过的第一条" in r.text and html.escape(long) in r.text
    assert _explained(db, world.report_id)[keys[0]] == "一：已核实。"


def test_history_lists_the_saves_and_restores_one(world, browser, db):
    content, _ = _two_warnings(db, world)
    clerk = browser("lushaer")
    rev = _row(db, world.report_id).draft_revision
    clerk.api("POST", f"/reports/{world.report_id}/autosave", data=_form(content, rev, **{CELL: "41"}))
    page = clerk.get(f"/reports/{world.report_id}/history")
    assert page.status_code == 200
    assert "自动保存" in page.text and "改了 1 个单元格（表二）" in page.text and "恢复此版本" in page.text
    one = clerk.get(f"/reports/{world.report_id}/history/{rev}")
    assert one.status_code == 200 and "41" in one.text and "许可" in one.text
    r = clerk.post(f"/reports/{world.report_id}/history/{rev}/restore", {"base_revision": str(rev + 1)})
    assert r.status_code == 303 and r.headers["location"].endswith("/edit")
    row = _row(db, world.report_id)
    assert row.draft_revision == rev + 2
    assert Report.from_dict(row.draft).table("t2").value("licensing", "decisions") == content.table(
        "t2"
    ).value("licensing", "decisions")
    assert "恢复到第" in clerk.get(f"/reports/{world.report_id}/history").text
    # A restore based on a stale list is refused with a way on.
    r = clerk.post(f"/reports/{world.report_id}/history/{rev}/restore", {"base_revision": str(rev)})
    assert r.status_code == 303 and r.headers["location"].endswith("/history")
    assert clerk.get(f"/reports/{world.report_id}/history/99999").status_code == 404
