"""Point 8: weak passwords are refused wherever a password is set.

The attack: on the main of 2026-12-03 the admin user form took any password of 8 characters, "12345678"
or the user name included, and sent the whole form back empty on a mistake."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import csrf_of
from workflow.db.models import User
from workflow.services.accounts import MIN_PASSWORD_LENGTH, common_passwords, password_problems


@pytest.mark.parametrize(
    ("username", "password", "fragment"),
    [
        ("lushaer", "short1", "至少需要 10 个字符"),
        ("lushaer", "a" * (MIN_PASSWORD_LENGTH - 1), "至少需要 10 个字符"),
        ("administrator", "Administrator", "不能与用户名相同"),
        ("lushaer", "lushaer-2024!", "不能包含用户名"),
        ("lushaer", "woaini1314", "常见"),
        ("lushaer", "123456789a", "常见"),
        ("lushaer", "QWERTYUIOP", "常见"),
        ("lushaer", "1qaz2wsx3edc", "常见"),
    ],
)
def test_weak_passwords_are_refused(username: str, password: str, fragment: str) -> None:
    problems = password_problems(username, password)
    assert any(fragment in p for p in problems), problems


def test_a_good_password_passes() -> None:
    assert password_problems("lushaer", "湟中 season tea 7") == []
    assert password_problems("admin", "river-lamp-quiet-42") == []


def test_the_common_list_is_shipped_and_large() -> None:
    common = common_passwords()
    assert len(common) >= 5000
    assert {"123456", "password", "woaini1314", "qwertyuiop", "1qaz2wsx"} <= common


# The admin user form: each problem beside its field, what was typed kept (except the password).
FORM = {"username": "zhangsan", "display_name": "张三", "role": "submitter"}


def _field_error(html: str, field: str) -> str:
    m = re.search(rf'<span class="[^"]*field-error" id="{field}-error">([^<]*)</span>', html)
    return m.group(1) if m else ""


@pytest.mark.parametrize(
    ("password", "fragment"),
    [("duan-mima", "至少需要 10 个字符"), ("zhangsan", "不能与用户名相同"), ("woaini1314", "常见")],
)
def test_the_admin_form_refuses_a_weak_password_beside_the_field(world, browser, db, password, fragment):
    admin = browser("admin")
    r = admin.post("/admin/users", FORM | {"password": password, "body_id": str(world.ids["ours"])})
    assert r.status_code == 422
    assert fragment in _field_error(r.text, "password")
    assert 'value="zhangsan"' in r.text and 'value="张三"' in r.text  # kept
    assert f'value="{world.ids["ours"]}" selected' in r.text
    assert password not in r.text.replace("zhangsan", "")  # the password is not sent back
    with db.sessions() as s:
        assert s.query(User).filter_by(username="zhangsan").first() is None


def test_the_admin_form_shows_each_error_beside_its_own_field(world, browser):
    admin = browser("admin")
    r = admin.post("/admin/users", {"username": "lushaer", "password": "short", "role": "reviewer"})
    assert r.status_code == 422
    assert "已被使用" in _field_error(r.text, "username")
    assert "至少需要 10 个字符" in _field_error(r.text, "password")
    assert "辖区" in _field_error(r.text, "jurisdiction_id")


def test_the_admin_form_accepts_a_good_password(world, browser, db, app):
    admin = browser("admin")
    good = "湟中-春茶-2025-秋"
    r = admin.post("/admin/users", FORM | {"password": good, "body_id": str(world.ids["ours"])})
    assert r.status_code == 303
    with db.sessions() as s:
        assert s.query(User).filter_by(username="zhangsan").one().body_id == world.ids["ours"]
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "zhangsan", "password": good, "csrf_token": token})
    assert r.status_code == 303
