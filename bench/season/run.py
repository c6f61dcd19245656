"""The season as a load test: a January's clerks, reviewers, office staff and public against a real
`workflow run`.

    .venv/bin/python bench/season/run.py [--backend embedded|postgres] [--users 100] [--duration 120]
        [--spawn-rate R] [--bodies N] [--published 12] [--out bench/season/results]
        [--server postgresql+psycopg://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/5]
        [--find-max [--steps 50,100,150,...]] [--keep]

Each run (each step of --find-max):

1. prepares a fresh data directory (and, with --backend postgres, a fresh database on --server, and a
   key prefix of its own on --redis);
2. seeds a district (bench/season/seed.py): one body and one clerk account per simulated clerk at
   least (--bodies, default max(120, users)), reviewers, office staff, last year's published reports;
3. starts `workflow run --no-seed` (web, worker, beat; embedded: SQLite + its own redis-server) with
   production settings and the clock fixed at 20 January of the season (seed.py says which season and
   why); postgres: WORKFLOW_DATABASE_URL, WORKFLOW_REDIS_URL and WORKFLOW_WEB_WORKERS=2 as in
   docker-compose;
4. runs locust headless (bench/season/locustfile.py) with --users people ramping up at --spawn-rate
   per second (default 2: a sign-in costs ~0.2 s of CPU for argon2, and a district's people do not
   all sign in within the same seconds), then holds them for --duration seconds (the run lasts
   users / spawn rate + duration);
5. prints per kind of request: count, failures, p50/p95/p99 (locust's, rounded to 2 significant
   digits above 100 ms), the failures by message, and the server log's tracebacks;
6. waits up to 60 s for every version submitted during the run to have a validation run `done`, and
   says how long after the end of the load the last one took;
7. prints PASS or FAIL against the targets: no failure, p95 <= 500 ms for pages and <= 1000 ms for
   writes (sign-in, save, upload, explanation, submission, decision), every submission checked
   within 60 s of the end.

--find-max runs the steps (default 50, 100, 150, ...) one after the other on fresh setups and stops at
the first step with a failure or a lost submission: the step before is the most people that backend
holds without failing (the latency targets are reported, not required, for that question).

The load generator (locust) runs on this machine and takes CPU from the server; the load average
before and after each run is printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: `python bench/season/run.py`
    sys.path.insert(0, str(ROOT))

from bench.season import kinds  # noqa: E402
from bench.season.seed import season_now, season_year, seed_district  # noqa: E402
from workflow.db.session import make_engine  # noqa: E402
from workflow.embedded import free_port  # noqa: E402

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
RESULTS = Path(__file__).with_name("results")
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
SHARES = {"clerk": 0.70, "reviewer": 0.10, "office": 0.05, "public": 0.15}  # the locustfile's weights


@dataclass
class Options:
    backend: str = "embedded"
    users: int = 100
    duration: float = 120
    spawn_rate: float = 2.0  # people starting per second
    bodies: int = 0  # 0: max(120, users)
    published: int = 12
    server: str = DEFAULT_SERVER
    redis: str = DEFAULT_REDIS
    keep: bool = False
    workers: int = 2  # web processes with --backend postgres (docker-compose's value)
    work_dir: Path | None = None  # where the run's data directory is made (default: the system's temp)


@dataclass
class KindStats:
    name: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float

    @property
    def cls(self) -> str:
        return kinds.kind_class(self.name)


@dataclass
class Checked:
    submitted: int = 0
    checked: int = 0
    waited: float = 0.0  # seconds after the end of the load until the last was checked (or gave up)
    unchecked: list[tuple[int, int, str]] = field(default_factory=list)  # (version, report, run status)

    @property
    def all_checked(self) -> bool:
        return self.checked == self.submitted


@dataclass
class Result:
    options: Options
    stats: list[KindStats]
    failure_lines: list[str]
    checked: Checked
    tracebacks: list[str]
    states: dict[str, int]
    load_before: str
    load_after: str
    verdicts: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(s.failures for s in self.stats)

    @property
    def holds(self) -> bool:
        """No failure and no lost submission (latency aside): what --find-max asks."""
        return self.failures == 0 and self.checked.all_checked

    @property
    def passed(self) -> bool:
        return all(ok for _, ok in self.verdicts)


# ------------------------------------------------------------------ the stack under test
@dataclass
class Stack:
    data_dir: Path
    env: dict[str, str]
    db_url: str
    base: str
    admin_url: str = ""  # postgres: the server to drop the database on
    db_name: str = ""
    redis_url: str = ""
    redis_prefix: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"


def prepare(opts: Options) -> Stack:
    """A fresh data directory (and database); the server's environment."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"season-{opts.backend}-", dir=opts.work_dir))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env |= {
        "WORKFLOW_DATA_DIR": str(data_dir),
        "WORKFLOW_WEB_HOST": "127.0.0.1",
        "WORKFLOW_WEB_PORT": str(port),
        "WORKFLOW_BASE_URL": base,
        "WORKFLOW_ENV": "production",  # as deployed: templates compiled once
        "WORKFLOW_SECRET_KEY": f"season-{uuid.uuid4().hex}",
        "WORKFLOW_CLOCK": "fixed",
        "WORKFLOW_FIXED_NOW": season_now(season_year()),
        "WORKFLOW_MAILER": "memory",  # reminders and notices are not what is measured
    }
    if opts.backend == "embedded":
        return Stack(data_dir, env, f"sqlite:///{data_dir / 'workflow.sqlite3'}", base)
    name = f"season_{uuid.uuid4().hex[:10]}"
    admin = make_engine(opts.server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    db_url = make_url(opts.server).set(database=name).render_as_string(hide_password=False)
    prefix = f"season-{uuid.uuid4().hex[:8]}:"
    env |= {"WORKFLOW_DATABASE_URL": db_url, "WORKFLOW_WEB_WORKERS": str(opts.workers)}
    if not opts.redis:  # PostgreSQL with workflow run's embedded Redis
        return Stack(data_dir, env, db_url, base, opts.server, name)
    env |= {"WORKFLOW_REDIS_URL": opts.redis, "WORKFLOW_REDIS_KEY_PREFIX": prefix}
    return Stack(data_dir, env, db_url, base, opts.server, name, opts.redis, prefix)


def start(stack: Stack, timeout: float = 180) -> None:
    workflow = Path(sys.executable).with_name("workflow")
    out = stack.log.open("ab")
    stack.proc = subprocess.Popen(
        [str(workflow), "run", "--no-seed"],
        cwd=ROOT,
        env=stack.env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.proc.poll() is not None:
            raise RuntimeError(f"workflow run exited ({stack.proc.returncode}); see {stack.log}")
        try:
            if httpx.get(f"{stack.base}/login", timeout=2).status_code == 200:
                time.sleep(3)  # worker and beat start beside the web: give them their moment
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{stack.base} not served within {timeout:g} s; see {stack.log}")


def stop(stack: Stack) -> None:
    proc = stack.proc
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # workflow run stops web, worker, beat and its Redis
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def cleanup(stack: Stack, keep_dir: bool) -> None:
    if stack.db_name:
        admin = make_engine(stack.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{stack.db_name}" WITH (FORCE)')
        finally:
            admin.dispose()
    if stack.redis_prefix:
        import redis

        client = redis.Redis.from_url(stack.redis_url)
        try:
            keys = list(client.scan_iter(match=f"{stack.redis_prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
    if not keep_dir:
        shutil.rmtree(stack.data_dir, ignore_errors=True)


# ------------------------------------------------------------------ load, stats, checks
def accounts(users: int) -> tuple[int, int]:
    """(reviewer accounts, office accounts) enough for `users` people at the locustfile's weights."""
    return math.ceil(users * SHARES["reviewer"]) + 2, math.ceil(users * SHARES["office"]) + 2


def run_locust(stack: Stack, opts: Options, manifest: Path) -> Path:
    prefix = stack.data_dir / "locust"
    rate = opts.spawn_rate
    total = math.ceil(opts.users / rate + opts.duration)  # the ramp-up, then --duration at full strength
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(opts.users), "-r", f"{rate:g}", "-t", f"{total}s",
        "--host", stack.base, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
        "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env["SEASON_MANIFEST"] = str(manifest)
    with (stack.data_dir / "locust.log").open("wb") as out:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    return prefix


def read_stats(prefix: Path) -> tuple[list[KindStats], list[str]]:
    stats = []
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "Aggregated":
                continue

            def num(key: str, row: dict[str, str] = row) -> float:
                v = row.get(key, "")
                return float(v) if v not in ("", "N/A") else 0.0

            stats.append(
                KindStats(
                    row["Name"],
                    int(row["Request Count"]),
                    int(row["Failure Count"]),
                    num("50%"),
                    num("95%"),
                    num("99%"),
                    num("Max Response Time"),
                )
            )
    stats.sort(key=lambda s: (list(kinds.KINDS).index(s.name) if s.name in kinds.KINDS else 999, s.name))
    failures = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                failures.append(f"{row['Occurrences']:>5} × {row['Name']}: {row['Error'][:200]}")
    return stats, failures


def wait_checked(db_url: str, seeded_max_version_id: int, timeout: float) -> Checked:
    """Poll until every version submitted during the run has a `done` validation run (or timeout)."""
    engine = make_engine(db_url)
    sql = text(
        "SELECT v.id, v.report_id, "
        "  (SELECT max(r.status) FROM validation_runs r WHERE r.version_id = v.id AND r.status = 'done'),"
        "  (SELECT max(r.status) FROM validation_runs r WHERE r.version_id = v.id) "
        "FROM report_versions v WHERE v.id > :seeded ORDER BY v.id"
    )
    t0 = time.monotonic()
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(sql, {"seeded": seeded_max_version_id}).all()
            waited = time.monotonic() - t0
            pending = [(vid, rid, status or "no run") for vid, rid, done, status in rows if done is None]
            if not pending or waited >= timeout:
                return Checked(len(rows), len(rows) - len(pending), waited, pending)
            time.sleep(0.5)
    finally:
        engine.dispose()


def report_states(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT r.state, count(*) FROM reports r JOIN seasons s ON s.id = r.season_id "
                    "WHERE s.report_year = :year GROUP BY r.state ORDER BY r.state"
                ),
                {"year": season_year()},
            ).all()
    finally:
        engine.dispose()
    return {state: n for state, n in rows}


def tracebacks(log: Path, limit: int = 3) -> list[str]:
    """The distinct tracebacks in the server's log (by their last line), the first `limit` in full."""
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    found: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    i = 0
    while i < len(lines):
        if lines[i].startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                j += 1
            block = lines[max(0, i - 2) : j + 1]
            key = lines[j] if j < len(lines) else block[-1]
            counts[key] = counts.get(key, 0) + 1
            found.setdefault(key, block)
            i = j + 1
        else:
            i += 1
    out = []
    for n, (key, block) in enumerate(found.items()):
        out.append(f"{counts[key]} × {key}")
        if n < limit:
            out += ["    " + b for b in block[-40:]]
    status_5xx = sum(1 for line in lines if re.search(r'" 5\d\d\b', line))
    if status_5xx:
        out.append(f"{status_5xx} access-log lines with a 5xx status")
    return out


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ------------------------------------------------------------------ one run
def run_season(opts: Options, say: Callable[[str], None] = print) -> Result:
    bodies = opts.bodies or max(120, opts.users)
    n_reviewers, n_offices = accounts(opts.users)
    clerks = math.ceil(opts.users * SHARES["clerk"]) + 1
    if bodies < clerks:
        raise SystemExit(f"--bodies {bodies}: fewer than the {clerks} simulated clerks")
    stack = prepare(opts)
    ok = False
    try:
        t0 = time.monotonic()
        manifest = seed_district(
            stack.db_url,
            stack.data_dir,
            bodies=bodies,
            reviewers=n_reviewers,
            offices=n_offices,
            published=min(opts.published, bodies),
        )
        manifest_path = stack.data_dir / "manifest.json"
        manifest_path.write_text(json.dumps(manifest.to_dict()), encoding="utf-8")
        say(
            f"seeded {bodies} bodies ({bodies} clerks, {n_reviewers} reviewers, {n_offices} office), "
            f"{len(manifest.published)} published {manifest.year - 1} reports, season {manifest.year}, in {time.monotonic() - t0:.1f} s"
        )
        start(stack)
        say(f"workflow run --no-seed serving {stack.base} ({stack.data_dir})")
        load_before = loadavg()
        prefix = run_locust(stack, opts, manifest_path)
        load_after = loadavg()
        checked = wait_checked(stack.db_url, manifest.seeded_max_version_id, kinds.CHECKED_WITHIN_S)
        states = report_states(stack.db_url)
        stop(stack)
        stats, failure_lines = read_stats(prefix)
        result = Result(
            opts, stats, failure_lines, checked, tracebacks(stack.log), states, load_before, load_after
        )
        result.verdicts = verdicts(result)
        ok = result.passed
        return result
    finally:
        stop(stack)
        keep = opts.keep or not ok
        cleanup(stack, keep_dir=keep)
        if keep:
            say(f"data directory kept: {stack.data_dir} (server.log, locust.log, locust_*.csv)")


def verdicts(r: Result) -> list[tuple[str, bool]]:
    out = [(f"failures: {r.failures} (target 0)", r.failures == 0)]
    for cls, limit in ((kinds.PAGE, kinds.PAGE_P95_MS), (kinds.WRITE, kinds.WRITE_P95_MS)):
        over = [f"{s.name} {s.p95:g}" for s in r.stats if s.cls == cls and s.count and s.p95 > limit]
        label = "pages" if cls == kinds.PAGE else "writes"
        out.append((f"{label} p95 <= {limit} ms" + (f" (over: {', '.join(over)})" if over else ""), not over))
    c = r.checked
    within = c.all_checked and c.waited <= kinds.CHECKED_WITHIN_S
    out.append((f"submissions checked within {kinds.CHECKED_WITHIN_S} s: {c.checked}/{c.submitted}", within))
    return out


def describe(r: Result) -> list[str]:
    o = r.options
    lines = [
        f"backend {o.backend}, {o.users} users (starting {o.spawn_rate:g}/s), then {o.duration:g} s at full strength"
        + (f", {o.workers} web processes" if o.backend == "postgres" else ", 1 web process"),
        f"load average before {r.load_before}, after {r.load_after} ({os.cpu_count()} CPUs)",
        "",
        f"{'kind':30} {'class':8} {'count':>6} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}",
    ]
    for s in r.stats:
        lines.append(
            f"{s.name:30} {s.cls:8} {s.count:6d} {s.failures:5d} "
            f"{s.p50:7.0f} {s.p95:7.0f} {s.p99:7.0f} {s.max:7.0f}"
        )
    total = sum(s.count for s in r.stats)
    lines.append(f"{'all':30} {'':8} {total:6d} {r.failures:5d}   (milliseconds)")
    if r.failure_lines:
        lines += ["", "failures:"] + ["  " + f for f in r.failure_lines[:30]]
    if r.tracebacks:
        lines += ["", "server log:"] + ["  " + t for t in r.tracebacks]
    c = r.checked
    lines += [
        "",
        f"submissions during the run: {c.submitted}, checked: {c.checked}, "
        + (
            "every one by the end of the load"
            if c.all_checked and c.waited < 0.5
            else f"the last {c.waited:.1f} s after the end of the load"
            if c.all_checked
            else f"still unchecked after {c.waited:.0f} s: "
            + ", ".join(f"version {v} (report {rid}, {st})" for v, rid, st in c.unchecked[:20])
        ),
        f"{season_year()} reports by state at the end: " + ", ".join(f"{k} {v}" for k, v in r.states.items()),
        "",
    ]
    lines += [f"{'ok  ' if ok else 'FAIL'} {label}" for label, ok in r.verdicts]
    lines.append("PASS" if r.passed else "FAIL")
    return lines


# ------------------------------------------------------------------ command line
class Output:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def machine() -> str:
    """When, the load average, and what else was busy on the machine (other work skews the figures)."""
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    ps = subprocess.run(
        ["ps", "-eo", "pid=,pcpu=,args=", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout.splitlines()
    rows = [r for r in (line.split(None, 2) for line in ps) if len(r) == 3]
    busy = [
        f"{cpu}% {args[:100]}" for pid, cpu, args in rows if int(pid) != os.getpid() and float(cpu) >= 5.0
    ][:6]
    head = f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; uptime: {up}; {os.cpu_count()} CPUs"
    if not busy:
        return head + "\n  no other process above 5 % CPU (ps: CPU over the process's life)"
    return head + "".join(f"\n  busy (ps: CPU over the process's life): {b}" for b in busy)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--backend", choices=("embedded", "postgres"), default="embedded")
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument(
        "--duration",
        type=float,
        default=120,
        help="seconds at full strength, after the ramp-up (default 120)",
    )
    ap.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second (default 2)")
    ap.add_argument("--bodies", type=int, default=0, help="bodies to seed (default max(120, users))")
    ap.add_argument("--published", type=int, default=12, help="last year's reports published for the portal")
    ap.add_argument("--server", default=os.environ.get("WORKFLOW_TEST_DATABASE_URL") or DEFAULT_SERVER)
    ap.add_argument(
        "--redis",
        default=DEFAULT_REDIS,
        help="postgres backend: the broker, with a key prefix of the run's own ('' = embedded Redis)",
    )
    ap.add_argument("--workers", type=int, default=2, help="postgres backend: web processes")
    ap.add_argument(
        "--out", type=Path, nargs="?", const=RESULTS, help="write the output to DIR/<backend>-<users>.txt"
    )
    ap.add_argument("--find-max", action="store_true", help="step the users up until a step fails")
    ap.add_argument("--steps", default="", help="--find-max steps (default 50,100,150,... up to 1000)")
    ap.add_argument("--keep", action="store_true", help="keep the data directory (and its logs)")
    args = ap.parse_args(argv)
    say = Output()
    say(f"season load test — {machine()}")
    base = Options(
        backend=args.backend,
        users=args.users,
        duration=args.duration,
        spawn_rate=args.spawn_rate,
        bodies=args.bodies,
        published=args.published,
        server=args.server,
        redis=args.redis,
        keep=args.keep,
        workers=args.workers,
    )
    if not args.find_max:
        result = run_season(base, say)
        for line in describe(result):
            say(line)
        if args.out:
            say.write(args.out / f"{args.backend}-{args.users}.txt")
        return 0 if result.passed else 1
    steps = [int(x) for x in args.steps.split(",") if x] or list(range(50, 1001, 50))
    held, summary = 0, []
    for users in steps:
        say(f"\n== {users} users")
        opts = Options(**(base.__dict__ | {"users": users}))
        result = run_season(opts, say)
        for line in describe(result):
            say(line)
        worst = max((s.p95 for s in result.stats if s.cls != kinds.CONFLICT), default=0)
        summary.append(
            f"{users:5d} users: {result.failures} failures, "
            f"{result.checked.checked}/{result.checked.submitted} submissions checked, "
            f"worst p95 {worst:g} ms, targets {'met' if result.passed else 'missed'}"
        )
        if not result.holds:
            break
        held = users
    say("\n== summary (" + args.backend + ")")
    for line in summary:
        say(line)
    say(f"highest user count held with 0 failures and every submission checked: {held or 'none'}")
    if args.out:
        say.write(args.out / f"{args.backend}-max.txt")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
