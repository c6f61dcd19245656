"""#13 point 6: CSRF tokens only in bodies or headers, never in URLs.

The attack: the upload form posted to /reports/N/upload?csrf_token=…, so the token landed in access
logs, proxies' logs and browser history, and a query-string token was accepted on every page route.
Now every page every role can open is scanned for a token in any link, form action or redirect; a
token in the query string is refused; the upload carries it in its multipart body, read once.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from _web_conftest import clean_report, to_review  # registered by tests/security/conftest.py

from workflow.db.models import ReportRow

LUSHAER = "/work/shared/corpus/lushaer_2024.txt"
TEMPLATES = Path(__file__).parents[2] / "src" / "workflow"
URL_ATTR = re.compile(r"""\b(?:href|action|src|formaction)\s*=\s*["']([^"']*)["']""", re.I)


def _authorization_table():
    path = Path(__file__).parents[1] / "web" / "test_authorization.py"
    spec = importlib.util.spec_from_file_location("_authz_table_csrf", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AUTHZ = _authorization_table()


def _urls_leaking(html: str, token: str) -> list[str]:
    return [u for u in URL_ATTR.findall(html) if "csrf" in u.lower() or (token and token in u)]


def _row(db, report_id: int) -> ReportRow:
    with db.sessions() as s:
        return s.get(ReportRow, report_id)


@pytest.mark.parametrize("who", ["lushaer", "reviewer", "admin", None])
def test_no_page_puts_the_token_in_a_url(app, world, browser, db, who):
    if who == "reviewer":  # a report in review: the review page with its decision form
        to_review(db, world.report_id, world.ids["clerk"], clean_report())
    b = browser(who)
    token = b.csrf
    urls = [AUTHZ._url(p, world) for m, p in AUTHZ.app_routes(app) if m == "GET"]
    pages = 0
    for url in urls:
        r = b.get(url)
        assert token == "" or token not in r.headers.get("location", ""), url
        if r.headers.get("content-type", "").startswith("text/html"):
            assert not _urls_leaking(r.text, token), (url, _urls_leaking(r.text, token))
            pages += 1
    assert pages > 5


def test_the_form_page_with_warnings_and_upload_form_keeps_the_token_in_the_body(world, browser):
    clerk = browser("lushaer")
    page = clerk.get(f"/reports/{world.report_id}/edit").text
    assert not _urls_leaking(page, clerk.csrf)
    upload = re.search(
        r'<form method="post" action="([^"]*)" enctype="multipart/form-data".*?</form>', page, re.S
    )
    assert upload, "no upload form"
    assert upload.group(1) == f"/reports/{world.report_id}/import"  # shown before it replaces (#15.2)
    assert f'name="csrf_token" value="{clerk.csrf}"' in upload.group(0)


def test_no_template_builds_a_url_with_the_token():
    for folder in ("web/templates", "portal/templates", "publish/templates"):
        for file in (TEMPLATES / folder).rglob("*.html"):
            text = file.read_text("utf-8")
            for url in URL_ATTR.findall(text):
                assert "csrf" not in url.lower(), f"{file}: {url}"


def test_a_token_in_the_query_string_is_refused(world, browser, db):
    clerk = browser("lushaer")
    before = _row(db, world.report_id)
    with open(LUSHAER, "rb") as fh:
        r = clerk.client.post(
            f"/reports/{world.report_id}/upload?csrf_token={clerk.csrf}",
            files={"file": ("lushaer_2024.txt", fh, "text/plain")},
            data={"revision": str(before.draft_revision)},
        )
    assert r.status_code == 403 and "安全校验失败" in r.text
    r = clerk.client.post(f"/reports/{world.report_id}/submit?csrf_token={clerk.csrf}")
    assert r.status_code == 403
    assert _row(db, world.report_id).draft_revision == before.draft_revision


def test_the_upload_works_with_the_token_in_its_body(world, browser, db):
    clerk = browser("lushaer")
    before = _row(db, world.report_id)
    with open(LUSHAER, "rb") as fh:
        r = clerk.client.post(
            f"/reports/{world.report_id}/upload",
            files={"file": ("lushaer_2024.txt", fh, "text/plain")},
            data={"revision": str(before.draft_revision), "csrf_token": clerk.csrf},
        )
    # Accepted: the upload is parsed and shown as a preview; nothing changes until it is confirmed.
    assert r.status_code == 303 and "/import?p=" in r.headers["location"], r.text[:300]
    pending = r.headers["location"].split("p=", 1)[1]
    assert _row(db, world.report_id).draft_revision == before.draft_revision
    r = clerk.post(f"/reports/{world.report_id}/import/confirm", {"pending": pending})
    assert r.status_code == 200 and "已从“lushaer_2024.txt”导入" in r.text
    assert _row(db, world.report_id).draft_revision == before.draft_revision + 1
    # ... and in a header set by a script (the JSON-style X-CSRF-Token), without the field.
    with open(LUSHAER, "rb") as fh:
        r = clerk.client.post(
            f"/reports/{world.report_id}/upload",
            files={"file": ("lushaer_2024.txt", fh, "text/plain")},
            data={"revision": str(before.draft_revision + 1)},
            headers={"X-CSRF-Token": clerk.csrf},
        )
    assert r.status_code == 303 and "/import?p=" in r.headers["location"], r.text[:300]


def test_a_huge_upload_with_its_token_in_the_body_is_refused_by_size(world, browser, db):
    """The CSRF check reads the multipart body with the upload's running count (a 60 MB stream is
    refused past the limit, 2 MB here, with the upload's own message); the upload route then takes
    the same parse (a second read of the stream would fail: the upload tests above pass)."""
    clerk = browser("lushaer")
    before = _row(db, world.report_id)

    def body():
        yield (
            b'--xyz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            + clerk.csrf.encode()
            + b"\r\n"
        )
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        for _ in range(60):
            yield b"1" * (1024 * 1024)

    r = clerk.client.post(
        f"/reports/{world.report_id}/upload",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert r.status_code == 413 and "文件过大" in r.text and "重新上传" in r.text
    assert _row(db, world.report_id).draft == before.draft
