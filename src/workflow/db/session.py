"""Engines and sessions from settings.

SQLite (the embedded default) gets WAL, a busy timeout and foreign keys, and every transaction starts
with BEGIN IMMEDIATE: a writer takes the lock up front instead of failing with "database is locked"
when its read snapshot went stale under a concurrent writer.  PostgreSQL runs at READ COMMITTED; the
services' conditional updates (`... WHERE state = :expected`) make races safe there.

A pooled PostgreSQL connection is pinged before use only when it sat idle in the pool for
IDLE_PING_SECONDS or more (a restarted server, a dropped idle connection): a ping on every checkout
(`pool_pre_ping`) is a round trip per page view for connections that were in use a moment ago.  A
connection that fails its ping is replaced; one that breaks while in use invalidates the pool (the
request fails, the next ones get fresh connections).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15000
IDLE_PING_SECONDS = 10.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        engine = create_engine(url, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_when_idle(engine)
        return engine
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    engine = create_engine(url, **kwargs)
    _configure_sqlite(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return  # new, or back in the pool only a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_conn, None):
                raise exc.DisconnectionError() from err  # the pool retries with a new connection
            raise


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(url: str | None = None, **engine_kwargs: Any) -> sessionmaker[Session]:
    engine = make_engine(url or _configured_url(), **engine_kwargs)
    return sessionmaker(bind=engine, expire_on_commit=False)


def _configured_url() -> str:
    from workflow.settings import get_settings

    return get_settings().effective_database_url


_factories: dict[str, sessionmaker[Session]] = {}
_lock = threading.Lock()


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """The process-wide session factory for `url` (default: the configured database)."""
    key = url or _configured_url()
    with _lock:
        if key not in _factories:
            _factories[key] = make_session_factory(key)
        return _factories[key]


def get_engine(url: str | None = None) -> Engine:
    bind = session_factory(url).kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def dispose_all() -> None:
    """Close and forget every cached engine (after a fork, or when tests switch databases)."""
    with _lock:
        for factory in _factories.values():
            factory.kw["bind"].dispose()
        _factories.clear()


class ReadOnlySession(Session):
    """A session for requests that only read: a flush or a write statement is a programming error."""


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    raise exc.InvalidRequestError("a read-only session cannot write")


def _refuse_writes(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise exc.InvalidRequestError("a read-only session cannot write")


event.listen(ReadOnlySession, "before_flush", _refuse_flush)
event.listen(ReadOnlySession, "do_orm_execute", _refuse_writes)


def read_only(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions like `factory`'s, for requests that only read; they refuse to write.

    On PostgreSQL their statements run in autocommit: no BEGIN and ROLLBACK round trips around a
    page's few SELECTs.  At READ COMMITTED every statement takes a snapshot of its own, inside a
    transaction or not, so each read sees exactly what it would have seen in a transaction.  SQLite
    keeps its transactions (one snapshot for the whole request).
    """
    bind = factory.kw["bind"]
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        bind = bind.execution_options(isolation_level="AUTOCOMMIT")  # the same pool
    return sessionmaker(**{**factory.kw, "bind": bind, "class_": ReadOnlySession})
