"""/metrics for Prometheus, and who may read it (and /healthz's details).

Two kinds of figures:

- **Requests**, counted by a pure ASGI middleware in each web process: `workflow_http_requests_total`
  and `workflow_http_request_duration_seconds`, labelled by method, the matched route's template
  (`/reports/{report_id}/edit`, never the raw path: one series per route, not per report) and, for
  the counter, the status class (2xx…5xx).  Unmatched paths count as route "unmatched".
  With several uvicorn processes each counts its own requests, so a scrape (answered by any one of
  them) must add up every process's files: prometheus-client's multiprocess mode.  It is switched on
  by `install` in each served process when uvicorn runs several (`PROMETHEUS_MULTIPROC_DIR`, when
  the operator sets it, else `<data_dir>/metrics/web-<uvicorn's pid>`: a fresh directory per server
  start; the directories of servers no longer running are removed).  One process: plain counters.
- **The season's state**, read at scrape time (cached CACHE_SECONDS), so every process answers the
  same and the workers need not report anything: reports per state, the check durations of every
  finished validation run (a histogram from started_at/finished_at), reminder deliveries per channel
  and status, queue depths, and /healthz's components (workflow.web.health).

Access: a client address in `settings.metrics_allowed_networks` (default loopback: Prometheus on the
same host, or the container's own healthcheck) or a signed-in administrator.  Anybody else gets 403
for /metrics and only the status word of /healthz: a public site does not show its internals.  Behind
a reverse proxy on the same host the proxy's address is loopback: uvicorn takes the client address
from X-Forwarded-For (`proxy_headers`), so the proxy must set it (or not forward /metrics).
"""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import Session

from workflow.db.models import ReminderSent, ReportRow, ValidationRun
from workflow.domain.states import ReportState
from workflow.settings import Settings
from workflow.web.deps import Forbidden, MaybeUser
from workflow.web.health import checker_for

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CACHE_SECONDS = 5.0
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CHECK_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

router = APIRouter(include_in_schema=False)


# ------------------------------------------------------------------ access
def _allowed_address(host: str | None, networks: list[str]) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def may_see_internals(request: Request, user: Any) -> bool:
    """A client in the allowed networks, or a signed-in administrator."""
    if user is not None and getattr(user, "role", None) == "admin":
        return True
    settings: Settings = request.app.state.settings
    client = request.client.host if request.client else None
    return _allowed_address(client, settings.metrics_allowed_networks)


