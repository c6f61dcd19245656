"""Backups (`workflow backup` / `workflow restore`), `workflow rerender` and export-site past a broken file.

A season with a published report (submitted, checked, approved, published) and a returned one is backed
up through the command line and restored into a fresh database and storage directory: every table's
rows and every stored file come back.  A damaged archive changes nothing.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.integration.test_publication_support import admin, approved_report, season
from workflow.cli import main as cli_main
from workflow.clock import FixedClock
from workflow.clock import now as clock_now
from workflow.db.factories import make_body
from workflow.db.migrate import upgrade
from workflow.db.models import AuditEvent, Base, Publication
from workflow.db.session import dispose_all
from workflow.domain.samples import sample_report
from workflow.publish import html as publish_html
from workflow.services import review
from workflow.services.checks import run_checks
from workflow.services.drafts import create_report
from workflow.services.publication import publish
from workflow.services.submission import submit
from workflow.settings import get_settings
from workflow.storage import LocalStorage

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def _use(monkeypatch: pytest.MonkeyPatch, url: str, storage: Path) -> None:
    """Point the command line at this database and storage directory."""
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", url)
    monkeypatch.setenv("WORKFLOW_STORAGE_DIR", str(storage))
    get_settings.cache_clear()
    dispose_all()


@pytest.fixture
def storage(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WORKFLOW_DATA_DIR", str(tmp_path / "data"))
    _use(monkeypatch, db.url, tmp_path / "published")
    return LocalStorage(tmp_path / "published")


@pytest.fixture
def season_2026(session: Session, clock: FixedClock, storage: LocalStorage, sent) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """鲁沙尔镇: submitted, checked, approved, published.  多巴镇: submitted, checked, returned."""
    content = sample_report(random.Random(5), year=2026, body_name="鲁沙尔镇人民政府", with_requests=True)
    published = approved_report(session, content)
    clock.advance(hours=1)
    publish(session, report_id=published, storage=storage)
    clock.advance(hours=1)
    other = sample_report(random.Random(7), year=2026, body_name="多巴镇人民政府", with_requests=True)
    body = make_body(session, "多巴镇人民政府")
    season_id = season(session, 2026).id
    session.commit()
    returned = create_report(session, body_id=body.id, season_id=season_id, actor_id=None, content=other)
    version_id = submit(session, report_id=returned, actor_id=None)
    run_checks(session, version_id=version_id)
    session.commit()
    review.decide(
        session,
        report_id=returned,
        reviewer_id=admin(session).id,
        decision="return",
        expected_version=1,
        comments={3: "表二数据与正文不一致，请核对。"},
    )
    session.commit()
    return {"published": published, "returned": returned}


@pytest.fixture
def target_url(db, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty database of the same backend (nothing in it, not even tables)."""
    if not db.is_postgres:
        yield f"sqlite:///{tmp_path / 'restored' / 'workflow.sqlite3'}"
        return
    name = f"wf_restore_{uuid.uuid4().hex[:8]}"
    server = create_engine(db.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(db.url).set(database=name).render_as_string(hide_password=False)
    dispose_all()
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.dispose()


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema revision), in primary-key order."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            out = {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in Base.metadata.sorted_tables
                if t.name in present
            }
            if "alembic_version" in present:
                out["alembic_version"] = [
                    tuple(r) for r in conn.execute(text("SELECT * FROM alembic_version"))
                ]
    finally:
        engine.dispose()
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return dict(json.load(member))


