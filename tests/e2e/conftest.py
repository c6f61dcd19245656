"""Browser test fixtures: the app served by uvicorn in a thread, Debian's chromium driven by Playwright.

Follow-up tasks (check_report, publish_report) run inline right after the commit that enqueued them,
through an outbox dispatcher that calls the same service functions the Celery tasks call.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

_spec = importlib.util.spec_from_file_location(
    "_integration_conftest_e2e", ROOT / "tests/integration/conftest.py"
)
assert _spec and _spec.loader
_integration = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _integration
_spec.loader.exec_module(_integration)
database_url = _integration.database_url
_engine = _integration._engine
db = _integration.db


class InlineDispatcher:
    """Runs the follow-up work at once, as a worker would, in its own session."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.ran: list[str] = []

    def send(self, task_name: str, kwargs: dict) -> None:
        from workflow.services import checks, publication

        with self.sessions() as s:
            if task_name == "check_report":
                checks.run_checks(s, **kwargs)
            elif task_name == "publish_report":
                publication.publish(s, **kwargs)
        self.ran.append(task_name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(db, tmp_path, monkeypatch) -> Iterator[str]:
    import uvicorn

    from workflow.services import outbox
    from workflow.settings import Settings, get_settings
    from workflow.web.app import create_app

    monkeypatch.setenv("WORKFLOW_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    previous = outbox.set_dispatcher(InlineDispatcher(db.sessions))
    settings = Settings(data_dir=tmp_path, secret_key="e2e-secret")
    app = create_app(settings, sessions=db.sessions)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    outbox.set_dispatcher(previous)
    get_settings.cache_clear()


@pytest.fixture
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"chromium is missing at {CHROMIUM}: run scripts/system-deps.sh (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def shots():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()

    def shot(page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return shot
