"""#13 point 11: personal API tokens for machine clients.

The attack side: before, the JSON API worked only with a browser session (a script had to keep a
cookie and scrape a CSRF token); a token must act only as its user (role and body), be shown once and
stored hashed, stop working when revoked or expired or when the user is disabled or changes role, and
every use must be in the audit trail.  The flow test drives draft → save → submit → decision with
tokens alone: no cookie is ever sent or set.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from _web_conftest import clean_report  # registered by tests/security/conftest.py
from fastapi.testclient import TestClient
from sqlalchemy import select

from workflow.clock import FixedClock, now, set_clock
from workflow.db.models import ApiToken, AuditEvent, ReportRow, ReportVersion, ReviewDecision
from workflow.rules.catalog import validate
from workflow.services import checks

pytestmark = pytest.mark.both_backends

TOKEN = re.compile(r'<code id="token-value">([^<]+)</code>')


def make_token(browser, username: str, name: str = "区OA系统同步", days: int = 30) -> str:
    b = browser(username)
    r = b.post("/account/tokens", {"name": name, "days": str(days)})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["cache-control"] == "no-store"
    m = TOKEN.search(r.text)
    assert m, "the new token is not on the page"
    return m.group(1)


class Script:
    """A machine client: no cookie jar in use, only the Authorization header."""

    def __init__(self, app, token: str) -> None:
        self.client = TestClient(app, follow_redirects=False)
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, url: str, **kw):
        r = self.client.request(method, url, headers=self.headers, **kw)
        assert "set-cookie" not in r.headers, (url, r.headers.get("set-cookie"))
        return r


def _events(db, action: str) -> list[AuditEvent]:
    with db.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_draft_save_submit_decide_with_tokens_alone(app, world, browser, db):
    clerk = Script(app, make_token(browser, "lushaer"))
    reviewer = Script(app, make_token(browser, "reviewer"))

    started = clerk("POST", "/api/reports", json={"season_id": world.season_id})
    assert started.status_code in (200, 201), started.text  # the world's draft already exists: 200
    rid = started.json()["id"]
    assert rid == world.report_id

    detail = clerk("GET", f"/api/reports/{rid}")
    assert detail.status_code == 200
    content = clean_report()
    saved = clerk(
        "PUT",
        f"/api/reports/{rid}/draft",
        json={"content": content.to_dict(), "expected_revision": detail.json()["draft_revision"]},
    )
    assert saved.status_code == 200, saved.text
    for f in validate(content).warnings:
        r = clerk("POST", f"/api/reports/{rid}/explanations", json={"finding_key": f.key, "text": "已核实。"})
        assert r.status_code == 200, r.text
    submitted = clerk("POST", f"/api/reports/{rid}/submit")
    assert submitted.status_code == 200, submitted.text

    with db.sessions() as s:  # the worker's part: the checks of the submitted version
        version = s.scalars(select(ReportVersion).where(ReportVersion.report_id == rid)).one()
        checks.run_checks(s, version_id=version.id)
    queue = reviewer("GET", "/api/review/queue")
    assert queue.status_code == 200 and rid in [q["id"] for q in queue.json()]
    decided = reviewer(
        "POST",
        f"/api/reports/{rid}/decision",
        json={"decision": "approve", "expected_version": version.number},
    )
    assert decided.status_code == 200, decided.text
    with db.sessions() as s:
        assert s.get(ReportRow, rid).state == decided.json()["state"]
        decision = s.scalars(select(ReviewDecision).where(ReviewDecision.report_id == rid)).one()
        assert (decision.decision, decision.reviewer_id) == ("approve", world.ids["reviewer"])
    assert not clerk.client.cookies and not reviewer.client.cookies  # tokens alone, end to end

    # Every write by token is in the audit trail, with who, which token and what.
    used = _events(db, "api_token_used")
    writes = [e for e in used if e.details["method"] != "GET"]
    assert {e.details["path"] for e in writes} >= {
        f"/api/reports/{rid}/draft",
        f"/api/reports/{rid}/submit",
        f"/api/reports/{rid}/decision",
    }
    assert {e.actor_id for e in used} == {world.ids["clerk"], world.ids["reviewer"]}


def test_a_token_is_limited_to_its_users_role_and_body(app, world, browser, db):
    clerk = Script(app, make_token(browser, "lushaer"))
    assert clerk("GET", f"/api/reports/{world.other_report_id}").status_code == 403  # another body's
    assert clerk("GET", f"/api/reports/{world.far_report_id}").status_code == 403
    body = {"decision": "approve", "expected_version": 1}
    assert clerk("POST", f"/api/reports/{world.report_id}/decision", json=body).status_code == 403
    assert clerk("GET", "/api/dashboard").status_code == 403
    assert [r["id"] for r in clerk("GET", "/api/reports").json()] == [world.report_id]


def test_a_token_is_shown_once_and_stored_hashed(app, world, browser, db):
    b = browser("lushaer")
    r = b.post("/account/tokens", {"name": "脚本", "days": "30"})
    token = TOKEN.search(r.text).group(1)
    assert token not in b.get("/account").text  # never shown again
    with db.sessions() as s:
        row = s.scalars(select(ApiToken)).one()
        stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert token not in " ".join(stored)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_revoked_and_expired_tokens_get_401(app, world, browser, db):
    token = make_token(browser, "lushaer")
    script = Script(app, token)
    assert script("GET", "/api/me").status_code == 200
    owner = browser("lushaer")
    with db.sessions() as s:
        tid = s.scalars(select(ApiToken.id)).one()
    assert owner.post(f"/account/tokens/{tid}/revoke").status_code == 303
    r = script("GET", "/api/me")
    assert r.status_code == 401 and "已被撤销" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    w = script("PUT", f"/api/reports/{world.report_id}/draft", json={"content": {}, "expected_revision": 0})
    assert w.status_code == 401

    short = Script(app, make_token(browser, "lushaer", name="一天", days=7))
    assert short("GET", "/api/me").status_code == 200
    clock = FixedClock(now())
    set_clock(clock)
    try:
        clock.advance(days=7, seconds=1)
        r = short("GET", "/api/me")
        assert r.status_code == 401 and "过期" in r.json()["detail"]
    finally:
        set_clock(None)


def test_tokens_stop_when_the_user_is_disabled_or_changes_role(app, world, browser, db):
    clerk = Script(app, make_token(browser, "lushaer"))
    reviewer = Script(app, make_token(browser, "reviewer"))
    admin = browser("admin")
    assert admin.post(f"/admin/users/{world.ids['clerk']}/active", {"active": "0"}).status_code == 303
    r = clerk("GET", "/api/me")
    assert r.status_code == 401 and "撤销" in r.json()["detail"]
    admin.post(f"/admin/users/{world.ids['reviewer']}/role", {"role": "submitter", "body_code": "duoba"})
    assert reviewer("GET", "/api/review/queue").status_code == 401


def test_nobody_else_can_revoke_my_token(app, world, browser, db):
    make_token(browser, "lushaer")
    with db.sessions() as s:
        tid = s.scalars(select(ApiToken.id)).one()
    other = browser("duoba")
    assert other.post(f"/account/tokens/{tid}/revoke").status_code == 404
    admin = browser("admin")  # an administrator may
    r = admin.post(f"/account/tokens/{tid}/revoke", {"back": "/admin/tokens"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/tokens"
    with db.sessions() as s:
        assert s.get(ApiToken, tid).revoked_by_id == world.ids["admin"]


def test_bad_authorization_headers_get_401_in_chinese(app, world):
    c = TestClient(app, follow_redirects=False)
    for header in ("Bearer", "Basic dXNlcjpwYXNz", "Bearer wfat_not-a-real-token", "Bearer " + "x" * 5000):
        r = c.get("/api/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"])


def test_reads_are_audited_once_a_minute_writes_every_time(app, world, browser, db):
    script = Script(app, make_token(browser, "lushaer"))
    for _ in range(5):
        assert script("GET", f"/api/reports/{world.report_id}").status_code == 200
    reads = [e for e in _events(db, "api_token_used") if e.details["method"] == "GET"]
    assert len(reads) == 1 and reads[0].actor_id == world.ids["clerk"]
    for _ in range(2):
        script(
            "POST", f"/api/reports/{world.report_id}/explanations", json={"finding_key": "x", "text": "说明"}
        )
    writes = [e for e in _events(db, "api_token_used") if e.details["method"] == "POST"]
    assert len(writes) == 2
    with db.sessions() as s:
        assert s.scalars(select(ApiToken.last_used_at)).one() is not None


def test_a_token_needs_no_csrf_but_a_cookie_still_does(app, world, browser, db):
    clerk = browser("lushaer")
    no_csrf = clerk.client.post(f"/api/reports/{world.report_id}/submit")
    assert no_csrf.status_code == 403  # the browser session without its CSRF header
    script = Script(app, make_token(browser, "lushaer"))
    r = script("POST", f"/api/reports/{world.report_id}/withdraw")
    assert r.status_code not in (401, 403), r.text  # served (a 409: nothing to withdraw)
