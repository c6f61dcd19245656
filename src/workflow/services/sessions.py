"""Server-side sessions of signed-in browsers: the rows behind the `wf_session` cookie (issue #13).

The cookie holds a random key; the table holds only its SHA-256, so a copy of the database (a backup)
signs nobody in.  A session ends by deleting its row: logout, "sign out everywhere", and every change
to the user that must end their sessions (workflow.services.accounts).  Idle and absolute expiry are
judged by the web layer from `last_seen_at` and `created_at`; expired rows are deleted at the next
sign-in of anybody (a write that happens anyway), so no page view writes for them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import User, WebSession
from workflow.db.session import begin_write

KEY_BYTES = 32  # 256 random bits in the cookie


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def start(
    session: Session,
    *,
    user_id: int,
    address: str,
    client: str,
    idle: timedelta,
    lifetime: timedelta,
) -> str:
    """A new session for `user_id`, in the caller's write transaction; returns the cookie's key.

    Sessions of anybody that are past their idle or absolute limit are deleted on the way."""
    at = now()
    session.execute(
        delete(WebSession).where(
            or_(WebSession.last_seen_at < at - idle, WebSession.created_at < at - lifetime)
        )
    )
    key = secrets.token_urlsafe(KEY_BYTES)
    session.add(
        WebSession(
            key_hash=key_hash(key),
            user_id=user_id,
            created_at=at,
            last_seen_at=at,
            address=address[:64],
            client=client[:300],
            data={"csrf": secrets.token_urlsafe(32)},
        )
    )
    session.flush()
    return key


def lookup(session: Session, hashed: str) -> tuple[WebSession, User] | None:
    """The session row with this key hash and its user (None when the session has ended)."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.key_hash == hashed)
    ).first()
    return (row[0], row[1]) if row else None


def end(session: Session, hashed: str) -> int | None:
    """End one session (in the caller's write transaction); the user id it belonged to, if any."""
    uid = session.scalar(select(WebSession.user_id).where(WebSession.key_hash == hashed))
    if uid is not None:
        session.execute(delete(WebSession).where(WebSession.key_hash == hashed))
    return uid


def end_all(session: Session, user_id: int) -> int:
    """End every session of `user_id` (in the caller's write transaction); how many there were."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def touch(session: Session, session_id: int, at: datetime) -> None:
    """Record that the session was used at `at` (its own short write transaction, committed here)."""
    begin_write(session)
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=at))
    session.commit()


def of_user(session: Session, user_id: int) -> list[WebSession]:
    return list(
        session.scalars(
            select(WebSession).where(WebSession.user_id == user_id).order_by(WebSession.last_seen_at.desc())
        )
    )
