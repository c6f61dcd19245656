"""Point 8: weak passwords are refused wherever a password is set (the policy itself here)."""

from __future__ import annotations

import pytest

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
