"""Passwords for users: the policy every place that sets one applies, and argon2 hashing.

`password_problems` is the one password policy (admin user form, CLI, own-password change): at least
`MIN_PASSWORD_LENGTH` characters, not the user name nor containing it, not in the shipped list of common
passwords (src/workflow/data/common-passwords.txt).  The web layer's login uses verify_password.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10
# The sign-in form accepts at most this many characters, so a longer password could never be used.
MAX_PASSWORD_LENGTH = 200


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (read once per process)."""
    text = files("workflow").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(username: str, password: str) -> list[str]:
    """What is wrong with `password` for the user `username`, in words for the person typing it.

    An empty list means the password may be set.  Each message says what to do instead."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符（现在是 {len(password)} 个），请换一个更长的密码。"
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"密码最多 {MAX_PASSWORD_LENGTH} 个字符，请换一个短一些的密码。")
    name = username.strip().lower()
    lowered = password.lower()
    if name and lowered == name:
        problems.append("密码不能与用户名相同，请换一个。")
    elif len(name) >= 3 and name in lowered:
        problems.append("密码不能包含用户名，请换一个。")
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        problems.append("这是很常见的密码，容易被猜中，请换一个不常见的（例如几个不相关的词加数字）。")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=32)
def cached_hash(password: str) -> str:
    """Same password, same (salted) hash: for demo seeds and test factories that make many users."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