def _rewrite(archive: Path, target: Path, change: str) -> None:
    """A copy of `archive` with one byte of member `change` altered (the manifest left as it was)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == change:
                data = bytes([data[0] ^ 0x20]) + data[1:]
            dst.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("migrated", [False, True], ids=["blank-database", "migrated-empty-database"])
def test_round_trip_brings_back_every_row_and_file(
    db, season_2026: dict[str, int], storage: LocalStorage, target_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], migrated: bool,
) -> None:  # fmt: skip
    before = _rows(db.url)
    assert len(before["reports"]) == 2 and len(before["publications"]) == 1
    assert len(before["review_decisions"]) >= 2 and len(before["audit_events"]) >= 6
    archive = tmp_path / "backups" / "workflow-2027-01-20.tar.gz"
    archive.parent.mkdir()
    assert cli_main(["backup", str(archive)]) == 0
    assert "已备份到" in capsys.readouterr().out

    manifest = _manifest(archive)
    assert manifest["backend"] == ("postgresql" if db.is_postgres else "sqlite")
    assert manifest["schema_revision"] == before["alembic_version"][0][0]
    assert manifest["counts"]["reports"] == 2 and manifest["counts"]["publications"] == 1
    assert manifest["counts"]["audit_events"] == len(before["audit_events"])
    assert manifest["created_at"].startswith("2027-01-20T")
    pub_files = {f"published/{name}" for name in _files(storage.root)}
    assert pub_files and pub_files <= set(manifest["members"])
    assert all(len(m["sha256"]) == 64 for m in manifest["members"].values())
    assert manifest["warnings"] == []

    restored = tmp_path / "restored-published"
    if migrated:
        upgrade(target_url)
    _use(monkeypatch, target_url, restored)
    assert cli_main(["restore", str(archive)]) == 0
    assert "已从" in capsys.readouterr().out
    assert _rows(target_url) == before
    assert _files(restored) == _files(storage.root)

    # The restored install is not empty any more: a second restore is refused unless forced.
    assert cli_main(["restore", str(archive)]) == 1
    err = capsys.readouterr().err
    assert "不是空的" in err and "--force" in err
    assert cli_main(["restore", str(archive), "--force"]) == 0
    assert _rows(target_url) == before


def test_a_damaged_archive_is_refused_and_nothing_changes(
    db, season_2026: dict[str, int], storage: LocalStorage, target_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    archive = tmp_path / "good.tar.gz"
    assert cli_main(["backup", str(archive)]) == 0
    altered_file = tmp_path / "altered.tar.gz"
    pdf = next(n for n in _manifest(archive)["members"] if n.endswith(".pdf"))
    _rewrite(archive, altered_file, pdf)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    flipped = tmp_path / "flipped.tar.gz"
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    flipped.write_bytes(bytes(raw))

    # Into the live install itself, forced: everything is checked before anything is touched.
    live_rows, live_files = _rows(db.url), _files(storage.root)
    for bad in (altered_file, truncated, flipped):
        assert cli_main(["restore", str(bad), "--force"]) == 1
        err = capsys.readouterr().err
        assert "损坏" in err and "未做任何恢复" in err, err
    assert cli_main(["restore", str(altered_file), "--force"]) == 1
    assert f"校验不符 {pdf}" in capsys.readouterr().err
    assert _rows(db.url) == live_rows and _files(storage.root) == live_files

    # Into a fresh install: no database written, no file stored.
    restored = tmp_path / "restored-published"
    _use(monkeypatch, target_url, restored)
    assert cli_main(["restore", str(altered_file)]) == 1
    assert not restored.exists()
    if db.is_postgres:
        assert _rows(target_url) == {}
    else:
        assert not Path(make_url(target_url).database or "").exists()


def test_a_backup_is_not_restored_into_another_backend(
    db, season_2026: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    archive = tmp_path / "b.tar.gz"
    assert cli_main(["backup", str(archive)]) == 0
    other = (
        "sqlite:///" + str(tmp_path / "x.sqlite3")
        if db.is_postgres
        else "postgresql+psycopg://nobody@127.0.0.1:1/x"
    )
    _use(monkeypatch, other, tmp_path / "other-published")
    assert cli_main(["restore", str(archive)]) == 1
    assert "不支持在不同类型的数据库之间恢复" in capsys.readouterr().err
    assert not (tmp_path / "other-published").exists()


@pytest.fixture
def changed_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The publication templates with one added line in the document (HTML and PDF change, data not)."""
    templates = tmp_path / "templates"
    shutil.copytree(publish_html.TEMPLATES, templates)
    page = templates / "standalone.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            '{% include "_document.html" %}',
            '<p>本页由政务公开办统一发布。</p>\n{% include "_document.html" %}',
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(publish_html, "TEMPLATES", templates)
    publish_html.environment.cache_clear()
    yield
    publish_html.environment.cache_clear()


