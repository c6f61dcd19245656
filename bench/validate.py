"""Benchmark: validate-only and text import + validate, reports per second on one core.

    .venv/bin/python bench/validate.py [--reports 2000] [--rounds 3]

Reports are varied: generated clean reports (with and without requests, townships, 街道 and departments),
half of them with a perturbed cell, a dropped row, a blank cell or a missing section, plus the real corpus.
Prints figures; asserts nothing (targets: validate-only >= 5,000/s, import + validate >= 1,000/s).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.exporters import to_text
from workflow.importers import import_text
from workflow.rules.catalog import CATALOG, validate

AS_OF = date(2027, 2, 1)
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def varied_reports(n: int, seed: int = 7) -> list[Report]:
    rng = random.Random(seed)
    reports = []
    for i in range(n):
        report = sample_report(rng, year=2026)
        if i % 2:
            _damage(report, rng)
        reports.append(report)
    return reports


def _damage(report: Report, rng: random.Random) -> None:
    kind = rng.randrange(4)
    t3 = report.tables["t3"]
    if kind == 0:
        row = rng.choice(list(t3.rows))
        col = rng.choice(list(t3.rows[row]))
        t3.set(row, col, int(t3.value(row, col) or 0) + rng.randint(1, 5))
    elif kind == 1:
        t3.rows.pop(rng.choice(list(t3.rows)))
    elif kind == 2:
        report.tables["t4"].set("review", "total", "")
    else:
        report.sections.pop(rng.randint(1, 6), None)


def _rate(fn, items, rounds: int) -> tuple[float, float]:
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            fn(item)
        rates.append(len(items) / (time.perf_counter() - start))
    return statistics.median(rates), max(rates)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--core", type=int, default=os.cpu_count() - 1 if os.cpu_count() else 0, help="core to pin to"
    )
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})  # one core, as the targets say (default: the last one)
    reports = varied_reports(args.reports)
    texts = [to_text(r) for r in reports]
    texts += [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    # A worker holds one report at a time; this benchmark holds thousands.  Freeze them out of the
    # cyclic collector so full collections measure the validator's garbage, not the benchmark's heap.
    gc.collect()
    gc.freeze()
    findings = sum(len(validate(r, today=AS_OF).findings) for r in reports)
    print(
        f"reports: {len(reports)} generated (+{len(texts) - len(reports)} corpus texts), rules: {len(CATALOG)}"
    )
    print(f"findings over the set: {findings}  (every other report damaged on purpose)")
    v_med, v_max = _rate(lambda r: validate(r, today=AS_OF), reports, args.rounds)
    print(
        f"validate only:            {v_med:8.0f} reports/s (median of {args.rounds}, best {v_max:.0f})  target >= 5000"
    )
    i_med, i_max = _rate(lambda t: validate(import_text(t).report, today=AS_OF), texts, args.rounds)
    print(
        f"text import + validate:   {i_med:8.0f} reports/s (median of {args.rounds}, best {i_max:.0f})  target >= 1000"
    )
    print(
        f"python {sys.version.split()[0]}, pinned to core {args.core}, load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
