"""The season load test, short: 30 people for a minute against a real `workflow run`.

bench/season/run.py's runner, smaller: 40 bodies, 3 published reports, 30 simulated people (clerks,
reviewers, office, public; see bench/season/locustfile.py) for 60 s.  On the embedded defaults
(SQLite + the server's own Redis) when WORKFLOW_TEST_DATABASE_URL is unset; in CI's PostgreSQL pass
on a fresh database of that server (dropped afterwards) and the Redis at WORKFLOW_TEST_REDIS_URL
(logical database 13, a key prefix of this run's own, deleted afterwards).

It asserts what must hold at any speed: no failed request (no 5xx, no timeout, no refused sign-in,
save or submission) and no lost submission (every version submitted during the run ends checked).
No timing is asserted: `python bench/season/run.py` measures that.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench.season.run import Options, describe, run_season

pytestmark = [pytest.mark.integration, pytest.mark.both_backends, pytest.mark.slow]

BROKER_DB = 13  # the pipeline tests use 10 and 11, bench/pipeline.py 12


def _options(tmp_path: Path) -> Options:
    # 30 people starting 2 a second (15 s), then 45 s all together: a minute of load.
    opts = Options(users=30, duration=45, spawn_rate=2, bodies=40, published=3, work_dir=tmp_path)
    server = os.environ.get("WORKFLOW_TEST_DATABASE_URL")
    if not server:
        return opts
    redis = os.environ.get("WORKFLOW_TEST_REDIS_URL", "")
    if redis:
        redis = urlunsplit(urlsplit(redis)._replace(path=f"/{BROKER_DB}"))
    opts.backend, opts.server, opts.redis = "postgres", server, redis
    return opts


@pytest.mark.timeout(300)
def test_thirty_people_for_a_minute_nothing_fails_nothing_is_lost(tmp_path: Path) -> None:
    said: list[str] = []
    result = run_season(_options(tmp_path), say=said.append)
    report = "\n".join(said + describe(result))
    assert result.failures == 0, report
    assert result.checked.submitted > 0, "no clerk submitted: the scenario did not run\n" + report
    assert result.checked.all_checked, report
    print(report)
