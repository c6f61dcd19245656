"""SQLite: the online backup API gives a consistent copy while the site writes (one read transaction)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from workflow.backup.database import Snapshot, engine_for, read_contents
from workflow.backup.errors import BackupError

BUSY_TIMEOUT_S = 30.0


def database_path(url: str) -> Path:
    name = make_url(url).database
    if not name or name == ":memory:":
        raise BackupError("内存数据库无法备份或恢复，请配置数据库文件路径。")
    return Path(name)


def snapshot(url: str, workdir: Path) -> Snapshot:
    source = database_path(url)
    if not source.is_file():
        raise BackupError(f"数据库文件不存在：{source}")
    target = workdir / "workflow.sqlite3"
    _copy(source, target)
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    engine = engine_for(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            return read_contents(conn, Snapshot(target, "database/workflow.sqlite3", "sqlite"))
    finally:
        engine.dispose()


def restore(url: str, dump: Path) -> None:
    target = database_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(dump, target)


def _copy(source: Path, target: Path) -> None:
    """Page by page through the backup API (never a file copy: that misses what is still in the WAL)."""
    try:
        with (
            closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)) as src,
            closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"复制 SQLite 数据库失败（{source} → {target}）：{exc}") from exc
