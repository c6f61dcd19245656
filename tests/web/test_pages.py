"""Each role's pages render, and the main actions work through the forms."""

from __future__ import annotations

from workflow.web.forms import cell_name


def test_login_and_home_per_role(world, browser):
    for name, home in (("lushaer", "/reports"), ("reviewer", "/review"), ("admin", "/admin")):
        b = browser(name)
        r = b.get("/")
        assert r.status_code == 303 and r.headers["location"] == home
        page = b.get(home)
        assert page.status_code == 200, page.text
        assert "退出" in page.text


def test_form_renders_every_cell_of_the_2021_format(world, browser):
    b = browser("lushaer")
    page = b.get(f"/reports/{world.report_id}/edit")
    assert page.status_code == 200, page.text
    for row in ("new", "carried", "d8", "o3", "total", "forward"):
        assert f'name="{cell_name("t3", row, "natural")}"' in page.text
    assert f'name="{cell_name("t4", "after_review", "total")}"' in page.text
    assert 'name="section.5.text"' in page.text
    assert "申请人情况" in page.text and "法人或其他组织" in page.text


def test_status_review_admin_pages(world, browser):
    assert browser("lushaer").get(f"/reports/{world.report_id}").status_code == 200
    assert browser("reviewer").get(f"/review/{world.report_id}").status_code == 200
    admin = browser("admin")
    for url in ("/admin", "/admin/bodies", "/admin/seasons", "/docs", "/review"):
        r = admin.get(url)
        assert r.status_code == 200, (url, r.text[:500])
    x = admin.get("/admin/status.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
