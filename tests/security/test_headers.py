"""#13 point 6: security headers on every response, and no inline script anywhere.

The attack: the pages could be framed (clickjacking the 审核 buttons), a file served as text/plain
could be sniffed as HTML, and nothing told the browser to refuse injected inline script.  Every GET
route of the app (pages, API, static files, the public portal, error pages, /docs) is fetched as
every kind of visitor; each answer must carry the headers, and no page may need inline script.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from workflow.portal import site
from workflow.web.headers import policy_for

ROUTES_SPEC = Path(__file__).parents[1] / "web" / "test_authorization.py"
SRC = Path(__file__).parents[2] / "src" / "workflow"
TEMPLATE_DIRS = [
    SRC / "web" / "templates",
    SRC / "portal" / "templates",
    SRC / "publish" / "templates",
]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
HANDLER_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


def _routes_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_authz_table", ROUTES_SPEC)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AUTHZ = _routes_module()


def _get_urls(app, world) -> list[str]:
    urls = [AUTHZ._url(path, world) for method, path in AUTHZ.app_routes(app) if method == "GET"]
    return [
        *urls,
        "/static/app.js",
        "/no/such/page",  # 404 page
        "/api/no/such/thing",  # 404 as JSON
        f"/reports/{world.far_report_id}/edit",  # 403 page for the clerk
        "/public/reports/999999/",  # the portal's own 404 page
        "/reports/abc",  # 422 page
    ]


def _assert_headers(url: str, r, *, https: bool = False) -> None:
    h = r.headers
    where = f"{url} ({r.status_code})"
    assert h.get("x-frame-options") == "DENY", where
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("referrer-policy") in ("same-origin", "strict-origin-when-cross-origin"), where
    csp = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    if not h.get("content-type", "").startswith("application/pdf"):
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", where  # no 'unsafe-inline', no CDN
        assert directives.get("default-src") == "'self'", where
        assert directives.get("object-src") == "'none'", where
        assert directives.get("base-uri") == "'self'", where
        assert directives.get("form-action") == "'self'", where
    if https:
        assert h.get("strict-transport-security", "").startswith("max-age="), where
    else:
        assert "strict-transport-security" not in h, where


def _assert_no_inline_script(url: str, html: str) -> None:
    assert not INLINE_SCRIPT.search(html), f"inline <script> on {url}: {INLINE_SCRIPT.search(html)}"
    assert not HANDLER_ATTR.search(html), f"on…= handler on {url}: {HANDLER_ATTR.search(html)}"
    assert not JS_URL.search(html), f"javascript: URL on {url}"


@pytest.mark.parametrize("who", [None, "lushaer", "reviewer", "admin"])
def test_every_get_route_carries_the_headers_and_no_inline_script(app, world, browser, who):
    b = browser(who)
    pages = 0
    for url in _get_urls(app, world):
        r = b.get(url)
        assert r.status_code < 500 or url == "/healthz", (url, r.status_code, r.text[:200])
        _assert_headers(url, r)
        if r.headers.get("content-type", "").startswith("text/html"):
            _assert_no_inline_script(url, r.text)
            pages += 1
    assert pages > (3 if who is None else 8)


def test_the_report_form_with_warnings_and_the_review_page_have_no_inline_script(world, browser, db):
    from _web_conftest import clean_report, to_review  # registered by tests/security/conftest.py

    to_review(db, world.report_id, world.ids["clerk"], clean_report())
    reviewer = browser("reviewer")
    for url in (f"/review/{world.report_id}", "/review", "/admin"):
        r = browser("admin").get(url) if url == "/admin" else reviewer.get(url)
        assert r.status_code == 200, url
        _assert_headers(url, r)
        _assert_no_inline_script(url, r.text)


def test_unsafe_methods_and_redirects_carry_the_headers_too(app, world, browser):
    anonymous, clerk = browser(None), browser("lushaer")
    answers = {
        "anonymous POST → login": anonymous.client.post(f"/reports/{world.report_id}/edit", data={}),
        "403 without CSRF": clerk.client.post(f"/reports/{world.report_id}/submit", data={}),
        "405": clerk.client.delete("/reports"),
        "API 401": anonymous.client.post(f"/api/reports/{world.report_id}/submit", json={}),
        "login redirect": clerk.get("/login"),
    }
    for what, r in answers.items():
        _assert_headers(what, r)


def test_a_server_error_page_carries_the_headers(app):
    @app.get("/test-boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/test-boom")
    assert r.status_code == 500
    _assert_headers("/test-boom", r)


def test_hsts_only_over_https(app, world):
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        for url in ("/login", "/static/app.css", "/public/", "/api/me"):
            _assert_headers(url, client.get(url), https=True)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        for url in ("/login", "/static/app.css"):
            _assert_headers(url, client.get(url), https=False)


def test_the_portal_allows_its_inline_style_but_no_inline_script():
    portal = policy_for("/public/reports/1/", "text/html; charset=utf-8")
    assert "style-src 'self' 'unsafe-inline'" in portal and "script-src 'self'" in portal
    app_pages = policy_for("/reports/1/edit", "text/html; charset=utf-8")
    assert "'unsafe-inline'" not in app_pages


def test_no_template_holds_inline_script():
    """Templates behind pages the test world does not reach (published reports, the exported site)."""
    checked = 0
    for folder in TEMPLATE_DIRS:
        for file in folder.rglob("*.html"):
            _assert_no_inline_script(str(file.relative_to(SRC)), file.read_text("utf-8"))
            checked += 1
    assert checked > 20


def test_the_exported_search_page_loads_its_filter_from_a_file():
    html = site.search_page("", [], site.Linker("search/", static=True))
    _assert_no_inline_script("export search/index.html", html)
    assert '<script src="../search.js"></script>' in html
    assert "addEventListener" in site.search_script()


def test_a_published_html_file_carries_its_own_policy():
    """Published report.html files are also served by other web servers (export-site) or opened from
    disk: the file itself forbids script."""
    page = (SRC / "publish" / "templates" / "standalone.html").read_text("utf-8")
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert meta and "default-src 'none'" in meta.group(1) and "script-src" not in meta.group(1)
