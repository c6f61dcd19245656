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
from sqlalchemy.orm import Session

from workflow.db.models import Body, Jurisdiction, User
from workflow.services import audit, sessions, tokens
from workflow.services.errors import NotFound, ServiceError
from workflow.services.lifecycle import transactional

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


# Changes to a user that end their sessions at once (issue #13): the admin pages, the account page and
# the command line all go through these, so none of them can forget to.  Each is one write transaction
# with its audit event; hash a new password before calling (argon2 is slow; the write lock is held).
ROLES = ("submitter", "reviewer", "admin")


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound("用户不存在。")
    return user


@transactional
def set_password(session: Session, *, user_id: int, password_hash: str, actor_id: int | None) -> int:
    """Store a new password hash and end every session of the user; how many sessions ended.

    API tokens stay valid (they are listed, and revocable, on the account page)."""
    user = _user(session, user_id)
    user.password_hash = password_hash
    user.failed_logins = 0
    user.locked_until = None
    ended = sessions.end_all(session, user_id)
    audit.record(
        session,
        "password_changed",
        actor_id=actor_id,
        body_id=user.body_id,
        user_id=user_id,
        sessions_ended=ended,
    )
    return ended


@transactional
def sign_out_everywhere(session: Session, *, user_id: int, actor_id: int | None) -> int:
    """End every session of the user (all browsers, this one included); how many ended."""
    user = _user(session, user_id)
    ended = sessions.end_all(session, user_id)
    action = "signout_everywhere" if actor_id == user_id else "admin.user_signout"
    audit.record(
        session, action, actor_id=actor_id, body_id=user.body_id, user_id=user_id, sessions_ended=ended
    )
    return ended


@transactional
def set_active(session: Session, *, user_id: int, active: bool, actor_id: int | None) -> User:
    """Enable or disable a user.  Disabling ends their sessions and revokes their API tokens."""
    user = _user(session, user_id)
    if actor_id == user_id and not active:
        raise ServiceError("不能停用自己的账户，请由另一位管理员操作。", code=409)
    if user.is_active == active:
        return user
    user.is_active = active
    details: dict[str, int] = {}
    if not active:
        details["sessions_ended"] = sessions.end_all(session, user_id)
        details["tokens_revoked"] = tokens.revoke_all(session, user_id=user_id, actor_id=actor_id)
    action = "admin.user_enable" if active else "admin.user_disable"
    audit.record(session, action, actor_id=actor_id, body_id=user.body_id, user_id=user_id, **details)
    return user


@transactional
def set_role(
    session: Session,
    *,
    user_id: int,
    role: str,
    body_id: int | None,
    jurisdiction_id: int | None,
    review_stage: str | None,
    actor_id: int | None,
) -> User:
    """Change a user's role and scope.  A change ends their sessions and revokes their API tokens
    (a token is limited to the role and body it was made for)."""
    if role not in ROLES:
        raise ServiceError("请选择角色：报送人员、审核人员或管理员。", code=422)
    if role == "submitter" and body_id is None:
        raise ServiceError("报送人员必须属于一个单位，请选择单位。", code=422)
    if role == "reviewer" and jurisdiction_id is None:
        raise ServiceError("审核人员必须属于一个辖区，请选择辖区。", code=422)
    user = _user(session, user_id)
    if actor_id == user_id and role != user.role:
        raise ServiceError("不能更改自己的角色，请由另一位管理员操作。", code=409)
    if role == "submitter" and session.get(Body, body_id) is None:
        raise ServiceError("所选单位不存在，请重新选择。", code=422)
    if role == "reviewer" and session.get(Jurisdiction, jurisdiction_id) is None:
        raise ServiceError("所选辖区不存在，请重新选择。", code=422)
    new = (
        role,
        body_id if role == "submitter" else None,
        jurisdiction_id if role == "reviewer" else None,
        (review_stage or None) if role == "reviewer" else None,
    )
    old = (user.role, user.body_id, user.jurisdiction_id, user.review_stage)
    if new == old:
        return user
    user.role, user.body_id, user.jurisdiction_id, user.review_stage = new
    ended = sessions.end_all(session, user_id)
    revoked = tokens.revoke_all(session, user_id=user_id, actor_id=actor_id)
    audit.record(
        session,
        "admin.user_role",
        actor_id=actor_id,
        body_id=user.body_id,
        user_id=user_id,
        before=list(old),
        after=list(new),
        sessions_ended=ended,
        tokens_revoked=revoked,
    )
    return user
