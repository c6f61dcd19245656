"""Artifact storage: content-addressed, idempotent, and never hands out bytes that do not match."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from workflow.storage import ArtifactCorrupted, LocalStorage


def test_put_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    a = storage.put(b"%PDF-1.7 report", suffix="pdf", media_type="application/pdf")
    b = storage.put(b"%PDF-1.7 report", suffix="pdf", media_type="application/pdf")
    assert a == b
    assert a.sha256 == hashlib.sha256(b"%PDF-1.7 report").hexdigest()
    assert a.path == f"{a.sha256[:2]}/{a.sha256}.pdf" and a.size == 15
    assert storage.get(a.path, sha256=a.sha256) == b"%PDF-1.7 report"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{a.sha256}.pdf"]


def test_altered_or_missing_bytes_are_refused(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    a = storage.put(b"original", suffix="csv", media_type="text/csv")
    path = tmp_path / a.path
    path.chmod(0o644)
    path.write_bytes(b"originaL")
    with pytest.raises(ArtifactCorrupted, match="校验失败"):
        storage.get(a.path, sha256=a.sha256)
    # publishing the same bytes again repairs the damaged copy
    storage.put(b"original", suffix="csv", media_type="text/csv")
    assert storage.get(a.path, sha256=a.sha256) == b"original"
    path.unlink()
    with pytest.raises(ArtifactCorrupted, match="不存在"):
        storage.get(a.path, sha256=a.sha256)


def test_paths_outside_the_root_are_refused(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "root")
    (tmp_path / "secret").write_bytes(b"x")
    with pytest.raises(ArtifactCorrupted):
        storage.get("../secret", sha256=hashlib.sha256(b"x").hexdigest())
