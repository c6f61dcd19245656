"""Who is signed in: the server-side session behind the `wf_session` cookie (issue #13).

The cookie holds only a random key (HttpOnly, SameSite=Lax, Secure over https); the row in
`web_sessions` (workflow.services.sessions) holds its hash, the user, when it began and was last used,
the address and client it began from, and the session's CSRF token.  Ending a session deletes the row,
so a cookie replayed after logout, a password or role change or a disabled account is refused.

A page view does not write: the row (with its user) is read at most once per CACHE_SECONDS and process,
in a thread, by one request while the others wait for the same read; `last_seen_at` is written at most
once per TOUCH_SECONDS per session, after the response.  Ending a session in this process drops it from
the cache at once; another web process notices within CACHE_SECONDS.

Data that is not about who is signed in — the one-shot flash message, and the sign-in form's CSRF
token before anyone is signed in — stays in Starlette's signed cookie (`wf_ui`), so an anonymous
request never writes to the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import anyio.to_thread
import sqlalchemy.exc
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import now
from workflow.db.models import ApiToken, User
from workflow.services import sessions as session_rows
from workflow.services import tokens as token_rows

log = logging.getLogger(__name__)

SESSION_COOKIE = "wf_session"  # the random key of the server-side session
UI_COOKIE = "wf_ui"  # Starlette's signed cookie: flash message, the anonymous sign-in form's CSRF token
CACHE_SECONDS = 2.0
TOUCH_SECONDS = 60.0
MAX_KEY_LENGTH = 100  # our keys are 43 characters; anything much longer is not one of ours

K = TypeVar("K")
V = TypeVar("V")


class BriefCache(Generic[K, V]):
    """Per-process, single-flight cache of database reads, each kept `ttl` seconds.

    The read runs in the thread pool (no database work on the event loop); requests that arrive
    while it runs wait for the same read instead of each starting one (a reviewer's 25 concurrent page
    views at an expiry are one read, not 25)."""

    def __init__(self, sessions: sessionmaker[Session], ttl: float) -> None:
        self._sessions = sessions
        self._items: dict[K, tuple[float, V | None]] = {}
        self._loading: dict[K, asyncio.Task[V | None]] = {}
        self.ttl = ttl

    async def get(self, key: K) -> V | None:
        hit = self._items.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        task = self._loading.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(anyio.to_thread.run_sync(self._load_and_keep, key))
            self._loading[key] = task
            task.add_done_callback(lambda _t: self._loading.pop(key, None))
        return await asyncio.shield(task)  # a client that goes away does not cancel the others' read

    def _load_and_keep(self, key: K) -> V | None:
        value = self.load(key)
        if len(self._items) > 10_000:
            self._items.clear()
        self._items[key] = (time.monotonic(), value)
        return value

    def load(self, key: K) -> V | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def forget(self, key: K) -> None:
        self._items.pop(key, None)

    def forget_where(self, test: Callable[[V], bool]) -> None:
        for key, (_t, value) in list(self._items.items()):
            if value is not None and test(value):
                self._items.pop(key, None)


@dataclass
class Signin:
    """A live session as the cache keeps it (the user object belongs to no request's session)."""

    key_hash: str
    session_id: int
    user: User
    created_at: datetime
    last_seen_at: datetime
    csrf: str


class SigninCache(BriefCache[str, Signin]):
    def __init__(self, sessions: sessionmaker[Session], ttl: float = CACHE_SECONDS) -> None:
        super().__init__(sessions, ttl)

    def load(self, key: str) -> Signin | None:
        with self._sessions() as db:
            found = session_rows.lookup(db, key)
            db.commit()
        if found is None:
            return None
        row, user = found
        return Signin(key, row.id, user, row.created_at, row.last_seen_at, str(row.data.get("csrf", "")))

    def forget_user(self, user_id: int) -> None:
        self.forget_where(lambda s: s.user.id == user_id)


@dataclass
class TokenUse:
    token: ApiToken
    user: User
    last_audited: float = 0.0  # time.monotonic() of the last audit event written for it here


class TokenCache(BriefCache[str, TokenUse]):
    def __init__(self, sessions: sessionmaker[Session], ttl: float = CACHE_SECONDS) -> None:
        super().__init__(sessions, ttl)

    def load(self, key: str) -> TokenUse | None:
        with self._sessions() as db:
            found = token_rows.lookup(db, key)
            db.commit()
        if found is None:
            return None
        old = self._items.get(key)
        kept = old[1].last_audited if old and old[1] else 0.0
        return TokenUse(found[0], found[1], kept)

    def forget_user(self, user_id: int) -> None:
        self.forget_where(lambda t: t.user.id == user_id)

    def forget_token(self, token_id: int) -> None:
        self.forget_where(lambda t: t.token.id == token_id)


def forget_user(request: Request, user_id: int) -> None:
    """After ending a user's sessions or tokens: this process stops trusting its cached copies now."""
    request.app.state.users.forget_user(user_id)
    request.app.state.tokens.forget_user(user_id)


def idle_limit(request: Request) -> timedelta:
    return timedelta(seconds=request.app.state.idle_seconds)


def lifetime_limit(request: Request) -> timedelta:
    return timedelta(seconds=request.app.state.session_seconds)


def client_address(request: Request) -> str:
    """The connection's peer (behind a trusted reverse proxy, uvicorn's proxy_headers put the client there)."""
    return request.client.host if request.client else ""


def client_name(request: Request) -> str:
    return request.headers.get("user-agent", "")[:300]


def cookie_key(request: Request) -> str | None:
    key = request.cookies.get(SESSION_COOKIE)
    return key if key and len(key) <= MAX_KEY_LENGTH else None


def current_signin(request: Request) -> Signin | None:
    """The session this request was authenticated by (set by workflow.web.deps), if any."""
    return getattr(request.state, "signin", None)


async def signin_of(request: Request) -> tuple[Signin | None, bool]:
    """The live session of this request's cookie, and whether its last_seen should be written now.

    Expired sessions (idle, or past their lifetime) count as ended; their rows go at a later sign-in."""
    key = cookie_key(request)
    if key is None:
        return None, False
    signin: Signin | None = await request.app.state.users.get(session_rows.key_hash(key))
    if signin is None or not signin.user.is_active:
        return None, False
    at = now()
    idle = (at - signin.last_seen_at).total_seconds()
    if idle > request.app.state.idle_seconds or at - signin.created_at > lifetime_limit(request):
        return None, False
    touch = idle > TOUCH_SECONDS
    if touch:
        signin.last_seen_at = at  # the cached copy: this process's other requests need not touch it
    return signin, touch


def touch_later(sessions: sessionmaker[Session], session_id: int, at: datetime) -> None:
    """Write last_seen_at (run after the response; a busy database only costs the update)."""
    try:
        with sessions() as db:
            session_rows.touch(db, session_id, at)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        log.warning("could not record the use of session %s: %s", session_id, exc)


def set_cookie(request: Request, response: Response, key: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=int(request.app.state.session_seconds),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.base_url.startswith("https://"),
    )


def clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.base_url.startswith("https://"),
    )


def start(db: Session, request: Request, user_id: int) -> str:
    """A new session row for `user_id` in `db`'s open write transaction; the key for the cookie."""
    return session_rows.start(
        db,
        user_id=user_id,
        address=client_address(request),
        client=client_name(request),
        idle=idle_limit(request),
        lifetime=lifetime_limit(request),
    )
