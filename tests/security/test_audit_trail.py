"""#13 point 10: the audit trail says who, when, what, from which address and client; nobody can
change or delete it; administrators read and filter it in the app and download what they filtered.

The attacks (each failed on the main of 2026-12-03): an event had no address or client; an event
could be edited or deleted through the ORM and with plain SQL; no page showed the trail.
"""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

import pytest
from conftest import clean_report, to_review
from openpyxl import load_workbook
from sqlalchemy import delete, select, text, update

from workflow.clock import now
from workflow.db.factories import make_season
from workflow.db.models import AuditEvent, ImmutableRowError, ReportRow
from workflow.rules.catalog import validate
from workflow.services import audit, drafts, origin, submission
from workflow.tasks import jobs

pytestmark = pytest.mark.both_backends
AGENT = "Mozilla/5.0 (Windows NT 10.0; audit test) " + "x" * 400  # longer than the column keeps


def _events(db, **where) -> list[AuditEvent]:
    with db.sessions() as s:
        q = select(AuditEvent).order_by(AuditEvent.id)
        for k, v in where.items():
            q = q.where(getattr(AuditEvent, k) == v)
        return list(s.scalars(q))


def _ready(db, rid: int, actor: int) -> None:
    content = clean_report()
    with db.sessions() as s:
        rev = s.get(ReportRow, rid).draft_revision
        drafts.save_draft(s, report_id=rid, content=content, expected_revision=rev, actor_id=actor)
        for f in validate(content).warnings:
            drafts.explain_warning(s, report_id=rid, finding_key=f.key, text="已核实。", actor_id=actor)


def _signed_in(browser, username: str):
    b = browser(username)
    b.client.headers["User-Agent"] = AGENT
    return b


def test_a_web_action_records_the_address_and_client(world, browser, db):
    with db.sessions() as s:
        season_id = make_season(s, 2025).id
        s.commit()
    clerk = _signed_in(browser, "lushaer")
    assert clerk.post("/reports", {"season_id": str(season_id)}).status_code == 303
    [created] = _events(db, action="report.create", actor_id=world.ids["clerk"])
    assert created.address == "testclient"  # TestClient's peer address
    assert created.client == AGENT[:200]
    # A transition (written by a Core INSERT, in the route's worker thread) through the JSON API.
    with db.sessions() as s:
        rev = s.get(ReportRow, world.report_id).draft_revision
    r = clerk.api(
        "PUT",
        f"/api/reports/{world.report_id}/draft",
        json={"content": clean_report().to_dict(), "expected_revision": rev},
    )
    assert r.status_code == 200, r.text
    [saved] = _events(db, action="report.save_draft", report_id=world.report_id)
    assert (saved.address, saved.client) == ("testclient", AGENT[:200])
    # Sign-in events too (written by the login route).
    logins = _events(db, action="login", actor_id=world.ids["clerk"])
    assert logins and all(e.address == "testclient" for e in logins)


def test_a_transition_through_the_page_records_the_address(world, browser, db):
    version = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    reviewer = _signed_in(browser, "reviewer")
    data = {"decision": "return", "version": str(version), "comment.general": "请修改。"}
    assert reviewer.post(f"/review/{world.report_id}/decide", data).status_code == 303
    [returned] = _events(db, action="report.return")
    assert returned.actor_id == world.ids["reviewer"]
    assert (returned.address, returned.client) == ("testclient", AGENT[:200])


def test_events_outside_a_request_name_their_client(world, db):
    with db.sessions() as s:
        audit.record(s, "seed.demo", actor_id=None)
        s.commit()
    with origin.acting_as(origin.CLI), db.sessions() as s:
        audit.record(s, "seed.demo", actor_id=None)
        s.commit()

    assert [(e.address, e.client) for e in _events(db, action="seed.demo")] == [
        (None, "system"),
        (None, "cli"),
    ]
    # A Celery task, called as a worker calls it (Task.__call__): its transitions are the worker's.
    _ready(db, world.report_id, world.ids["clerk"])
    with db.sessions() as s:
        version_id = submission.submit(s, report_id=world.report_id, actor_id=world.ids["clerk"])
    assert jobs.check_report(version_id=version_id)
    [started] = _events(db, action="report.start_check")
    assert (started.address, started.client) == (None, "worker")


