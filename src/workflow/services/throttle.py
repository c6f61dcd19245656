"""Sign-in throttling: delays that grow with failures, never a lock a stranger can put on a real user.

Failed sign-ins are counted in the ``login_throttles`` table (so every web process sees them) under
three keys, always for the name as typed, known or not, so that no answer tells who exists:

- ``addr:<address>``: every name tried from one address (an IPv6 address counts as its /64).  After ``free_per_address`` failures each
  further attempt from that address waits 1 s, then 2 s, 4 s … up to ``max_seconds``.
- ``pair:<name>|<address>``: one account from one address.  After ``free_per_account`` failures the
  same doubling wait, for that address and that account only.  A successful sign-in clears it and
  marks the address as *known* for the account.
- ``name:<name>``: one account from everywhere (an attack spread over many addresses).  After
  ``4 × free_per_account`` failures within the window the account is *hot*: an address that has never
  signed in to it waits ``account_wait`` seconds (at most ``account_max_seconds``, a few seconds)
  before each password check.  That is a delay, not a lock: whoever waits is checked.  A known
  address never waits for it, so the owner at their usual desk signs in at once however hard the
  account is hammered from elsewhere.

An attempt inside a wait is answered "请稍候 N 秒后再试" without checking the password and without
writing anything (except the first wait of a new address for a hot account, which must be recorded).
Failures older than ``window_seconds`` are forgotten.  The administrator sees the current throttles
and may lift one (``current``, ``lift``).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from workflow.db.models import LoginThrottle
from workflow.db.session import begin_write
from workflow.services import audit
from workflow.services.lifecycle import transactional

ADDR, PAIR, NAME = "addr", "pair", "name"
KNOWN_KEPT = timedelta(days=180)  # how long an address stays "known" for an account after a sign-in
SHOWN = 200  # throttles listed on the administrator's page


@dataclass(frozen=True)
class ThrottlePolicy:
    free_per_address: int = 10
    free_per_account: int = 5
    max_seconds: float = 900.0
    account_max_seconds: float = 5.0
    window_seconds: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Any) -> ThrottlePolicy:
        return cls(
            free_per_address=settings.login_throttle_free_per_address,
            free_per_account=settings.login_throttle_free_per_account,
            max_seconds=settings.login_throttle_max_seconds,
            account_max_seconds=settings.login_throttle_account_max_seconds,
            window_seconds=settings.login_throttle_window_seconds,
        )

    @property
    def free_per_name(self) -> int:
        return 4 * self.free_per_account

    def delay(self, scope: str, failures: int) -> float:
        """Seconds to wait after `failures` failures counted under a key of `scope` (0: none)."""
        free = {ADDR: self.free_per_address, PAIR: self.free_per_account, NAME: self.free_per_name}[scope]
        cap = self.account_max_seconds if scope == NAME else self.max_seconds
        if failures < free:
            return 0.0
        return float(min(cap, 2.0 ** min(failures - free, 40)))


@dataclass(frozen=True)
class Keys:
    username: str
    address: str

    @property
    def addr(self) -> str:
        return f"{ADDR}:{self.address}"

    @property
    def pair(self) -> str:
        return f"{PAIR}:{self.username}|{self.address}"

    @property
    def name(self) -> str:
        return f"{NAME}:{self.username}"

    def columns(self, scope: str) -> dict[str, Any]:
        key = {ADDR: self.addr, PAIR: self.pair, NAME: self.name}[scope]
        return {
            "key": key,
            "scope": scope,
            "username": None if scope == ADDR else self.username,
            "address": None if scope == NAME else self.address,
        }


def throttled_address(address: str) -> str:
    """What one client is counted as: an IPv4 address, or an IPv6 address's /64 (one subscriber gets a
    whole /64, so counting single IPv6 addresses would let one attacker change address at will)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def keys(username: str, address: str) -> Keys:
    return Keys(username[:80], throttled_address(address))


def _seconds(until: datetime | None, at: datetime) -> int:
    if until is None or until <= at:
        return 0
    return max(1, math.ceil((until - at).total_seconds()))


def _rows(db: Session, k: Keys) -> dict[str, LoginThrottle]:
    found = db.scalars(select(LoginThrottle).where(LoginThrottle.key.in_([k.addr, k.pair, k.name])))
    return {r.scope: r for r in found}


def _recent(row: LoginThrottle | None, at: datetime, policy: ThrottlePolicy) -> int:
    """The row's failures, or 0 when the last one is older than the window."""
    if row is None or row.last_failure_at is None:
        return 0
    if at - row.last_failure_at > timedelta(seconds=policy.window_seconds):
        return 0
    return row.failures


def _hot_wait(rows: dict[str, LoginThrottle], at: datetime, policy: ThrottlePolicy) -> float:
    """Seconds an unknown address waits before each check of a hot account (0: not hot, or known)."""
    pair = rows.get(PAIR)
    if pair is not None and pair.last_success_at is not None:
        return 0.0
    return policy.delay(NAME, _recent(rows.get(NAME), at, policy))


