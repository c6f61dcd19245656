"""Passwords, CSRF tokens and the client address sign-in throttling counts by.

Passwords are argon2 hashes (argon2-cffi).  The CSRF token lives in the signed session and is sent
back in every form (hidden field ``csrf_token``) or, for the JSON API, in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request

_hasher = PasswordHasher()

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def client_address(request: Request) -> str:
    """The address sign-in throttling counts by: the connection's peer.  Behind a reverse proxy uvicorn
    (run with proxy_headers) puts X-Forwarded-For's client there, but only when the proxy's address is in
    FORWARDED_ALLOW_IPS (default 127.0.0.1): a header sent by anybody else is not believed."""
    return request.client.host if request.client else "unknown"


def csrf_token(request: Request) -> str:
    """The token forms and the JSON API send back: the signed-in session's own (kept in its row, see
    workflow.web.sessions); before sign-in, one in the signed cookie for the sign-in form; none for a
    request authenticated by an API token (a browser never sends one by itself)."""
    signin = getattr(request.state, "signin", None)
    if signin is not None:
        return str(signin.csrf)
    if getattr(request.state, "api_token", None) is not None:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def _matches(request: Request, sent: str | None) -> bool:
    """`sent` is the token of the session the request is signed in with (before sign-in: the cookie's)."""
    signin = getattr(request.state, "signin", None)
    expected = signin.csrf if signin is not None else request.session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


async def require_csrf(request: Request) -> None:
    """Dependency for the HTML routes: unsafe methods must carry the session's token."""
    if request.method in SAFE_METHODS:
        return
    # The token comes in the body (or a header set by script), never in the URL: a query string ends
    # up in access logs, browser history and Referer headers.
    sent = request.headers.get(CSRF_HEADER)
    kind = request.headers.get("content-type", "")
    if not sent and kind.startswith("application/x-www-form-urlencoded"):
        sent = str((await request.form()).get(CSRF_FIELD) or "")
    elif not sent and kind.startswith("multipart/form-data"):
        from workflow.web.upload import Upload, multipart_form  # read once, shared with the upload

        form = await multipart_form(request)
        if isinstance(form, Upload):  # too large to read: refused before anything else looks at it
            raise HTTPException(form.status, form.error + "请返回上一页，选择较小的文件后重新上传。")
        sent = str(form.get(CSRF_FIELD) or "")
    if not _matches(request, sent):
        raise HTTPException(403, "页面已过期或来源不明（安全校验失败），请刷新页面后重试。")


async def require_csrf_header(request: Request) -> None:
    """Dependency for the JSON API: the token travels in a header a cross-site form cannot set."""
    if request.method in SAFE_METHODS:
        return
    if not _matches(request, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, "缺少或错误的 X-CSRF-Token 请求头")
