"""/healthz against a real worker: 200 with every component ok, 503 once the worker is gone."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from workflow.settings import Settings
from workflow.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.both_backends]


def healthz(db, broker, data_dir):
    settings = Settings(
        data_dir=data_dir, secret_key="test-secret", redis_url=broker.url, redis_key_prefix=broker.prefix
    )
    app = create_app(settings, sessions=db.sessions)  # a fresh app: nothing cached
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        return client.get("/healthz")


def test_healthz_answers_200_while_a_worker_listens_and_503_when_it_is_gone(
    db, broker, make_pipeline, tmp_path
):
    pipeline = make_pipeline(broker)
    pipeline.start_worker("w1")
    r = healthz(db, broker, tmp_path)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok" and body["reason"] == ""
    c = body["components"]
    assert all(component["ok"] for component in c.values()), c
    assert c["workers"]["live"] == 1 and c["workers"]["names"][0].startswith("w1-")
    assert c["queues"]["depth"] == {"checks": 0, "render": 0, "notify": 0}
    assert c["unchecked"]["count"] == 0

    pipeline.kill("w1")
    r = healthz(db, broker, tmp_path)
    assert r.status_code == 503
    assert "没有在线的校验进程" in r.json()["reason"]
