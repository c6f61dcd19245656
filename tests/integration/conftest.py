"""Backend fixtures: a migrated database (PostgreSQL or SQLite), sessions and builders.

- `WORKFLOW_TEST_DATABASE_URL` set (CI sets it): a fresh database `wf_<random>` is created on that server
  for this test session, migrated once, and dropped at the end; tables are emptied before each test.
  If the server is unreachable the tests FAIL (never skip).
- Not set: a temporary SQLite file, migrated once, emptied before each test.
- `@pytest.mark.postgres` tests are skipped only when no PostgreSQL is configured and `CI` is not set.

Worker processes started by tests find the database through `db.url` (the fixture also exports it as
WORKFLOW_DATABASE_URL for code that reads settings).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import FixedClock, set_clock
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.migrate import upgrade
from workflow.db.models import Base
from workflow.db.session import dispose_all, make_engine
from workflow.services import outbox
from workflow.settings import get_settings

__all__ = ["make_body", "make_jurisdiction", "make_season", "make_user"]

PG_URL_ENV = "WORKFLOW_TEST_DATABASE_URL"


@dataclass
class TestDatabase:
    __test__ = False  # not a test class
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def count(self, table: str, where: str = "", **params: object) -> int:
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())


def _postgres_configured() -> bool:
    return bool(os.environ.get(PG_URL_ENV))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _postgres_configured() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"PostgreSQL not configured ({PG_URL_ENV} unset, not in CI)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get(PG_URL_ENV)
    if not server:
        path: Path = tmp_path_factory.mktemp("db") / "workflow.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    yield from _fresh_postgres_database(server)


def _fresh_postgres_database(server: str) -> Iterator[str]:
    name = f"wf_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            # A throwaway database: commits need not wait for the disk (keeps the suite fast).
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    except Exception as exc:  # unreachable server: fail loudly, never skip
        admin.dispose()
        pytest.fail(f"{PG_URL_ENV} is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        dispose_all()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def _engine(database_url: str) -> Iterator[Engine]:
    # The tests' own set-up writes freely; the processes they start (web, workers) run strict.
    engine = make_engine(database_url, strict_writes=False)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for name in reversed(tables):
                conn.exec_driver_sql(f"DELETE FROM {name}")


@pytest.fixture
def db(database_url: str, _engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    """A migrated, empty database for this test."""
    _empty_all_tables(_engine)
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    dispose_all()
    yield TestDatabase(database_url, _engine, sessionmaker(bind=_engine, expire_on_commit=False))
    dispose_all()
    get_settings.cache_clear()


@pytest.fixture
def postgres_db(db: TestDatabase) -> TestDatabase:
    """For @pytest.mark.postgres tests: fails (in CI) if the database is not PostgreSQL."""
    if not db.is_postgres:
        pytest.fail(f"this test needs PostgreSQL: set {PG_URL_ENV}", pytrace=False)
    return db


@pytest.fixture
def session_factory(db: TestDatabase) -> sessionmaker[Session]:
    return db.sessions


@pytest.fixture
def session(db: TestDatabase) -> Iterator[Session]:
    with db.sessions() as s:
        yield s


@pytest.fixture
def sent() -> Iterator[outbox.RecordingDispatcher]:
    """A fresh recording dispatcher: what the services sent after their commits."""
    recorder = outbox.RecordingDispatcher()
    previous = outbox.set_dispatcher(recorder)
    yield recorder
    outbox.set_dispatcher(previous)


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    """A settable clock at 2027-01-20 09:00 (Asia/Shanghai), inside the 2026 season."""
    from datetime import datetime

    c = FixedClock(datetime(2027, 1, 20, 9, 0))
    set_clock(c)
    yield c
    set_clock(None)
