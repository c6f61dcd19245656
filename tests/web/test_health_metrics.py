"""What an operator checks: /healthz's verdict and reasons, /metrics' figures and who may read them.

The healthy case with a real worker answering is tests/integration/pipeline/test_health.py.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from conftest import clean_report, to_review
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from workflow.clock import now
from workflow.db.models import ReminderSent, ReportRow
from workflow.db.session import writing
from workflow.embedded import EmbeddedRedis, free_port
from workflow.settings import Settings
from workflow.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def broker(tmp_path) -> Iterator[tuple[str, str]]:
    """(url, key prefix): the CI Redis in database 12 under a prefix of this test's, else our own."""
    configured = os.environ.get("WORKFLOW_TEST_REDIS_URL")
    prefix = f"wfh-{uuid.uuid4().hex[:8]}:"
    if not configured:
        with EmbeddedRedis(tmp_path / "redis") as server:
            yield server.url, prefix
        return
    url = urlunsplit(urlsplit(configured)._replace(path="/12"))
    yield url, prefix
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def make_app(db, tmp_path, **settings):
    return create_app(Settings(data_dir=tmp_path, secret_key="test-secret", **settings), sessions=db.sessions)


def healthz(app, client=LOOPBACK):
    with TestClient(app, client=client) as c:
        started = time.monotonic()
        r = c.get("/healthz")
        return r, time.monotonic() - started


