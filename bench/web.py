"""Web latency under load: 5,000 bodies, the dashboard and the report pages, 50 concurrent clients.

    .venv/bin/python bench/web.py [--server postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                  [--database wf_bench_web] [--bodies 5000] [--clients 50]
                                  [--driver wrk|python] [--duration 10] [--requests 1000]
                                  [--think 0] [--workers 2] [--pages dashboard,review,form,status]

Creates a scratch database (`--database`, default wf_bench_<random>) on the server, migrates it,
seeds a district of `--bodies` bodies (60 % with a report: drafts, reports in review with a
validation run, published), runs VACUUM ANALYZE (no autovacuum pass during the first page), starts
`uvicorn --factory workflow.cli.serve:served_app` (as `workflow run` serves it, production
settings, `--workers` processes, no access log) as a subprocess against it, signs each role in
through the login form, and loads each page (`--pages`, default all) from `--clients` concurrent
keep-alive connections (closed loop: a client sends its next request when the previous answer
arrived).  The pages are measured one after the other.  Prints the load model, the load average,
and per page p50/p95/p99/max latency, throughput, and the CPU the server processes and the load
generator spent per request; then drops the database.  A benchmark, not a test.

The load generator runs on the same machine and takes CPU from the server (its CPU is printed).
Two drivers:

* `--driver wrk` (the default when `wrk` is on PATH; Debian package `wrk`, see
  scripts/system-deps.sh): `wrk -c <clients> -t 2 -d <duration>s --latency` per page with the
  session cookie as a header, back to back; a small Lua `done()` hook reports p50/p95/p99/max,
  the request count and the non-2xx answers.  C and epoll: a few microseconds per request.
* `--driver python`: a minimal asyncio keep-alive client, `--requests` GETs per page, with an
  optional think time drawn uniformly from 0..2x`--think` seconds (also before a client's first
  request, so clients start staggered; 0 = back to back, all starting at once).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from workflow.db.migrate import upgrade  # noqa: E402
from workflow.db.models import (  # noqa: E402
    Body,
    Jurisdiction,
    ReportRow,
    ReportVersion,
    Season,
    SeasonDeadline,
    User,
    ValidationRun,
)
from workflow.db.session import make_engine  # noqa: E402
from workflow.domain.bodies import BodyType  # noqa: E402
from workflow.domain.samples import sample_report  # noqa: E402
from workflow.rules.catalog import CATALOG_VERSION, validate  # noqa: E402
from workflow.services.accounts import hash_password  # noqa: E402

PASSWORD = "bench-password"
PAGES = ("dashboard", "review", "form", "status")  # --pages keys, in the order measured


def seed(url: str, n_bodies: int) -> dict[str, int]:
    engine = make_engine(url)
    rng = random.Random(5000)
    now = datetime.now(UTC)
    pw = hash_password(PASSWORD)
    with engine.begin() as conn:
        jid = conn.execute(
            insert(Jurisdiction).values(name="西宁市湟中区").returning(Jurisdiction.id)
        ).scalar_one()
        sid = conn.execute(
            insert(Season)
            .values(report_year=2026, stages=["body_head", "district_office"], created_at=now)
            .returning(Season.id)
        ).scalar_one()
        conn.execute(
            insert(SeasonDeadline),
            [
                {
                    "season_id": sid,
                    "body_type": t.value,
                    "locality": None,
                    "due_date": datetime(2027, 1, 31).date(),
                }
                for t in BodyType
            ],
        )
        kinds = ["镇人民政府", "街道办事处", "局"]
        bodies = [
            {
                "name": f"测试{i:04d}{kinds[i % 3]}",
                "code": f"b{i:05d}",
                "body_type": ["township", "street", "county_department"][i % 3],
                "jurisdiction_id": jid,
                "created_at": now,
            }
            for i in range(n_bodies)
        ]
        body_ids = list(conn.execute(insert(Body).returning(Body.id), bodies).scalars())
        templates = [sample_report(random.Random(s), year=2026) for s in range(20)]
        reports, versions, runs = [], [], []
        for i, bid in enumerate(body_ids):
            if i % 5 >= 3:
                continue  # 40 % not started
            content = templates[i % len(templates)]
            content.header.body_name = bodies[i]["name"]
            state = rng.choice(["draft", "in_review", "in_review", "published"])
            reports.append(
                {
                    "body_id": bid,
                    "season_id": sid,
                    "state": state,
                    "draft": content.to_dict(),
                    "draft_revision": 1,
                    "latest_version": 0 if state == "draft" else 1,
                    "state_changed_at": now,
                    "created_at": now,
                    "first_published_at": now if state == "published" else None,
                }
            )
        report_ids = list(conn.execute(insert(ReportRow).returning(ReportRow.id), reports).scalars())
        for rid, row in zip(report_ids, reports, strict=True):
            if row["latest_version"]:
                versions.append(
                    {
                        "report_id": rid,
                        "number": 1,
                        "content": row["draft"],
                        "content_hash": "x" * 64,
                        "submitted_at": now,
                    }
                )
        version_ids = list(
            conn.execute(insert(ReportVersion).returning(ReportVersion.id), versions).scalars()
        )
        for vid, v in zip(version_ids, versions, strict=True):
            from workflow.domain.model import Report

            result = validate(Report.from_dict(v["content"]))
            runs.append(
                {
                    "version_id": vid,
                    "catalog_version": CATALOG_VERSION,
                    "status": "done",
                    "findings": [f.to_dict() for f in result.findings],
                    "not_assessed": [],
                    "error_count": len(result.errors),
                    "warning_count": len(result.warnings),
                    "created_at": now,
                }
            )
        conn.execute(insert(ValidationRun), runs)
        review_report = next(
            rid for rid, row in zip(report_ids, reports, strict=True) if row["state"] == "in_review"
        )
        draft_index = next(i for i, row in enumerate(reports) if row["state"] == "draft")
        draft_report, draft_body = report_ids[draft_index], reports[draft_index]["body_id"]
        # Every row names every column: an executemany takes its column list from the first row.
        users = [
            ("admin", "admin", None, None),
            ("reviewer", "reviewer", None, jid),
            ("clerk", "submitter", draft_body, None),
        ]
        rows = [
            {
                "username": u,
                "password_hash": pw,
                "role": r,
                "body_id": b,
                "jurisdiction_id": j,
                "created_at": now,
            }
            for u, r, b, j in users
        ]
        conn.execute(insert(User), rows)
    engine.dispose()
    return {"reports": len(reports), "review_report": review_report, "draft_report": draft_report}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "WORKFLOW_DATABASE_URL": url,
        "WORKFLOW_SECRET_KEY": "bench",
        "WORKFLOW_DATA_DIR": str(data_dir),
        "WORKFLOW_ENV": "production",  # as deployed: templates compiled once, never re-read
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "workflow.cli.serve:served_app",  # as `workflow run` serves it
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("uvicorn did not come up")


async def sign_in(base: str, username: str) -> str:
    """The session cookie header of `username`, signed in through the real login form."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        page = await c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = await c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303, r.text
        return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


