"""Rendering speed: HTML renders per second and PDF time per report (p50, p90).

    .venv/bin/python bench/render.py [--html N] [--pdf N]

Targets on the development machine: HTML ≥ 200/s, PDF p50 ≤ 500 ms.  Reports are generated
(workflow.domain.samples), each one different, in the 2021 format; the first PDF (font loading) is
timed separately as the cold start a fresh worker pays once.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime

from workflow.domain.samples import sample_report
from workflow.publish.html import PublicationMeta, render_html
from workflow.publish.pdf import render_pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=int, default=400, help="number of HTML renders")
    parser.add_argument("--pdf", type=int, default=20, help="number of PDF renders")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rng = random.Random(2026)
    reports = [sample_report(rng, year=2026) for _ in range(50)]
    meta = PublicationMeta(version=1, published_at=datetime(2027, 1, 20, 1, 0, tzinfo=UTC))

    render_html(reports[0], meta)  # templates compiled once, as in a running worker
    start = time.perf_counter()
    for i in range(args.html):
        render_html(reports[i % len(reports)], meta)
    html_rate = args.html / (time.perf_counter() - start)

    t0 = time.perf_counter()
    render_pdf(reports[0], meta)
    cold = time.perf_counter() - t0
    times, cpu, sizes = [], [], []
    for i in range(args.pdf):
        t0, c0 = time.perf_counter(), time.process_time()
        sizes.append(len(render_pdf(reports[(i + 1) % len(reports)], meta)))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    times.sort()
    p50 = statistics.median(times) * 1000
    p90 = times[int(0.9 * (len(times) - 1))] * 1000
    print(f"HTML: {html_rate:.0f} renders/s over {args.html} reports (target ≥ 200/s)")
    print(f"PDF:  p50 {p50:.0f} ms, p90 {p90:.0f} ms over {args.pdf} reports (target p50 ≤ 500 ms); ", end="")
    print(
        f"first PDF (cold, loads the font) {cold * 1000:.0f} ms; mean size {statistics.mean(sizes) / 1024:.0f} KB"
    )
    # CPU time of this process: roughly the figure without other processes competing for the cores.
    load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    print(f"PDF CPU time p50 {statistics.median(cpu) * 1000:.0f} ms; load average (1 min) {load}")


if __name__ == "__main__":
    main()
