"""Shared fixtures.  Backend fixtures (database, Redis, workers) live in tests/integration/conftest.py."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

# Rules are judged "as of" a day after the 2026 season's reports are dated, so H1 (a report date in
# the future) never depends on when the suite runs.
AS_OF = date(2027, 2, 1)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261127)
