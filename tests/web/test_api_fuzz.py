"""schemathesis against the OpenAPI spec, in-process (ASGI), signed in: no request gives a 5xx.

Signed in as the administrator (allowed on every API route) and as 鲁沙尔镇's clerk, so generated
requests reach the handlers instead of stopping at 401/403.  We drive schemathesis' strategies with
hypothesis directly (its pytest plugin's lazy fixtures do not work with this pytest), with a small
example budget per operation so the run stays well under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from workflow.web.app import SESSION_COOKIE

EXAMPLES_PER_OPERATION = 15


def _operations(app, prefix: str) -> list:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = [result.ok() for result in schema.get_all_operations()]
    ops = [op for op in ops if op.path.startswith(prefix)]
    assert ops, f"the spec describes no operation under {prefix}"
    return ops


def _fuzz(app, browser, username: str, prefix: str = "/api/") -> list[str]:
    b = browser(username)
    cookies = {SESSION_COOKIE: b.client.cookies[SESSION_COOKIE]}
    headers = {"X-CSRF-Token": b.csrf}
    failures: list[str] = []
    for op in _operations(app, prefix):

        @given(case=op.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case) -> None:
            response = case.call(headers=headers, cookies=cookies)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r}: {response.status_code}")

        run()
    return failures


@pytest.mark.parametrize("username", ["admin", "lushaer"])
def test_api_gives_no_server_error(app, world, browser, username):
    failures = _fuzz(app, browser, username)
    assert not failures, "\n".join(failures[:20])


def test_portal_gives_no_server_error(app, world, browser):
    failures = _fuzz(app, browser, "admin", prefix="/public/")
    assert not failures, "\n".join(failures[:20])
