"""#13 point 2 in a real browser: a form cut off by an expired session comes back from the browser's
own storage, to the user who typed it and to nobody else (headless chromium, static/app.js).

The session "expires" by losing its cookie: from the browser's side that is what an expired or
ended session is, and the server answers the post exactly as for any anonymous request.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from workflow.db.models import ReportRow

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location(
    "_e2e_conftest_keep", Path(__file__).parents[1] / "e2e" / "conftest.py"
)
assert _spec and _spec.loader
_e2e = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _e2e
_spec.loader.exec_module(_e2e)
live_server = _e2e.live_server
chromium = _e2e.chromium


def _sign_in(page, base: str, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _kept(page) -> list[str]:
    return page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('wf-keep:'))")


def _draft_text(db, report_id: int) -> str:
    with db.sessions() as s:
        return str(s.get(ReportRow, report_id).draft)


def test_the_typed_text_comes_back_to_its_author_only(live_server, chromium, world, db):
    base, rid = live_server, world.report_id
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login")
    _sign_in(page, base, "lushaer")
    page.goto(f"{base}/reports/{rid}/edit")
    assert page.get_attribute("body", "data-user-id") == str(world.ids["clerk"])
    mine = "会话过期前写下的整改措施，一个字也不能丢。"
    page.fill('textarea[name="section.5.text"]', mine)

    context.clear_cookies()  # the session is gone while the clerk types
    page.click("#save-draft")
    page.wait_for_url(f"{base}/login?next=/reports/{rid}/edit")
    assert page.is_visible("#expired-note")  # "登录已超时……重新登录后将自动恢复"
    assert _kept(page) == [f"wf-keep:{world.ids['clerk']}:/reports/{rid}/edit"]
    assert mine not in _draft_text(db, rid)  # the server kept nothing

    _sign_in(page, base, "lushaer")
    page.wait_for_url(f"{base}/reports/{rid}/edit")
    assert page.input_value('textarea[name="section.5.text"]') == mine
    assert page.is_visible("#restored-note")
    assert _kept(page) == []  # offered once, then dropped
    assert mine not in _draft_text(db, rid)  # restored on screen, not saved behind the clerk's back
    page.click("#save-draft")
    page.wait_for_load_state()
    assert mine in _draft_text(db, rid)

    # Another person signs in on the same browser after the clerk's session ended mid-typing: the
    # clerk's text stays bound to the clerk and is not put into the other person's form.
    page.goto(f"{base}/reports/{rid}/edit")
    theirs = "鲁沙尔镇专干的第二段文字。"
    page.fill('textarea[name="section.5.text"]', theirs)
    context.clear_cookies()
    page.click("#save-draft")
    page.wait_for_url(f"{base}/login?next=/reports/{rid}/edit")
    _sign_in(page, base, "admin")  # the administrator may open the same form
    page.wait_for_url(f"{base}/reports/{rid}/edit")
    assert page.get_attribute("body", "data-user-id") == str(world.ids["admin"])
    assert page.input_value('textarea[name="section.5.text"]') == mine  # the stored draft, not theirs
    assert not page.is_visible("#restored-note")
    assert _kept(page) == [f"wf-keep:{world.ids['clerk']}:/reports/{rid}/edit"]  # still the clerk's only

    # A crafted entry under the administrator's key with another user's id inside is not used either.
    entry = {
        "uid": world.ids["clerk"],
        "path": f"/reports/{rid}/edit",
        "form": "report",
        "interrupted": True,
        "fields": [["section.5.text", "伪造的内容"]],
    }
    key = f"wf-keep:{world.ids['admin']}:/reports/{rid}/edit"
    page.evaluate("([k, e]) => localStorage.setItem(k, JSON.stringify({...e, at: Date.now()}))", [key, entry])
    page.reload()
    assert page.input_value('textarea[name="section.5.text"]') == mine
    context.close()
