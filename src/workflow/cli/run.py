"""`workflow run` (= `make run`), `workflow worker`, `workflow beat` and `workflow web`.

`workflow run` is a small process supervisor: it migrates the database, seeds the demo district on
first start, starts the embedded Redis when WORKFLOW_REDIS_URL is empty, then web, one worker and beat
as child processes, each in its own process group (a worker's pool children are in the worker's
group).

Recovery without a person: a child that exits (a crashed worker, beat, web server or embedded Redis)
is started again after a pause of 1 s, doubling with each quick exit in a row up to 60 s, and from 1 s
again once it has run for a minute (WORKFLOW_SUPERVISOR_*); each restart is logged on stderr in
Chinese, and the rest of the site keeps serving.  The embedded Redis comes back on the same port, so
the others reconnect by themselves; what its restart lost the sweeper re-enqueues from the database.
Only a child that cannot start at all the first time stops everything, with a message saying so: the
web server (its port taken: checked before anything starts) or the embedded Redis.  The supervisor
keeps each child's pid, state and restart count in <data_dir>/supervisor.json (`read_status()`).

Ctrl-C or SIGTERM stops every group, web first and Redis last; the children also get SIGKILL if this
process dies without cleaning up (PR_SET_PDEATHSIG), so nothing is left orphaned.

Why not `supervisor` (supervisord, PyPI), the well-kept process manager?  Weighed, and not taken:
- `make run` is one foreground process that Ctrl-C ends.  supervisord is a daemon with a generated
  configuration file and supervisorctl; it runs its programs in new sessions, so when it is killed
  (or crashes) they live on.  Here every child dies with us (PR_SET_PDEATHSIG) and a stop ends whole
  process groups (a worker's pool too), which supervisord does only with stopasgroup/killasgroup and
  only when it exits cleanly itself.
- The embedded Redis must come back on the same port, ready before the others are told about it, and
  with its URL file rewritten (`EmbeddedRedis` does this); supervisord re-runs a command line and
  knows nothing of readiness.
- Its policy is not ours: a program that fails `startretries` times in a row (default 3, pauses of
  1, 2, 3 s) goes FATAL and is never tried again, so a Redis down for a minute would leave the worker
  dead for good; a program that ran long enough is restarted at once, without a pause.  We want to keep
  trying with a capped exponential pause, and to be fatal only when the web port cannot be had at
  first start (a configuration error to say once, not a restart loop in a log file).
- It would be one more dependency and one more configuration language for about 150 lines we own and
  test (tests/integration/test_recovery.py).  docker-compose, in production, restarts containers with
  the engine's restart policy; this supervisor is for `make run` and single-machine installs.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.embedded import EmbeddedRedis, die_with_parent, stop_process_group
from workflow.settings import Settings, get_settings

QUEUES = "checks,render,notify"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="启动全部服务（数据库迁移、演示数据、Web、worker、beat）")
    p.add_argument("--web-only", action="store_true", help="只迁移、初始化并运行 Web（docker-compose 用）")
    p.add_argument("--no-seed", action="store_true", help="首次启动时不导入演示数据")
    p.set_defaults(func=run)

    w = sub.add_parser("worker", help="运行一个 Celery worker 进程（队列 checks、render、notify）")
    w.add_argument("--concurrency", type=int, help="并发进程数（默认取 WORKFLOW_WORKER_CONCURRENCY）")
    w.add_argument("--queues", default=QUEUES)
    w.set_defaults(func=lambda a: _exec_with_broker(worker_argv(get_settings(), a.concurrency, a.queues)))

    b = sub.add_parser("beat", help="运行 Celery beat（定时任务：卡滞任务清扫等）")
    b.set_defaults(func=lambda a: _exec_with_broker(beat_argv(get_settings())))

    web = sub.add_parser("web", help="只运行 Web 服务（不迁移）")
    web.set_defaults(func=lambda a: serve_web(get_settings()))


# ------------------------------------------------------------------ child command lines
def worker_argv(
    settings: Settings, concurrency: int | None = None, queues: str = QUEUES, name: str = "worker"
) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
        "-Q", queues, "-c", str(concurrency or settings.worker_concurrency), "-n", f"{name}@%h",
        "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip


def beat_argv(settings: Settings) -> list[str]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat", "--loglevel", "INFO"]


def web_argv() -> list[str]:
    return [sys.executable, "-c", "import sys; from workflow.cli import main; sys.exit(main(['web']))"]


def _exec_with_broker(argv: list[str]) -> int:
    """Replace this process with Celery, once we know it will find a broker."""
    from workers.celery_app import redis_base_url

    try:
        redis_base_url(get_settings())
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    return _exec(argv)


def _exec(argv: list[str]) -> int:
    os.execv(argv[0], argv)
    return 0  # pragma: no cover - execv does not return


def serve_web(settings: Settings) -> int:
    """uvicorn builds the app in each worker process with workflow.cli.serve (Celery dispatcher included)."""
    import uvicorn

    uvicorn.run(
        "workflow.cli.serve:served_app", factory=True, host=settings.web_host,
        port=settings.web_port, workers=settings.web_workers, proxy_headers=True, log_level="info",
    )  # fmt: skip
    return 0


# ------------------------------------------------------------------ preparing the database
def prepare_database(settings: Settings, *, seed: bool) -> list[tuple[str, str, str]]:
    """Migrate to head; on first start seed the demo district (its published past season follows in
    the background, see `seed_past_season`).  Returns the demo logins to print."""
    from workflow.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    print("数据库迁移…", flush=True)
    upgrade(settings.effective_database_url)
    if not seed:
        return []
    from workflow.services import seed as seed_module

    return _seed_if_empty(seed_module, settings)


def _seed_if_empty(seed_module: Any, settings: Settings) -> list[tuple[str, str, str]]:
    from sqlalchemy import func, select

    from workflow.db.models import User
    from workflow.db.session import begin_write, session_factory

    with session_factory()() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return list(getattr(seed_module, "DEMO_LOGINS", []))
        begin_write(session)
        print("导入演示数据…", flush=True)
        # The district, its users and seasons now; the published 2025 season (16 PDFs to render, tens
        # of seconds on a small machine) in the background once the web answers (seed_past_season).
        seed_module.seed_demo(session, settings.demo_corpus_dir, past_season=False)
        session.commit()
    (settings.data_dir / PAST_SEASON_PENDING).touch()
    return list(getattr(seed_module, "DEMO_LOGINS", []))


PAST_SEASON_PENDING = "demo-past-season.pending"


def seed_past_season(settings: Settings, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """On the first start, drive the demo's 2025 season through the workflow in a separate process
    (`workflow seed-demo`, idempotent: it resumes a season left half-way), below the web in CPU
    priority, so the first page does not wait for its PDFs.  Its output goes to var/seed-demo.log."""
    marker = settings.data_dir / PAST_SEASON_PENDING
    if not marker.exists():
        return None
    log = (settings.data_dir / "seed-demo.log").open("ab")

    def prepare() -> None:
        die_with_parent()
        os.nice(10)

    argv = [sys.executable, "-m", "workflow.cli", "seed-demo", "--done-marker", str(marker)]
    proc = subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=prepare
    )
    log.close()
    return proc


# ------------------------------------------------------------------ the supervisor
STATUS_FILE = "supervisor.json"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, docker stop, a closed terminal


@dataclass(frozen=True)
class Backoff:
    """The pause before a child is started again: `first` seconds, doubling with each quick exit in a
    row up to `maximum`; a child that ran `stable` seconds before it exited starts again from `first`."""

    first: float = 1.0
    maximum: float = 60.0
    stable: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Backoff:
        return cls(
            settings.supervisor_backoff_seconds,
            settings.supervisor_backoff_max_seconds,
            settings.supervisor_stable_seconds,
        )

    def delay(self, failures: int) -> float:
        """The pause after the `failures`-th quick exit in a row (1, 2, …)."""
        return float(min(self.first * 2 ** min(max(failures - 1, 0), 62), self.maximum))


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    stop_process_group(proc, timeout=15)


def _always() -> bool:
    return True


@dataclass(eq=False)
class Child:
    """One supervised process: how to start it, stop it, and tell that it is up."""

    name: str  # in supervisor.json and in the messages
    start: Callable[[], subprocess.Popen[bytes]]
    stop: Callable[[subprocess.Popen[bytes]], None] = _stop_group
    ready: Callable[[], bool] = _always
    # Not empty: a first start that exits before it is ready stops everything, with this message.
    must_start: str = ""
    label: str = ""  # how the messages name it (default: name)
    proc: subprocess.Popen[bytes] | None = None
    state: str = "starting"  # starting → running; backoff while it waits to be restarted; stopped
    restarts: int = 0
    failures: int = 0  # quick exits in a row: the pause doubles with each
    started_at: float = 0.0  # time.monotonic()
    since: float = 0.0  # time.time(), for people
    restart_at: float = 0.0
    last_exit: int | None = None

    @property
    def shown(self) -> str:
        return self.label or self.name


class Supervisor:
    """Children in their own process groups, restarted with a backoff; `stop()` ends them newest first."""

    def __init__(
        self, env: dict[str, str], *, backoff: Backoff | None = None, status_path: Path | None = None
    ) -> None:
        self.env = env  # read when a child starts: the embedded Redis's URL is added after it is up
        self.backoff = backoff or Backoff()
        self.status_path = status_path
        self.children: list[Child] = []
        self.stopping = False
        self.fatal = ""

    def request_stop(self, _signum: int = 0, _frame: Any = None) -> None:
        """The signal handler: `watch` returns at its next step (never in the middle of a start)."""
        self.stopping = True

    def popen(self, argv: list[str], nice: int = 0) -> subprocess.Popen[bytes]:
        def prepare() -> None:
            die_with_parent()
            if nice:
                os.nice(nice)

        return subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, preexec_fn=prepare)

    def spawn(self, name: str, argv: list[str], *, nice: int = 0, **options: Any) -> Child:
        return self.add(Child(name, lambda: self.popen(argv, nice), **options))

    def add(self, child: Child) -> Child:
        """Supervise `child`, starting it now (unless we are already stopping)."""
        self.children.append(child)
        if not (self.stopping or self.fatal):
            self._start(child)
        return child

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def watch(self, tick: float = 0.2) -> int:
        """Tend the children until Ctrl-C / SIGTERM (0) or a child that could not start at all (1)."""
        while not self.stopping:
            self.poll()
            if self.fatal:
                print(self.fatal, file=sys.stderr, flush=True)
                return 1
            time.sleep(tick)
        return 0

    def poll(self) -> None:
        """One round: note children that came up, restart those whose pause is over, reap the dead."""
        for child in self.children:
            if self.fatal or self.stopping:
                return
            if child.state == "backoff":
                if time.monotonic() >= child.restart_at:
                    self._start(child)
                    if child.proc is not None:
                        _say(f"{child.shown} 已重新启动（pid {child.proc.pid}）")
                continue
            if child.proc is None:
                continue
            code = child.proc.poll()
            if code is None:
                if child.state == "starting" and child.ready():
                    child.state = "running"
                    self._write_status()
                continue
            child.stop(child.proc)  # what is left of its process group (a worker's pool), reaped
            child.last_exit = code
            self._exited(child, f"意外退出（状态 {code}）")

    def stop(self) -> None:
        """Stop every child, newest first (the embedded Redis last), and remove the status file."""
        for child in reversed(self.children):
            if child.proc is not None:
                child.stop(child.proc)
                child.proc = None
            child.state = "stopped"
        if self.status_path is not None:
            with contextlib.suppress(OSError):
                self.status_path.unlink()

    def _start(self, child: Child) -> None:
        child.state = "starting"
        child.started_at, child.since = time.monotonic(), time.time()
        try:
            child.proc = child.start()
        except (OSError, RuntimeError) as exc:  # cannot exec; the embedded Redis did not come up
            child.proc = None
            self._exited(child, f"启动失败（{exc}）")
            return
        self._write_status()

    def _exited(self, child: Child, what: str) -> None:
        first_start = child.restarts == 0 and child.state == "starting"
        child.proc = None
        if child.must_start and first_start:
            child.state = "stopped"
            self.fatal = f"{child.shown} {what}。{child.must_start}"
            self._write_status()
            return
        if time.monotonic() - child.started_at >= self.backoff.stable:
            child.failures = 0  # it had run well: start over at the first pause
        child.failures += 1
        child.restarts += 1
        pause = self.backoff.delay(child.failures)
        child.state, child.restart_at = "backoff", time.monotonic() + pause
        _say(f"{child.shown} {what}，{pause:g} 秒后重启（第 {child.restarts} 次）")
        self._write_status()

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "updated": time.time(),
            "children": {
                c.name: {
                    "pid": c.proc.pid if c.proc is not None else None,
                    "state": c.state,
                    "restarts": c.restarts,
                    "last_exit": c.last_exit,
                    "since": c.since,
                }
                for c in self.children
            },
        }

    def _write_status(self) -> None:
        if self.status_path is None:
            return
        with contextlib.suppress(OSError):  # a full disk must not stop the supervision
            tmp = self.status_path.with_name(self.status_path.name + ".tmp")
            tmp.write_text(json.dumps(self.status(), ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.status_path)


def read_status(data_dir: Path) -> dict[str, Any] | None:
    """What a running `workflow run` wrote about its children (None: none is running there)."""
    try:
        status = json.loads((Path(data_dir) / STATUS_FILE).read_text(encoding="utf-8"))
        os.kill(int(status["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return dict(status)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _local_host(host: str) -> str:
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def web_port_problem(settings: Settings) -> str:
    """Why the web server could not listen on its address ('' when it can)."""
    host, port = settings.web_host, settings.web_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = _BIND_ERRORS.get(exc.errno or 0, f"{exc}。请检查 WORKFLOW_WEB_HOST 与 WORKFLOW_WEB_PORT")
            return f"Web 服务无法监听 {host}:{port}：{reason}。没有启动任何服务。"
    return ""


_BIND_ERRORS = {
    errno.EADDRINUSE: "端口已被占用（是否已有一个 workflow run 在运行？）。请关闭占用该端口的程序，"
    "或用 WORKFLOW_WEB_PORT 换一个端口",
    errno.EACCES: "没有权限监听该端口（1024 以下的端口需要管理员权限）。请用 WORKFLOW_WEB_PORT 换一个端口",
    errno.EADDRNOTAVAIL: "本机没有这个地址。请检查 WORKFLOW_WEB_HOST",
}


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def web_child_options(settings: Settings) -> dict[str, Any]:
    host, port = _local_host(settings.web_host), settings.web_port
    return {
        "ready": lambda: _answers(host, port),
        "must_start": (
            f"Web 服务未能启动，全部服务停止：请查看上面的错误信息（端口 {settings.web_host}:{port} "
            "是否已被占用？可用 WORKFLOW_WEB_PORT 换一个端口）。"
        ),
    }


def redis_child(redis: EmbeddedRedis) -> Child:
    """The embedded Redis as a child: started again on the same port, its URL file rewritten."""

    def start() -> subprocess.Popen[bytes]:
        redis.start()
        assert redis.proc is not None
        return redis.proc

    def stop(_proc: subprocess.Popen[bytes]) -> None:
        redis.stop()

    return Child(
        "redis", start, stop=stop, label="内置 Redis", must_start="内置 Redis 未能启动，全部服务停止。"
    )


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    logins = prepare_database(settings, seed=not args.no_seed)
    if args.web_only:
        _print_banner(settings, logins)
        return serve_web(settings)
    problem = web_port_problem(settings)
    if problem:  # say it once, before anything starts, rather than restart a web server that cannot bind
        print(problem, file=sys.stderr, flush=True)
        return 1
    env = dict(os.environ)
    supervisor = Supervisor(
        env, backoff=Backoff.from_settings(settings), status_path=settings.data_dir / STATUS_FILE
    )
    old = {s: signal.signal(s, supervisor.request_stop) for s in STOP_SIGNALS}
    past_season: subprocess.Popen[bytes] | None = None
    try:
        if settings.embedded_redis:
            redis = EmbeddedRedis(settings.data_dir / "redis")
            supervisor.add(redis_child(redis))
            env["WORKFLOW_REDIS_URL"] = redis.url  # the same port after every restart
        print("启动 worker、beat、web…", flush=True)
        # The worker below the web in CPU priority: on a small server a page is what a person waits
        # for, while a check or a PDF done a second later goes unnoticed (bench/season: the worker's
        # PDF renders were what pushed pages past their 95th-percentile targets).
        supervisor.spawn("worker", worker_argv(settings), nice=settings.worker_nice)
        supervisor.spawn("beat", beat_argv(settings))
        supervisor.spawn("web", web_argv(), **web_child_options(settings))
        if not (supervisor.fatal or supervisor.stopping):
            past_season = seed_past_season(settings, env)
        if not (supervisor.fatal or supervisor.stopping):
            _print_banner(settings, logins)
            if past_season is not None:
                print(
                    "演示用的 2025 年度已公开报告正在后台生成（约一分钟），完成后可在公开页面查看。\n",
                    flush=True,
                )
        code = supervisor.watch()
        if code == 0:
            print("\n正在停止所有服务……", flush=True)
        return code
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        if past_season is not None and past_season.poll() is None:
            past_season.terminate()  # resumed at the next start (the marker stays until it finishes)
        supervisor.stop()
        for s, handler in old.items():
            signal.signal(s, handler)
        print("所有服务已停止。", flush=True)


def _print_banner(settings: Settings, logins: Sequence[tuple[str, str, str]]) -> None:
    url = f"http://{settings.web_host}:{settings.web_port}/"
    lines = ["", "=" * 60, f"政府信息公开工作年度报告系统已启动：{url}"]
    if logins:
        lines.append("演示账号（用户名 / 密码 / 角色）：")
        lines += [f"  {user} / {password} / {role}" for user, password, role in logins]
    lines += ["按 Ctrl-C 停止全部服务。", "=" * 60, ""]
    print("\n".join(lines), flush=True)
