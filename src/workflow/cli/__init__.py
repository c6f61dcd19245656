"""The `workflow` command.  Each feature registers its sub-commands from its own module.

To add commands: write `register(subparsers)` in a module here and list the module in COMMAND_MODULES.
Each sub-command sets `func=callable(args) -> int` (the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from workflow.services import origin

COMMAND_MODULES = (
    "workflow.cli.validate",
    "workflow.cli.import_published",
    "workflow.cli.run",
    "workflow.cli.ops",
    "workflow.cli.publish",
    "workflow.cli.reminders",
    "workflow.cli.backup",
    "workflow.cli.findings",
    "workflow.cli.users",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workflow", description="政府信息公开工作年度报告 workflow engine")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    with origin.acting_as(origin.CLI):  # the audit trail's client: "cli"
        return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
