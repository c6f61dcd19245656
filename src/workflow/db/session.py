"""Engines and sessions from settings, and the one way a write transaction starts.

Reads and writes are told apart when a transaction begins.  `begin_write(session)` (the services'
`transactional` decorator calls it) starts a *write* transaction; everything else is a read.

SQLite (the embedded default) runs in WAL mode: readers see a snapshot and never wait for the writer.
A read transaction starts with a plain (deferred) BEGIN and never takes the write lock.  A write
transaction starts with BEGIN IMMEDIATE: it takes the lock up front, so it waits (busy timeout) for
the writer ahead of it instead of failing with "database is locked" when its snapshot went stale.
Writes are therefore serialised, which is why each one is opened, done and committed in one place and
kept short: uploads are parsed, passwords checked and rules run before it opens.  An INSERT, UPDATE
or DELETE in a read transaction is a programming error (it would upgrade a stale snapshot and fail
under load): with WORKFLOW_STRICT_WRITES=1 (the test suite) it raises, otherwise it is logged.

PostgreSQL runs at READ COMMITTED; the services' conditional updates (`... WHERE state = :expected`)
make races safe there.  A pooled PostgreSQL connection is pinged before use only when it sat idle in
the pool for IDLE_PING_SECONDS or more (a restarted server, a dropped idle connection): a ping on
every checkout (`pool_pre_ping`) is a round trip per page view for connections in use a moment ago.
A connection that fails its ping is replaced; one that breaks while in use invalidates the pool.

A request never waits long for the database: the pool gives up after POOL_TIMEOUT_SECONDS and SQLite
after its busy timeout; the web answers both with "系统繁忙，请稍后重试" (503, Retry-After).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
POOL_TIMEOUT_SECONDS = 5.0
# Connections per process: at least the web's worker threads (each holds at most one at a time).
SQLITE_POOL_SIZE = 12
IDLE_PING_SECONDS = 10.0
WRITE_OPTION = "workflow_write"  # execution option of a connection whose transaction writes
_WRITING = "workflow.writing"  # session.info key: the session's transaction is a write transaction
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def make_engine(
    url: str,
    *,
    strict_writes: bool | None = None,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    **kwargs: Any,
) -> Engine:
    """An engine for `url`.  SQLite only: `strict_writes` (default: WORKFLOW_STRICT_WRITES=1) makes a
    write in a read transaction raise instead of being logged; a write waits `busy_timeout_ms` for the
    writer ahead of it."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
        engine = create_engine(url, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_when_idle(engine)
        return engine
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"timeout": busy_timeout_ms / 1000})
    if u.database and u.database != ":memory:":
        kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
        kwargs.setdefault("max_overflow", 4)
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    engine = create_engine(url, **kwargs)
    if strict_writes is None:
        strict_writes = os.environ.get("WORKFLOW_STRICT_WRITES") == "1"
    _configure_sqlite(engine, strict_writes, busy_timeout_ms)
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


def _configure_sqlite(engine: Engine, strict: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # a write transaction: the lock up front
        else:
            conn.exec_driver_sql("BEGIN")  # a read: a WAL snapshot, never the write lock

    @event.listens_for(engine, "before_cursor_execute")
    def _check_write(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION) or not conn.in_transaction():
            return
        if statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
            message = f"a write in a read transaction (use begin_write): {statement[:80]!r}"
            if strict:
                raise exc.InvalidRequestError(message)
            log.error(message)


def begin_write(session: Session) -> None:
    """Make `session`'s transaction a write transaction, starting it now (BEGIN IMMEDIATE on SQLite).

    A read transaction still open on the session (a request's earlier reads) is ended first, so the
    write starts from a fresh snapshot.  Inside a write transaction this does nothing."""
    if session.in_transaction():
        if session.info.get(_WRITING):
            return
        session.commit()
    session.info[_WRITING] = True
    session.connection(execution_options={WRITE_OPTION: True})


@event.listens_for(Session, "after_transaction_end")
def _end_writing(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WRITING, None)


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


@contextmanager
def writing(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a write transaction, committed when the block ends (rolled back if it raises)."""
    with factory() as session:
        begin_write(session)
        yield session
        session.commit()


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
