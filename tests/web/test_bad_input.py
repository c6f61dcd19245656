"""Bad input: each gets a clear Chinese message, and nothing typed or stored is lost."""

from __future__ import annotations

import os
import re

from workflow.db.models import ReportRow
from workflow.web.forms import cell_name

LUSHAER = "/work/shared/corpus/lushaer_2024.txt"


def _row(db, report_id: int) -> ReportRow:
    with db.sessions() as s:
        return s.get(ReportRow, report_id)


def _form(page_html: str) -> dict[str, str]:
    """The report form's current fields, as a browser would post them."""
    fields = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', page_html))
    fields["revision"] = re.search(r'name="revision" value="(\d+)"', page_html).group(1)
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page_html, re.S):
        fields[name] = text
    fields["format"] = "2021"
    return fields


def test_fifty_megabyte_upload_is_refused_early(world, browser, db):
    b = browser("lushaer")
    before = _row(db, world.report_id)
    url = f"/reports/{world.report_id}/upload"
    big = b"0" * (50 * 1024 * 1024)
    r = b.client.post(
        url, files={"file": ("big.txt", big, "text/plain")}, data={"revision": "1", "csrf_token": b.csrf}
    )
    assert r.status_code == 413
    assert "文件过大" in r.text and "报告内容未改变" in r.text
    after = _row(db, world.report_id)
    assert after.draft_revision == before.draft_revision and after.draft == before.draft


