"""#13 point 1: a session ends when it should, on the server, whatever the browser still holds.

The attack (it worked on the main of 2026-12-03): copy a signed-in browser's cookies, let the person
sign out, change their password, be disabled or change role — and replay the cookies: pages and writes
were still served, because the session lived in the signed cookie itself.  Now the cookie holds a
random key and the session row behind it is deleted; idle and absolute limits come from the settings.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from _web_conftest import PASSWORD, Browser, clean_report  # registered by tests/security/conftest.py
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from workflow.cli import main as cli
from workflow.clock import FixedClock, now, set_clock
from workflow.db.models import AuditEvent, ReportRow, User, WebSession
from workflow.web.sessions import SESSION_COOKIE

pytestmark = pytest.mark.both_backends

NEW_PASSWORD = "黄河谷地春耕2031"


class Stolen:
    """Everything a thief copies from a signed-in browser: its cookies and its CSRF token."""

    def __init__(self, app, b: Browser) -> None:
        self.client = TestClient(app, follow_redirects=False, cookies=dict(b.client.cookies))
        self.csrf = b.csrf

    def page(self, url: str):
        return self.client.get(url)

    def api_write(self, world):
        """Save the draft through the JSON API, as the page's script would."""
        me = self.client.get(f"/api/reports/{world.report_id}")
        if me.status_code != 200:
            return me
        body = {"content": clean_report().to_dict(), "expected_revision": me.json()["draft_revision"]}
        return self.client.put(
            f"/api/reports/{world.report_id}/draft", json=body, headers={"X-CSRF-Token": self.csrf}
        )

    def form_write(self, world):
        return self.client.post(f"/reports/{world.report_id}/explain", data={"csrf_token": self.csrf})


def _revision(db, rid: int) -> int:
    with db.sessions() as s:
        return s.get(ReportRow, rid).draft_revision


def _refused(thief: Stolen, world, db) -> None:
    """Neither a page nor a write (form or API) is served, and nothing is written."""
    before = _revision(db, world.report_id)
    page = thief.page(f"/reports/{world.report_id}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login"), page.status_code
    form = thief.form_write(world)
    assert form.status_code == 303 and form.headers["location"].startswith("/login"), form.status_code
    api = thief.api_write(world)
    assert api.status_code == 401, (api.status_code, api.text[:200])
    assert "登录" in api.json()["detail"]
    assert _revision(db, world.report_id) == before


def _served(thief: Stolen, world) -> None:
    assert thief.page(f"/reports/{world.report_id}").status_code == 200


def _sessions_of(db, uid: int) -> int:
    with db.sessions() as s:
        return int(
            s.scalar(select(func.count()).select_from(WebSession).where(WebSession.user_id == uid)) or 0
        )


@pytest.fixture
def clock():
    c = FixedClock(now())
    set_clock(c)
    yield c
    set_clock(None)


def test_the_cookie_holds_only_a_random_key(app, world, browser, db):
    clerk = browser("lushaer")
    key = clerk.client.cookies[SESSION_COOKIE]
    assert len(key) >= 40 and "." not in key  # no signed payload: 256 random bits
    with db.sessions() as s:
        rows = list(s.scalars(select(WebSession).where(WebSession.user_id == world.ids["clerk"])))
    assert len(rows) == 1 and rows[0].key_hash != key and key not in str(rows[0].data)  # only its hash
    assert rows[0].address and rows[0].client  # where it was signed in from


def test_cookie_replayed_after_logout_is_refused(app, world, browser, db):
    clerk = browser("lushaer")
    thief = Stolen(app, clerk)
    _served(thief, world)
    r = clerk.post("/logout")
    assert r.status_code == 303
    _refused(thief, world, db)
    assert _sessions_of(db, world.ids["clerk"]) == 0


