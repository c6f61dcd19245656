"""/healthz: are submissions being checked?  One answer for load balancers, one for operators.

Five components, each with a short timeout, the whole check under DEADLINE_SECONDS:

- database: `SELECT 1` on a connection of its own (no pool: a busy pool must not make the check wait,
  and a server that went away is noticed at once), PostgreSQL statements capped at one second;
- broker: PING to the Redis the workers take their tasks from (one-second socket timeouts);
- workers: Celery's remote-control ping, spoken over that Redis (see `ping_workers`);
- queues: messages waiting in the checks / render / notify queues (LLEN);
- unchecked: the reports waiting for their checks (state submitted or checking) and how long the
  oldest of them has waited in that state.

The answer is 503 ("stalled") when the database or the broker cannot be reached, when no worker
answers, or when the oldest unchecked report has waited longer than
`settings.health_unchecked_max_seconds`; the reasons are given in Chinese.  The result is kept for
CACHE_SECONDS per process, and one check runs at a time: a burst of probes costs one check.

The web layer does not import Celery (tests/unit/test_layering.py).  The worker ping therefore
speaks the broker's wire format itself: it binds a reply queue in kombu's binding set, publishes
the ping on the `celery.pidbox` fanout channel and reads the replies.  PUBLISH returns how many
workers are listening, so the ping waits only for that many replies (no fixed wait when all
answer, none at all when nobody listens).  tests/integration/pipeline/test_health.py runs it
against a real worker, so a change of the format shows there.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import redis
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from workflow.clock import now as clock_now
from workflow.db.models import ReportRow
from workflow.domain.states import ReportState
from workflow.embedded import recorded_url
from workflow.settings import Settings

# The queues of workers/celery_app.py (QUEUES) and kombu's priority sub-queues of each.
QUEUES = ("checks", "render", "notify")
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_SUFFIXES = ("", *(f"{_PRIORITY_SEP}{p}" for p in (3, 6, 9)))
WAITING_STATES = (ReportState.SUBMITTED.value, ReportState.CHECKING.value)

REDIS_TIMEOUT_SECONDS = 1.0
WORKER_PING_SECONDS = 0.8
DATABASE_TIMEOUT_SECONDS = 1.0
DEADLINE_SECONDS = 1.8
CACHE_SECONDS = 5.0


@dataclass
class Health:
    components: dict[str, dict[str, Any]]
    reasons: list[str] = field(default_factory=list)
    checked_at: datetime = field(default_factory=clock_now)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def status_code(self) -> int:
        return 200 if self.ok else 503

    def to_dict(self, *, detailed: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"status": "ok" if self.ok else "stalled"}
        if detailed:
            out["reason"] = "；".join(self.reasons)
            out["checked_at"] = self.checked_at.isoformat(timespec="seconds")
            out["components"] = self.components
        return out


# ------------------------------------------------------------------ the broker
def broker_url(settings: Settings) -> str | None:
    """The broker's Redis: WORKFLOW_REDIS_URL, or the embedded server `workflow run` started."""
    return settings.redis_url or recorded_url(settings.data_dir / "redis")