def test_healthz_is_503_with_a_chinese_reason_when_the_broker_is_down(db, tmp_path):
    app = make_app(db, tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    r, seconds = healthz(app)
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "stalled"
    assert "消息队列（Redis）无法连接" in body["reason"]
    c = body["components"]
    assert c["database"]["ok"] is True
    assert c["broker"]["ok"] is False and c["workers"]["ok"] is False and c["queues"]["ok"] is False
    assert c["unchecked"] == {"ok": True, "count": 0, "oldest_age_seconds": None, "threshold_seconds": 300.0}
    assert seconds < 2.5


def test_healthz_without_any_broker_configured_says_so(db, tmp_path):
    r, _ = healthz(make_app(db, tmp_path))  # no WORKFLOW_REDIS_URL, no embedded Redis running
    assert r.status_code == 503
    assert "未配置 WORKFLOW_REDIS_URL" in r.json()["reason"]


def test_healthz_is_503_when_no_worker_listens(db, tmp_path, broker):
    url, prefix = broker
    r, seconds = healthz(make_app(db, tmp_path, redis_url=url, redis_key_prefix=prefix))
    assert r.status_code == 503
    body = r.json()
    assert body["reason"] == "没有在线的校验进程（Celery worker），提交的报告无人校验"
    c = body["components"]
    assert c["broker"]["ok"] is True
    assert c["workers"] == {"ok": False, "live": 0, "listening": 0, "names": []}
    assert c["queues"] == {"ok": True, "depth": {"checks": 0, "render": 0, "notify": 0}}
    assert seconds < 1.5  # nobody listens: the ping does not wait


def test_healthz_counts_queued_messages(db, tmp_path, broker):
    url, prefix = broker
    client = redis.Redis.from_url(url)
    client.lpush(f"{prefix}checks", "a", "b")
    client.lpush(f"{prefix}notify\x06\x169", "c")  # kombu's priority sub-queue
    client.close()
    r, _ = healthz(make_app(db, tmp_path, redis_url=url, redis_key_prefix=prefix))
    assert r.json()["components"]["queues"]["depth"] == {"checks": 2, "render": 0, "notify": 1}


def test_healthz_is_503_when_a_submission_waited_longer_than_the_threshold(db, tmp_path, world, broker):
    with writing(db.sessions) as s:
        s.execute(
            update(ReportRow)
            .where(ReportRow.id == world.report_id)
            .values(state="submitted", state_changed_at=now() - timedelta(seconds=600))
        )
    url, prefix = broker
    r, _ = healthz(make_app(db, tmp_path, redis_url=url, redis_key_prefix=prefix))
    assert r.status_code == 503
    body = r.json()
    assert re.search(r"最早一份待校验的报告已等待 6\d\d 秒，超过 300 秒，校验可能已停滞", body["reason"])
    unchecked = body["components"]["unchecked"]
    assert unchecked["ok"] is False and unchecked["count"] == 1
    assert 599 <= unchecked["oldest_age_seconds"] < 660

    lenient = make_app(
        db, tmp_path, redis_url=url, redis_key_prefix=prefix, health_unchecked_max_seconds=3600
    )
    assert healthz(lenient)[0].json()["components"]["unchecked"]["ok"] is True


def test_healthz_shows_only_the_status_to_the_public(db, tmp_path, world, browser):
    app = make_app(db, tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    r, _ = healthz(app, client=("203.0.113.7", 4000))
    assert r.status_code == 503 and r.json() == {"status": "stalled"}
    assert browser(None).get("/healthz").json() == {"status": "stalled"}
    assert "components" in browser("admin").get("/healthz").json()  # not from loopback, but the admin


# ------------------------------------------------------------------ /metrics
def scrape(app) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with TestClient(app, client=LOOPBACK) as c:
        r = c.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def requests_of(samples, route: str, status: str, method: str = "GET") -> float:
    key = ("workflow_http_requests_total", (("method", method), ("route", route), ("status", status)))
    return samples.get(key, 0.0)


def test_metrics_are_for_loopback_and_administrators_only(db, tmp_path, world, browser):
    app = make_app(db, tmp_path)
    anonymous = TestClient(app, client=("203.0.113.7", 4000)).get("/metrics")
    assert anonymous.status_code == 403 and "指标仅对本机或管理员开放" in anonymous.text
    assert browser("reviewer").get("/metrics").status_code == 403
    assert browser("admin").get("/metrics").status_code == 200
    closed = make_app(db, tmp_path, metrics_allowed_networks=[])
    assert TestClient(closed, client=LOOPBACK).get("/metrics").status_code == 403
    ipv6 = make_app(db, tmp_path)
    assert TestClient(ipv6, client=("::1", 4000)).get("/metrics").status_code == 200


def test_metrics_count_requests_by_route_template(db, tmp_path, world):
    app = make_app(db, tmp_path)
    before = scrape(app)
    with TestClient(app, client=LOOPBACK, follow_redirects=False) as c:
        assert c.get("/login").status_code == 200
        assert c.get("/login").status_code == 200
        assert c.get(f"/reports/{world.report_id}").status_code == 303  # not signed in
        assert c.get("/no/such/page").status_code == 404
    after = scrape(app)
    assert requests_of(after, "/login", "2xx") - requests_of(before, "/login", "2xx") == 2
    assert (
        requests_of(after, "/reports/{report_id}", "3xx") - requests_of(before, "/reports/{report_id}", "3xx")
        == 1
    )
    assert requests_of(after, "unmatched", "4xx") - requests_of(before, "unmatched", "4xx") == 1
    assert not any(str(world.report_id) in dict(labels).get("route", "") for _, labels in after)
    latency = ("workflow_http_request_duration_seconds_count", (("method", "GET"), ("route", "/login")))
    assert after[latency] - before.get(latency, 0) == 2


def test_metrics_report_the_season_as_the_database_has_it(db, tmp_path, world):
    to_review(db, world.report_id, world.ids["clerk"], clean_report())  # checked in this process
    with writing(db.sessions) as s:
        s.execute(update(ReportRow).where(ReportRow.id == world.other_report_id).values(state="submitted"))
        s.add_all(
            [
                ReminderSent(season_id=world.season_id, body_id=world.ids["ours"], reminder="r", step="s",
                             channel="email", status="sent"),
                ReminderSent(season_id=world.season_id, body_id=world.ids["other"], reminder="r", step="s",
                             channel="email", status="failed"),
                ReminderSent(season_id=world.season_id, body_id=world.ids["ours"], reminder="r", step="s",
                             channel="wecom", status="sent"),
            ]
        )  # fmt: skip
    samples = scrape(make_app(db, tmp_path))
    reports = {
        dict(labels)["state"]: v for (name, labels), v in samples.items() if name == "workflow_reports"
    }
    assert reports == {
        "draft": 1, "submitted": 1, "checking": 0, "needs_fixes": 0, "in_review": 1, "returned": 0,
        "approved": 0, "published": 0,
    }  # fmt: skip
    assert db.count("reports", "state = 'in_review'") == reports["in_review"]
    assert samples[("workflow_check_duration_seconds_count", ())] == 1
    assert samples[("workflow_check_duration_seconds_bucket", (("le", "+Inf"),))] == 1
    assert samples[("workflow_reminders_sent_total", (("channel", "email"),))] == 1
    assert samples[("workflow_reminders_sent_total", (("channel", "wecom"),))] == 1
    failed = ("workflow_reminder_deliveries", (("channel", "email"), ("status", "failed")))
    assert samples[failed] == 1
    assert samples[("workflow_unchecked_reports", ())] == 1
    assert samples[("workflow_up", (("component", "database"),))] == 1
    assert samples[("workflow_up", (("component", "broker"),))] == 0  # no Redis configured here
