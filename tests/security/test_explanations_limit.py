"""#13: one limit for a warning's explanation, from one place, on every way in.

The attack: the web form stored a 100,000-character explanation where the JSON API stopped at 5,000
(two limits, and the form had none): a reviewer's page carried whatever anyone pasted.  Now the
service refuses anything over drafts.EXPLANATION_MAX_CHARS with one message, which the form shows
beside the text it keeps on screen, and the API returns as its detail.
"""

from __future__ import annotations

import html
import re

import pytest
from _web_conftest import clean_report  # registered by tests/security/conftest.py
from sqlalchemy import func, select

from workflow.db.models import ReportRow, WarningExplanation
from workflow.rules.catalog import validate
from workflow.services import drafts
from workflow.services.errors import ServiceError

pytestmark = pytest.mark.both_backends
LIMIT = drafts.EXPLANATION_MAX_CHARS


def _warning_key(db, report_id: int, actor_id: int) -> str:
    """A draft with one warning to explain (a vague figure in section 一)."""
    content = clean_report()
    content.sections[1].text += "全年主动公开政府信息300余条。"
    with db.sessions() as s:
        rev = s.get(ReportRow, report_id).draft_revision
        drafts.save_draft(s, report_id=report_id, content=content, expected_revision=rev, actor_id=actor_id)
    warnings = validate(content).warnings
    assert warnings
    return warnings[0].key


def _stored(db, report_id: int) -> dict[str, str]:
    with db.sessions() as s:
        rows = s.scalars(select(WarningExplanation).where(WarningExplanation.report_id == report_id))
        return {r.finding_key: r.text for r in rows}


def test_the_limit_is_5000_characters():
    assert LIMIT == 5000


def test_the_web_form_refuses_a_long_explanation_and_keeps_it_on_screen(world, browser, db):
    key = _warning_key(db, world.report_id, world.ids["clerk"])
    clerk = browser("lushaer")
    typed = "这是一段很长的说明，" * 10_000  # 100,000 characters
    r = clerk.post(f"/reports/{world.report_id}/explain", {"finding_key": key, "text": typed})
    assert r.status_code == 422
    assert f"说明不能超过 {LIMIT} 字" in r.text and "100000" in r.text and "删减" in r.text
    box = re.search(
        rf'<li [^>]*class="explain" data-key="{re.escape(html.escape(key))}".*?<textarea[^>]*>(.*?)</textarea>',
        r.text,
        re.S,
    )
    assert box and html.unescape(box.group(1)) == typed  # every character kept in its own box
    assert _stored(db, world.report_id) == {}


def test_the_web_form_takes_an_explanation_at_the_limit(world, browser, db):
    key = _warning_key(db, world.report_id, world.ids["clerk"])
    clerk = browser("lushaer")
    text = "核" * LIMIT
    r = clerk.post(f"/reports/{world.report_id}/explain", {"finding_key": key, "text": text})
    assert r.status_code == 303
    assert _stored(db, world.report_id) == {key: text}
    page = clerk.get(f"/reports/{world.report_id}/edit").text
    assert f"不超过 {LIMIT} 字" in page  # the form says the limit before anyone hits it


def test_the_api_gives_the_same_limit_and_message(world, browser, db):
    key = _warning_key(db, world.report_id, world.ids["clerk"])
    clerk = browser("lushaer")
    url = f"/api/reports/{world.report_id}/explanations"
    r = clerk.api("POST", url, json={"finding_key": key, "text": "说" * (LIMIT + 1)})
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"说明不能超过 {LIMIT} 字")
    assert _stored(db, world.report_id) == {}
    r = clerk.api("POST", url, json={"finding_key": key, "text": "说" * LIMIT})
    assert r.status_code == 200, r.text
    spec = clerk.get("/openapi.json").json()["components"]["schemas"]["ExplanationIn"]
    assert spec["properties"]["text"]["maxLength"] == LIMIT  # documented from the same constant


def test_the_service_is_the_one_place(world, db):
    key = _warning_key(db, world.report_id, world.ids["clerk"])
    with db.sessions() as s, pytest.raises(ServiceError) as exc:
        drafts.explain_warning(
            s, report_id=world.report_id, finding_key=key, text="x" * (LIMIT + 1), actor_id=None
        )
    assert exc.value.code == 422 and f"不能超过 {LIMIT} 字" in exc.value.message
    with db.sessions() as s:
        n = s.scalar(select(func.count()).select_from(WarningExplanation))
    assert n == 0


def test_a_form_field_over_a_megabyte_gets_a_chinese_answer(world, browser, db):
    """Past 1 MB in one field the form parser itself refuses (before any route): the page says so in
    the interface's language and what to do next, not in the parser's English."""
    key = _warning_key(db, world.report_id, world.ids["clerk"])
    clerk = browser("lushaer")
    r = clerk.post(f"/reports/{world.report_id}/explain", {"finding_key": key, "text": "说" * 400_000})
    assert r.status_code == 400
    assert "提交的内容过长" in r.text and "删减后重新提交" in r.text and "exceeded" not in r.text
    assert _stored(db, world.report_id) == {}
