"""When the database cannot be had in time, a clerk sees "系统繁忙" (503, Retry-After), nothing is
half-written, and the form they posted comes back with a button that posts it again.

On SQLite (the embedded default) another writer holding the write lock past the busy timeout is the
real case, and reads go on meanwhile (WAL: a reader never waits for the writer); on PostgreSQL, no
free connection in the pool within its timeout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

import pytest
from conftest import Browser
from sqlalchemy.orm import sessionmaker
from test_bad_input import _form

from workflow.db.models import ReportRow
from workflow.db.session import make_engine
from workflow.settings import Settings
from workflow.web.app import create_app

pytestmark = pytest.mark.both_backends


@pytest.fixture
def impatient(db, tmp_path):
    """The app on an engine of its own that gives up on the database quickly, and a way to make the
    database unavailable to it: on SQLite another writer holding the write lock (past a 0.3 s busy
    timeout), on PostgreSQL every pooled connection taken (past a 0.3 s pool timeout)."""
    if db.is_postgres:
        engine = make_engine(db.url, pool_size=1, max_overflow=0, pool_timeout=0.3)
    else:
        engine = make_engine(db.url, busy_timeout_ms=300, strict_writes=True)
    settings = Settings(data_dir=tmp_path, secret_key="test-secret")
    app = create_app(settings, sessions=sessionmaker(bind=engine, expire_on_commit=False))

    @contextmanager
    def unavailable() -> Iterator[None]:
        if db.is_postgres:
            with engine.connect():
                yield
            return
        conn = db.engine.raw_connection()
        conn.driver_connection.isolation_level = None
        conn.cursor().execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()

    yield app, unavailable
    engine.dispose()


def test_a_save_when_the_database_is_busy_is_503_and_keeps_the_typed_text(world, impatient, db):
    app, unavailable = impatient
    b = Browser(app, "lushaer")
    url = f"/reports/{world.report_id}/edit"
    page = b.get(url)
    assert page.status_code == 200
    fields = _form(page.text) | {"preface": "本单位前言，一字一句都不能丢。"}
    before = db.sessions().get(ReportRow, world.report_id)
    with unavailable():
        if not db.is_postgres:
            assert b.get(url).status_code == 200  # reads go on while another writer holds the lock
        r = b.post(url, data=fields)
    assert r.status_code == 503
    assert r.headers["retry-after"].isdigit()
    assert "系统繁忙" in r.text and "没有保存" in r.text and "Traceback" not in r.text
    refill = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
    assert unescape(refill["preface"]) == "本单位前言，一字一句都不能丢。"
    with db.sessions() as s:
        after = s.get(ReportRow, world.report_id)
        assert (after.draft_revision, after.draft) == (before.draft_revision, before.draft)
    # The button posts the same fields again; now that the database is free, the save goes through.
    again = b.client.post(url, data={k: unescape(v) for k, v in refill.items()})
    assert again.status_code == 303
    with db.sessions() as s:
        assert s.get(ReportRow, world.report_id).draft_revision == before.draft_revision + 1


def test_the_api_answers_503_json_when_busy(world, impatient, db):
    app, unavailable = impatient
    b = Browser(app, "lushaer")
    with unavailable():
        r = b.api(
            "POST",
            f"/api/reports/{world.report_id}/explanations",
            json={"finding_key": "G6:title", "text": "已核实。"},
        )
    assert r.status_code == 503 and r.json()["detail"] == "系统繁忙，请稍后重试。"
