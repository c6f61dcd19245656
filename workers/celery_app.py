"""The Celery app: `celery -A workers.celery_app worker -Q checks,render,notify`.

Configured lazily from settings (no I/O at import): the broker is WORKFLOW_REDIS_URL, or the embedded
Redis that `workflow run` started.  Broker and results live in different logical databases of the
same server (results in the next database number).  Task bodies live in `workflow.tasks`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery
from celery.signals import worker_process_init

from workers.beat import beat_schedule
from workflow.settings import Settings, get_settings

QUEUES = ("checks", "render", "notify")

# Task name -> queue.  Tasks are sent by name (see workflow.tasks.dispatch), so routing is by name too.
TASK_ROUTES = {
    "check_*": {"queue": "checks"},
    "sweep_*": {"queue": "checks"},
    "publish_*": {"queue": "render"},
    "render_*": {"queue": "render"},
    "send_*": {"queue": "notify"},
    "notify_*": {"queue": "notify"},
}

# An unacknowledged message (its worker died) is handed out again after this long.  Longer than any
# task runs; the sweeper re-enqueues stuck work much sooner, and tasks are idempotent.
VISIBILITY_TIMEOUT_SECONDS = 900

# A Redis that is down or unreachable must cost a web request about a second, not the kernel's TCP
# connect timeout (minutes, for a host that is off) or forever (a server that accepts but never
# answers): connects give up after BROKER_CONNECT_TIMEOUT, reads after BROKER_READ_TIMEOUT.  The read
# timeout stays above kombu's 1 s BRPOP poll, so an idle worker never times out; keepalive finds a
# connection that a restarted or vanished server left half-open.  The worker and beat reconnect by
# themselves when Redis is back (and `workflow run` restarts them if they exit).
BROKER_CONNECT_TIMEOUT = 1.0
BROKER_READ_TIMEOUT = 2.0


def redis_base_url(settings: Settings) -> str:
    if settings.redis_url:
        return settings.redis_url
    from workflow.embedded import running_url

    url = running_url(settings.data_dir / "redis")
    if url is None:
        raise RuntimeError("未配置 WORKFLOW_REDIS_URL，也没有正在运行的内置 Redis（请先运行 workflow run）")
    return url


def with_db(url: str, offset: int) -> str:
    """The same server, `offset` logical databases after the one in the URL (results beside the broker)."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + offset}"))


def celery_config(settings: Settings) -> dict[str, Any]:
    base = redis_base_url(settings)
    transport: dict[str, Any] = {
        "visibility_timeout": VISIBILITY_TIMEOUT_SECONDS,
        "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
        "socket_timeout": BROKER_READ_TIMEOUT,
        "socket_keepalive": True,
    }
    if settings.redis_key_prefix:
        transport["global_keyprefix"] = settings.redis_key_prefix
    return {
        "broker_url": with_db(base, 0),
        "result_backend": with_db(base, 1),
        "broker_transport_options": transport,
        "result_backend_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS},
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,  # the database holds every outcome
        "result_expires": 3600,
        "task_default_queue": "checks",
        "task_routes": TASK_ROUTES,
        "task_create_missing_queues": True,
        "timezone": settings.timezone,
        "enable_utc": True,
        "beat_schedule": beat_schedule(settings),
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
        "include": ["workflow.tasks.jobs", "workflow.tasks.reminders"],
    }


def create_app() -> Celery:
    celery = Celery("workflow")
    # A promise: evaluated the first time the configuration is read, not at import.
    celery.add_defaults(lambda: celery_config(get_settings()))
    return celery


app = create_app()


@worker_process_init.connect
def _fresh_process(**_: Any) -> None:
    """In each pool process: follow-up tasks committed by a task are sent through Celery.

    (The parent worker process never opens the database, so no connection is inherited across fork.)
    """
    from workflow.tasks.dispatch import install

    install(app)
    _warm_up()


def _warm_up() -> None:
    """Import the heavy modules now, so the first task does not pay seconds of imports (p99)."""
    import contextlib
    import importlib

    for name in (
        "workflow.services.checks",
        "workflow.services.sweeper",
        "workflow.services.publication",
        "workflow.services.reminders",
    ):
        # An optional feature not installed: its task imports (and reports) it when it runs.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
