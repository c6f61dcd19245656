"""Re-rendering publications with the current templates (`workflow rerender`).

Each publication is rendered again from its own version and its own publication metadata (same dates,
same version number, same correction note).  Only a file whose output changed gets a new artifact: the
new file is stored (content-addressed, beside the old one, which stays), the publication's entry points
to it, and the entry keeps the files it replaced under "previous" (path, sha256, size, when replaced).
An audit event `publication.rerender` records each changed publication.  No schema change: artifacts
is a JSON column and the portal reads only the current path and hash.

As in publishing, no transaction is held open while rendering: read, render, then one short write
that refuses to overwrite a publication whose artifacts changed in the meantime.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import Publication, ReportVersion
from workflow.db.session import begin_write
from workflow.domain.model import Report
from workflow.publish.artifacts import render_all
from workflow.publish.html import PublicationMeta
from workflow.services import audit, contests
from workflow.storage import ArtifactCorrupted, ArtifactStorage, get_storage, sha256_hex

_XLSX_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")


@dataclass
class Rerendered:
    publication_id: int
    report_id: int
    version: int
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (old sha256, new sha256)
    conflict: bool = False  # changed by someone else meanwhile: left alone


def rerender(
    session: Session,
    *,
    report_id: int | None = None,
    storage: ArtifactStorage | None = None,
    dry_run: bool = False,
    progress: Callable[[Rerendered], None] | None = None,
) -> list[Rerendered]:
    """Every publication (or one report's), oldest first; what changed in each."""
    storage = storage or get_storage()
    stmt = select(Publication.id).order_by(Publication.report_id, Publication.published_at)
    if report_id is not None:
        stmt = stmt.where(Publication.report_id == report_id)
    ids = list(session.scalars(stmt))
    session.rollback()
    results = []
    for publication_id in ids:
        result = _rerender_one(session, publication_id, storage, dry_run)
        if progress:
            progress(result)
        results.append(result)
    return results


def _rerender_one(
    session: Session, publication_id: int, storage: ArtifactStorage, dry_run: bool
) -> Rerendered:
    try:
        pub = session.get(Publication, publication_id, populate_existing=True)
        assert pub is not None
        version = session.get(ReportVersion, pub.version_id)
        assert version is not None
        before: dict[str, Any] = {k: dict(v) for k, v in (pub.artifacts or {}).items()}
        tz = now().tzinfo  # publishing stamped local time; the database may give it back in UTC
        meta = PublicationMeta(
            version=version.number,
            published_at=pub.published_at.astimezone(tz),
            first_published_at=pub.first_published_at.astimezone(tz),
            correction_note=pub.correction_note or "",
            report_id=pub.report_id,
            contested=contests.accepted_for_publication(session, pub.report_id, until=pub.published_at),
        )
        content = Report.from_dict(version.content)
        result = Rerendered(pub.id, pub.report_id, version.number)
    finally:
        session.rollback()  # no transaction open while rendering
    after = dict(before)
    for name, artifact in render_all(content, meta).items():
        old = before.get(name)
        if old is not None and _same_output(name, old, artifact.data, storage, repair=not dry_run):
            continue
        new: dict[str, Any] = {"sha256": sha256_hex(artifact.data), "size": len(artifact.data)}
        if not dry_run:
            new = storage.put(artifact.data, suffix=name, media_type=artifact.media_type).to_dict()
            if old is not None:
                new["previous"] = [
                    *old.get("previous", []),
                    {**_current(old), "replaced_at": now().isoformat()},
                ]
        result.changed[name] = (old["sha256"] if old else "", new["sha256"])
        after[name] = new
    if result.changed and not dry_run:
        result.conflict = not _record(session, result, before, after)
    return result


def _same_output(
    name: str, old: dict[str, Any], data: bytes, storage: ArtifactStorage, *, repair: bool
) -> bool:
    if sha256_hex(data) == old["sha256"]:
        if repair:  # the same bytes: a missing or damaged stored copy is written again
            storage.put(data, suffix=name, media_type=old.get("media_type", ""))
        return True
    if name != "xlsx":
        return False
    try:  # openpyxl stamps the time of saving into the zip entries and docProps/core.xml
        return _xlsx_parts(storage.get(old["path"], sha256=old["sha256"])) == _xlsx_parts(data)
    except (ArtifactCorrupted, zipfile.BadZipFile):
        return False


def _xlsx_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: _XLSX_MODIFIED.sub(b"", z.read(n)) for n in z.namelist()}


def _current(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("path", "sha256", "size", "media_type") if k in entry}


def _record(session: Session, result: Rerendered, before: dict[str, Any], after: dict[str, Any]) -> bool:
    begin_write(session)
    pub = session.get(Publication, result.publication_id, populate_existing=True, with_for_update=True)
    if pub is None or dict(pub.artifacts or {}) != before:
        session.rollback()
        return False
    pub.artifacts = after
    audit.record(
        session,
        "publication.rerender",
        actor_id=None,
        report_id=result.report_id,
        publication_id=result.publication_id,
        version=result.version,
        changed={name: {"old": old, "new": new} for name, (old, new) in result.changed.items()},
    )
    session.commit()
    return True
