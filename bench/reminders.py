"""Reminder sweep: find and enqueue the due reminders for 200,000 bodies (target ≤ 30 s).

    .venv/bin/python bench/reminders.py [--bodies 200000] [--url postgresql+psycopg://postgres@127.0.0.1/wf_bench_reminders]

Without --url a fresh SQLite file in a temporary directory is used.  With a PostgreSQL URL the database
is created if missing and its tables emptied.  Seeding (not timed) makes bodies in varied states: 60 %
with no report, 15 % drafts, 5 % returned, 10 % in review, 10 % published, 2 % with an extension.  The
timed sweep is `enqueue_due` on 29 January 2027 (one workday before the 31 January deadline: nearly every
body is due): one bulk read, the pure policy per body, chunked INSERT … ON CONFLICT DO NOTHING.  A second
sweep on the same day shows the cost when everything is already enqueued (the steady state every scan).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from workflow.clock import SHANGHAI
from workflow.db.migrate import upgrade
from workflow.db.models import Base, Body, Extension, Jurisdiction, ReportRow, Season, SeasonDeadline
from workflow.db.session import make_engine, make_session_factory
from workflow.domain.bodies import BodyType
from workflow.domain.reminders import ReminderPolicy
from workflow.holidays import load_calendar
from workflow.services import reminders as svc

STATES = [(60, None), (15, "draft"), (5, "returned"), (10, "in_review"), (10, "published")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=200_000)
    parser.add_argument("--url", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2027, 1, 29))
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp(prefix='wf-bench-')}/bench.sqlite3"
    _prepare(url)
    t0 = time.perf_counter()
    _seed(url, args.bodies)
    print(
        f"database: {make_url(url).get_backend_name()}  bodies: {args.bodies:,}  seeded in {time.perf_counter() - t0:.1f} s"
    )
    factory = make_session_factory(url)
    cal, policy = load_calendar(), ReminderPolicy()
    now = datetime(args.as_of.year, args.as_of.month, args.as_of.day, 9, 0, tzinfo=SHANGHAI)
    for label in ("first sweep (all new)", "second sweep (already enqueued)"):
        with factory() as s:
            t = time.perf_counter()
            planned = sum(1 for _ in svc.iter_plan(s, as_of=args.as_of, calendar=cal, policy=policy))
            t_plan = time.perf_counter() - t
        with factory() as s:
            t = time.perf_counter()
            inserted = svc.enqueue_due(s, now=now, calendar=cal, policy=policy)
            elapsed = time.perf_counter() - t
        print(
            f"{label}: {planned:,} due rows, {inserted:,} inserted; plan alone {t_plan:.1f} s, "
            f"find + enqueue {elapsed:.1f} s  ({'OK' if elapsed <= 30 else 'OVER'} the 30 s target)"
        )


def _prepare(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "postgresql":
        admin = make_engine(
            u.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}
            ).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{u.database}"')
        admin.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        names = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
        else:
            for name in names:
                conn.exec_driver_sql(f"DELETE FROM {name}")
    engine.dispose()


def _seed(url: str, n: int) -> None:
    engine = make_engine(url)
    created = datetime(2026, 11, 1, tzinfo=UTC)
    types = [BodyType.TOWNSHIP, BodyType.STREET, BodyType.COUNTY_DEPARTMENT]
    with engine.begin() as conn:
        conn.execute(insert(Jurisdiction), [{"id": 1, "name": "基准测试区"}])
        conn.execute(
            insert(Season), [{"id": 1, "report_year": 2026, "stages": ["office"], "created_at": created}]
        )
        conn.execute(
            insert(SeasonDeadline),
            [
                {"season_id": 1, "body_type": t.value, "locality": None, "due_date": date(2027, 1, 31)}
                for t in types
            ],
        )
        for start in range(0, n, 20_000):
            ids = range(start + 1, min(n, start + 20_000) + 1)
            conn.execute(insert(Body), [_body(i, types, created) for i in ids])
            reports = [r for i in ids if (r := _report(i, created)) is not None]
            if reports:
                conn.execute(insert(ReportRow), reports)
            exts = [_extension(i, created) for i in ids if i % 50 == 0]
            conn.execute(insert(Extension), exts)
    engine.dispose()


def _body(i: int, types: list[BodyType], created: datetime) -> dict[str, Any]:
    return {
        "id": i,
        "name": f"第{i}号单位",
        "code": f"b{i}",
        "body_type": types[i % len(types)].value,
        "jurisdiction_id": 1,
        "contact_name": "",
        "contact_email": f"b{i}@example.gov.cn",
        "contact_phone": "",
        "head_email": f"h{i}@example.gov.cn",
        "webhook_url": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k{i}" if i % 2 else None,
        "created_at": created,
    }


def _report(i: int, created: datetime) -> dict[str, Any] | None:
    bucket, acc = i % 100, 0
    for share, state in STATES:
        acc += share
        if bucket < acc:
            if state is None:
                return None
            return {
                "body_id": i,
                "season_id": 1,
                "state": state,
                "review_stage": 0,
                "draft": {},
                "draft_revision": 0,
                "latest_version": 0,
                "is_correction": False,
                "state_changed_at": datetime(2027, 1, 18, 2, tzinfo=UTC),
                "created_at": created,
            }
    return None


def _extension(i: int, created: datetime) -> dict[str, Any]:
    return {
        "season_id": 1,
        "body_id": i,
        "new_due_date": date(2027, 2, 26),
        "reason": "基准测试",
        "granted_at": created,
    }


if __name__ == "__main__":
    main()