def test_the_orm_refuses_to_change_or_delete_an_event(world, db):
    with db.sessions() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "report.create")).first()
        assert ev is not None
        ev.details = {"forged": True}
        with pytest.raises(ImmutableRowError):
            s.flush()
        s.rollback()
        ev = s.scalars(select(AuditEvent)).first()
        s.delete(ev)
        with pytest.raises(ImmutableRowError):
            s.flush()
        s.rollback()
        with pytest.raises(ImmutableRowError):
            s.execute(update(AuditEvent).values(action="nothing"))
        s.rollback()
        with pytest.raises(ImmutableRowError):
            s.execute(delete(AuditEvent))
        s.rollback()
    assert len(_events(db, action="report.create")) == 3
    assert not any(e.details.get("forged") for e in _events(db))


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("WORKFLOW_TEST_DATABASE_URL"), reason="PostgreSQL not configured")
def test_postgresql_refuses_update_and_delete_in_plain_sql(world, db):
    assert db.is_postgres, "this test needs PostgreSQL: set WORKFLOW_TEST_DATABASE_URL"
    postgres_db = db
    before = [(e.id, e.action) for e in _events(postgres_db)]
    assert before
    for sql in (
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE false",  # refused as a statement, even when it touches no row
    ):
        with postgres_db.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
            conn.execute(text(sql))
    assert [(e.id, e.action) for e in _events(postgres_db)] == before


# ------------------------------------------------------------------------------- the admin page
def _trail(db, world) -> None:
    """Events of two bodies, two users, several actions and days."""
    with db.sessions() as s:
        old = now() - timedelta(days=10)
        for action, actor, body, at in (
            ("login", "clerk", "ours", old),
            ("report.save_draft", "clerk", "ours", old),
            ("report.save_draft", "other_clerk", "other", now()),
            ("login_failed", None, None, now()),
            ("custom.unknown_action", "admin", None, now()),
        ):
            ev = audit.record(
                s,
                action,
                actor_id=world.ids[actor] if actor else None,
                body_id=world.ids[body] if body else None,
            )
            ev.at = at  # set before the first flush: a new row, not a change
        s.commit()


def test_the_admin_page_shows_and_filters_the_trail(world, browser, db):
    _trail(db, world)
    admin = browser("admin")
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    assert "审计记录" in page.text and 'href="/admin/audit"' in page.text  # in the admin nav
    assert "保存草稿" in page.text and "开始填报" in page.text  # actions in plain Chinese
    assert "<code>custom.unknown_action</code>" in page.text  # an unknown key shown as it is
    times = re.findall(r'<tr data-id="\d+">\s*<td>([^<]+)</td>', page.text)
    assert len(times) == len(_events(db)) and times == sorted(times, reverse=True)  # newest first

    by_body = admin.get("/admin/audit", params={"body": "多巴镇"}).text
    assert "多巴镇人民政府" in by_body and "鲁沙尔镇人民政府" not in by_body.split('id="audit-table"')[1]
    by_user = admin.get("/admin/audit", params={"user": "lushaer"}).text.split('id="audit-table"')[1]
    assert "lushaer" in by_user and "duoba" not in by_user
    by_action = admin.get("/admin/audit", params={"action": "login_failed"}).text
    assert by_action.split('id="audit-table"')[1].count("<tr data-id=") == 1
    day = (now() - timedelta(days=10)).date().isoformat()
    by_date = admin.get("/admin/audit", params={"since": day, "until": day}).text
    table = by_date.split('id="audit-table"')[1]
    assert table.count("<tr data-id=") == 2 and "登录" in table and "保存草稿" in table


def test_the_admin_page_is_paginated(world, browser, db):
    with db.sessions() as s:
        for n in range(60):
            audit.record(s, "login_failed", actor_id=None, n=n)
        s.commit()
    admin = browser("admin")
    first = admin.get("/admin/audit", params={"action": "login_failed"}).text
    assert first.count("<tr data-id=") == 50 and "下一页" in first
    second = admin.get("/admin/audit", params={"action": "login_failed", "page": 2}).text
    assert second.count("<tr data-id=") == 10 and "上一页" in second


def test_the_xlsx_download_holds_exactly_the_filtered_rows(world, browser, db):
    _trail(db, world)
    admin = browser("admin")
    params = {"user": "lushaer", "action": "report.save_draft"}
    page = admin.get("/admin/audit", params=params).text
    assert "/admin/audit.xlsx?user=lushaer&amp;action=report.save_draft" in page
    r = admin.get("/admin/audit.xlsx", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    expected = [e for e in _events(db, action="report.save_draft", actor_id=world.ids["clerk"])]
    assert len(rows) == len(expected) == 1
    assert rows[0][3] == "保存草稿" and rows[0][4] == "report.save_draft" and "lushaer" in rows[0][1]
    everything = load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx").content)).active
    assert everything.max_row - 1 == len(_events(db))


def test_the_audit_pages_are_for_administrators_only(world, browser):
    for name in ("lushaer", "reviewer"):
        b = browser(name)
        assert b.get("/admin/audit").status_code == 403
        assert b.get("/admin/audit.xlsx").status_code == 403
    assert browser(None).get("/admin/audit").status_code == 303
