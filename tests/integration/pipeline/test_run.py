"""`workflow run` (= `make run`) on the embedded defaults: serves the site, stops every child on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from workflow.embedded import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


def _wait_for_page(url: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        assert proc.poll() is None, "workflow run exited early"
        try:
            if httpx.get(url, follow_redirects=True, timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not served within {timeout} s")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_workflow_run_serves_then_stops_every_child(tmp_path: Path, stop_signal: signal.Signals) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env.update(WORKFLOW_DATA_DIR=str(tmp_path), WORKFLOW_WEB_PORT=str(port), WORKFLOW_ENV="development")
    out = (tmp_path / "run.log").open("wb")
    workflow = Path(sys.executable).with_name("workflow")
    proc = subprocess.Popen([str(workflow), "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        took = _wait_for_page(f"http://127.0.0.1:{port}/", proc, timeout=120)
        assert took < 120
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "redis-server" in names and "worker" in names and "beat" in names  # web, worker, beat, Redis
        log = (tmp_path / "run.log").read_text(encoding="utf-8", errors="replace")
        assert f"http://127.0.0.1:{port}/" in log and "演示账号" in log and "demo1234" in log

        proc.send_signal(stop_signal)  # Ctrl-C / docker stop
        assert proc.wait(60) == 0
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert alive == [], f"orphaned: {[' '.join(p.cmdline()) for p in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
