"""Web fixtures: the backend's migrated database (reused from tests/integration) plus a small district.

The district: 西宁市湟中区 with 鲁沙尔镇 (ours) and 多巴镇 (another body, same jurisdiction), and
城东区 with 东关街道 (another jurisdiction).  Users: one per role and scope the authorization test
enumerates.  Clients sign in through the real login form.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.domain.samples import sample_report
from workflow.services import drafts
from workflow.services.accounts import cached_hash
from workflow.settings import Settings
from workflow.web.app import create_app

_spec = importlib.util.spec_from_file_location(
    "_integration_conftest", Path(__file__).parents[1] / "integration" / "conftest.py"
)
assert _spec and _spec.loader
_integration = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _integration  # dataclasses look their module up while the file executes
_spec.loader.exec_module(_integration)
database_url = _integration.database_url
_engine = _integration._engine
db = _integration.db
sent = _integration.sent

PASSWORD = "demo1234"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    ids: dict[str, int]
    season_id: int
    report_id: int  # 鲁沙尔镇's 2024 draft
    other_report_id: int  # 多巴镇's 2024 draft
    far_report_id: int  # 东关街道's (other jurisdiction)


@pytest.fixture
def world(db) -> World:
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        far = make_jurisdiction(s, "西宁市城东区")
        ours = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        other = make_body(s, "多巴镇人民政府", code="duoba", jurisdiction=home)
        remote = make_body(s, "东关大街街道办事处", code="dongguan", jurisdiction=far)
        season = make_season(s, 2024)
        pw = cached_hash(PASSWORD)
        users = {
            "clerk": make_user(s, "lushaer", body=ours, password_hash=pw),
            "other_clerk": make_user(s, "duoba", body=other, password_hash=pw),
            "reviewer": make_user(s, "reviewer", role="reviewer", jurisdiction=home, password_hash=pw),
            "far_reviewer": make_user(s, "far_reviewer", role="reviewer", jurisdiction=far, password_hash=pw),
            "admin": make_user(s, "admin", role="admin", password_hash=pw),
        }
        ids = {k: u.id for k, u in users.items()} | {"ours": ours.id, "other": other.id, "far": remote.id}
        s.commit()
    with db.sessions() as s:
        rids = [
            drafts.create_report(s, body_id=b, season_id=season.id, actor_id=None, content=None)
            for b in (ours.id, other.id, remote.id)
        ]
    return World(ids, season.id, *rids)


@pytest.fixture
def app(db, tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="test-secret", max_upload_bytes=2 * 1024 * 1024)
    return create_app(settings, sessions=db.sessions)


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


class Browser:
    """A TestClient that signs in like a person and remembers the page's CSRF token."""

    def __init__(self, app, username: str | None) -> None:
        self.client = TestClient(app, follow_redirects=False)
        self.csrf = ""
        if username:
            page = self.client.get("/login")
            r = self.client.post(
                "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
            )
            assert r.status_code == 303, r.text
            self.csrf = self.client.get("/api/me").json()["csrf_token"]

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, **kw):
        data = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(url, data=data, **kw)

    def api(self, method: str, url: str, **kw):
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kw)


@pytest.fixture
def browser(app) -> Iterator:
    made: list[Browser] = []

    def _make(username: str | None) -> Browser:
        b = Browser(app, username)
        made.append(b)
        return b

    yield _make
    for b in made:
        b.client.close()


def clean_report(year: int = 2024, body_name: str = "鲁沙尔镇人民政府"):
    import random

    return sample_report(random.Random(7), year=year, body_name=body_name)


def to_review(db, report_id: int, actor_id: int, content) -> int:
    """Save `content` as the draft, explain its warnings, submit and check it: the report is in review."""
    from workflow.db.models import ReportRow
    from workflow.rules.catalog import validate
    from workflow.services import checks, submission

    with db.sessions() as s:
        rev = s.get(ReportRow, report_id).draft_revision
        drafts.save_draft(s, report_id=report_id, content=content, expected_revision=rev, actor_id=actor_id)
        for f in validate(content).warnings:
            drafts.explain_warning(
                s, report_id=report_id, finding_key=f.key, text="已核实。", actor_id=actor_id
            )
        version_id = submission.submit(s, report_id=report_id, actor_id=actor_id)
        checks.run_checks(s, version_id=version_id)
        return s.get(ReportRow, report_id).latest_version
