"""Recovery without a person: a real `workflow run` restarts what crashes, and no check is lost or doubled.

One `workflow run --no-seed` on a temporary data directory and a free port, against the test database
(PostgreSQL in CI, else SQLite) and its own embedded Redis (WORKFLOW_REDIS_URL empty on both passes,
so that the test can kill it).  Children are found through the supervisor's status file.  Then:

- the worker is SIGKILLed; a report submitted meanwhile waits in Redis for the restarted worker;
- beat is SIGKILLed and comes back;
- the embedded redis-server is SIGKILLed; a report submitted while it is down is recorded (the request
  answers at once), its message cannot be sent, and the sweeper re-enqueues it once Redis is back on the
  same port (the sweeper's "stuck" age is set far out of reach: only the broker-restart rule can do it);
- GET /login answers 200 throughout; every check ends with exactly one validation run, done;
- the web server is SIGKILLed and serves again;
- Ctrl-C leaves no process behind.

And: a web port that is taken stops `workflow run` at once with a clear message, starting nothing.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from sqlalchemy import func, select

from workflow.cli.run import STATUS_FILE, Backoff
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import AuditEvent, Body, ReportVersion, ValidationRun
from workflow.domain.samples import sample_report
from workflow.embedded import free_port
from workflow.services.accounts import cached_hash
from workflow.services.drafts import create_report

pytestmark = [pytest.mark.integration, pytest.mark.both_backends, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2025  # reports whose 落款 dates lie in the past, whatever day the suite runs
PASSWORD = "demo1234"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# The first restart pause: the window in which the test submits with Redis down.
BACKOFF = 3.0
SWEEP_PERIOD = 1.0
STUCK_AFTER = 600.0  # out of reach: what Redis lost only the broker-restart rule re-enqueues


# ------------------------------------------------------------------ the site
@dataclass
class Site:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def status(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.data_dir / STATUS_FILE).read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError):  # not written yet / being replaced
            return {"children": {}}

    def child(self, name: str) -> dict[str, Any]:
        return dict(self.status()["children"].get(name, {}))

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> float:
        start = time.monotonic()
        while not predicate():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"workflow run exited ({self.proc.returncode}) waiting for {what}\n{self.tail()}"
                )
            if time.monotonic() - start > timeout:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{self.tail()}")
            time.sleep(0.1)
        return time.monotonic() - start

    def wait_running(self, name: str, restarts: int, timeout: float = 60) -> int:
        """Wait until child `name` runs after `restarts` restarts; returns its pid."""

        def up() -> bool:
            c = self.child(name)
            return c.get("state") == "running" and c.get("restarts") == restarts

        self.wait(up, timeout, f"{name} running after {restarts} restart(s) (now {self.child(name)})")
        return int(self.child(name)["pid"])

    def tail(self) -> str:
        return self.log()[-6000:]


def _env(db_url: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env.update(
        WORKFLOW_ENV="test",
        WORKFLOW_DATA_DIR=str(data_dir),
        WORKFLOW_DATABASE_URL=db_url,
        WORKFLOW_REDIS_URL="",  # the embedded Redis, which the supervisor owns and restarts
        WORKFLOW_WEB_PORT=str(port),
        WORKFLOW_SECRET_KEY="test-secret",
        WORKFLOW_MAILER="memory",
        WORKFLOW_WORKER_CONCURRENCY="1",
        WORKFLOW_SWEEPER_PERIOD_SECONDS=str(SWEEP_PERIOD),
        WORKFLOW_STUCK_AFTER_SECONDS=str(STUCK_AFTER),
        WORKFLOW_SUPERVISOR_BACKOFF_SECONDS=str(BACKOFF),
        WORKFLOW_SUPERVISOR_BACKOFF_MAX_SECONDS=str(2 * BACKOFF),
    )
    return env


def _start(db_url: str, tmp_path: Path, port: int | None = None) -> Site:
    data_dir = tmp_path / "data"
    port = port or free_port()
    log_path = tmp_path / "run.log"
    workflow = Path(sys.executable).with_name("workflow")
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [str(workflow), "run", "--no-seed"], cwd=ROOT, env=_env(db_url, data_dir, port),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    return Site(proc, data_dir, port, log_path)


@pytest.fixture
def site(db: Any, tmp_path: Path) -> Iterator[Site]:
    site = _start(db.url, tmp_path)
    try:
        yield site
    finally:
        if site.proc.poll() is None:
            site.proc.send_signal(signal.SIGINT)
            try:
                site.proc.wait(60)
            except subprocess.TimeoutExpired:
                site.proc.kill()


def _serves(url: str) -> bool:
    try:
        return httpx.get(f"{url}/login", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Poller:
    """GET /login every quarter second in a thread; every answer that was not 200 is kept."""

    url: str
    failures: list[str] = field(default_factory=list)
    count: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                try:
                    status = client.get(f"{self.url}/login").status_code
                    if status != 200:
                        self.failures.append(f"{time.strftime('%X')} {status}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{time.strftime('%X')} {exc!r}")
                self.count += 1
                self._stop.wait(0.25)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


# ------------------------------------------------------------------ data and people
@dataclass
class Clerk:
    report_id: int
    client: httpx.Client
    csrf: str = ""

    def sign_in(self, username: str) -> None:
        page = self.client.get("/login")
        found = CSRF.search(page.text)
        assert found, page.text[:500]
        data = {"username": username, "password": PASSWORD, "csrf_token": found.group(1)}
        assert self.client.post("/login", data=data).status_code == 303
        self.csrf = self.client.get("/api/me").json()["csrf_token"]

    def submit(self) -> tuple[httpx.Response, float]:
        start = time.monotonic()
        r = self.client.post(f"/api/reports/{self.report_id}/submit", headers={"X-CSRF-Token": self.csrf})
        return r, time.monotonic() - start


def _bodies_with_drafts(db: Any, n: int) -> list[tuple[str, int]]:
    """n bodies, each with a 填报人 and a draft of YEAR: [(username, report id)]."""
    made = []
    with db.sessions() as s:
        j = make_jurisdiction(s)
        season = make_season(s, YEAR)
        for i in range(n):
            body = make_body(s, f"西宁市湟中区恢复测试{i + 1}镇人民政府", jurisdiction=j)
            user = make_user(s, f"recovery{i + 1}", body=body, password_hash=cached_hash(PASSWORD))
            s.flush()
            made.append((user.username, body.id, user.id))
        s.commit()
        out = []
        for username, body_id, user_id in made:
            body_name = s.get(Body, body_id).name  # type: ignore[union-attr]
            content = sample_report(random.Random(body_id), year=YEAR, body_name=body_name)
            rid = create_report(s, body_id=body_id, season_id=season.id, actor_id=user_id, content=content)
            out.append((username, rid))
    return out


def _versions(db: Any) -> dict[int, int]:
    """report id -> its submitted version's id."""
    with db.sessions() as s:
        return {rid: vid for vid, rid in s.execute(select(ReportVersion.id, ReportVersion.report_id))}


