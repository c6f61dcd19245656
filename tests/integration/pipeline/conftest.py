"""Fixtures for the pipeline tests: a broker and real worker processes (see pipeline_support).

Broker: the Redis at WORKFLOW_TEST_REDIS_URL when set (CI: 127.0.0.1:6379), in logical databases 10
(broker) and 11 (results) with a key prefix unique to this test, so parallel runs and other suites do
not see each other's messages; the tests FAIL if it is set and unreachable.  Not set: an embedded
redis-server of our own on a free loopback port.  Tests that restart Redis always use their own server.

Workers are `celery -A workers.celery_app worker` subprocesses (and `celery beat` for the sweeper),
each in its own process group so that a test can SIGKILL a whole worker like a crashed machine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from pipeline_support import REDIS_ENV, Broker, Pipeline

from workflow.embedded import EmbeddedRedis
from workflow.services import outbox
from workflow.tasks.dispatch import CeleryDispatcher

BROKER_DB = 10  # results in BROKER_DB + 1


def _ping_or_fail(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"{REDIS_ENV}={url} is set but Redis is unreachable: {exc}", pytrace=False)
    finally:
        client.close()


def _delete_prefixed(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Broker]:
    """A redis-server of this test's own on a free loopback port (restartable)."""
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        yield Broker(server.url, f"wft-{uuid.uuid4().hex[:8]}:", server)
    finally:
        server.stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    configured = os.environ.get(REDIS_ENV)
    if not configured:
        server = EmbeddedRedis(tmp_path / "redis")
        server.start()
        try:
            yield Broker(server.url, f"wft-{uuid.uuid4().hex[:8]}:", server)
        finally:
            server.stop()
        return
    url = urlunsplit(urlsplit(configured)._replace(path=f"/{BROKER_DB}"))
    _ping_or_fail(url)
    prefix = f"wft-{uuid.uuid4().hex[:8]}:"
    try:
        yield Broker(url, prefix)
    finally:
        _delete_prefixed(url, prefix)


@pytest.fixture
def make_pipeline(db: Any, tmp_path: Path) -> Iterator[Callable[[Broker], Pipeline]]:
    made: list[Pipeline] = []
    previous = outbox.get_dispatcher()
    apps: list[Celery] = []

    def make(broker: Broker) -> Pipeline:
        pipeline = Pipeline(db.url, broker, tmp_path / "data")
        pipeline.data_dir.mkdir(parents=True, exist_ok=True)
        made.append(pipeline)
        app = pipeline.app()
        apps.append(app)
        outbox.set_dispatcher(CeleryDispatcher(app))  # the test process submits like the web does
        return pipeline

    try:
        yield make
    finally:
        outbox.set_dispatcher(previous)
        for pipeline in made:
            pipeline.stop()
        for app in apps:
            app.close()