def _db_number(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def queue_depths(client: redis.Redis, prefix: str) -> dict[str, int]:
    with client.pipeline(transaction=False) as pipe:
        for queue in QUEUES:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(f"{prefix}{queue}{suffix}")
        counts = pipe.execute()
    n = len(_PRIORITY_SUFFIXES)
    return {queue: int(sum(counts[i * n : (i + 1) * n])) for i, queue in enumerate(QUEUES)}


def _envelope(body: dict[str, Any], headers: dict[str, Any], exchange: str, routing_key: str) -> str:
    """A message as kombu's Redis transport stores it (JSON body, base64 encoded)."""
    return json.dumps(
        {
            "body": base64.b64encode(json.dumps(body).encode()).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": headers,
            "properties": {
                "body_encoding": "base64",
                "delivery_info": {"exchange": exchange, "routing_key": routing_key},
                "delivery_mode": 1,
                "delivery_tag": str(uuid.uuid4()),
                "priority": 0,
            },
        }
    )


def ping_workers(client: redis.Redis, prefix: str, db: int, timeout: float) -> tuple[int, list[str]]:
    """Celery's `control.ping` over Redis: (workers listening, names of those that answered).

    Exactly what `app.control.ping()` does through kombu: bind a reply queue to the direct exchange
    `reply.celery.pidbox` (a member of the set `_kombu.binding.reply.celery.pidbox`), publish the
    command on the fanout channel `/<db>.celery.pidbox` (every key under the deployment's prefix),
    and read the replies the workers push onto the reply queue."""
    oid = uuid.uuid4().hex
    ticket = uuid.uuid4().hex
    reply_queue = f"{prefix}{oid}.reply.celery.pidbox"
    binding_key = f"{prefix}_kombu.binding.reply.celery.pidbox"
    binding = _PRIORITY_SEP.join([oid, "", f"{oid}.reply.celery.pidbox"])
    command = {
        "method": "ping",
        "arguments": {},
        "destination": None,
        "pattern": None,
        "matcher": None,
        "ticket": ticket,
        "reply_to": {"exchange": "reply.celery.pidbox", "routing_key": oid},
    }
    headers = {"clock": 1, "expires": time.time() + timeout}
    client.sadd(binding_key, binding)
    try:
        listening = int(
            client.publish(f"{prefix}/{db}.celery.pidbox", _envelope(command, headers, "celery.pidbox", ""))
        )
        names: list[str] = []
        deadline = time.monotonic() + timeout
        while len(names) < listening and time.monotonic() < deadline:
            raw = client.rpop(reply_queue)
            if raw is None:
                time.sleep(0.02)
                continue
            names += _reply_names(raw, ticket)
        return listening, sorted(set(names))
    finally:
        client.srem(binding_key, binding)
        client.delete(*(reply_queue + s for s in _PRIORITY_SUFFIXES))


def _reply_names(raw: bytes | str, ticket: str) -> list[str]:
    try:
        message = json.loads(raw)
        if message.get("headers", {}).get("ticket") != ticket:
            return []
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        reply = json.loads(body)
    except (ValueError, KeyError, TypeError):
        return []
    return [str(name) for name in reply] if isinstance(reply, dict) else []


# ------------------------------------------------------------------ the checker
class HealthChecker:
    """One per app (`checker_for`): the database engine and the Redis client are made on first use."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self._sessions = sessions
        self._engine: Engine | None = None
        self._redis: tuple[str, redis.Redis] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._cached: tuple[float, Health] | None = None

    def check(self, *, max_age: float = CACHE_SECONDS) -> Health:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < max_age:
            return cached[1]
        if not self._lock.acquire(timeout=DEADLINE_SECONDS + 0.5):
            if cached is not None:  # another request is checking and stuck: the last answer will do
                return cached[1]
            return Health({}, ["健康检查繁忙，请稍后重试"])
        try:
            cached = self._cached
            if cached is not None and time.monotonic() - cached[0] < max_age:
                return cached[1]
            health = self._check()
            self._cached = (time.monotonic(), health)
            return health
        finally:
            self._lock.release()

    def _check(self) -> Health:
        started = time.monotonic()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")
        database = self._pool.submit(self._database)
        components = self._broker()
        try:
            components |= database.result(timeout=max(0.1, DEADLINE_SECONDS - (time.monotonic() - started)))
        except FutureTimeout:
            components["database"] = {"ok": False, "error": "超时"}
            components["unchecked"] = {"ok": False, "error": "数据库未在时限内应答"}
        except Exception as exc:  # noqa: BLE001 - any failure is the database's state to report
            components["database"] = {"ok": False, "error": _short(exc)}
            components["unchecked"] = {"ok": False, "error": "数据库无法连接"}
        order = ("database", "broker", "workers", "queues", "unchecked")
        components = {name: components[name] for name in order}
        return Health(components, self._reasons(components))

    def _reasons(self, c: dict[str, dict[str, Any]]) -> list[str]:
        reasons = []
        if not c["database"]["ok"]:
            reasons.append(f"数据库无法连接（{c['database'].get('error', '')}）")
        if not c["broker"]["ok"]:
            reasons.append(f"消息队列（Redis）无法连接（{c['broker'].get('error', '')}），报告无法进入校验")
        elif not c["workers"]["ok"]:
            reasons.append("没有在线的校验进程（Celery worker），提交的报告无人校验")
        unchecked = c["unchecked"]
        if c["database"]["ok"] and not unchecked["ok"]:
            reasons.append(
                f"最早一份待校验的报告已等待 {unchecked['oldest_age_seconds']:.0f} 秒，"
                f"超过 {unchecked['threshold_seconds']:.0f} 秒，校验可能已停滞"
            )
        return reasons

    # -------------------------------------------------------------- database
    def _database_engine(self) -> Engine:
        if self._engine is None:
            bind = self._sessions.kw.get("bind")
            url = (
                bind.url.render_as_string(hide_password=False)
                if isinstance(bind, Engine)
                else self.settings.effective_database_url
            )
            if url.startswith("sqlite"):
                connect_args: dict[str, Any] = {"timeout": DATABASE_TIMEOUT_SECONDS}
            else:  # libpq waits at least 2 s to connect; statements are cut off after one second
                connect_args = {"connect_timeout": 2, "options": "-c statement_timeout=1000"}
            self._engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        return self._engine

    def _database(self) -> dict[str, dict[str, Any]]:
        threshold = self.settings.health_unchecked_max_seconds
        started = time.monotonic()
        with self._database_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            latency = time.monotonic() - started
            waiting = select(func.count(), func.min(ReportRow.state_changed_at)).where(
                ReportRow.state.in_(WAITING_STATES)
            )
            count, oldest = conn.execute(waiting).one()
            conn.rollback()
        age = max(0.0, (clock_now() - oldest).total_seconds()) if oldest is not None else None
        return {
            "database": {"ok": True, "latency_ms": round(latency * 1000, 1)},
            "unchecked": {
                "ok": age is None or age <= threshold,
                "count": int(count),
                "oldest_age_seconds": None if age is None else round(age, 1),
                "threshold_seconds": threshold,
            },
        }

    # -------------------------------------------------------------- broker and workers
    def _client(self, url: str) -> redis.Redis:
        if self._redis is None or self._redis[0] != url:
            client = redis.Redis.from_url(
                url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                health_check_interval=0,
            )
            self._redis = (url, client)
        return self._redis[1]

    def _broker(self) -> dict[str, dict[str, Any]]:
        unknown = {"ok": False, "error": "消息队列不可用，无法确认"}
        url = broker_url(self.settings)
        if url is None:
            error = "未配置 WORKFLOW_REDIS_URL，内置 Redis 也未运行"
            return {"broker": {"ok": False, "error": error}, "workers": unknown, "queues": unknown}
        prefix = self.settings.redis_key_prefix
        client = self._client(url)
        started = time.monotonic()
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            return {"broker": {"ok": False, "error": _short(exc)}, "workers": unknown, "queues": unknown}
        out: dict[str, dict[str, Any]] = {
            "broker": {"ok": True, "latency_ms": round((time.monotonic() - started) * 1000, 1)}
        }
        try:
            out["queues"] = {"ok": True, "depth": queue_depths(client, prefix)}
        except (redis.RedisError, OSError) as exc:
            out["queues"] = {"ok": False, "error": _short(exc)}
        try:
            listening, names = ping_workers(client, prefix, _db_number(url), WORKER_PING_SECONDS)
        except (redis.RedisError, OSError) as exc:
            out["workers"] = {"ok": False, "error": _short(exc)}
        else:
            out["workers"] = {"ok": bool(names), "live": len(names), "listening": listening, "names": names}
        return out


def _short(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:200]


_checker_lock = threading.Lock()


def checker_for(app: Any) -> HealthChecker:
    """The app's checker, made on first use from the app's settings and session factory."""
    checker: HealthChecker | None = getattr(app.state, "health", None)
    if checker is None:
        with _checker_lock:
            checker = getattr(app.state, "health", None)
            if checker is None:
                checker = HealthChecker(app.state.settings, app.state.sessions)
                app.state.health = checker
    return checker
