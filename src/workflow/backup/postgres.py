"""PostgreSQL: `pg_dump` (custom format) on a snapshot exported by our own REPEATABLE READ transaction,
so the counts in the manifest describe exactly what the dump holds; `pg_restore` in one transaction."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from workflow.backup.database import Snapshot, engine_for, read_contents
from workflow.backup.errors import BackupError

INSTALL_HINT = "请安装 PostgreSQL 客户端工具（Debian/Ubuntu：apt-get install postgresql-client，版本不低于数据库服务器）后重试。"


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"找不到 {name} 命令（PATH 中没有）。{INSTALL_HINT}")
    return found


def libpq_env(url: str) -> dict[str, str]:
    """Connection parameters for the client tools as PG* variables (the password never on a command line)."""
    u = make_url(url)
    env = dict(os.environ)
    values = {
        "PGHOST": u.host or u.query.get("host"),
        "PGPORT": u.port or u.query.get("port"),
        "PGUSER": u.username,
        "PGPASSWORD": u.password,
        "PGDATABASE": u.database,
        "PGSSLMODE": u.query.get("sslmode"),
    }
    for key, value in values.items():
        if value:
            env[key] = str(value if not isinstance(value, tuple) else value[0])
    return env


def snapshot(url: str, workdir: Path) -> Snapshot:
    pg_dump = tool("pg_dump")
    target = workdir / "workflow.pgdump"
    snap = Snapshot(target, "database/workflow.pgdump", "pg_dump-custom")
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                exported = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                read_contents(conn, snap)
                # The transaction stays open while pg_dump reads the very same snapshot.
                _run([pg_dump, "--format=custom", f"--snapshot={exported}", f"--file={target}"], url)
    finally:
        engine.dispose()
    return snap


def restore(url: str, dump: Path) -> None:
    pg_restore = tool("pg_restore")
    database = make_url(url).database or ""
    _run(
        [
            pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
            "--single-transaction", "--exit-on-error", f"--dbname={database}", str(dump),
        ],
        url,
    )  # fmt: skip


def _run(argv: list[str], url: str) -> None:
    name = Path(argv[0]).name
    try:
        done = subprocess.run(argv, env=libpq_env(url), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"无法运行 {name}：{exc}。{INSTALL_HINT}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise BackupError(f"{name} 执行失败（退出码 {done.returncode}）：{detail}")