class Client:
    """One keep-alive HTTP/1.1 connection sending GETs with a cookie and reading whole responses.

    The load generator shares the machine's two cores with the server: a minimal client (a few tens
    of microseconds per request instead of httpx's millisecond) leaves the CPU to what is measured.
    The latency is the same thing httpx would see: from sending the request to the last body byte.
    """

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, int]:
        """(status, body bytes)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {self.cookie}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if m is None:
            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
        body = await self.reader.readexactly(int(m.group(1)))
        if re.search(rb"(?i)\r\nconnection: *close", head):
            await self.close()
        return status, len(body)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def load(clients: list[Client], path: str, total: int, think: float) -> tuple[list[float], float]:
    latencies: list[float] = []
    remaining = total
    errors = 0

    async def worker(c: Client) -> None:
        nonlocal remaining, errors
        if think:  # people do not all click at the same instant: each starts after its own pause
            await asyncio.sleep(random.uniform(0, 2 * think))
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(c.get(path), 30)
                ok = status == 200
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                ok = False
                await c.close()
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += not ok
            if think:
                await asyncio.sleep(random.uniform(0, 2 * think))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    elapsed = time.perf_counter() - t0
    if errors:
        print(f"  !! {errors} responses were not 200")
    return latencies, elapsed


# wrk's own summary has no p95: its done() hook reports exact percentiles (microseconds) instead.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK-RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def wrk_load(url: str, cookie: str, clients: int, seconds: float) -> tuple[dict[str, float], float]:
    """({p50, p95, p99, max (ms), requests, elapsed (s)}, wrk's CPU seconds) of one wrk run."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        cmd = ["wrk", "-c", str(clients), "-t", "2", "-d", f"{seconds:g}s", "--timeout", "30s", "--latency"]
        cmd += ["-H", f"Cookie: {cookie}", "-s", script.name, url]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"^WRK-RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if m is None:
        raise RuntimeError(f"no result from wrk:\n{out}")
    n, duration, p50, p95, p99, top, errors = (int(x) for x in m.groups())
    if errors:
        print(f"  !! {errors} wrk errors (non-2xx/3xx answers, timeouts, socket errors)")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    stats = {"p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000, "max": top / 1000}
    return stats | {"requests": n, "elapsed": duration / 1e6}, cpu


def server_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in the server's process group (uvicorn and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ...
            total += int(fields[11]) + int(fields[12])  # utime stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def run(port: int, pgid: int, ids: dict[str, int], args: argparse.Namespace) -> None:
    base = f"http://127.0.0.1:{port}"
    pages = [
        ("admin", "/admin", f"dashboard ({args.bodies:,} bodies, first 200 rows)"),
        ("reviewer", f"/review/{ids['review_report']}", "reviewer's report page"),
        ("clerk", f"/reports/{ids['draft_report']}/edit", "clerk's report form (validated in-process)"),
        ("clerk", f"/reports/{ids['draft_report']}", "clerk's report status page"),
    ]
    pages = [p for p, key in zip(pages, PAGES, strict=True) if key in args.pages]
    if args.driver == "wrk":
        amount = f"{args.duration:g} s per page"
        think = "no think time (back to back)"
    else:
        amount = f"{args.requests} requests per page"
        think = (
            f"think time uniform 0..{2 * args.think:g}s (mean {args.think:g}s); staggered start"
            if args.think
            else "no think time (back to back)"
        )
    print(
        f"driver {args.driver}; load model: {args.clients} concurrent clients, closed loop, {think}; "
        f"{amount}; {args.workers} uvicorn worker(s); "
        f"{os.cpu_count()} CPUs, load average {_loadavg()} before"
    )
    print(
        f"{'page':44} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'req/s':>6} "
        f"{'server CPU ms/req':>17} {'client CPU ms/req':>17} {'steal %':>7}"
    )
    for user, path, label in pages:
        cookie = await sign_in(base, user)  # every client shares the signed-in session cookie
        clients = [Client("127.0.0.1", port, cookie) for _ in range(args.clients)]
        # Warm up every worker process (each client's connection went to one of them), and check
        # the page answers at all: a cold process's first view fills its caches.
        for status, _ in await asyncio.gather(*(c.get(path) for c in clients)):
            assert status == 200, f"{path}: {status}"
        server0, stat0 = server_cpu_seconds(pgid), _cpu_ticks()
        if args.driver == "wrk":
            for c in clients:
                await c.close()
            stats, client_cpu = await asyncio.to_thread(
                wrk_load, base + path, cookie, args.clients, args.duration
            )
        else:
            client0 = time.process_time()
            lat, elapsed = await load(clients, path, args.requests, args.think)
            client_cpu = time.process_time() - client0
            for c in clients:
                await c.close()
            stats = {"p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99), "max": max(lat)}
            stats |= {"requests": len(lat), "elapsed": elapsed}
        n = stats["requests"]
        server = (server_cpu_seconds(pgid) - server0) * 1000 / n
        print(
            f"{label:44} {stats['p50']:7.1f} {stats['p95']:7.1f} {stats['p99']:7.1f} {stats['max']:7.1f} "
            f"{n / stats['elapsed']:6.1f} {server:17.2f} {client_cpu * 1000 / n:17.2f} {_steal(stat0):7.1f}"
        )
    print(f"load average after: {_loadavg()}")


def _cpu_ticks() -> list[int]:
    """The machine's CPU time counters (/proc/stat: user nice system idle iowait irq softirq steal)."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def _steal(before: list[int]) -> float:
    """The share of CPU time the hypervisor took from this machine since `before` (a noisy host)."""
    delta = [b - a for a, b in zip(before, _cpu_ticks(), strict=True)]
    return 100 * delta[7] / max(1, sum(delta))


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--server",
        default=os.environ.get(
            "WORKFLOW_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    ap.add_argument("--database", default="", help="scratch database name (default: wf_bench_<random>)")
    ap.add_argument("--bodies", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument(
        "--driver",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when it is on PATH, else the asyncio client)",
    )
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per page (wrk)")
    ap.add_argument("--requests", type=int, default=1000, help="requests per page (python)")
    ap.add_argument("--think", type=float, default=0.0, help="mean think time in seconds (python)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--pages",
        type=lambda v: v.split(","),
        default=list(PAGES),
        help=f"comma-separated subset of {','.join(PAGES)} (default: all)",
    )
    args = ap.parse_args()
    if unknown := set(args.pages) - set(PAGES):
        ap.error(f"--pages: unknown {', '.join(sorted(unknown))}")
    if args.driver == "wrk" and args.think:
        ap.error("wrk sends back to back: --think needs --driver python")
    name = args.database or f"wf_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(args.server).set(database=name).render_as_string(hide_password=False)
    proc = None
    try:
        upgrade(url)
        t0 = time.perf_counter()
        ids = seed(url, args.bodies)
        # Statistics now, as a database in use has them: not an autovacuum pass during the first page.
        fresh = make_engine(url, isolation_level="AUTOCOMMIT")
        with fresh.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        fresh.dispose()
        print(
            f"database {name}: seeded {args.bodies} bodies, {ids['reports']} reports in {time.perf_counter() - t0:.1f}s"
        )
        port = free_port()
        data_dir = Path(f"/tmp/{name}")
        proc = start_server(url, port, args.workers, data_dir)
        asyncio.run(run(port, proc.pid, ids, args))
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
