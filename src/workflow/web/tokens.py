"""`Authorization: Bearer <token>` for the JSON API (issue #13): no cookie, no CSRF token.

A browser never sends this header by itself, so a cross-site page cannot use a token (no CSRF check is
needed).  Every use is audited as an `api_token_used` event: each unsafe request (PUT/POST/DELETE…)
writes one before the request is served, and reads write at most one per token per AUDIT_READS_EVERY
seconds and process (a script polling a list every second would otherwise write an event per second,
and a read would wait for the write lock).  A revoked, expired or otherwise unusable token gets 401
with a Chinese message saying what to do.
"""

from __future__ import annotations

import logging
import time

import anyio.to_thread
import sqlalchemy.exc
from fastapi import HTTPException, Request

from workflow.clock import now
from workflow.db.models import User
from workflow.services import tokens as token_rows
from workflow.web.security import SAFE_METHODS
from workflow.web.sessions import TokenUse

log = logging.getLogger(__name__)

AUDIT_READS_EVERY = 60.0
MAX_TOKEN_LENGTH = 200
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _refuse(message: str) -> HTTPException:
    return HTTPException(401, message, headers=CHALLENGE)


def bearer_of(header: str) -> str:
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_TOKEN_LENGTH or " " in value:
        raise _refuse("Authorization 请求头格式应为：Bearer <令牌>（令牌在“我的账户”页面创建）。")
    return value


async def token_user(request: Request, header: str) -> User:
    """The user the request's bearer token acts for, after auditing its use; 401 otherwise."""
    token = bearer_of(header)
    use: TokenUse | None = await request.app.state.tokens.get(token_rows.token_hash(token))
    problem = token_rows.problem(use.token if use else None, use.user if use else None, now())
    if problem or use is None:
        raise _refuse(problem)
    unsafe = request.method not in SAFE_METHODS
    if unsafe or time.monotonic() - use.last_audited >= AUDIT_READS_EVERY:
        use.last_audited = time.monotonic()
        try:
            await anyio.to_thread.run_sync(_audit, request, use)
        except sqlalchemy.exc.SQLAlchemyError:
            if unsafe:
                raise  # no write goes unaudited: the caller gets "busy" (503) and may retry
            use.last_audited = 0.0
            log.warning("could not audit a read with API token %s", use.token.id)
    request.state.user = use.user
    request.state.api_token = use.token
    return use.user


def _audit(request: Request, use: TokenUse) -> None:
    with request.app.state.sessions() as db:
        token_rows.record_use(
            db,
            token_id=use.token.id,
            user_id=use.user.id,
            body_id=use.user.body_id,
            method=request.method,
            path=request.url.path,
        )