def test_cookie_replayed_after_a_password_change_is_refused(app, world, browser, db):
    clerk = browser("lushaer")
    elsewhere = browser("lushaer")  # the same person on another computer
    thief = Stolen(app, clerk)
    r = clerk.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert r.status_code == 303, r.text[:300]
    _refused(thief, world, db)  # the cookie from before the change
    _refused(Stolen(app, elsewhere), world, db)  # the other computer
    # The person who changed it goes on working (a new session), and signs in with the new password.
    page = clerk.get("/account")
    assert page.status_code == 200 and "密码已修改" in page.text
    clerk.csrf = clerk.client.get("/api/me").json()["csrf_token"]
    assert clerk.client.get(f"/reports/{world.report_id}").status_code == 200
    assert _sessions_of(db, world.ids["clerk"]) == 1
    login = TestClient(app, follow_redirects=False)
    form = login.get("/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    old = login.post("/login", data={"username": "lushaer", "password": PASSWORD, "csrf_token": token})
    assert old.status_code == 401
    new = login.post("/login", data={"username": "lushaer", "password": NEW_PASSWORD, "csrf_token": token})
    assert new.status_code == 303


def test_a_weak_or_wrong_password_change_is_refused_and_ends_nothing(app, world, browser, db):
    clerk = browser("lushaer")
    thief = Stolen(app, clerk)
    wrong = clerk.post(
        "/account/password",
        {
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    weak = clerk.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "lushaer", "confirm_password": "lushaer"},
    )
    assert weak.status_code == 422 and 'id="error-new_password"' in weak.text
    _served(thief, world)  # nothing changed, nothing ended


def test_guessing_the_current_password_is_throttled(app, world, browser, db, clock):
    """A stolen session cannot try passwords on the account page at argon2 speed: the sign-in
    throttle's counters apply (the same account from the same address).  The clock stands still, so
    a wait cannot run out between two requests of a slow machine."""
    clerk = browser("lushaer")
    answers = []
    for guess in range(7):
        r = clerk.post(
            "/account/password",
            {
                "current_password": f"guess-{guess}",
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
        )
        answers.append(r.status_code)
    assert answers[0] == 422 and answers[-1] == 429, answers
    right = clerk.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert right.status_code == 429 and "尝试次数过多" in right.text  # not even checked while waiting
    with db.sessions() as s:
        assert s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "password_change_failed")
        )


def test_the_command_line_ends_the_sessions_too(app, world, browser, db, monkeypatch, capsys):
    """`workflow user passwd` / `disable` (another process) end the sessions: the web notices at its
    next read of the session (its cache keeps one CACHE_SECONDS; here 0 so the test does not wait)."""
    clerk = browser("lushaer")
    thief = Stolen(app, clerk)
    app.state.users.ttl = 0
    monkeypatch.setattr("sys.stdin", io.StringIO("lushaer\n"))
    assert cli(["user", "passwd", "lushaer", "--stdin"]) == 1  # the policy: not the user name
    assert "用户名" in capsys.readouterr().err
    _served(thief, world)
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert cli(["user", "passwd", "lushaer", "--stdin"]) == 0
    assert "1 处登录已退出" in capsys.readouterr().out
    _refused(thief, world, db)
    reviewer = Stolen(app, browser("reviewer"))
    assert cli(["user", "disable", "reviewer"]) == 0
    assert reviewer.page(f"/review/{world.report_id}").status_code == 303
    with db.sessions() as s:
        events = s.scalars(select(AuditEvent.action).where(AuditEvent.actor_id.is_(None))).all()
    assert {"password_changed", "admin.user_disable"} <= set(events)


def test_cookie_replayed_after_the_admin_disables_the_user_is_refused(app, world, browser, db):
    clerk = browser("lushaer")
    thief = Stolen(app, clerk)
    admin = browser("admin")
    r = admin.post(f"/admin/users/{world.ids['clerk']}/active", {"active": "0"})
    assert r.status_code == 303
    assert "已停用" in admin.get(r.headers["location"]).text
    _refused(thief, world, db)
    # Enabled again, the old cookie stays worthless: the session ended, it was not merely hidden.
    assert admin.post(f"/admin/users/{world.ids['clerk']}/active", {"active": "1"}).status_code == 303
    _refused(thief, world, db)
    assert Browser(app, "lushaer").client.get(f"/reports/{world.report_id}").status_code == 200


