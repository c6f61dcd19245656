"""Passwords, CSRF tokens and the failed-login backoff policy.

Passwords are argon2 hashes (argon2-cffi).  The CSRF token lives in the signed session and is sent
back in every form (hidden field ``csrf_token``) or, for the JSON API, in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request

_hasher = PasswordHasher()

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Failed logins allowed before the account is locked; each further failure doubles the wait.
FREE_ATTEMPTS = 5
MAX_LOCK = timedelta(hours=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def lock_for(failures: int) -> timedelta | None:
    """How long to lock the account after `failures` consecutive failed logins (None: not locked)."""
    if failures < FREE_ATTEMPTS:
        return None
    return min(timedelta(minutes=2 ** (failures - FREE_ATTEMPTS)), MAX_LOCK)


def minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 59) // 60)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def _matches(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


async def require_csrf(request: Request) -> None:
    """Dependency for the HTML routes: unsafe methods must carry the session's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
    if not sent and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        sent = str((await request.form()).get(CSRF_FIELD) or "")
    if not _matches(request, sent):
        raise HTTPException(403, "页面已过期或来源不明（安全校验失败），请刷新页面后重试。")


async def require_csrf_header(request: Request) -> None:
    """Dependency for the JSON API: the token travels in a header a cross-site form cannot set."""
    if request.method in SAFE_METHODS:
        return
    if not _matches(request, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, "缺少或错误的 X-CSRF-Token 请求头")
