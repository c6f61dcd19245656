"""`workflow validate PATH`: check one report file against the rule catalog."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("validate", help="check a report file (.txt/.docx/.html) against the rule catalog")
    p.add_argument("path")
    p.add_argument("--previous", help="last year's report of the same body")
    p.add_argument("--body-type", help="township, street, county_department, … (inferred from the name if omitted)")
    p.add_argument("--year", type=int, help="report year (read from the title, 统计期限 or date if omitted)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise SystemExit("not implemented yet")