def test_cookie_replayed_after_a_role_change_is_refused(app, world, browser, db):
    reviewer = browser("reviewer")
    thief = Stolen(app, reviewer)
    assert thief.page(f"/review/{world.report_id}").status_code == 200
    admin = browser("admin")
    r = admin.post(f"/admin/users/{world.ids['reviewer']}/role", {"role": "submitter", "body_code": "duoba"})
    assert r.status_code == 303
    with db.sessions() as s:
        user = s.get(User, world.ids["reviewer"])
        assert (user.role, user.body_id) == ("submitter", world.ids["other"])
    page = thief.page(f"/review/{world.report_id}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert thief.client.get("/api/review/queue").status_code == 401
    assert _sessions_of(db, world.ids["reviewer"]) == 0


def test_an_admin_cannot_disable_or_demote_themselves(app, world, browser, db):
    admin = browser("admin")
    r = admin.post(f"/admin/users/{world.ids['admin']}/active", {"active": "0"})
    assert "不能停用自己的账户" in admin.get(r.headers["location"]).text
    with db.sessions() as s:
        assert s.get(User, world.ids["admin"]).is_active


def test_sign_out_everywhere_ends_the_other_browsers_session(app, world, browser, db):
    office = browser("lushaer")
    home = browser("lushaer")
    _served(Stolen(app, home), world)
    r = office.post("/account/signout-all")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    _refused(Stolen(app, home), world, db)
    _refused(Stolen(app, office), world, db)
    assert _sessions_of(db, world.ids["clerk"]) == 0


def test_the_idle_timeout_ends_a_session(app, world, browser, db, clock):
    clerk = browser("lushaer")
    idle = timedelta(seconds=app.state.idle_seconds)
    clock.advance(seconds=idle.total_seconds() - 60)
    assert clerk.get(f"/reports/{world.report_id}").status_code == 200  # active: last seen moves on
    with db.sessions() as s:
        seen = s.scalar(select(WebSession.last_seen_at).where(WebSession.user_id == world.ids["clerk"]))
    assert seen == clock.now()
    clock.advance(seconds=idle.total_seconds() - 60)  # long after sign-in, but not idle that long
    assert clerk.get(f"/reports/{world.report_id}").status_code == 200
    clock.advance(seconds=idle.total_seconds() + 1)
    _refused(Stolen(app, clerk), world, db)


def test_the_absolute_lifetime_ends_even_an_active_session(app, world, browser, db, clock):
    clerk = browser("lushaer")
    lifetime = app.state.session_seconds
    step = min(app.state.idle_seconds / 2, 1800)
    elapsed = 0.0
    while elapsed + step < lifetime:
        clock.advance(seconds=step)
        elapsed += step
        assert clerk.get(f"/reports/{world.report_id}").status_code == 200, elapsed
    clock.advance(seconds=lifetime - elapsed + 1)
    _refused(Stolen(app, clerk), world, db)


def test_page_views_within_a_minute_do_not_write(app, world, browser, db, clock):
    clerk = browser("lushaer")
    with db.sessions() as s:
        first = s.scalar(select(WebSession.last_seen_at).where(WebSession.user_id == world.ids["clerk"]))
    for _ in range(3):
        clock.advance(seconds=15)
        assert clerk.get(f"/reports/{world.report_id}").status_code == 200
    with db.sessions() as s:
        assert (
            s.scalar(select(WebSession.last_seen_at).where(WebSession.user_id == world.ids["clerk"])) == first
        )


def test_anonymous_pages_write_no_session(app, world, db):
    anon = TestClient(app, follow_redirects=False)
    assert anon.get("/login").status_code == 200
    assert anon.get(f"/reports/{world.report_id}").status_code == 303
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_the_csrf_token_is_bound_to_the_session(app, world, browser, db):
    mine = browser("lushaer")
    colleague = browser("lushaer")
    assert mine.csrf != colleague.csrf
    r = mine.client.post(f"/reports/{world.report_id}/explain", data={"csrf_token": colleague.csrf})
    assert r.status_code == 403
    api = mine.client.post(f"/api/reports/{world.report_id}/submit", headers={"X-CSRF-Token": colleague.csrf})
    assert api.status_code == 403


def test_a_forged_or_overlong_cookie_signs_nobody_in(app, world):
    for value in ("x" * 43, "y" * 5000, ""):
        c = TestClient(app, follow_redirects=False, cookies={SESSION_COOKIE: value})
        assert c.get(f"/reports/{world.report_id}").status_code == 303
        assert c.get("/api/me").status_code == 401
