"""Push N submissions through the checks with real worker processes; print throughput and latency.

    .venv/bin/python bench/pipeline.py                 # 1,000 submissions, two worker processes
    .venv/bin/python bench/pipeline.py -n 200 --submitters 2

Database: a fresh database `wf_bench_<random>` on the PostgreSQL server of WORKFLOW_TEST_DATABASE_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/test), dropped afterwards; `--sqlite` for a temporary
SQLite file.  Broker: WORKFLOW_TEST_REDIS_URL (default redis://127.0.0.1:6379/0) in logical database 12
under a unique key prefix, or `--embedded-redis` for a redis-server of our own.

Latency is submit → checked for each report: the version's submitted_at (set in the submit transaction)
to its validation run's finished_at (set in the transaction that stores the findings), both written by
the services from the same machine clock.  Throughput is N over the first submit → the last check.
Targets (issue 3): ≥ 50 submissions/s, p50 ≤ 300 ms, p99 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from celery import Celery
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from workers.celery_app import celery_config
from workflow.cli.run import worker_argv
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.migrate import upgrade
from workflow.db.models import ReportVersion, ValidationRun
from workflow.db.session import make_engine
from workflow.domain.samples import sample_report
from workflow.embedded import EmbeddedRedis, die_with_parent, stop_process_group
from workflow.services import outbox
from workflow.services.accounts import cached_hash
from workflow.services.drafts import create_report
from workflow.services.submission import submit
from workflow.settings import Settings
from workflow.tasks.dispatch import CeleryDispatcher

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025  # reports dated early 2026: never "in the future" for the rules
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
BENCH_REDIS_DB = 12


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=1000, help="submissions (default 1000)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--concurrency", type=int, default=1, help="pool processes per worker (default 1)")
    p.add_argument("--pool", default="prefork", help="Celery pool: prefork (as deployed) or solo")
    p.add_argument("--submitters", type=int, default=2, help="processes submitting in parallel (default 2)")
    p.add_argument("--rate", type=float, default=60.0, help="submissions per second in total (0: flat out)")
    p.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    p.add_argument(
        "--embedded-redis", action="store_true", help="our own redis-server instead of the machine's"
    )
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wf-bench-") as tmp:
        data_dir = Path(os.environ.get("BENCH_KEEP_DIR") or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        with _database(args.sqlite, data_dir) as db_url, _broker(args.embedded_redis, data_dir) as broker_url:
            return _bench(args, db_url, broker_url, data_dir)


@contextmanager
def _database(sqlite: bool, data_dir: Path) -> Iterator[str]:
    if sqlite:
        url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        upgrade(url)
        yield url
        return
    server = os.environ.get("WORKFLOW_TEST_DATABASE_URL") or PG_DEFAULT
    name = f"wf_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def _broker(embedded: bool, data_dir: Path) -> Iterator[str]:
    if embedded:
        with EmbeddedRedis(data_dir / "redis") as server:
            yield server.url
        return
    configured = os.environ.get("WORKFLOW_TEST_REDIS_URL") or REDIS_DEFAULT
    yield urlunsplit(urlsplit(configured)._replace(path=f"/{BENCH_REDIS_DB}"))


def _bench(args: argparse.Namespace, db_url: str, broker_url: str, data_dir: Path) -> int:
    prefix = f"wf-bench-{uuid.uuid4().hex[:8]}:"
    settings = Settings(redis_url=broker_url, redis_key_prefix=prefix, data_dir=data_dir)
    engine = make_engine(db_url, pool_size=args.submitters + 2)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    print(f"database {make_url(db_url).render_as_string()}  broker {broker_url} (prefix {prefix})")
    report_ids, submitter_id = _prepare(sessions, args.n)
    app = Celery("workflow-bench")
    app.config_from_object(celery_config(settings))
    outbox.set_dispatcher(CeleryDispatcher(app))
    env = _worker_env(db_url, broker_url, prefix, data_dir)
    procs = [
        _spawn_worker(settings, env, data_dir, i, args.concurrency, args.pool) for i in range(args.workers)
    ]
    try:
        _wait_ready(app, [f"bench{i}@{os.uname().nodename}" for i in range(args.workers)])
        engine.dispose()  # before forking the submitters
        workers_cpu = _cpu_seconds([p.pid for p in procs])
        submitters_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = _submit_all(db_url, settings, report_ids, submitter_id, args.submitters, args.rate)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        sub_cpu = after.ru_utime + after.ru_stime - submitters_cpu.ru_utime - submitters_cpu.ru_stime
        print(f"submitted {args.n} in {wall:.2f} s ({args.n / wall:.0f}/s)")
        _wait_checked(sessions, args.n, timeout=max(120.0, args.n / 5))
        workers_cpu = _cpu_seconds([p.pid for p in procs]) - workers_cpu
        print(
            f"CPU per submission: submitters {sub_cpu / args.n * 1000:.1f} ms, "
            f"workers {workers_cpu / args.n * 1000:.1f} ms (load average {os.getloadavg()[0]:.2f})"
        )
        return _report(sessions, args.n)
    finally:
        for proc in procs:
            stop_process_group(proc, timeout=20)
        app.close()
        engine.dispose()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the worker processes and their pool children, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    todo = list(pids)
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile, or not Linux
    return total


def _prepare(sessions: sessionmaker[Session], n: int) -> tuple[list[int], int]:
    """n bodies, each with a clean draft report for the season."""
    t0 = time.perf_counter()
    with sessions() as s:
        j = make_jurisdiction(s)
        season = make_season(s, YEAR)
        bodies = [make_body(s, f"西宁市湟中区基准{i + 1}镇人民政府", jurisdiction=j) for i in range(n)]
        submitter = make_user(s, "bench-submitter", password_hash=cached_hash("demo1234"))
        s.commit()
        ids = [
            create_report(
                s,
                body_id=b.id,
                season_id=season.id,
                actor_id=submitter.id,
                content=sample_report(random.Random(i), year=YEAR, body_name=b.name),
            )  # fmt: skip
            for i, b in enumerate(bodies)
        ]
    print(f"prepared {n} draft reports in {time.perf_counter() - t0:.1f} s")
    return ids, submitter.id


def _worker_env(db_url: str, broker_url: str, prefix: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env.update(
        WORKFLOW_ENV="test",
        WORKFLOW_DATABASE_URL=db_url,
        WORKFLOW_REDIS_URL=broker_url,
        WORKFLOW_REDIS_KEY_PREFIX=prefix,
        WORKFLOW_DATA_DIR=str(data_dir),
        # Keep the sweeper out of the measurement: nothing is stuck for that long here.
        WORKFLOW_STUCK_AFTER_SECONDS="3600",
    )
    return env


def _spawn_worker(
    settings: Settings, env: dict[str, str], data_dir: Path, i: int, concurrency: int, pool: str
):  # type: ignore[no-untyped-def]
    import subprocess

    log = (data_dir / f"worker{i}.log").open("wb")
    argv = [*worker_argv(settings, concurrency, name=f"bench{i}"), "--pool", pool]
    argv[argv.index("--loglevel") + 1] = os.environ.get("BENCH_LOGLEVEL", "WARNING")  # INFO: a line per task
    return subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
    )


def _wait_ready(app: Celery, nodes: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    ready: set[str] = set()
    while time.monotonic() < deadline:
        for reply in app.control.ping(destination=nodes, timeout=0.5) or []:
            ready.update(reply)
        if ready >= set(nodes):
            return
    raise SystemExit(f"workers not ready in {timeout} s: {sorted(set(nodes) - ready)}")


def _submit_all(
    db_url: str, settings: Settings, ids: list[int], actor_id: int, processes: int, rate: float
) -> float:
    """Submit from `processes` processes (like several web workers), paced at `rate`/s in total (0: flat out)."""
    ctx = multiprocessing.get_context("fork")
    start_at = time.time() + 0.5
    chunks = [ids[i::processes] for i in range(processes)]
    per_process = rate / processes if rate else 0.0
    procs = [
        ctx.Process(target=_submitter, args=(db_url, settings, chunk, actor_id, per_process, start_at))
        for chunk in chunks
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise SystemExit("a submitter failed")
    return time.time() - start_at


def _submitter(
    db_url: str, settings: Settings, ids: list[int], actor_id: int, rate: float, start_at: float
) -> None:
    app = Celery("workflow-bench-submitter")
    app.config_from_object(celery_config(settings))
    outbox.set_dispatcher(CeleryDispatcher(app))
    engine = make_engine(db_url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    time.sleep(max(0.0, start_at - time.time()))
    with sessions() as s:
        for i, report_id in enumerate(ids):
            if rate:  # open loop: the i-th submission is due at start + i / rate
                time.sleep(max(0.0, start_at + i / rate - time.time()))
            submit(s, report_id=report_id, actor_id=actor_id)
    engine.dispose()


def _wait_checked(sessions: sessionmaker[Session], n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    done = 0
    while time.monotonic() < deadline:
        with sessions() as s:
            done = s.scalar(select(func.count()).where(ValidationRun.status == "done")) or 0
        if done >= n:
            return
        time.sleep(0.2)
    raise SystemExit(f"only {done} of {n} checked within {timeout:.0f} s")


def _report(sessions: sessionmaker[Session], n: int) -> int:
    with sessions() as s:
        rows = s.execute(
            select(ReportVersion.submitted_at, ValidationRun.finished_at).join(
                ValidationRun, ValidationRun.version_id == ReportVersion.id
            )
        ).all()
    latencies = sorted((done - sub).total_seconds() for sub, done in rows)
    span = (max(done for _, done in rows) - min(sub for sub, _ in rows)).total_seconds()
    throughput = n / span
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    ok = throughput >= 50 and p50 <= 0.3 and p99 <= 1.0
    print(f"checked {len(rows)} of {n}: first submit → last check {span:.2f} s")
    print(f"throughput {throughput:.1f} submissions/s (target ≥ 50)")
    print(
        f"submit → checked  p50 {p50 * 1000:.0f} ms (≤ 300)  p99 {p99 * 1000:.0f} ms (≤ 1000)  max {latencies[-1] * 1000:.0f} ms"
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
