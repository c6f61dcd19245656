"""axe-core on every clerk page (issue #15, acceptance): the report list, the form (with findings and
warnings to explain), the status page (with a return and its comments), 消息, 历史版本 and one saved
revision — no serious or critical violation.  (The import preview is checked in test_form_import.)"""

from __future__ import annotations

import os
import random
import re
from datetime import datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from workflow.clock import SHANGHAI, FixedClock, set_clock
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import ReportRow
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import checks, drafts, review, submission
from workflow.services.accounts import cached_hash

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# WORKFLOW_SCREENSHOTS=1 refreshes the README's screenshots; otherwise they go with the test artifacts.
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("WORKFLOW_SCREENSHOTS") == "1" else "test-artifacts/e2e"
)


@pytest.fixture
def returned(db, live_server):
    """鲁沙尔镇's 2026 report, submitted, returned with comments, now a draft with warnings."""
    set_clock(FixedClock(datetime(2027, 1, 25, 9, 0, tzinfo=SHANGHAI)))  # after the sample's 落款日期
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        body = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        season = make_season(s, 2026)
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
        ids = (body.id, season.id, clerk.id, reviewer.id)
    content = sample_report(random.Random(7), year=2026, body_name="鲁沙尔镇人民政府")
    content.sections[1].text += "全年主动公开政府信息300余条。"
    content.table("t2").set("normative", "issued", 3)
    with db.sessions() as s:
        rid = drafts.create_report(s, body_id=ids[0], season_id=ids[1], actor_id=ids[2], content=content)
        for f in validate(content).warnings:
            drafts.explain_warning(s, report_id=rid, finding_key=f.key, text="已核实。", actor_id=ids[2])
        version_id = submission.submit(s, report_id=rid, actor_id=ids[2])
        checks.run_checks(s, version_id=version_id)
    with db.sessions() as s:
        version = s.get(ReportRow, rid).latest_version
        review.decide(
            s,
            report_id=rid,
            reviewer_id=ids[3],
            decision="return",
            expected_version=version,
            reason_codes=["numbers"],
            comments={2: "主动公开的数字请与门户网站核对。"},
        )
    yield rid
    set_clock(None)


def test_no_serious_violation_on_any_clerk_page(live_server, chromium, returned):
    base = live_server
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "lushaer")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/reports$"))
    axe = Axe()
    bad: dict[str, list] = {}
    pages = [
        "/reports",
        f"/reports/{returned}/edit",
        f"/reports/{returned}",
        "/messages",
        f"/reports/{returned}/history",
        f"/reports/{returned}/history/1",
    ]
    for url in pages:
        page.goto(base + url)
        page.wait_for_load_state()
        assert page.locator("h1").count() >= 1, url
        found = axe.run(page).response["violations"]
        serious = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in found
            if v.get("impact") in ("serious", "critical")
        ]
        if serious:
            bad[url] = serious
    # The pages say what a clerk needs: the due date everywhere, the return in 消息.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(base + "/messages")
    assert "被退回修改" in page.inner_text("#messages")
    assert "截止日期" in page.inner_text("#deadline")
    assert page.inner_text("#nav-unread") == "1"
    page.screenshot(path=str(SCREENSHOTS / "clerk-messages.png"))
    page.goto(base + "/reports")
    page.screenshot(path=str(SCREENSHOTS / "clerk-reports.png"))
    context.close()
    assert not bad, bad
