"""`backup()` and `restore()`: the two operations behind `workflow backup` / `workflow restore`."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow.backup import archive, postgres, sqlite
from workflow.backup.database import (
    BACKEND_LABELS,
    Snapshot,
    backend_of,
    count_tables,
    describe,
    engine_for,
    occupied,
)
from workflow.backup.errors import BackupError
from workflow.clock import now


@dataclass
class BackupSummary:
    manifest: dict[str, Any]
    size: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreSummary:
    manifest: dict[str, Any]
    files: int
    head: str | None

    @property
    def revision(self) -> str | None:
        return self.manifest.get("schema_revision")


def backup(target: Path, *, url: str, storage_root: Path) -> BackupSummary:
    """Write the archive to `target` (replaced atomically: a failed run never leaves a half archive there)."""
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"目标目录不存在：{target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".workflow-backup-") as work:
        snap = take_snapshot(url, Path(work))  # first the database, then the files it refers to
        writer = archive.Writer(partial)
        try:
            writer.add_file(snap.member, snap.path)
            files, size = _add_files(writer, storage_root)
            warnings = _missing_files(snap, writer.members)
            manifest = {
                "created_at": now().isoformat(),
                "backend": backend_of(url),
                "schema_revision": snap.revision,
                "database": {"member": snap.member, "format": snap.format},
                "counts": snap.counts,
                "files": {"count": files, "bytes": size},
                "warnings": warnings,
            }
            writer.close(manifest)
            os.replace(partial, target)
        except BaseException:
            writer.abort()
            partial.unlink(missing_ok=True)
            raise
    return BackupSummary(manifest, target.stat().st_size, warnings)


def _add_files(writer: archive.Writer, root: Path) -> tuple[int, int]:
    count = size = 0
    if not root.is_dir():
        return count, size
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".tmp"):  # .tmp-*: a write in progress
            data = path.read_bytes()
            writer.add_bytes(archive.FILES_PREFIX + path.relative_to(root).as_posix(), data)
            count, size = count + 1, size + len(data)
    return count, size


def _missing_files(snap: Snapshot, members: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    for path, sha256 in sorted(set(snap.artifacts)):
        found = members.get(archive.FILES_PREFIX + path)
        if found is None:
            out.append(f"发布文件缺失（数据库中有记录，存储目录中没有）：{path}")
        elif found["sha256"] != sha256:
            out.append(f"发布文件与记录的校验值不符（已按现状备份）：{path}")
    return out


def restore(
    source: Path, *, url: str, storage_root: Path, force: bool = False, workdir: Path | None = None
) -> RestoreSummary:
    """Verify everything first; then the files, then the database (a failure there leaves only extra,
    harmless content-addressed files behind)."""
    manifest = archive.verify(source)
    _check_backend(manifest, url)
    head = _check_revision(manifest.get("schema_revision"))
    found = occupied(url)
    if found and not force:
        raise BackupError(
            f"目标数据库不是空的（已有 {describe(found)}），未做任何恢复。"
            "恢复会用备份覆盖现有数据；确认要覆盖，请加 --force 再运行。"
        )
    member = manifest.get("database", {}).get("member")
    if member not in manifest["members"]:
        raise BackupError("备份清单中没有数据库文件，无法恢复。")
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".workflow-restore-") as work:
        dump = Path(work) / "database"

        def place(name: str) -> Path | None:
            if name == member:
                return dump
            if name.startswith(archive.FILES_PREFIX):
                return storage_root / name.removeprefix(archive.FILES_PREFIX)
            return None

        archive.extract(source, manifest, place)
        restore_snapshot(url, dump)
    _check_counts(manifest, url)
    files = sum(1 for n in manifest["members"] if n.startswith(archive.FILES_PREFIX))
    return RestoreSummary(manifest, files, head)


def _check_backend(manifest: dict[str, Any], url: str) -> None:
    ours, theirs = backend_of(url), str(manifest.get("backend"))
    if theirs != ours:
        raise BackupError(
            f"这份备份来自 {BACKEND_LABELS.get(theirs, theirs)} 数据库，当前配置的是 {BACKEND_LABELS[ours]}，"
            "未做任何恢复：不支持在不同类型的数据库之间恢复（例如把 SQLite 备份恢复到 PostgreSQL）。"
            "请恢复到与备份相同类型的数据库。"
        )


def _check_revision(revision: str | None) -> str | None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from workflow.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        known = revision is not None and script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"备份的数据库结构版本（{revision}）本程序不认识，未做任何恢复：备份可能来自更新版本的程序，请先升级本程序。"
        )
    return script.get_current_head()


def _check_counts(manifest: dict[str, Any], url: str) -> None:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            counts = count_tables(conn)
    finally:
        engine.dispose()
    expected = manifest.get("counts", {})
    wrong = [f"{t}：应为 {n}，实为 {counts.get(t)}" for t, n in expected.items() if counts.get(t) != n]
    if wrong:
        raise BackupError("恢复后核对记录数不符：" + "；".join(wrong))


# The backends import database.py (Snapshot, read_contents): choosing one is done here, above both.
def take_snapshot(url: str, workdir: Path) -> Snapshot:
    if backend_of(url) == "sqlite":
        return sqlite.snapshot(url, workdir)
    return postgres.snapshot(url, workdir)


def restore_snapshot(url: str, dump: Path) -> None:
    if backend_of(url) == "sqlite":
        sqlite.restore(url, dump)
    else:
        postgres.restore(url, dump)
