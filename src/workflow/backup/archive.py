"""The archive: a .tar.gz whose last member, manifest.json, lists every other member's SHA-256 and size.

Reading is strict: an archive is accepted only if it reads to the end, holds exactly the members its
manifest lists (regular files, relative names inside the archive) and every one hashes as recorded.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from workflow.backup.errors import BackupError

MANIFEST = "manifest.json"
FILES_PREFIX = "published/"  # the stored published files, by their path under the storage root
FORMAT = "workflow-backup"
FORMAT_VERSION = 1
CHUNK = 1 << 20
_READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError)


class Writer:
    """Members are hashed as they are added; close() appends the manifest."""

    def __init__(self, target: Path) -> None:
        self._tar = tarfile.open(target, "w:gz", format=tarfile.PAX_FORMAT)  # noqa: SIM115 - closed in close()
        self.members: dict[str, dict[str, Any]] = {}

    def add_bytes(self, name: str, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._add(name, len(data), io.BytesIO(data), digest)
        return digest

    def add_file(self, name: str, path: Path) -> str:
        digest = file_sha256(path)
        size = path.stat().st_size
        with path.open("rb") as fh:
            self._add(name, size, fh, digest)
        return digest

    def _add(self, name: str, size: int, fileobj: IO[bytes], digest: str) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = size, 0o644
        self._tar.addfile(info, fileobj)
        self.members[name] = {"sha256": digest, "size": size}

    def close(self, manifest: dict[str, Any]) -> None:
        doc = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest, "members": self.members}
        data = json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o644
        self._tar.addfile(info, io.BytesIO(data))
        self._tar.close()

    def abort(self) -> None:
        self._tar.close()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify(archive: Path) -> dict[str, Any]:
    """The manifest, once every member has been read and checked against it; BackupError otherwise."""
    if not archive.is_file():
        raise BackupError(f"备份文件不存在：{archive}")
    seen: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    with _readable():
        for name, stream in _members(archive):
            if name == MANIFEST:
                manifest = _parse_manifest(stream.read())
                continue
            h, size = hashlib.sha256(), 0
            while chunk := stream.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
            seen[name] = {"sha256": h.hexdigest(), "size": size}
    if manifest is None:
        raise BackupError("备份文件中没有清单（manifest.json），不是本系统的备份或已损坏。")
    listed: dict[str, Any] = manifest["members"]
    problems = [f"缺少 {n}" for n in sorted(set(listed) - set(seen))]
    problems += [f"清单外的文件 {n}" for n in sorted(set(seen) - set(listed))]
    problems += [f"校验不符 {n}" for n in sorted(set(seen) & set(listed)) if seen[n] != _entry(listed[n])]
    if problems:
        shown = "；".join(problems[:5]) + (f" 等 {len(problems)} 处" if len(problems) > 5 else "")
        raise BackupError(f"备份文件已损坏，未做任何恢复：{shown}")
    return manifest


def extract(archive: Path, manifest: dict[str, Any], place: Callable[[str], Path | None]) -> None:
    """Write each member where `place(name)` says (None: skip), checking its hash again on the way."""
    listed = manifest["members"]
    with _readable():
        for name, stream in _members(archive):
            target = place(name) if name != MANIFEST else None
            if target is not None:
                _write(target, stream, listed[name]["sha256"], readonly=name.startswith(FILES_PREFIX))


def _write(target: Path, stream: IO[bytes], sha256: str, *, readonly: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-restore-{target.name}")
    h = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            while chunk := stream.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != sha256:
            raise BackupError(f"备份文件在读取过程中发生变化：{target.name}")
        if readonly:
            tmp.chmod(0o444)  # like the storage's own files
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _readable() -> Iterator[None]:
    try:
        yield
    except _READ_ERRORS as exc:
        if isinstance(exc, EOFError):
            reason = "文件不完整，可能被截断"
        elif isinstance(exc, tarfile.ReadError):
            reason = "无法识别的文件格式"
        else:
            reason = f"数据校验失败：{_first_line(exc)}"
        raise BackupError(f"备份文件已损坏或不是 tar.gz 格式，无法读取（{reason}），未做任何恢复。") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(":：")


def _members(archive: Path) -> Iterator[tuple[str, IO[bytes]]]:
    names: set[str] = set()
    with tarfile.open(archive, "r:*") as tar:
        for info in tar:
            name = _safe_name(info)
            if name in names:
                raise BackupError(f"备份文件中有重复的文件：{name}")
            names.add(name)
            stream = tar.extractfile(info)
            assert stream is not None  # a regular file (checked above)
            yield name, stream
        # Read the compressed stream to its end: gzip checks its CRC there (damage after what tar took
        # for its end-of-archive marker would otherwise go unseen).
        while tar.fileobj is not None and tar.fileobj.read(CHUNK):
            pass


def _safe_name(info: tarfile.TarInfo) -> str:
    path = PurePosixPath(info.name)
    if not info.isfile() or path.is_absolute() or ".." in path.parts or not info.name:
        raise BackupError(f"备份文件中有不允许的条目：{info.name}")
    return str(path)


def _parse_manifest(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise BackupError(f"备份清单无法解析：{exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("members"), dict):
        raise BackupError("备份清单格式不对，不是本系统的备份。")
    if int(doc.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError("备份来自更新版本的程序，请先升级本程序再恢复。")
    return doc


def _entry(info: Any) -> dict[str, Any]:
    return {"sha256": info.get("sha256"), "size": info.get("size")} if isinstance(info, dict) else {}