# ------------------------------------------------------------------ request metrics
class _RequestMetrics:
    def __init__(self, multiprocess: bool) -> None:
        self.multiprocess = multiprocess
        # In multiprocess mode the values live in files that the scrape reads: registered nowhere.
        self.registry = None if multiprocess else CollectorRegistry()
        self.requests = Counter(
            "workflow_http_requests_total",
            "HTTP requests by method, route template and status class",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "workflow_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, f"{status // 100}xx").inc()
        self.latency.labels(method, route).observe(seconds)


_metrics: _RequestMetrics | None = None
_metrics_lock = threading.Lock()


def request_metrics() -> _RequestMetrics:
    """This process's request metrics (one set per process, whatever the number of apps in it)."""
    global _metrics
    if _metrics is None:
        with _metrics_lock:
            if _metrics is None:
                _metrics = _RequestMetrics(multiprocess=bool(os.environ.get(MULTIPROC_ENV)))
    return _metrics


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def use_multiprocess_dir(directory: Path) -> None:
    """Count this process's requests in files under `directory` (before the first request metric)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    from prometheus_client import values

    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()


def _prepare_multiprocess(settings: Settings) -> None:
    """In a process of a multi-process uvicorn (spawned by its supervisor): a directory shared by the
    supervisor's processes, fresh for each server start; those of dead servers are removed."""
    if _metrics is not None:
        return  # this process counts already (one app per served process: not reached)
    if os.environ.get(MULTIPROC_ENV):
        use_multiprocess_dir(Path(os.environ[MULTIPROC_ENV]))
        return
    if multiprocessing.parent_process() is None:
        return  # a single process (uvicorn without --workers, tests): plain counters
    base = settings.data_dir / "metrics"
    server = os.getppid()
    if base.is_dir():
        for old in base.glob("web-*"):
            pid = old.name.removeprefix("web-")
            if pid.isdigit() and int(pid) != server and not _pid_alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
    use_multiprocess_dir(base / f"web-{server}")


def install(app: Any, settings: Settings) -> None:
    """Count the app's requests (called by create_app)."""
    _prepare_multiprocess(settings)
    request_metrics()
    app.add_middleware(RequestMetricsMiddleware)


def _route_template(scope: Scope, root_path: str) -> str:
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(template, str):
        return template
    mounted = str(scope.get("root_path", ""))
    if "endpoint" in scope and mounted != root_path:  # a mounted app (/static)
        return mounted[len(root_path) :] + "/{path}"
    return "unmatched"


class RequestMetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware: no extra task, streamed bodies stay streamed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.metrics = request_metrics()

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = str(scope.get("root_path", ""))
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe(
                scope["method"], _route_template(scope, root_path), status, time.perf_counter() - started
            )


# ------------------------------------------------------------------ the season's state
def _duration(dialect: str) -> ColumnElement[Any]:
    finished, started = ValidationRun.finished_at, ValidationRun.started_at
    if dialect == "postgresql":
        return func.extract("epoch", finished - started)
    return (func.julianday(finished) - func.julianday(started)) * 86400.0


def _check_histogram(session: Session) -> tuple[list[int], int, float]:
    """Cumulative counts per bucket, the count and the sum of the finished runs' durations."""
    d = cast(_duration(session.get_bind().dialect.name), Float)
    columns = [func.sum(case((d <= b, 1), else_=0)) for b in CHECK_BUCKETS]
    q = select(func.count(), func.coalesce(func.sum(d), 0.0), *columns).where(
        ValidationRun.status == "done",
        ValidationRun.started_at.is_not(None),
        ValidationRun.finished_at.is_not(None),
    )
    row = session.execute(q).one()
    count, total = int(row[0]), float(row[1])
    return [int(v or 0) for v in row[2:]], count, total


def season_metrics(session: Session) -> list[Metric]:
    reports = GaugeMetricFamily("workflow_reports", "Reports per state", labels=["state"])
    per_state = dict(
        session.execute(select(ReportRow.state, func.count()).group_by(ReportRow.state)).tuples().all()
    )
    for state in ReportState:
        reports.add_metric([state.value], int(per_state.get(state.value, 0)))

    buckets, count, total = _check_histogram(session)
    checks = HistogramMetricFamily(
        "workflow_check_duration_seconds", "Duration of each finished check (validation run) of a version"
    )
    edges = [(_le(b), n) for b, n in zip(CHECK_BUCKETS, buckets, strict=True)] + [("+Inf", count)]
    checks.add_metric([], edges, total)

    deliveries = GaugeMetricFamily(
        "workflow_reminder_deliveries",
        "Reminder deliveries by channel and status",
        labels=["channel", "status"],
    )
    sent = CounterMetricFamily(
        "workflow_reminders_sent", "Reminders delivered, by channel", labels=["channel"]
    )
    rows = session.execute(
        select(ReminderSent.channel, ReminderSent.status, func.count()).group_by(
            ReminderSent.channel, ReminderSent.status
        )
    ).tuples()
    sent_by_channel: dict[str, int] = {}
    for channel, status, n in rows:
        deliveries.add_metric([channel, status], int(n))
        if status == "sent":
            sent_by_channel[channel] = int(n)
    for channel, n in sorted(sent_by_channel.items()):
        sent.add_metric([channel], n)
    return [reports, checks, deliveries, sent]


def _le(bound: float) -> str:
    return str(float(bound))


def health_metrics(health: Any) -> list[Metric]:
    c = health.components
    up = GaugeMetricFamily("workflow_up", "1 when the component answers", labels=["component"])
    for name in ("database", "broker", "workers"):
        up.add_metric([name], 1.0 if c.get(name, {}).get("ok") else 0.0)
    out: list[Metric] = [
        up,
        GaugeMetricFamily("workflow_healthy", "1 when /healthz answers 200", 1.0 if health.ok else 0.0),
    ]
    out.append(
        GaugeMetricFamily(
            "workflow_workers_live", "Workers that answered a ping", c.get("workers", {}).get("live") or 0
        )
    )
    depth = GaugeMetricFamily("workflow_queue_depth", "Messages waiting per queue", labels=["queue"])
    for queue, n in (c.get("queues", {}).get("depth") or {}).items():
        depth.add_metric([queue], n)
    out.append(depth)
    unchecked = c.get("unchecked", {})
    out.append(
        GaugeMetricFamily(
            "workflow_unchecked_reports", "Reports submitted or checking", unchecked.get("count") or 0
        )
    )
    out.append(
        GaugeMetricFamily(
            "workflow_oldest_unchecked_seconds",
            "How long the oldest report waiting for its checks has waited (0: none waits)",
            unchecked.get("oldest_age_seconds") or 0.0,
        )
    )
    return out


class _Families:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


class _Scrape:
    """The season's figures, read at most every CACHE_SECONDS per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def families(self, request: Request) -> list[Metric]:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
            with request.app.state.read_sessions() as session:
                families = season_metrics(session)
                session.rollback()
            families += health_metrics(checker_for(request.app).check())
            self._cached = (time.monotonic(), families)
            return families


_scrape_lock = threading.Lock()


def _scrape_for(app: Any) -> _Scrape:
    with _scrape_lock:
        scrape: _Scrape | None = getattr(app.state, "metrics_scrape", None)
        if scrape is None:
            scrape = app.state.metrics_scrape = _Scrape()
        return scrape


def render(request: Request) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    metrics = request_metrics()
    if metrics.multiprocess:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    elif metrics.registry is not None:
        registry.register(metrics.registry)
    registry.register(_Families(_scrape_for(request.app).families(request)))
    return generate_latest(registry)


@router.get("/metrics")
def metrics_page(request: Request, user: MaybeUser) -> Response:
    """Prometheus text format; sync: the scrape reads the database in the thread pool."""
    if not may_see_internals(request, user):
        raise Forbidden("指标仅对本机或管理员开放。")
    return Response(render(request), media_type=CONTENT_TYPE_LATEST)
