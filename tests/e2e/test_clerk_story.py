"""The timed story (issue #15, acceptance): a township clerk starts this year's report from last
year's published one, types this year's figures, explains the warnings and submits — in a real
browser.  It prints the page loads, the fields filled, the keystrokes and the seconds, for the
comparison with typing the same into the national Word template (see the issue's closing note).

The figures are a given set (a sample report for 2026, seeded); the clerk types only the cells whose
value differs from what the form already shows after the start from last year, as a person would.
"""

from __future__ import annotations

import random
import re
import time

import pytest
from playwright.sync_api import expect

from workflow.clock import SHANGHAI, FixedClock, set_clock
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import ReportRow
from workflow.domain.formats import FORMATS, format_for_year
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import checks, drafts, review, submission
from workflow.services.accounts import cached_hash

pytestmark = pytest.mark.slow
SAVED = re.compile(r"已保存 \d\d:\d\d")
WAIT_MS = 20_000


@pytest.fixture
def township(db, live_server):
    """鲁沙尔镇 with its 2025 report published (submitted, checked, approved, published inline) and
    an open 2026 season; the clock stands on 11 January 2027."""
    from datetime import datetime

    clock = FixedClock(datetime(2026, 2, 10, 9, 0, tzinfo=SHANGHAI))
    set_clock(clock)
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        body = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        last = make_season(s, 2025)
        make_season(s, 2026)
        clerk = make_user(
            s,
            "lushaer",
            body=body,
            display_name="鲁沙尔镇 信息公开专干",
            password_hash=cached_hash("demo1234"),
        )
        reviewer = make_user(
            s, "reviewer", role="reviewer", jurisdiction=home, password_hash=cached_hash("x")
        )
        s.commit()
        ids = {"body": body.id, "last": last.id, "clerk": clerk.id, "reviewer": reviewer.id}
    previous = sample_report(random.Random(3), year=2025, body_name="鲁沙尔镇人民政府")
    with db.sessions() as s:
        rid = drafts.create_report(
            s, body_id=ids["body"], season_id=ids["last"], actor_id=None, content=previous
        )
        for f in validate(previous).warnings:
            drafts.explain_warning(
                s, report_id=rid, finding_key=f.key, text="已核实。", actor_id=ids["clerk"]
            )
        version_id = submission.submit(s, report_id=rid, actor_id=ids["clerk"])
        checks.run_checks(s, version_id=version_id)
    for _ in range(3):  # every review stage approves; the last approval publishes (inline dispatcher)
        with db.sessions() as s:
            row = s.get(ReportRow, rid)
            if row.state != "in_review":
                break
            review.decide(
                s,
                report_id=rid,
                reviewer_id=ids["reviewer"],
                decision="approve",
                expected_version=row.latest_version,
            )
    with db.sessions() as s:
        assert s.get(ReportRow, rid).state == "published", "last year's report is published"
    clock.set(datetime(2027, 1, 11, 9, 0, tzinfo=SHANGHAI))
    yield previous
    set_clock(None)


def this_years_figures(previous) -> tuple[dict[str, str], dict[str, str]]:
    """The given set: every table cell of this year's report by the form's input name, and the
    sections' text (which states the year's figures) by the textarea's name."""
    figures = sample_report(random.Random(11), year=2026, body_name="鲁沙尔镇人民政府", previous=previous)
    # Two things the checker warns about and the clerk explains: a figure stated loosely in the text,
    # and normative documents issued while none is in force at the year's end.
    figures.sections[1].text += "全年主动公开政府信息300余条。"
    figures.table("t2").set("normative", "issued", 3)
    assert validate(figures).warnings, "the given figures raise warnings to explain"
    texts = {f"section.{n}.text": figures.section_text(n) for n in range(1, 7)}
    out: dict[str, str] = {}
    for table in FORMATS[format_for_year(2026)].tables:
        for row in table.rows:
            for col in row.columns:
                cell = figures.table(table.id).cell(row.key, col.key)
                out[f"cell.{table.id}.{row.key}.{col.key}"] = (cell.raw or "").strip() if cell else ""
    return out, texts


def test_a_clerk_fills_this_years_report_from_last_years(live_server, chromium, township, db):
    base = live_server
    figures, texts = this_years_figures(township)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    loads = {"n": 0}
    page.on("load", lambda _: loads.__setitem__("n", loads["n"] + 1))
    started = time.monotonic()

    page.goto(f"{base}/login")
    page.fill("input[name=username]", "lushaer")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/reports$"))
    assert "2026年度报告截止日期：2027年1月31日" in page.inner_text("#deadline")

    # Start from last year: the preview, then 确认导入.
    page.click("#last-year-2026")
    page.wait_for_url(re.compile(r"/import\?p="))
    page.click("#confirm-import")
    page.wait_for_load_state()
    assert "从上一年度报告带入了" in page.inner_text("main")
    carried = page.eval_on_selector_all(
        'input[name^="cell."]', "els => Object.fromEntries(els.map(e => [e.name, e.value.trim()]))"
    )

    # Type this year's figures where they differ from what the form shows.
    fields = keys = 0
    for name, value in figures.items():
        if name not in carried or carried[name] == value:
            continue
        selector = f'input[name="{name}"]'
        page.click(selector)
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        fields += 1
        keys += len(value) + 1  # the figure, and the move to the next cell
    # The sections' text: where this year's differs (the figures it states), the clerk replaces it.
    text_fields = text_chars = 0
    for name, value in texts.items():
        box = page.locator(f'textarea[name="{name}"]')
        if box.input_value().strip() == value.strip():
            continue
        box.fill(value)
        text_fields += 1
        text_chars += len(value)
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=WAIT_MS)
    page.click("#save-draft")  # saved and checked in full: the warnings panel lists what to explain
    page.wait_for_load_state()

    # Explain every warning, saved together.
    boxes = page.locator("#warnings textarea")
    explained = boxes.count()
    for i in range(explained):
        text = "数字已与办理台账核对无误。"
        boxes.nth(i).fill(text)
        fields += 1
        keys += len(text)
    if explained:
        page.click("#save-explanations")
        page.wait_for_load_state()

    page.click("#submit-report")
    page.wait_for_load_state()
    assert re.search(r"/reports/\d+$", page.url), (page.url, page.inner_text("main")[:3000])
    state = page.inner_text("#report-state")
    seconds = time.monotonic() - started
    cells = len(figures)
    print(
        f"\nSTORY: {loads['n']} page loads, {seconds:.1f} s; {fields} fields filled "
        f"({fields - explained} table cells of {cells}, {explained} explanations), {keys} keystrokes; "
        f"{text_fields} section texts replaced ({text_chars} characters)"
    )
    assert state != "草稿", page.content()[:2000]
    assert explained >= 1
    with db.sessions() as s:
        row = s.query(ReportRow).order_by(ReportRow.id.desc()).first()
        assert row.latest_version == 1 and row.state != "draft"
    context.close()
