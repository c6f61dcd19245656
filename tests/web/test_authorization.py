"""Every route × every role, against ONE explicit table.  A route missing from the table fails.

Roles: anonymous; the submitter of the report's own body and of another body; a reviewer of the
report's jurisdiction and of another; the district office's administrator.  Path parameters point at
鲁沙尔镇's report (in 湟中区).  Outcomes:
  ALLOW  — the request is served (any answer that is not 401/403/login redirect and not a 5xx)
  DENY   — 403 with a Chinese message
  LOGIN  — anonymous page request: 303 to /login;  API: 401
  ANY    — public: any non-5xx answer
"""

from __future__ import annotations

import re

import pytest
from starlette.routing import Mount

ROLES = ("anonymous", "submitter_own", "submitter_other", "reviewer_own", "reviewer_other", "admin")
USERNAMES = {
    "anonymous": None,
    "submitter_own": "lushaer",
    "submitter_other": "duoba",
    "reviewer_own": "reviewer",
    "reviewer_other": "far_reviewer",
    "admin": "admin",
}
A, D, L, ANY = "ALLOW", "DENY", "LOGIN", "ANY"


def row(anon, sub_own, sub_other, rev_own, rev_other, admin):
    return dict(zip(ROLES, (anon, sub_own, sub_other, rev_own, rev_other, admin), strict=True))


PUBLIC = row(ANY, ANY, ANY, ANY, ANY, ANY)
SIGNED_IN = row(L, A, A, A, A, A)
SUBMITTER_ONLY = row(L, A, A, D, D, D)
REVIEWERS = row(L, D, D, A, A, A)
ADMIN_ONLY = row(L, D, D, D, D, A)
# A report of 鲁沙尔镇: its clerk and the admin may read and write; 湟中区's reviewer may read.
REPORT_READ = row(L, A, D, A, D, A)
REPORT_WRITE = row(L, A, D, D, D, A)
REPORT_REVIEW = row(L, D, D, A, D, A)
# Prometheus: the loopback address or an administrator (TestClient's address is no IP).
ADMIN_OR_LOOPBACK = row(D, D, D, D, D, A)

