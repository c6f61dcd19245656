"""The security tests (issue #13) use the web tests' world: the same fixtures, loaded from tests/web.

Each test here is written as the attack first (it failed on the main of 2026-12-03) and then kept as
the proof that the attack is refused."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_web_conftest", Path(__file__).parents[1] / "web" / "conftest.py"
)
assert _spec and _spec.loader
_web = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _web
_spec.loader.exec_module(_web)

database_url = _web.database_url
_engine = _web._engine
db = _web.db
sent = _web.sent
world = _web.world
app = _web.app
browser = _web.browser
Browser = _web.Browser
csrf_of = _web.csrf_of
clean_report = _web.clean_report
to_review = _web.to_review
PASSWORD = _web.PASSWORD