def test_rerender_makes_a_new_artifact_only_where_the_output_changed(
    session: Session, season_2026: dict[str, int], storage: LocalStorage,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    report_id = season_2026["published"]
    original = dict(session.scalars(select(Publication)).one().artifacts)
    assert cli_main(["rerender", "--all"]) == 0
    assert "没有生成新文件" in capsys.readouterr().out
    session.rollback()  # a new snapshot: the command wrote through its own connection
    assert session.scalars(select(Publication)).one().artifacts == original

    request.getfixturevalue("changed_template")
    assert cli_main(["rerender", "--report", str(report_id), "--dry-run"]) == 0
    assert "将重新生成 2 个文件" in capsys.readouterr().out
    session.rollback()  # a new snapshot: the command wrote through its own connection
    assert session.scalars(select(Publication)).one().artifacts == original
    assert cli_main(["rerender", "--report", str(report_id)]) == 0
    out = capsys.readouterr().out
    assert "report.html" in out and "report.pdf" in out and "report.json" not in out, out
    assert "已重新生成 2 个文件" in out

    session.rollback()  # a new snapshot: the command wrote through its own connection
    now = session.scalars(select(Publication)).one().artifacts
    for name in ("json", "csv", "xlsx"):
        assert now[name] == original[name]
    for name in ("html", "pdf"):
        assert now[name]["sha256"] != original[name]["sha256"]
        assert now[name]["previous"][0]["sha256"] == original[name]["sha256"]
        assert storage.get(original[name]["path"], sha256=original[name]["sha256"])  # the old file stays
        storage.get(now[name]["path"], sha256=now[name]["sha256"])
    new_html = storage.get(now["html"]["path"], sha256=now["html"]["sha256"]).decode("utf-8")
    assert "本页由政务公开办统一发布。" in new_html
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "publication.rerender")).one()
    assert event.report_id == report_id and set(event.details["changed"]) == {"html", "pdf"}

    assert cli_main(["rerender", "--all"]) == 0  # the same templates again: nothing new
    assert "没有生成新文件" in capsys.readouterr().out


def test_export_site_goes_on_past_a_broken_artifact(
    season_2026: dict[str, int], storage: LocalStorage, tmp_path: Path,  # type: ignore[no-untyped-def]
    session: Session, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    artifacts = session.scalars(select(Publication)).one().artifacts
    (storage.root / artifacts["pdf"]["path"]).unlink()
    damaged = storage.root / artifacts["csv"]["path"]
    damaged.chmod(0o644)
    damaged.write_bytes(damaged.read_bytes() + b"x")
    out = tmp_path / "site"
    assert cli_main(["export-site", str(out), "--base-url", "https://example.org/gk"]) == 1
    captured = capsys.readouterr()
    assert "report.pdf" in captured.err and "report.csv" in captured.err and "2 个已发布文件" in captured.err
    version_dir = out / "reports" / str(season_2026["published"]) / "v1"
    assert (version_dir / "report.html").is_file() and (version_dir / "report.xlsx").is_file()
    assert not (version_dir / "report.pdf").exists() and not (version_dir / "report.csv").exists()
    assert (out / "index.html").is_file() and (out / "feed.xml").is_file() and (out / "sitemap.xml").is_file()
    assert "已导出到" in captured.out


def test_a_backup_taken_while_the_site_writes_is_consistent(
    db, season_2026: dict[str, int], target_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Audit events are written all through the backup: the archive holds a prefix of them, and the
    counts its manifest gives are those of the snapshot it holds (restore checks them)."""
    stop, written = threading.Event(), [0]
    engine = create_engine(db.url, poolclass=NullPool, connect_args={} if db.is_postgres else {"timeout": 15})
    events = AuditEvent.__table__

    def write() -> None:
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(events.insert().values(at=clock_now(), action="test.tick", details={}))
            written[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 5:
            time.sleep(0.01)
        archive = tmp_path / "busy.tar.gz"
        assert cli_main(["backup", str(archive)]) == 0
        at_backup = written[0]
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    live = _rows(db.url)["audit_events"]
    counted = _manifest(archive)["counts"]["audit_events"]
    assert 5 <= counted - (len(live) - written[0]) <= at_backup
    _use(monkeypatch, target_url, tmp_path / "restored-published")
    assert cli_main(["restore", str(archive)]) == 0
    assert _rows(target_url)["audit_events"] == live[:counted]


def test_backup_without_postgresql_client_tools(
    db, season_2026: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """SQLite needs no tool; on PostgreSQL a missing pg_dump is said plainly and no file is left behind."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    archive = tmp_path / "b.tar.gz"
    if not db.is_postgres:
        assert cli_main(["backup", str(archive)]) == 0
        return
    assert cli_main(["backup", str(archive)]) == 1
    err = capsys.readouterr().err
    assert "找不到 pg_dump" in err and "postgresql-client" in err
    assert list(tmp_path.glob("*b.tar.gz*")) == [] and list(tmp_path.glob(".workflow-backup-*")) == []
