"""Narrative text with markup or template syntax is shown as text on every page."""

from __future__ import annotations

import re

from conftest import clean_report, to_review

from workflow.domain.model import Section

SCRIPT = "<script>alert('x')</script>"
TEMPLATE = "{{ 7*7 }}{% if true %}yes{% endif %}"


def test_script_and_template_syntax_show_as_text_everywhere(world, browser, db):
    report = clean_report()
    for n in (1, 5, 6):
        s = report.sections[n]
        report.sections[n] = Section(s.title, s.text + f"\n注意：{SCRIPT} 以及 {TEMPLATE}")
    report.header.title += SCRIPT
    version = to_review(db, world.report_id, world.ids["clerk"], report)
    reviewer = browser("reviewer")
    r = reviewer.post(
        f"/review/{world.report_id}/decide",
        {"decision": "return", "version": str(version), "comment.5": f"请修改 {SCRIPT} {TEMPLATE}"},
    )
    assert r.status_code == 303, r.text[:400]
    clerk = browser("lushaer")
    admin = browser("admin")
    pages = [
        clerk.get(f"/reports/{world.report_id}/edit"),
        clerk.get(f"/reports/{world.report_id}"),
        reviewer.get(f"/review/{world.report_id}"),
        reviewer.get("/review?state=returned"),
        admin.get("/admin"),
    ]
    narrative_pages = pages[:3]  # the queue and the dashboard show no narrative text
    for page in pages:
        assert page.status_code == 200, page.url
        assert SCRIPT not in page.text, page.url
        # The only script tags are the site's own files (the CSP allows nothing else to run anyway).
        tags = re.findall(r"<script\b[^>]*>", page.text)
        assert all(re.search(r'src="/static/[\w.-]+\.js"', t) for t in tags), (page.url, tags)
    for page in narrative_pages:
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text, page.url
        assert "{{ 7*7 }}" in page.text and "{% if true %}yes{% endif %}" in page.text, page.url
        assert "请修改 &lt;script&gt;" in page.text or page.url.path.endswith("/edit"), page.url
    api = clerk.get(f"/api/reports/{world.report_id}").json()
    assert SCRIPT in api["draft"]["sections"]["5"]["text"]  # JSON keeps the text as written


def test_body_names_with_markup_are_escaped_on_admin_pages(world, browser):
    admin = browser("admin")
    r = admin.post("/admin/bodies", {"name": f"{SCRIPT}镇人民政府", "code": "evil", "jurisdiction_id": "1"})
    assert r.status_code == 303
    for url in ("/admin/bodies", "/admin"):
        page = admin.get(url)
        assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
