"""Storage for published artifacts: immutable, content-addressed files checked against their SHA-256.

A file's path is derived from its hash (`ab/abcdef….pdf`), so a stored path can never legitimately
hold other bytes: writing is idempotent (the same bytes land in the same place), and reading checks the
bytes against the hash recorded in the publication and refuses them if they differ (a file altered or
damaged on disk is never served as the published report).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class ArtifactCorrupted(Exception):
    """The stored bytes no longer match the recorded hash (or the file is gone)."""

    def __init__(
        self, path: str, message: str = "已发布文件校验失败，文件可能已被篡改或损坏，暂不能提供下载"
    ) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{message}: {path}")


@dataclass(frozen=True, slots=True)
class StoredArtifact:
    path: str  # relative to the storage root
    sha256: str
    size: int
    media_type: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size, "media_type": self.media_type}


class ArtifactStorage(Protocol):
    def put(self, data: bytes, *, suffix: str, media_type: str) -> StoredArtifact: ...

    def get(self, path: str, *, sha256: str) -> bytes: ...


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalStorage:
    """Files under `root`; written atomically (temp file + rename) and made read-only."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, data: bytes, *, suffix: str, media_type: str) -> StoredArtifact:
        digest = sha256_hex(data)
        rel = f"{digest[:2]}/{digest}.{suffix}"
        target = self._resolve(rel)
        if not (target.is_file() and sha256_hex(target.read_bytes()) == digest):
            self._write(target, data)  # new, or a damaged copy replaced by the true bytes
        return StoredArtifact(rel, digest, len(data), media_type)

    def get(self, path: str, *, sha256: str) -> bytes:
        target = self._resolve(path)
        try:
            data = target.read_bytes()
        except OSError:
            raise ArtifactCorrupted(path, "已发布文件不存在，暂不能提供下载") from None
        if sha256_hex(data) != sha256:
            raise ArtifactCorrupted(path)
        return data

    def _resolve(self, rel: str) -> Path:
        target = (self.root / rel).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ArtifactCorrupted(rel, "文件路径无效")
        return target

    def _write(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            if target.exists():
                os.chmod(target, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def get_storage(root: Path | None = None) -> LocalStorage:
    """The configured storage (WORKFLOW_STORAGE_DIR, default data_dir/published)."""
    if root is None:
        from workflow.settings import get_settings

        root = get_settings().published_dir
    return LocalStorage(root)
