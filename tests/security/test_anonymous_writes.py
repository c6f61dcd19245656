"""#13 point 2: nothing is written for anonymous requests; a form kept across an expired session is
kept by the browser, bound to the user who typed it.

The attacks:
- anyone could make the server write files: a POST to any …/edit address stored a "stash" on disk for
  24 h (18 MB in a fifth of a second), signed in or not;
- a crafted link (/login?stash=… → ?restore=…) filled a clerk's form with someone else's values after
  the clerk signed in.
Now every POST/PUT/PATCH/DELETE route of the app is tried anonymously (no cookie at all, and with an
anonymous session and its valid CSRF token), with form, multipart and JSON bodies: afterwards no file
under data_dir and no row in any table is new.  Failed sign-ins are the one exception (their record
is the sign-in throttling's business, point 5): POST /login is tried here without a token only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _web_conftest import csrf_of  # registered by tests/security/conftest.py
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from workflow.db.models import Base, ReportRow


def _authorization_table():
    import importlib.util

    path = Path(__file__).parents[1] / "web" / "test_authorization.py"
    spec = importlib.util.spec_from_file_location("_authz_table_anon", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AUTHZ = _authorization_table()
pytestmark = pytest.mark.both_backends
STATIC_JS = Path(__file__).parents[2] / "src" / "workflow" / "web" / "static" / "app.js"
TEXT = "一段文字。" * 400  # what a form carries on every route
BIG = "很长的一段文字。" * 12_000  # ~0.3 MB of typed text (~0.9 MB urlencoded, under the 1 MB field limit)


def _rows(db) -> dict[str, int]:
    with db.sessions() as s:
        counts = {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }
        s.commit()
        return counts


def _new_rows(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Tables with more rows than before (an expired session's own row may go: that is no write of
    anonymous data)."""
    return {t: after[t] - before.get(t, 0) for t in after if after[t] > before.get(t, 0)}


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _form_fields(csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "revision": "1",
        "format": "2021",
        "section.5.text": TEXT,
        "text": TEXT,
        "finding_key": "k",
        "season_id": "1",
        "reason": "更正",
        "decision": "approve",
        "expected_version": "1",
        "username": "attacker",
        "name": "某单位",
        "code": "x",
        "report_year": "2030",
        "day": "2030-01-01",
    }


def _attempts(client: TestClient, method: str, url: str, csrf: str):
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    if url.startswith("/api/"):
        yield client.request(
            method, url, json={"text": TEXT, "finding_key": "k", "content": {}}, headers=headers
        )
        return
    yield client.request(method, url, data=_form_fields(csrf), headers=headers)
    yield client.request(
        method,
        url,
        data={"csrf_token": csrf, "revision": "1"},
        files={"file": ("lushaer.txt", TEXT.encode(), "text/plain")},
        headers=headers,
    )
    yield client.request(method, url + "?csrf_token=" + csrf, data={"section.5.text": TEXT})


