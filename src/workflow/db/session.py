"""Engines and sessions from settings.

SQLite (the embedded default) gets WAL, a busy timeout and foreign keys, and every transaction starts
with BEGIN IMMEDIATE: a writer takes the lock up front instead of failing with "database is locked"
when its read snapshot went stale under a concurrent writer.  PostgreSQL runs at READ COMMITTED; the
services' conditional updates (`... WHERE state = :expected`) make races safe there.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15000


def make_engine(url: str, **kwargs: Any) -> Engine:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    engine = create_engine(url, **kwargs)
    _configure_sqlite(engine)
    return engine


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
