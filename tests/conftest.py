"""Shared fixtures.  Backend fixtures (database, Redis, workers) live in tests/integration/conftest.py."""

from __future__ import annotations

import importlib.util
import random
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

# Rules are judged "as of" a day after the 2026 season's reports are dated, so H1 (a report date in
# the future) never depends on when the suite runs.
AS_OF = date(2027, 2, 1)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test a compiled rule engine built from other sources than the .py files here:
    Python would import the stale extensions and the suite would test yesterday's rules."""
    spec = importlib.util.spec_from_file_location("build_native", ROOT / "scripts" / "build_native.py")
    assert spec is not None and spec.loader is not None
    build_native = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_native)
    if build_native.status() == "stale":
        pytest.exit(
            "the compiled rule engine (*.so) was built from other sources than these: run `make native`, "
            "or `python scripts/build_native.py --clean` to test the plain Python",
            returncode=2,
        )


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261127)
