"""Publishing through the real services and database: idempotence, stored artifacts, corrections."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.integration.test_publication_support import approved_report, correct
from workflow.clock import FixedClock
from workflow.db.models import AuditEvent, Publication, ReportRow
from workflow.domain.samples import sample_report
from workflow.services.errors import ServiceError
from workflow.services.publication import publications_of, publish
from workflow.storage import ArtifactCorrupted, LocalStorage

pytestmark = pytest.mark.integration


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "published")


def _content(year: int = 2026, name: str = "鲁沙尔镇人民政府"):  # type: ignore[no-untyped-def]
    return sample_report(random.Random(5), year=year, body_name=name, with_requests=True)


def test_publishing_twice_publishes_once(
    session: Session, db, clock: FixedClock, storage: LocalStorage
) -> None:
    report_id = approved_report(session, _content())
    first = publish(session, report_id=report_id, storage=storage)
    clock.advance(hours=1)
    second = publish(session, report_id=report_id, storage=storage)
    assert second.id == first.id
    assert session.query(Publication).count() == 1
    report = session.get(ReportRow, report_id, populate_existing=True)
    assert report is not None and report.state == "published"
    assert report.first_published_at == first.published_at == clock.now() - timedelta(hours=1)
    assert session.query(AuditEvent).filter_by(action="report.publish", report_id=report_id).count() == 1


def test_every_artifact_is_stored_with_its_hash(
    session: Session, clock: FixedClock, storage: LocalStorage
) -> None:
    report_id = approved_report(session, _content())
    pub = publish(session, report_id=report_id, storage=storage)
    assert set(pub.artifacts) == {"html", "pdf", "json", "csv", "xlsx"}
    for info in pub.artifacts.values():
        data = storage.get(info["path"], sha256=info["sha256"])
        assert len(data) == info["size"] > 0
    doc = json.loads(storage.get(pub.artifacts["json"]["path"], sha256=pub.artifacts["json"]["sha256"]))
    assert doc["report"]["header"]["body_name"] == "鲁沙尔镇人民政府"
    assert doc["metadata"]["published_at"] == clock.now().isoformat()


def test_altered_bytes_are_refused(session: Session, clock: FixedClock, storage: LocalStorage) -> None:
    report_id = approved_report(session, _content())
    pub = publish(session, report_id=report_id, storage=storage)
    info = pub.artifacts["pdf"]
    path = storage.root / info["path"]
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"%PDF", b"%PDX", 1))
    with pytest.raises(ArtifactCorrupted):
        storage.get(info["path"], sha256=info["sha256"])


def test_a_report_not_yet_approved_is_not_published(
    session: Session, clock: FixedClock, storage: LocalStorage
) -> None:
    from tests.integration.test_publication_support import season
    from workflow.db.factories import make_body
    from workflow.services.drafts import create_report

    body = make_body(session, "多巴镇人民政府")
    s = season(session, 2026)
    session.commit()
    report_id = create_report(session, body_id=body.id, season_id=s.id, actor_id=None)
    with pytest.raises(ServiceError):  # nothing submitted, let alone approved
        publish(session, report_id=report_id, storage=storage)
    assert session.query(Publication).count() == 0


def test_a_correction_is_a_new_publication_keeping_the_first_date(
    session: Session, clock: FixedClock, storage: LocalStorage
) -> None:
    content = _content()
    report_id = approved_report(session, content)
    v1 = publish(session, report_id=report_id, storage=storage)
    clock.advance(days=12)
    t2 = content.table("t2")
    t2.set("licensing", "decisions", int(t2.value("licensing", "decisions") or 0) + 3)
    correct(session, report_id, content, "表二行政许可数量填报有误，予以更正。")
    v2 = publish(session, report_id=report_id, storage=storage)
    assert v2.id != v1.id
    assert v2.first_published_at == v1.published_at and v2.published_at == clock.now()
    assert v2.correction_note == "表二行政许可数量填报有误，予以更正。"
    assert [p.id for p in publications_of(session, report_id)] == [v1.id, v2.id]
    report = session.get(ReportRow, report_id, populate_existing=True)
    assert report is not None and report.first_published_at == v1.published_at
    html = storage.get(v2.artifacts["html"]["path"], sha256=v2.artifacts["html"]["sha256"]).decode()
    assert "更正说明" in html and "表二行政许可数量填报有误" in html
    # the first version's files are untouched and still readable
    storage.get(v1.artifacts["html"]["path"], sha256=v1.artifacts["html"]["sha256"])


def test_a_redelivered_task_after_a_correction_started_returns_the_publication(
    session: Session, clock: FixedClock, storage: LocalStorage
) -> None:
    from workflow.services import review

    report_id = approved_report(session, _content())
    first = publish(session, report_id=report_id, storage=storage)
    review.start_correction(session, report_id=report_id, reason="更正", actor_id=None)
    again = publish(session, report_id=report_id, storage=storage)
    assert again.id == first.id
    assert session.query(Publication).count() == 1
    report = session.get(ReportRow, report_id, populate_existing=True)
    assert report is not None and report.state == "draft"


def test_the_publish_task_run_twice_publishes_once(
    session: Session, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow.settings import get_settings
    from workflow.tasks.jobs import publish_report

    monkeypatch.setenv("WORKFLOW_STORAGE_DIR", str(tmp_path / "task-published"))
    get_settings.cache_clear()
    report_id = approved_report(session, _content())
    session.commit()
    for _ in range(2):  # the real task body, executed in this process (a redelivered message)
        publish_report.apply(args=(report_id,)).get()
    pubs = session.query(Publication).filter_by(report_id=report_id).all()
    assert len(pubs) == 1
    assert all((tmp_path / "task-published" / a["path"]).is_file() for a in pubs[0].artifacts.values())


def test_two_publishers_at_once_make_one_publication(
    session: Session,
    db,
    clock: FixedClock,
    storage: LocalStorage,  # type: ignore[no-untyped-def]
) -> None:
    import threading

    report_id = approved_report(session, _content())
    session.commit()
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with db.sessions() as own:
            try:
                barrier.wait()
                results.append(publish(own, report_id=report_id, storage=storage).id)
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    assert session.query(Publication).filter_by(report_id=report_id).count() == 1