def wait_before_check(db: Session, username: str, address: str, at: datetime, policy: ThrottlePolicy) -> int:
    """Seconds this address must still wait before its password for `username` is checked (0: check it).

    Reads only, except for the first attempt of a new address on a hot account: its wait is recorded
    (in a write transaction begun here, which the caller commits) so that waiting it out is what counts."""
    k = keys(username, address)
    rows = _rows(db, k)
    pair = rows.get(PAIR)
    wait = max([_seconds(r.next_allowed_at, at) for r in (rows.get(ADDR), pair) if r is not None], default=0)
    if wait:
        return wait
    hot = _hot_wait(rows, at, policy)
    if hot and (pair is None or pair.next_allowed_at is None):
        # A new address for a hot account: it waits once before this and each later check.
        begin_write(db)
        row = _ensure(db, k, PAIR)
        if row.next_allowed_at is not None:  # another request of this address recorded it meanwhile
            return _seconds(row.next_allowed_at, at)
        row.next_allowed_at = at + timedelta(seconds=hot)
        return _seconds(row.next_allowed_at, at)
    return 0


def _ensure(db: Session, k: Keys, scope: str) -> LoginThrottle:
    """The row for `scope`, created if missing, locked for this transaction (PostgreSQL)."""
    values = k.columns(scope)
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        db.execute(pg_insert(LoginThrottle).values(failures=0, **values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        db.execute(sqlite_insert(LoginThrottle).values(failures=0, **values).on_conflict_do_nothing())
    row = db.get(LoginThrottle, values["key"], with_for_update=True, populate_existing=True)
    if row is None:  # another database: plain insert (the caller's write transaction serializes)
        row = LoginThrottle(failures=0, **values)
        db.add(row)
    return row


def record_failure(db: Session, username: str, address: str, at: datetime, policy: ThrottlePolicy) -> int:
    """Count a failed check under the three keys (inside the caller's write transaction).

    Returns the seconds this address must now wait before trying this name again (0: none)."""
    k = keys(username, address)
    window = timedelta(seconds=policy.window_seconds)
    waits = [0.0]
    rows: dict[str, LoginThrottle] = {}
    for scope in (ADDR, PAIR, NAME):
        row = rows[scope] = _ensure(db, k, scope)
        fresh = row.last_failure_at is None or at - row.last_failure_at > window
        row.failures = 1 if fresh else row.failures + 1
        row.last_failure_at = at
        delay = policy.delay(scope, row.failures)
        row.next_allowed_at = at + timedelta(seconds=delay) if delay else None
        if scope != NAME:
            waits.append(delay)
    hot = _hot_wait(rows, at, policy)
    if hot:  # an unknown address on a hot account waits before its next check too
        pair = rows[PAIR]
        until = at + timedelta(seconds=max(hot, policy.delay(PAIR, pair.failures)))
        pair.next_allowed_at = until
        waits.append(hot)
    _forget_old(db, at, policy)
    return math.ceil(max(waits))


def record_success(db: Session, username: str, address: str, at: datetime) -> None:
    """The address signed in to the account: its pair throttle is cleared and it becomes known."""
    row = _ensure(db, keys(username, address), PAIR)
    row.failures = 0
    row.next_allowed_at = None
    row.last_success_at = at


def _forget_old(db: Session, at: datetime, policy: ThrottlePolicy) -> None:
    cutoff = at - timedelta(seconds=max(policy.window_seconds, policy.max_seconds))
    db.execute(
        delete(LoginThrottle).where(
            or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at < cutoff),
            or_(LoginThrottle.last_success_at.is_(None), LoginThrottle.last_success_at < at - KNOWN_KEPT),
            or_(LoginThrottle.next_allowed_at.is_(None), LoginThrottle.next_allowed_at < at),
        )
    )


@dataclass(frozen=True)
class Shown:
    key: str
    scope: str
    username: str | None
    address: str | None
    failures: int
    wait_seconds: int  # for this key alone (a hot account: what a new address waits)
    last_failure_at: datetime | None


def current(db: Session, at: datetime, policy: ThrottlePolicy) -> list[Shown]:
    """Throttles with failures inside the window, the ones that make somebody wait first."""
    since = at - timedelta(seconds=policy.window_seconds)
    rows = db.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.failures > 0, LoginThrottle.last_failure_at >= since)
        .order_by(LoginThrottle.last_failure_at.desc())
        .limit(SHOWN)
    )
    shown = []
    for r in rows:
        if r.scope == NAME:
            wait = math.ceil(policy.delay(NAME, r.failures))
        else:
            wait = _seconds(r.next_allowed_at, at)
        shown.append(Shown(r.key, r.scope, r.username, r.address, r.failures, wait, r.last_failure_at))
    shown.sort(key=lambda s: (s.wait_seconds == 0, -s.failures))
    return shown


@transactional
def lift(db: Session, key: str, *, actor_id: int) -> LoginThrottle | None:
    """Forget the failures counted under `key` (a known address stays known).  None: no such throttle."""
    row = db.get(LoginThrottle, key[:240], with_for_update=True)
    if row is None:
        return None
    audit.record(
        db,
        "admin.throttle_lift",
        actor_id=actor_id,
        scope=row.scope,
        username=row.username,
        address=row.address,
        failures=row.failures,
    )
    row.failures = 0
    row.next_allowed_at = None
    row.last_failure_at = None
    return row