def test_oversized_stream_without_length_is_cut_off(world, browser, db):
    b = browser("lushaer")
    before = _row(db, world.report_id)
    sent = {"n": 0}

    def body():
        boundary = b"--xyz\r\n"
        yield (
            boundary
            + b'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            + b.csrf.encode()
            + b"\r\n"
        )
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        for _ in range(60):  # 60 MB in 1 MB pieces, no Content-Length
            sent["n"] += 1
            yield b"1" * (1024 * 1024)

    url = f"/reports/{world.report_id}/upload"
    r = b.client.post(url, content=body(), headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert r.status_code == 413 and "文件过大" in r.text
    assert _row(db, world.report_id).draft == before.draft


def test_binary_file_is_rejected_with_a_message(world, browser, db):
    b = browser("lushaer")
    before = _row(db, world.report_id)
    url = f"/reports/{world.report_id}/upload"
    r = b.client.post(
        url,
        files={"file": ("report.docx", os.urandom(4096), "application/octet-stream")},
        data={"revision": str(before.draft_revision), "csrf_token": b.csrf},
    )
    assert r.status_code == 422
    assert "无法读取文件" in r.text
    assert _row(db, world.report_id).draft == before.draft


def test_letters_in_a_number_cell_are_kept_and_flagged_at_the_cell(world, browser, db):
    b = browser("lushaer")
    fields = _form(b.get(f"/reports/{world.report_id}/edit").text)
    name = cell_name("t3", "new", "natural")
    fields[name] = "十二件"
    fields["section.5.text"] = "我镇存在的问题：培训不足。"
    r = b.post(f"/reports/{world.report_id}/edit", fields)
    assert r.status_code == 303
    page = b.get(f"/reports/{world.report_id}/edit").text
    assert f'<input name="{name}" value="十二件"' in page
    cell = re.search(r'<td class="cell([^"]*)" data-cell="t3.new.natural".*?</td>', page, re.S)
    assert "has-error" in cell.group(1)
    assert "不是数字" in cell.group(0)
    assert "我镇存在的问题：培训不足。" in page


def test_saving_over_a_newer_version_keeps_both_texts(world, browser, db):
    me, colleague = browser("lushaer"), browser("lushaer")
    mine = _form(me.get(f"/reports/{world.report_id}/edit").text)
    theirs = _form(colleague.get(f"/reports/{world.report_id}/edit").text)
    theirs["section.1.text"] = "同事先保存的总体情况。"
    assert colleague.post(f"/reports/{world.report_id}/edit", theirs).status_code == 303
    mine["section.1.text"] = "我写的总体情况，不能丢。"
    r = me.post(f"/reports/{world.report_id}/edit", mine)
    assert r.status_code == 409
    assert "已被他人修改" in r.text and "没有覆盖" in r.text
    assert "我写的总体情况，不能丢。" in r.text
    stored = _row(db, world.report_id).draft
    assert stored["sections"]["1"]["text"] == "同事先保存的总体情况。"


def test_expired_session_leads_back_to_the_form_and_saves_nothing(world, browser, db, app):
    """The typed text is kept by the browser (static/app.js, tests/security/test_anonymous_writes.py):
    the server sends the clerk to sign in and back to the form, and stores nothing meanwhile."""
    b = browser("lushaer")
    fields = _form(b.get(f"/reports/{world.report_id}/edit").text)
    fields["section.5.text"] = "在会话过期前写下的一大段改进措施。"
    app.state.idle_seconds = -1  # the session expires while the clerk types
    r = b.post(f"/reports/{world.report_id}/edit", fields)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/reports/{world.report_id}/edit"
    login = b.get(r.headers["location"])
    assert "登录已超时" in login.text  # shown by the script when this browser kept the form
    app.state.idle_seconds = 3600
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    r = b.client.post(
        "/login",
        data={
            "username": "lushaer",
            "password": "demo1234",
            "csrf_token": token,
            "next": f"/reports/{world.report_id}/edit",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == f"/reports/{world.report_id}/edit"
    page = b.get(r.headers["location"])
    assert 'data-keep="report"' in page.text
    # Nothing was saved behind the clerk's back: the stored draft is still the old one.
    assert "在会话过期前" not in str(_row(db, world.report_id).draft)


def test_upload_fills_the_form_and_shows_errors_at_cells(world, browser):
    b = browser("lushaer")
    url = f"/reports/{world.report_id}/upload"
    with open(LUSHAER, "rb") as fh:
        r = b.client.post(
            url,
            files={"file": ("lushaer_2024.txt", fh, "text/plain")},
            data={"revision": "1", "csrf_token": b.csrf},
        )
    # Shown first as a preview (issue #15); confirmed, it fills the form.
    assert r.status_code == 303 and "/import?p=" in r.headers["location"], r.text[:300]
    preview = b.get(r.headers["location"])
    assert preview.status_code == 200 and "确认导入" in preview.text
    r = b.post(
        f"/reports/{world.report_id}/import/confirm", {"pending": r.headers["location"].split("p=", 1)[1]}
    )
    assert r.status_code == 200, r.text[:300]
    assert "已从“lushaer_2024.txt”导入" in r.text
    # A blank 表四 行政复议 group is one finding for its five cells (issue #14, class 7), shown at its
    # group (issue #15): above its first cell, and each of its cells marked and described by it.
    box = re.search(r'<div class="row-findings" id="row-t4-review">(.*?)</div>\s*</div>', r.text, re.S)
    assert box and "A1" in box.group(1) and "行政复议" in box.group(1)
    cell = re.search(r'<td class="cell([^"]*)" data-cell="t4.review.upheld".*?</td>', r.text, re.S)
    assert "has-error" in cell.group(1) and 'aria-describedby="row-t4-review-msg"' in cell.group(0)
    assert "2019年试行版格式" in r.text  # A5
    assert "鲁沙尔镇" in r.text


def test_nul_characters_are_refused_before_the_database(world, browser, db):
    """PostgreSQL text cannot hold U+0000: a query, form field or JSON string with one gets a 422."""
    b = browser("lushaer")
    before = _row(db, world.report_id).draft_revision
    r = b.api("GET", "/api/review/queue?state=%00")
    assert r.status_code == 422 and "NUL" in r.json()["detail"]
    r = b.api(
        "POST",
        f"/api/reports/{world.report_id}/explanations",
        json={"finding_key": "k", "text": "说明\u0000文字"},
    )
    assert r.status_code == 422 and "NUL" in r.json()["detail"]
    page = b.get(f"/reports/{world.report_id}/edit").text
    fields = _form(page) | {"section.1.text": "概述\x00"}
    r = b.post(f"/reports/{world.report_id}/edit", data=fields)
    assert r.status_code == 422 and "NUL" in r.text
    assert _row(db, world.report_id).draft_revision == before  # nothing stored
    # A JSON string that merely spells a backslash-u escape is ordinary text.
    r = b.api(
        "POST", f"/api/reports/{world.report_id}/explanations", json={"finding_key": "k", "text": "\\u0000"}
    )
    assert "NUL" not in r.text


def test_ids_beyond_the_database_range_are_refused(world, browser):
    b = browser("admin")
    assert b.get("/public/bodies/2147483648/").status_code == 422
    assert b.get(f"/reports/{2**40}").status_code == 422