def _runs(db: Any) -> dict[int, list[str]]:
    """version id -> statuses of its validation runs."""
    runs: dict[int, list[str]] = {}
    with db.sessions() as s:
        for vid, status in s.execute(select(ValidationRun.version_id, ValidationRun.status)):
            runs.setdefault(vid, []).append(status)
    return runs


def _checked(db: Any, report_id: int) -> bool:
    vid = _versions(db).get(report_id)
    return vid is not None and _runs(db).get(vid) == ["done"]


def _outcomes(db: Any) -> dict[int, int]:
    """report id -> how many times its checks' outcome was recorded (passed or failed)."""
    with db.sessions() as s:
        q = (
            select(AuditEvent.report_id, func.count())
            .where(AuditEvent.action.like("report.checks_%"))
            .group_by(AuditEvent.report_id)
        )
        return {rid: n for rid, n in s.execute(q)}


def _group(pid: int) -> list[psutil.Process]:
    try:
        return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


# ------------------------------------------------------------------ the tests
def test_crashed_children_are_restarted_and_every_check_completes_once(db: Any, site: Site) -> None:
    (u1, r1), (u2, r2), (u3, r3) = _bodies_with_drafts(db, 3)
    site.wait(lambda: _serves(site.url), 120, "the site to serve /login")
    for name in ("redis", "worker", "beat", "web"):
        site.wait_running(name, 0)
    clerks = {}
    for username, rid in ((u1, r1), (u2, r2), (u3, r3)):
        clerks[rid] = Clerk(rid, httpx.Client(base_url=site.url, timeout=30))
        clerks[rid].sign_in(username)
    poller = Poller(site.url)
    try:
        # 1. The worker dies (with its pool); a report submitted meanwhile waits in Redis for the next one.
        worker = site.child("worker")["pid"]
        pool = _group(worker)
        os.kill(worker, signal.SIGKILL)
        r, _ = clerks[r1].submit()
        assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
        new_worker = site.wait_running("worker", 1)
        assert new_worker != worker
        gone, alive = psutil.wait_procs(pool, timeout=10)
        assert alive == [], f"the killed worker's pool lives on: {alive}"
        site.wait(lambda: _checked(db, r1), 60, "the check submitted while the worker was down")

        # 2. Beat dies and comes back.
        beat = site.child("beat")["pid"]
        os.kill(beat, signal.SIGKILL)
        assert site.wait_running("beat", 1) != beat

        # 3. Redis dies: a submission while it is down is recorded at once, its message cannot be sent.
        redis_pid = site.child("redis")["pid"]
        os.kill(redis_pid, signal.SIGKILL)
        site.wait(
            lambda: site.child("redis").get("state") == "backoff", 5, "the supervisor to see Redis gone"
        )
        r, took = clerks[r2].submit()
        assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
        assert took < 2.0, f"a submission with Redis down took {took:.1f} s"
        dropped = f"could not enqueue check_report {{'version_id': {_versions(db)[r2]}}}"
        site.wait(lambda: dropped in site.log(), 10, "the dropped send in the log")
        site.wait_running("redis", 1, timeout=30)  # same port: worker, beat and web reconnect
        # The sweeper re-enqueues it within seconds, not after STUCK_AFTER: Redis's restart is the hint.
        site.wait(lambda: _checked(db, r2), 45, "the check submitted while Redis was down")

        # 4. Business as usual afterwards.
        r, _ = clerks[r3].submit()
        assert r.status_code == 200, r.text
        site.wait(lambda: _checked(db, r3), 45, "a check submitted after the recovery")

        time.sleep(3 * SWEEP_PERIOD)  # later sweeps leave checked reports alone
    finally:
        poller.stop()
    assert poller.count > 20 and poller.failures == [], f"/login failed during the crashes: {poller.failures}"

    versions = _versions(db)
    assert sorted(versions) == sorted([r1, r2, r3])
    runs = _runs(db)
    assert {vid: runs.get(vid) for vid in versions.values()} == {vid: ["done"] for vid in versions.values()}
    assert _outcomes(db) == {r1: 1, r2: 1, r3: 1}  # each check's outcome recorded once
    log = site.log()
    for line in (
        "worker 意外退出（状态 -9），3 秒后重启（第 1 次）",
        "beat 意外退出（状态 -9）",
        "内置 Redis 意外退出（状态 -9）",
    ):
        assert line in log, log[-4000:]

    # 5. The web server dies and serves again.
    web = site.child("web")["pid"]
    os.kill(web, signal.SIGKILL)
    assert site.wait_running("web", 1, timeout=90) != web
    site.wait(lambda: _serves(site.url), 30, "/login served by the restarted web server")
    for clerk in clerks.values():
        clerk.client.close()

    # 6. Ctrl-C: every child and grandchild ends, and so does the supervisor.
    children = psutil.Process(site.proc.pid).children(recursive=True)
    assert len(children) >= 4
    site.proc.send_signal(signal.SIGINT)
    assert site.proc.wait(60) == 0, site.tail()
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"orphaned: {[p.pid for p in alive]}"
    assert not (site.data_dir / STATUS_FILE).exists()
    assert "所有服务已停止。" in site.log()


def test_a_taken_web_port_stops_workflow_run_with_a_clear_message(db: Any, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        site = _start(db.url, tmp_path, port=taken.getsockname()[1])
        try:
            assert site.proc.wait(120) == 1
        finally:
            if site.proc.poll() is None:
                site.proc.kill()
    log = site.log()
    assert f"Web 服务无法监听 127.0.0.1:{site.port}：端口已被占用" in log, log
    assert "没有启动任何服务" in log
    assert not (site.data_dir / "redis" / "url").exists()  # not even the embedded Redis started


def test_the_restart_pause_doubles_up_to_the_maximum() -> None:
    backoff = Backoff(first=1.0, maximum=60.0, stable=60.0)
    assert [backoff.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.delay(10_000) == 60
