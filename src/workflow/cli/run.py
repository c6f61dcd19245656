"""`workflow run` (= `make run`), `workflow worker`, `workflow beat` and `workflow web`.

`workflow run` is a small process supervisor: it migrates the database, seeds the demo district on
first start, starts the embedded Redis when WORKFLOW_REDIS_URL is empty, then web, one worker and beat
as child processes, each in its own process group (a worker's pool children are in the worker's
group).  Ctrl-C or SIGTERM stops every group and then Redis; the children also get SIGTERM if this
process dies without cleaning up (PR_SET_PDEATHSIG), so nothing is left orphaned.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
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
    """Migrate to head; on first start seed the demo district.  Returns the demo logins to print."""
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
    from workflow.db.session import session_factory

    with session_factory()() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return list(getattr(seed_module, "DEMO_LOGINS", []))
        print("导入演示数据…", flush=True)
        seed_module.seed_demo(session, settings.demo_corpus_dir)
        session.commit()
    return list(getattr(seed_module, "DEMO_LOGINS", []))


# ------------------------------------------------------------------ the supervisor
class Supervisor:
    """Child processes in their own process groups; `stop()` ends them newest first."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        self.children.append((name, proc))
        return proc

    def exited(self) -> tuple[str, int] | None:
        for name, proc in self.children:
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            stop_process_group(proc, timeout=15)
        self.children.clear()


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: Any) -> None:
    raise _Stop(signum)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    logins = prepare_database(settings, seed=not args.no_seed)
    if args.web_only:
        _print_banner(settings, logins)
        return serve_web(settings)
    env = dict(os.environ)
    redis: EmbeddedRedis | None = None
    supervisor = Supervisor(env)
    old = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        if settings.embedded_redis:
            redis = EmbeddedRedis(settings.data_dir / "redis")
            env["WORKFLOW_REDIS_URL"] = redis.start()
        print("启动 worker、beat、web…", flush=True)
        supervisor.spawn("worker", worker_argv(settings))
        supervisor.spawn("beat", beat_argv(settings))
        supervisor.spawn("web", web_argv())
        _print_banner(settings, logins)
        return _watch(supervisor)
    except _Stop:
        print("\n正在停止所有服务……", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        supervisor.stop()
        if redis is not None:
            redis.stop()
        for s, handler in old.items():
            signal.signal(s, handler)
        print("所有服务已停止。", flush=True)


def _watch(supervisor: Supervisor) -> int:
    while True:
        gone = supervisor.exited()
        if gone is not None:
            print(f"子进程 {gone[0]} 意外退出（状态 {gone[1]}），停止全部服务。", file=sys.stderr, flush=True)
            return 1
        time.sleep(0.5)


def _print_banner(settings: Settings, logins: Sequence[tuple[str, str, str]]) -> None:
    url = f"http://{settings.web_host}:{settings.web_port}/"
    lines = ["", "=" * 60, f"政府信息公开工作年度报告系统已启动：{url}"]
    if logins:
        lines.append("演示账号（用户名 / 密码 / 角色）：")
        lines += [f"  {user} / {password} / {role}" for user, password, role in logins]
    lines += ["按 Ctrl-C 停止全部服务。", "=" * 60, ""]
    print("\n".join(lines), flush=True)
