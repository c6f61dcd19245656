"""Shared fixtures.  Backend fixtures (database, Redis, workers) live in tests/integration/conftest.py."""

from __future__ import annotations

import os
import random
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

# Rules are judged "as of" a day after the 2026 season's reports are dated, so H1 (a report date in
# the future) never depends on when the suite runs.
AS_OF = date(2027, 2, 1)

# A write in a read transaction raises in the processes the suite starts (workflow.db.session);
# the fixtures' own engine opts out for their set-up writes.
os.environ.setdefault("WORKFLOW_STRICT_WRITES", "1")


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261127)
