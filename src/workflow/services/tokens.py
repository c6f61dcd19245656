"""Personal API tokens (issue #13): for a district's own systems and scripts.

A token is 256 random bits behind a recognisable prefix; only its SHA-256 is stored (a high-entropy
secret needs no slow hash), shown once to its owner.  It acts as its user, and only while the user is
active and keeps the role, body and jurisdiction the token was made with; it expires and can be revoked
by its owner or an administrator.  Its use is audited (`api_token_used`, see `record_use`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import ApiToken, User
from workflow.services import audit
from workflow.services.errors import NotFound, ServiceError
from workflow.services.lifecycle import transactional

PREFIX = "wfat_"
MAX_ACTIVE_PER_USER = 20
NAME_MAX = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def usable(token: ApiToken, at: datetime) -> bool:
    return token.revoked_at is None and token.expires_at > at


@dataclass(frozen=True)
class Created:
    token: str  # the secret itself: shown once, never stored
    row: ApiToken


@transactional
def create(session: Session, *, user_id: int, name: str, days: int, max_days: int) -> Created:
    """A new token for `user_id`, valid `days` days (1 – `max_days`)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ServiceError(f"请为令牌填写用途名称（1–{NAME_MAX} 个字符），例如“区OA系统同步”。", code=422)
    if not 1 <= days <= max_days:
        raise ServiceError(f"有效期应为 1 到 {max_days} 天，请重新选择。", code=422)
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("账户不存在或已停用。")
    at = now()
    active = session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > at
        )
    )
    if (active or 0) >= MAX_ACTIVE_PER_USER:
        raise ServiceError(
            f"您已有 {MAX_ACTIVE_PER_USER} 个有效令牌，请先撤销不再使用的令牌，再创建新的。", code=409
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=token_hash(secret),
        hint=secret[: len(PREFIX) + 6],
        role=user.role,
        body_id=user.body_id,
        jurisdiction_id=user.jurisdiction_id,
        created_at=at,
        expires_at=at + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "api_token_created",
        actor_id=user_id,
        body_id=user.body_id,
        token_id=row.id,
        token_name=name,
        expires=row.expires_at.isoformat(),
    )
    return Created(secret, row)


@transactional
def revoke(session: Session, *, token_id: int, actor: User) -> ApiToken:
    """Revoke a token: its owner or an administrator may (others get "not found", nothing leaks)."""
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.id and actor.role != "admin"):
        raise NotFound("令牌不存在或已被删除。")
    if row.revoked_at is None:
        row.revoked_at = now()
        row.revoked_by_id = actor.id
        audit.record(
            session,
            "api_token_revoked",
            actor_id=actor.id,
            token_id=row.id,
            token_name=row.name,
            owner_id=row.user_id,
        )
    return row


def revoke_all(session: Session, *, user_id: int, actor_id: int | None) -> int:
    """Revoke every token of `user_id`, in the caller's write transaction; how many were revoked."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_by_id=actor_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def lookup(session: Session, hashed: str) -> tuple[ApiToken, User] | None:
    """The token with this hash (`token_hash`) and its user, whatever its state (see `problem`)."""
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == hashed)
    ).first()
    return (row[0], row[1]) if row else None


def problem(token: ApiToken | None, user: User | None, at: datetime) -> str:
    """Why this token may not be used now, in words for the person running the script ("" = usable)."""
    again = "请在“我的账户”页面创建新的令牌。"
    if token is None or user is None:
        return "API 令牌无效：请检查是否完整复制；如已遗失，" + again
    if token.revoked_at is not None:
        return "API 令牌已被撤销，" + again
    if token.expires_at <= at:
        return f"API 令牌已于 {token.expires_at.astimezone(at.tzinfo):%Y-%m-%d %H:%M} 过期，" + again
    if not user.is_active:
        return "该令牌所属的账户已停用，请联系区政务公开办。"
    if (token.role, token.body_id, token.jurisdiction_id) != (user.role, user.body_id, user.jurisdiction_id):
        return "账户的角色或所属单位已变更，此令牌已失效，" + again
    return ""


@transactional
def record_use(
    session: Session, *, token_id: int, user_id: int, body_id: int | None, method: str, path: str
) -> None:
    """One audit event for a use of the token (the caller decides how often: see workflow.web.tokens)."""
    at = now()
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))
    audit.record(
        session,
        "api_token_used",
        actor_id=user_id,
        body_id=body_id,
        token_id=token_id,
        method=method,
        path=path[:200],
    )


def of_user(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc()))
    )


def all_tokens(session: Session, limit: int = 500) -> list[tuple[ApiToken, User]]:
    rows = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.id.desc())
        .limit(limit)
    )
    return [(t, u) for t, u in rows]
