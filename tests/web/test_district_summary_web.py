"""The district summary's routes: who sees which jurisdiction, the downloads, the draft button."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from workflow.db.models import Jurisdiction, ReportRow


def test_a_reviewer_sees_only_their_own_jurisdiction(world, browser, db) -> None:
    with db.sessions() as s:
        far = s.query(Jurisdiction).filter_by(name="西宁市城东区").one().id
        home = s.query(Jurisdiction).filter_by(name="西宁市湟中区").one().id
    reviewer = browser("reviewer")
    page = reviewer.get("/admin/summary")
    assert page.status_code == 200 and "西宁市湟中区 2024 年度" in page.text
    assert "生成西宁市湟中区人民政府本级报告草稿" not in page.text  # the admin's button only
    refused = reviewer.get(f"/admin/summary?j={far}")
    assert refused.status_code == 403 and "本辖区" in refused.text
    assert reviewer.get(f"/admin/summary.xlsx?j={far}").status_code == 403
    assert reviewer.post("/admin/summary/draft", {"year": "2024", "j": str(home)}).status_code == 403
    admin = browser("admin")
    other = admin.get(f"/admin/summary?j={far}")
    assert other.status_code == 200 and "西宁市城东区 2024 年度" in other.text
    assert admin.get("/admin/summary?year=1999").status_code == 422
    assert admin.get("/admin/summary?year=2031").status_code == 404


def test_downloads_and_the_draft_button(world, browser, db) -> None:
    admin = browser("admin")
    xlsx = admin.get("/admin/summary.xlsx?year=2024")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    wb = load_workbook(BytesIO(xlsx.content))
    assert wb.sheetnames == ["全区汇总", "按单位类型", "需关注的单位"]
    svg = admin.get("/admin/summary/chart.svg?year=2024")
    assert svg.headers["content-type"].startswith("image/svg+xml") and svg.text.startswith("<svg")
    with db.sessions() as s:
        home = s.query(Jurisdiction).filter_by(name="西宁市湟中区").one().id
    made = admin.post("/admin/summary/draft", {"year": "2024", "j": str(home)})
    assert made.status_code == 303 and made.headers["location"].endswith("/edit")
    report_id = int(made.headers["location"].split("/")[2])
    with db.sessions() as s:
        row = s.get(ReportRow, report_id)
        assert row is not None and row.body.name == "西宁市湟中区人民政府" and row.state == "draft"
    form = admin.get(made.headers["location"])
    assert form.status_code == 200 and "已按汇总数字生成本级报告草稿" in form.text
    # again: the same report, updated
    again = admin.post("/admin/summary/draft", {"year": "2024", "j": str(home)})
    assert again.headers["location"] == made.headers["location"]
