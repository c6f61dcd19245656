"""Engines and sessions: read-only sessions refuse writes and skip transactions on PostgreSQL; a pooled
connection that sat idle is pinged (and replaced when the server dropped it), a hot one is not."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import sessionmaker

from workflow.db import session as db_session
from workflow.db.models import Jurisdiction
from workflow.db.session import make_engine, read_only

pytestmark = pytest.mark.integration


def test_read_only_session_reads_and_refuses_writes(db) -> None:
    with db.sessions() as s:
        s.add(Jurisdiction(name="西宁市湟中区"))
        s.commit()
    reads = read_only(db.sessions)
    with reads() as s:
        assert s.scalars(select(Jurisdiction.name)).all() == ["西宁市湟中区"]
        s.add(Jurisdiction(name="另一个区"))
        with pytest.raises(InvalidRequestError, match="read-only"):
            s.flush()
    with reads() as s, pytest.raises(InvalidRequestError, match="read-only"):
        s.execute(update(Jurisdiction).values(name="改名"))
    with db.sessions() as s:
        assert s.scalars(select(Jurisdiction.name)).all() == ["西宁市湟中区"]


@pytest.mark.postgres
def test_read_only_session_runs_in_autocommit_and_hands_back_a_transactional_connection(postgres_db) -> None:
    engine = make_engine(postgres_db.url, pool_size=1, max_overflow=0)  # one connection: the same one
    try:
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        with read_only(sessions)() as s:
            s.execute(text("SELECT 1"))
            raw = s.connection().connection.driver_connection
            assert raw.autocommit and raw.info.transaction_status.name == "IDLE"  # no BEGIN sent
        with sessions() as s:
            s.execute(text("SELECT 1"))
            raw = s.connection().connection.driver_connection
            assert not raw.autocommit and raw.info.transaction_status.name == "INTRANS"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_idle_connection_is_pinged_and_replaced_when_the_server_dropped_it(postgres_db, monkeypatch) -> None:
    engine = make_engine(postgres_db.url, pool_size=1, max_overflow=0)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    try:
        with engine.connect() as conn:
            first = conn.scalar(text("SELECT pg_backend_pid()"))
        with engine.connect() as conn:  # back in the pool a moment ago: used without a ping
            assert conn.scalar(text("SELECT pg_backend_pid()")) == first
        assert pings == []
        with postgres_db.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            admin.commit()
        monkeypatch.setattr(db_session, "IDLE_PING_SECONDS", 0.0)  # as if it had idled for long
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT pg_backend_pid()")) != first  # a new connection, no error
        assert pings
    finally:
        engine.dispose()