def test_anonymous_writes_on_every_unsafe_route_leave_no_file_and_no_row(app, world, db, browser):
    data_dir: Path = app.state.settings.data_dir
    routes = [(m, p) for m, p in AUTHZ.app_routes(app) if m in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(routes) > 20, routes
    bare = TestClient(app, follow_redirects=False)  # no cookie at all
    with_session = TestClient(app, follow_redirects=False)  # an anonymous session with its CSRF token
    token = csrf_of(with_session.get("/login").text)
    bare.get("/login")  # warm-up: whatever a first page view creates is not an anonymous write
    rows_before, files_before = _rows(db), _files(data_dir)
    tried = 0
    for method, path in routes:
        url = AUTHZ._url(path, world)
        for client, csrf in ((bare, ""), (with_session, token)):
            if path == "/login" and csrf:
                continue  # a failed sign-in is recorded by the throttling (point 5)
            for r in _attempts(client, method, url, csrf):
                tried += 1
                assert r.status_code in (303, 400, 401, 403, 405, 413, 422), (
                    method,
                    url,
                    r.status_code,
                    r.text[:200],
                )
                if r.status_code == 303:
                    location = r.headers["location"]
                    assert location.startswith("/login?next="), (method, url, location)
                    assert "stash" not in location and "restore=" not in location  # the old ?restore= link
    assert tried > 60
    # The stash's own door, with a big form: 18 MB were written in a fifth of a second before.
    for client, csrf in ((bare, ""), (with_session, token)):
        for _ in range(3):
            r = client.post(
                f"/reports/{world.report_id}/edit", data={"csrf_token": csrf, "section.5.text": BIG}
            )
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert not _new_rows(rows_before, _rows(db)), "an anonymous request wrote rows"
    assert _files(data_dir) == files_before, "an anonymous request wrote files"
    assert not (data_dir / "web-stash").exists()
    bare.close()
    with_session.close()


def test_an_expired_session_writes_nothing_and_sends_the_clerk_back_to_the_form(app, world, db, browser):
    """The clerk's session expires while typing: the post is refused without reading or keeping the
    form; the login page leads back to the form, where the browser puts the typed text back."""
    clerk = browser("lushaer")
    page = clerk.get(f"/reports/{world.report_id}/edit").text
    data_dir: Path = app.state.settings.data_dir
    rows_before, files_before = _rows(db), _files(data_dir)
    app.state.idle_seconds = -1  # the session expires while the clerk types
    try:
        r = clerk.client.post(
            f"/reports/{world.report_id}/edit",
            data={"csrf_token": csrf_of(page), "revision": "1", "section.5.text": BIG},
            headers={"referer": f"http://testserver/reports/{world.report_id}/edit"},
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"/login?next=/reports/{world.report_id}/edit"
        assert not _new_rows(rows_before, _rows(db)) and _files(data_dir) == files_before
        # An explanation posted from the form page leads back to the form page (not to a POST-only URL).
        r = clerk.client.post(
            f"/reports/{world.report_id}/explain",
            data={"csrf_token": csrf_of(page), "finding_key": "k", "text": "说明"},
            headers={"referer": f"http://testserver/reports/{world.report_id}/edit"},
        )
        assert r.headers["location"] == f"/login?next=/reports/{world.report_id}/edit"
        login = clerk.get(r.headers["location"]).text
    finally:
        app.state.idle_seconds = 3600
    assert not _new_rows(rows_before, _rows(db)) and _files(data_dir) == files_before
    # The login page carries where to go back to, the (hidden) note the browser script shows, and the
    # script; no server-side token of any kept form.
    assert f'name="next" value="/reports/{world.report_id}/edit"' in login
    assert 'id="expired-note" hidden' in login and '<script src="/static/app.js"' in login
    assert "stash" not in login


def test_a_crafted_stash_or_restore_link_fills_nobody_s_form(app, world, db, browser):
    """The old attack, step by step: it now finds nothing to plant and nothing to restore."""
    attacker = TestClient(app, follow_redirects=False)
    planted = attacker.post(f"/reports/{world.report_id}/edit", data={"section.5.text": "攻击者写的内容"})
    assert planted.status_code == 303 and "stash" not in planted.headers["location"]
    clerk = TestClient(app, follow_redirects=False)
    login = clerk.get(f"/login?next=/reports/{world.report_id}/edit&stash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert 'name="stash"' not in login.text
    r = clerk.post(
        "/login",
        data={
            "username": "lushaer",
            "password": "demo1234",
            "csrf_token": csrf_of(login.text),
            "next": f"/reports/{world.report_id}/edit",
            "stash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == f"/reports/{world.report_id}/edit"
    crafted = clerk.get(f"/reports/{world.report_id}/edit?restore=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    plain = clerk.get(f"/reports/{world.report_id}/edit")
    assert crafted.status_code == 200
    assert "攻击者写的内容" not in crafted.text and "已恢复" not in crafted.text
    strip = re.compile(r'name="csrf_token" value="[^"]*"')
    assert strip.sub("", crafted.text) == strip.sub("", plain.text)
    with db.sessions() as s:
        assert "攻击者" not in str(s.get(ReportRow, world.report_id).draft)
    clerk.close()
    attacker.close()


def test_the_browser_side_keep_is_bound_to_the_signed_in_user(world, browser):
    """The page names its user; the script keys kept forms by that id, checks it again before putting
    anything back, caps the size and the age, and drops a kept form once it has been offered."""
    clerk = browser("lushaer")
    page = clerk.get(f"/reports/{world.report_id}/edit").text
    assert f'<body data-user-id="{world.ids["clerk"]}">' in page
    assert 'id="report-form" data-keep="report"' in page
    assert browser(None).get("/login").text.count("data-user-id") == 0  # nobody signed in, no id
    js = clerk.get("/static/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    source = js.text
    assert 'getAttribute("data-user-id")' in source
    assert 'PREFIX + uid + ":" + path' in source  # the key holds the user's id and the page
    assert "String(entry.uid) !== uid" in source  # ... and the entry is checked against the page's user
    assert "KEEP_MAX_CHARS = 200 * 1024" in source and "KEEP_MAX_AGE_MS = 24 * 3600 * 1000" in source
    assert "store.removeItem(key); // used or not" in source
    assert STATIC_JS.read_text("utf-8") == source
