"""The demo district's past season: 2025 already through the workflow, on the portal, last year for 2026.

One seeding (through the CLI, as `workflow seed-demo` does it) renders 16 publications; every check is
made on it, then a second seeding must add nothing.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from pathlib import Path

import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from workflow import clock as clock_module
from workflow.cli import main as cli
from workflow.clock import SHANGHAI, FixedClock, get_clock, set_clock
from workflow.db.models import AuditEvent, Body, Publication, ReportRow, ReportVersion, Season
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.portal import router
from workflow.rules.catalog import validate
from workflow.services import checks, drafts, outbox, seed
from workflow.settings import get_settings
from workflow.web.deadlines import DueDates

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def _local(at: datetime) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(SHANGHAI)


def _counts(s) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(
        int(s.scalar(select(func.count()).select_from(t)) or 0)
        for t in (Body, Season, ReportRow, Publication, AuditEvent)
    )


def test_the_demo_comes_with_a_published_past_season(
    db,
    corpus: Path,
    sent: outbox.RecordingDispatcher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WORKFLOW_STORAGE_DIR", str(tmp_path / "published"))
    get_settings.cache_clear()
    today = FixedClock(datetime(2026, 12, 3, 10, 0))
    set_clock(today)
    try:
        assert cli(["seed-demo", "--corpus", str(corpus)]) == 0
        assert get_clock() is today and today.now() == datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
    finally:
        set_clock(None)
    out = capsys.readouterr().out
    assert "reviewer" in out and "demo1234" in out and "publications 16" in out

    assert cli(["status", "--format", "json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    nonzero = {year: {state: n for state, n in by_state.items() if n} for year, by_state in counts.items()}
    assert nonzero == {"2024": {"draft": 1}, "2025": {"published": 15}, "2026": {}}

    with db.sessions() as s:
        season = s.scalars(select(Season).where(Season.report_year == seed.PAST_YEAR)).one()
        reports = list(s.scalars(select(ReportRow).where(ReportRow.season_id == season.id)))
        assert len(reports) == len(seed.BODIES) == 15
        assert {r.state for r in reports} == {"published"}
        due = DueDates(s)
        late = {}
        for r in reports:
            pubs = s.scalars(
                select(Publication).where(Publication.report_id == r.id).order_by(Publication.published_at)
            ).all()
            first = _local(pubs[0].published_at)
            assert first.year == 2026 and first.month in (1, 2), (r.body.code, first)
            content = Report.from_dict(s.get_one(ReportVersion, pubs[-1].version_id).content)
            assert content.header.body_name == r.body.name and content.header.year == 2025
            if first.date() > due.due(r.body, r.season):
                late[r.body.code] = first.date()
        assert len(late) >= 2 and set(late) == set(seed.LATE), late
        corrected = [r for r in reports if r.latest_version == 2 and r.is_correction]
        assert [r.body.code for r in corrected] == [seed.CORRECTED]
        pubs = s.scalars(
            select(Publication).where(Publication.report_id == corrected[0].id).order_by(Publication.id)
        ).all()
        assert len(pubs) == 2 and pubs[0].correction_note is None
        assert "更正表二" in (pubs[1].correction_note or "")
        assert pubs[1].first_published_at == pubs[0].first_published_at
        assert _local(pubs[1].published_at).month == 3
        # The audit trail tells the story at its dates: the returned report was returned in January.
        returned = s.scalars(select(AuditEvent).where(AuditEvent.action == "report.return")).one()
        assert s.get_one(ReportRow, returned.report_id).body.code == seed.RETURNED
        assert _local(returned.at).date().isoformat().startswith("2026-01")

        # Last year for 2026: a clerk's new 2026 report finds the published 2025 report.
        lushaer = s.scalars(select(Body).where(Body.code == "lushaer")).one()
        season_2026 = s.scalars(select(Season).where(Season.report_year == 2026)).one()
        s.commit()
    set_clock(FixedClock(datetime(2027, 1, 10, 9, 0)))
    try:
        with db.sessions() as s:
            report_id = drafts.create_report(s, body_id=lushaer.id, season_id=season_2026.id, actor_id=None)
            report = s.get_one(ReportRow, report_id)
            previous, imported = checks.previous_report(s, report)
            assert previous is not None and not imported
            assert previous.header.year == 2025 and previous.header.body_name == "鲁沙尔镇人民政府"
            # A 2026 report carried on from it passes the cross-year rules (上年结转 = 结转下年度).
            this_year = sample_report(random.Random(7), year=2026, body_name=lushaer.name, previous=previous)
            t3_now, t3_then = this_year.table("t3"), previous.table("t3")
            assert t3_now.value("carried", "total") == t3_then.value("forward", "total")
            assert validate(this_year, previous, today=date(2027, 2, 1)).errors == []
            s.commit()
    finally:
        set_clock(None)

    # The public portal lists the season.
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        page = client.get("/public/years/2025/")
        assert page.status_code == 200
        names = lxml.html.fromstring(page.text).xpath("//td[1]/a/text()")
        assert sorted(names) == sorted(name for _code, name in seed.BODIES)
        assert "2025" in client.get("/public/").text

    # A second seeding adds nothing.
    with db.sessions() as s:
        before = _counts(s)
        s.commit()
        assert seed.seed_demo(s, corpus) == dict.fromkeys(
            ("bodies", "users", "seasons", "reports", "publications"), 0
        )
        s.commit()
        assert _counts(s) == before


def test_a_first_start_survives_a_past_season_that_cannot_be_published(
    db,
    corpus: Path,
    sent: outbox.RecordingDispatcher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    """`workflow run` seeds the district at once and leaves the published 2025 season to a background
    `workflow seed-demo`; when the PDFs cannot be stored, that says so and keeps what it did (the
    first report stays approved: the next run resumes it), and the first-start marker stays."""
    from workflow.cli import main as cli
    from workflow.cli import run as run_cli

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the published files should go")
    monkeypatch.setenv("WORKFLOW_STORAGE_DIR", str(blocked))
    monkeypatch.setenv("WORKFLOW_DEMO_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("WORKFLOW_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logins = run_cli._seed_if_empty(seed, settings)
    assert [u for u, _p, _r in logins] == ["lushaer", "reviewer", "admin"]
    marker = settings.data_dir / run_cli.PAST_SEASON_PENDING
    assert marker.exists()
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Body)) == 15
        assert (
            s.scalar(
                select(func.count()).select_from(ReportRow).join(Season).where(Season.report_year == 2025)
            )
            == 0
        )
        s.commit()

    assert cli(["seed-demo", "--done-marker", str(marker)]) == 1
    assert "未能全部写入" in capsys.readouterr().out
    assert marker.exists()  # not finished: the next start tries again
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Publication)) == 0
        assert s.scalars(select(ReportRow.state).join(Season).where(Season.report_year == 2025)).all() == [
            "approved"
        ]
        s.commit()
    assert clock_module._override is None  # the demo's clock is gone with the failure