TABLE: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): ADMIN_OR_LOOPBACK,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    # submitter pages
    ("GET", "/reports"): SUBMITTER_ONLY,
    ("POST", "/reports"): SUBMITTER_ONLY,
    ("GET", "/reports/{report_id}"): REPORT_READ,
    ("GET", "/reports/{report_id}/edit"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/edit"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/upload"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/import"): REPORT_WRITE,
    ("GET", "/reports/{report_id}/import"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/import/confirm"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/import/cancel"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/format"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/last-year"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/last-year/upload"): REPORT_WRITE,
    ("POST", "/reports/last-year"): SUBMITTER_ONLY,
    ("GET", "/reports/{report_id}/tables.xlsx"): REPORT_READ,
    ("POST", "/reports/{report_id}/explain"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/autosave"): REPORT_WRITE,
    ("GET", "/reports/{report_id}/history"): REPORT_READ,
    ("GET", "/reports/{report_id}/history/{revision}"): REPORT_READ,
    ("POST", "/reports/{report_id}/history/{revision}/restore"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/contest"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/contest/withdraw"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/submit"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/withdraw"): REPORT_WRITE,
    ("POST", "/reports/{report_id}/correction"): REPORT_WRITE,
    # reviewer pages
    ("GET", "/review"): REVIEWERS,
    ("GET", "/review/{report_id}"): REPORT_REVIEW,
    ("POST", "/review/{report_id}/decide"): REPORT_REVIEW,
    ("POST", "/review/{report_id}/contest"): REPORT_REVIEW,
    ("POST", "/review/bulk-approve"): REVIEWERS,
    # district office
    ("GET", "/admin"): ADMIN_ONLY,
    ("GET", "/admin/status.xlsx"): ADMIN_ONLY,
    # the district summary (#16.3): reviewers see their own jurisdiction's, only the admin drafts
    ("GET", "/admin/summary"): REVIEWERS,
    ("GET", "/admin/summary.xlsx"): REVIEWERS,
    ("GET", "/admin/summary/chart.svg"): REVIEWERS,
    ("POST", "/admin/summary/draft"): ADMIN_ONLY,
    ("POST", "/admin/reports/{report_id}/retry"): ADMIN_ONLY,
    ("GET", "/admin/bodies"): ADMIN_ONLY,
    ("POST", "/admin/bodies"): ADMIN_ONLY,
    ("POST", "/admin/users"): ADMIN_ONLY,
    ("GET", "/admin/seasons"): ADMIN_ONLY,
    ("POST", "/admin/seasons"): ADMIN_ONLY,
    ("POST", "/admin/seasons/{season_id}/deadlines"): ADMIN_ONLY,
    ("POST", "/admin/seasons/{season_id}/extensions"): ADMIN_ONLY,
    ("GET", "/admin/reminders"): ADMIN_ONLY,
    ("GET", "/admin/holidays"): ADMIN_ONLY,
    ("POST", "/admin/holidays"): ADMIN_ONLY,
    ("GET", "/admin/throttles"): ADMIN_ONLY,
    ("POST", "/admin/throttles/lift"): ADMIN_ONLY,
    # accounts, sessions and API tokens (issue #13): every signed-in user has an account page
    ("GET", "/messages"): SIGNED_IN,  # each person sees only their own and their body's messages
    ("POST", "/messages/read"): SIGNED_IN,
    ("POST", "/messages/{message_id}/read"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("POST", "/account/signout-all"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): SIGNED_IN,
    ("GET", "/admin/users/{user_id}"): ADMIN_ONLY,
    ("POST", "/admin/users/{user_id}/active"): ADMIN_ONLY,
    ("POST", "/admin/users/{user_id}/role"): ADMIN_ONLY,
    ("POST", "/admin/users/{user_id}/signout"): ADMIN_ONLY,
    ("GET", "/admin/tokens"): ADMIN_ONLY,
    # JSON API (anonymous: 401)
    ("GET", "/api/me"): SIGNED_IN,
    ("GET", "/api/reports"): SIGNED_IN,
    ("POST", "/api/reports"): SUBMITTER_ONLY,
    ("GET", "/admin/audit"): ADMIN_ONLY,
    ("GET", "/admin/audit.xlsx"): ADMIN_ONLY,
    ("GET", "/api/reports/{report_id}"): REPORT_READ,
    ("GET", "/api/reports/{report_id}/check-status"): REPORT_READ,
    ("PUT", "/api/reports/{report_id}/draft"): REPORT_WRITE,
    ("POST", "/api/reports/{report_id}/explanations"): REPORT_WRITE,
    ("POST", "/api/reports/{report_id}/submit"): REPORT_WRITE,
    ("POST", "/api/reports/{report_id}/withdraw"): REPORT_WRITE,
    ("POST", "/api/reports/{report_id}/decision"): REPORT_REVIEW,
    ("GET", "/api/review/queue"): REVIEWERS,
    ("GET", "/api/dashboard"): ADMIN_ONLY,
    # Public portal (issue 5, workflow.portal): no login, the same answer for everyone.
    ("GET", "/public/"): PUBLIC,
    ("GET", "/public/years/{year}/"): PUBLIC,
    ("GET", "/public/bodies/{body_id}/"): PUBLIC,
    ("GET", "/public/search/"): PUBLIC,
    ("GET", "/public/summary/"): PUBLIC,
    ("GET", "/public/reports/{report_id}/"): PUBLIC,
    ("GET", "/public/reports/{report_id}/v{number}/"): PUBLIC,
    ("GET", "/public/reports/{report_id}/v{number}/report.{name}"): PUBLIC,
    ("GET", "/public/feed.xml"): PUBLIC,
    ("GET", "/public/sitemap.xml"): PUBLIC,
    ("GET", "/public/verify/"): PUBLIC,
    ("GET", "/public/favicon.svg"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
}


def app_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route, including those of included routers (FastAPI ≥ 0.160 keeps
    them lazily behind _IncludedRouter entries: iter_route_contexts flattens them)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        contexts = [(r, getattr(r, "path", "")) for r in app.routes]
    else:
        contexts = [(c.original_route, c.path) for c in iter_route_contexts(app.routes)]
    out = []
    for route, path in contexts:
        if isinstance(route, Mount):
            out.append(("GET", path))
            continue
        for m in sorted(getattr(route, "methods", None) or ()):
            if m != "HEAD":
                out.append((m, path))
    assert len(out) > 30, f"route enumeration found too few routes: {out}"
    return out


def test_every_route_is_in_the_table(app):
    missing = [r for r in app_routes(app) if r not in TABLE]
    assert not missing, f"routes without an authorization rule: {missing}"


def _url(path: str, world) -> str:
    if path == "/static":
        return "/static/app.css"
    for name, value in (
        ("report_id", world.report_id),
        ("season_id", world.season_id),
        ("year", 2024),
        ("body_id", world.ids["ours"]),
        ("number", 1),
        ("name", "html"),
        ("user_id", world.ids["clerk"]),
        ("revision", 1),  # the draft's first save
        ("token_id", 999_999),  # nobody's: 404 for everyone signed in
        ("message_id", 1),  # marked read only when it is addressed to the one asking
    ):
        path = path.replace("{" + name + "}", str(value))
    return path


def _classify(method: str, path: str, r) -> str:
    # Anonymous pages go to /login?next=…; signing out lands on /login itself (allowed).
    login = r.status_code == 303 and r.headers.get("location", "").startswith("/login?next=")
    if r.status_code >= 500 and not (path == "/healthz" and r.status_code == 503):
        return "SERVER ERROR"  # /healthz's 503 is its verdict (no broker in these tests), not an error
    if r.status_code == 401 or login:
        return L
    if r.status_code == 403:
        return D
    return A


@pytest.mark.parametrize("role", ROLES)
def test_route_answers_match_the_table(role, app, world, browser):
    b = browser(USERNAMES[role])
    wrong = []
    for method, path in app_routes(app):
        expected = TABLE[(method, path)][role]
        url = _url(path, world)
        if path.startswith("/api/"):
            r = b.api(method, url, json={})
        else:
            r = b.client.request(method, url, data={"csrf_token": b.csrf}) if method != "GET" else b.get(url)
        got = _classify(method, path, r)
        if got == "SERVER ERROR" or (expected != ANY and got != expected):
            wrong.append((method, path, expected, got, r.status_code, r.text[:120]))
        if got == D:
            assert re.search(r"[\u4e00-\u9fff]", r.text), f"403 without a Chinese message: {path}"
        if path in ("/logout", "/account/signout-all") and USERNAMES[role]:
            b = browser(USERNAMES[role])  # signed out: sign in again for the remaining routes
    assert not wrong, "\n".join(map(str, wrong))


def test_unsafe_methods_need_the_csrf_token(app, world, browser):
    """The admin (allowed everywhere) without the token is refused on every unsafe route."""
    b = browser("admin")
    unprotected = []
    for method, path in app_routes(app):
        if method == "GET" or path == "/login":
            continue
        url = _url(path, world)
        r = (
            b.client.request(method, url, json={})
            if path.startswith("/api/")
            else b.client.request(method, url, data={})
        )
        if r.status_code != 403:
            unprotected.append((method, path, r.status_code))
    assert not unprotected, unprotected
