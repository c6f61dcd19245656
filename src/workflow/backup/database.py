"""Database side of a backup: which backend, a consistent snapshot with what it holds, a restore."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from workflow.backup.errors import BackupError
from workflow.db.models import Publication

# Counted in the manifest, and checked again after a restore.
KEY_TABLES = (
    "users",
    "bodies",
    "seasons",
    "reports",
    "report_versions",
    "validation_runs",
    "review_decisions",
    "review_comments",
    "publications",
    "audit_events",
)
BACKEND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Snapshot:
    """A database snapshot written to `path`, and what was read from that same snapshot."""

    path: Path
    member: str  # name inside the archive
    format: str  # sqlite | pg_dump-custom
    revision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    artifacts: list[tuple[str, str]] = field(default_factory=list)  # (path, sha256) of every publication


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in BACKEND_LABELS:
        raise BackupError(f"不支持的数据库类型：{name}（只支持 SQLite 和 PostgreSQL）")
    return name


def read_contents(conn: Connection, snap: Snapshot) -> Snapshot:
    """Fill in the revision, the counts and the referenced artifacts from `conn`'s snapshot."""
    if not inspect(conn).has_table("alembic_version"):
        raise BackupError("数据库尚未初始化（没有数据库结构版本记录），没有可备份的内容。")
    snap.revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    snap.counts = count_tables(conn)
    for (artifacts,) in conn.execute(select(Publication.artifacts).order_by(Publication.id)):
        for info in (artifacts or {}).values():
            snap.artifacts.append((str(info["path"]), str(info["sha256"])))
    return snap


def count_tables(conn: Connection) -> dict[str, int]:
    present = set(inspect(conn).get_table_names())
    return {
        name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
        for name in KEY_TABLES
        if name in present
    }


def engine_for(url: str) -> Engine:
    """A plain engine for the few short statements of a backup or restore (no pool kept)."""
    return create_engine(url, poolclass=NullPool)


def occupied(url: str) -> dict[str, int]:
    """How many users and reports the target database already holds (empty: nothing there)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and (not u.database or not Path(u.database).is_file()):
        return {}
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            counts = count_tables(conn)
    except Exception as exc:
        raise BackupError(f"无法连接目标数据库：{_first_line(exc)}") from exc
    finally:
        engine.dispose()
    return {name: counts[name] for name in ("reports", "users") if counts.get(name)}


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def describe(counts: dict[str, Any]) -> str:
    labels = {"reports": "份报告", "users": "个用户"}
    return "，".join(f"{n} {labels.get(k, k)}" for k, n in counts.items())
