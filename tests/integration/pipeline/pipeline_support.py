"""Real worker processes for the pipeline tests, and the data they work on.

Broker: the Redis at WORKFLOW_TEST_REDIS_URL when set (CI: 127.0.0.1:6379), in logical databases 10
(broker) and 11 (results) with a key prefix unique to this test, so parallel runs and other suites do
not see each other's messages; the tests FAIL if it is set and unreachable.  Not set: an embedded
redis-server of our own on a free loopback port.  Tests that restart Redis always use their own server.

Workers are `celery -A workers.celery_app worker` subprocesses (and `celery beat` for the sweeper),
each in its own process group so that a test can SIGKILL a whole worker like a crashed machine.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import redis
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from workers.celery_app import celery_config
from workflow.cli.run import beat_argv, worker_argv
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import ReportRow, ReportVersion, ValidationRun
from workflow.domain.samples import sample_report
from workflow.embedded import EmbeddedRedis, die_with_parent, stop_process_group
from workflow.services.accounts import cached_hash
from workflow.services.drafts import create_report
from workflow.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
REDIS_ENV = "WORKFLOW_TEST_REDIS_URL"
# Reports of a year whose 落款 dates (early the next year) lie in the past, whatever day the suite runs.
YEAR = 2025
# The sweeper in these tests: every second, for work older than two seconds.
SWEEP_PERIOD = 1.0
STUCK_AFTER = 2.0

T = TypeVar("T")


@dataclass
class Broker:
    url: str
    prefix: str
    server: EmbeddedRedis | None = None  # ours to restart; None for the machine's Redis

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2)


@dataclass
class Pipeline:
    """Worker and beat processes against one database and one broker, and a dispatcher for the test."""

    db_url: str
    broker: Broker
    data_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
        env.update(
            WORKFLOW_ENV="test",
            WORKFLOW_DATABASE_URL=self.db_url,
            WORKFLOW_REDIS_URL=self.broker.url,
            WORKFLOW_REDIS_KEY_PREFIX=self.broker.prefix,
            WORKFLOW_DATA_DIR=str(self.data_dir),
            WORKFLOW_STORAGE_DIR=str(self.data_dir / "published"),
            WORKFLOW_SWEEPER_PERIOD_SECONDS=str(SWEEP_PERIOD),
            WORKFLOW_STUCK_AFTER_SECONDS=str(STUCK_AFTER),
            WORKFLOW_MAILER="memory",
        )
        env.update(extra)
        return env

    @property
    def settings(self) -> Settings:
        return Settings(
            redis_url=self.broker.url, redis_key_prefix=self.broker.prefix, data_dir=self.data_dir
        )

    def app(self) -> Celery:
        app = Celery("workflow-test")
        app.config_from_object(celery_config(self.settings))
        return app

    def start_worker(
        self, name: str = "w1", concurrency: int = 1, **extra_env: str
    ) -> subprocess.Popen[bytes]:
        argv = worker_argv(self.settings, concurrency, name=f"{name}-{uuid.uuid4().hex[:6]}")
        proc = self._spawn(name, argv, extra_env)
        self._wait_ready(argv[argv.index("-n") + 1].replace("%h", os.uname().nodename), proc)
        return proc

    def start_beat(self) -> subprocess.Popen[bytes]:
        return self._spawn("beat", beat_argv(self.settings), {})

    def _spawn(self, name: str, argv: list[str], extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.data_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, env=self.env(**extra_env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, preexec_fn=die_with_parent,
        )  # fmt: skip
        self.procs[name] = proc
        return proc

    def _wait_ready(self, nodename: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
        app = self.app()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise AssertionError(f"worker exited with {proc.returncode}: {self.logs()}")
                if app.control.ping(destination=[nodename], timeout=0.5):
                    return
            raise AssertionError(f"worker {nodename} not ready in {timeout} s: {self.logs()}")
        finally:
            app.close()

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group: the worker and its pool, as if the machine died."""
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            stop_process_group(proc, timeout=10)
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.data_dir.glob("*.log")))


# ------------------------------------------------------------------ data
@dataclass
class District:
    season_id: int
    submitter_id: int
    reviewer_id: int
    body_ids: list[int]


def make_district(session: Session, bodies: int = 1) -> District:
    j = make_jurisdiction(session)
    season = make_season(session, YEAR)
    made = [make_body(session, f"西宁市湟中区测试{i + 1}镇人民政府", jurisdiction=j) for i in range(bodies)]
    pw = cached_hash("demo1234")
    submitter = make_user(session, "submitter", body=made[0], password_hash=pw)
    reviewer = make_user(session, "reviewer", role="reviewer", jurisdiction=j, password_hash=pw)
    session.commit()
    return District(season.id, submitter.id, reviewer.id, [b.id for b in made])


def new_report(session: Session, district: District, body_id: int, seed: int = 1) -> int:
    from workflow.db.models import Body

    body = session.get(Body, body_id)
    assert body is not None
    content = sample_report(random.Random(seed), year=YEAR, body_name=body.name)
    return create_report(
        session,
        body_id=body_id,
        season_id=district.season_id,
        actor_id=district.submitter_id,
        content=content,
    )


def read(session: Session, fn: Callable[[], T]) -> T:
    """Run a read and end its transaction at once: a test that polls sees the workers' commits (a
    read transaction left open keeps its old snapshot)."""
    session.rollback()
    try:
        return fn()
    finally:
        session.commit()  # expire_on_commit=False: what we read stays loaded


def state_of(session: Session, report_id: int) -> str:
    return read(
        session, lambda: str(session.scalar(select(ReportRow.state).where(ReportRow.id == report_id)))
    )


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, pipeline: Pipeline | None = None
) -> float:
    """Poll until `predicate()` is truthy; returns the seconds it took."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            logs = pipeline.logs() if pipeline else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(0.1)


def runs_of(session: Session, version_id: int) -> list[ValidationRun]:
    q = select(ValidationRun).where(ValidationRun.version_id == version_id)
    return read(session, lambda: list(session.scalars(q)))


def latest_version_id(session: Session, report_id: int) -> int:
    q = (
        select(ReportVersion.id)
        .join(ReportRow, ReportRow.id == ReportVersion.report_id)
        .where(ReportVersion.report_id == report_id, ReportVersion.number == ReportRow.latest_version)
    )
    return int(read(session, lambda: session.scalar(q)))
