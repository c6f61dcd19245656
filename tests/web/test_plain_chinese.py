"""Plain Chinese everywhere (issue #15.9): every page a person reads, as every role, and every
message text, has no internal state names, row or column keys, rule-step numbers, negative
differences or other Latin identifiers outside code spans.

What may stay Latin, and why:
- inside <code>, <kbd>, <pre>, <script>, <style> and attribute values: not prose (URLs, ids, data);
- the product words below (file types, units, names people use in Chinese offices too);
- the rule catalog's ids (A1, G10 …): short references a clerk quotes to the office; they name a rule,
  the message beside them says what is wrong in words;
- e-mail addresses, URLs and file names (they are what they are).
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

import pytest

from tests.web.conftest import clean_report, to_review
from tests.web.test_authorization import ROLES, USERNAMES, _url, app_routes
from workflow.clock import SHANGHAI, FixedClock, set_clock
from workflow.db.models import Notification, ReportRow
from workflow.notify.render import environment, render_email
from workflow.rules.catalog import CATALOG
from workflow.services import drafts, review

ALLOWED_WORDS = {
    # file types and formats a clerk handles
    "PDF",
    "Word",
    "Excel",
    "CSV",
    "JSON",
    "XML",
    "RSS",
    "HTML",
    "WPS",
    "OFD",
    "docx",
    "doc",
    "xlsx",
    "xls",
    "pdf",
    "txt",
    "csv",
    "json",
    "zip",
    "png",
    # the programming interface and its tokens, named as their users name them
    "API",
    "Token",
    "Bearer",
    "Authorization",
    "OpenAPI",
    "HTTP",
    "HTTPS",
    "URL",
    "OA",
    "IP",
    "Prometheus",
    "Webhook",
    "webhook",
    "SMTP",
    "CSRF",
    # units and marks
    "KB",
    "MB",
    "GB",
    "px",
    "No",
}
ALLOWED_WORDS |= {"SHA-256", "Linux", "Windows", "macOS", "html", "htm"}  # checksum steps; file types
# What people chose or their browser sent: login names of the test district, the user agent.
DATA_WORDS = {"admin", "lushaer", "duoba", "reviewer", "far_reviewer", "dongguan", "testclient"}
# The API reference is for programmers: its schema and field names are the interface itself.
EXEMPT_PAGES = ("/docs",)
RULE_IDS = {r.id for r in CATALOG}
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
SKIP_TEXT_INSIDE = {"code", "kbd", "pre", "script", "style", "textarea", "template", "samp"}
NOT_PROSE = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+|/[\w\-./{}?=&%]+|\b[\w\-]+\.(docx|xlsx|pdf|csv|json|txt|html)\b"
)
# Exactly the leaks the issue lists, for a clear message when one comes back.
LEAKS = re.compile(r"行 [a-z_]+|列 [a-z_]+|当前状态：[a-z_]+|第-?\d+步|相差 -")


class Visible(HTMLParser):
    """The text a person reads: element text outside code spans; no attributes, no scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in SKIP_TEXT_INSIDE:
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TEXT_INSIDE and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def latin_words(text: str) -> list[str]:
    text = NOT_PROSE.sub(" ", text)
    return [w for w in LATIN.findall(text) if w not in ALLOWED_WORDS | DATA_WORDS and w not in RULE_IDS]


def visible_text(html: str) -> str:
    p = Visible()
    p.feed(html)
    return " ".join(p.parts)


def leaks_in(text: str, where: str) -> list[str]:
    found = [f"{where}: {m.group(0)!r}" for m in LEAKS.finditer(text)]
    words = sorted(set(latin_words(text)))
    if words:
        found.append(f"{where}: Latin words {words}")
    return found


@pytest.fixture
def lived_in(world, db):
    """鲁沙尔镇's report returned with comments (findings, decisions, a message); 多巴镇's draft with
    a missing row (a finding naming a row and a column), on a day before the deadline."""
    clock = FixedClock(datetime(2025, 1, 20, 9, 0, tzinfo=SHANGHAI))
    set_clock(clock)
    version = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    with db.sessions() as s:
        review.decide(
            s,
            report_id=world.report_id,
            reviewer_id=world.ids["reviewer"],
            decision="return",
            expected_version=version,
            reason_codes=["numbers"],
            comments={3: "请核对申请数量。"},
        )
    broken = clean_report(body_name="多巴镇人民政府")
    del broken.tables["t3"].rows["new"]
    with db.sessions() as s:
        rev = s.get(ReportRow, world.other_report_id).draft_revision
        drafts.save_draft(
            s, report_id=world.other_report_id, content=broken, expected_revision=rev, actor_id=None
        )
        s.add(
            Notification(
                user_id=world.ids["clerk"], title="2024年度报告截止前 3 个工作日提醒", body="请按时报送。"
            )
        )
        s.commit()
    yield world
    set_clock(None)


def _page_urls(app, world) -> list[str]:
    urls = []
    for method, path in app_routes(app):
        if method != "GET" or path.startswith(
            ("/api", "/static", "/metrics", "/healthz", "/openapi", *EXEMPT_PAGES)
        ):
            continue
        urls.append(_url(path, world))
    urls.append(f"/reports/{world.other_report_id}/edit")  # 多巴镇's draft with findings (its clerk)
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_plain_chinese(role, app, lived_in, browser):
    b = browser(USERNAMES[role])
    if role == "submitter_other":
        b = browser("duoba")
    problems: list[str] = []
    seen = 0
    for url in _page_urls(app, lived_in):
        r = b.get(url)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        seen += 1
        problems += leaks_in(visible_text(r.text), f"{role} {url}")
    assert seen >= 3, f"{role}: too few pages rendered ({seen})"
    assert not problems, "\n".join(problems)


def test_every_message_template_speaks_plain_chinese():
    names = sorted(
        {
            t.split("/")[1]
            for t in environment().list_templates()
            if t.startswith("email/") and t.count("/") == 2
        }
    )
    assert names, "no e-mail templates found"
    context = {
        "greeting": "鲁沙尔镇人民政府",
        "body_name": "鲁沙尔镇人民政府",
        "report_year": 2024,
        "reason": "报告尚未提交",
        "due_text": "2025年1月31日（星期五）",
        "internal_text": "2025年1月24日（星期五）",
        "link": "https://example.org/",
        "office_name": "湟中区政务公开办",
    }
    problems: list[str] = []
    for name in names:
        subject, text, html = render_email(name, context)
        problems += leaks_in(subject, f"{name} subject")
        problems += leaks_in(text, f"{name} text")
        problems += leaks_in(visible_text(html), f"{name} html")
    assert not problems, "\n".join(problems)


def test_the_words_for_a_difference_never_show_a_minus_sign():
    from workflow.web.templating import more_less

    assert more_less(-5) == "，少 5"
    assert more_less("5") == "，多 5"
    assert more_less("0") == ""
    assert more_less("2.50") == "，多 2.5"


def test_a_place_in_a_table_is_named_by_its_labels():
    from workflow.rules.engine import Locator

    assert (
        Locator(3, "t3", "new", "total").describe()
        == "第三部分 表三 “一、本年新收政府信息公开申请数量”行 “总计”列"
    )
    assert not leaks_in(Locator(2, "t2", "regulations", "issued").describe(), "t2")
