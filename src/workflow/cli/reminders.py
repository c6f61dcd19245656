"""`workflow reminders plan --as-of 2027-01-20`: what would go to whom and why; `reminders scan`; `failed`.

`plan` only reads (nothing is inserted or sent).  `scan` runs one pass of the periodic scan now.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from typing import TYPE_CHECKING

from workflow.domain.reminders import AUDIENCE_LABELS, CHANNEL_LABELS

if TYPE_CHECKING:
    from workflow.services.reminders import Planned


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("reminders", help="deadlines and reminders: preview, scan, failed deliveries")
    rsub = p.add_subparsers(dest="reminders_command", metavar="ACTION")
    plan = rsub.add_parser("plan", help="list the reminders due on a day (nothing is sent)")
    plan.add_argument("--as-of", type=date.fromisoformat, help="the day (default: today)")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.set_defaults(func=run_plan)
    scan = rsub.add_parser("scan", help="run one scan now: enqueue what is due and send it")
    scan.set_defaults(func=run_scan)
    failed = rsub.add_parser("failed", help="reminders given up on after all retries")
    failed.set_defaults(func=run_failed)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def run_plan(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.services import reminders as svc
    from workflow.settings import get_settings

    as_of = args.as_of or svc.today()
    with session_factory()() as s:
        planned = svc.plan(s, as_of=as_of, office_email=get_settings().office_email)
        warnings = svc.calendar_warnings(s, as_of=as_of)
    if args.format == "json":
        print(json.dumps([_as_json(p) for p in planned], ensure_ascii=False, indent=2))
        return 0
    print(f"{as_of.isoformat()} 应发送的提醒：{len(planned)} 条")
    for w in warnings:
        print(f"【注意】{w.message}")
    for line in svc.describe_plan(planned):
        print("  " + line)
    return 0


def _as_json(p: Planned) -> dict[str, object]:
    d = p.due
    return {
        "body_id": p.body_id,
        "body": p.body_name,
        "audience": d.audience.value,
        "audience_label": AUDIENCE_LABELS[d.audience],
        "channel": p.channel.value,
        "channel_label": CHANNEL_LABELS[p.channel],
        "recipient": p.recipient,
        "reminder": d.reminder,
        "step": d.step,
        "scheduled_on": d.scheduled_on.isoformat(),
        "due": d.due.isoformat(),
        "reason": d.reason,
    }


def run_scan(args: argparse.Namespace) -> int:
    from workers.celery_app import app as celery_app
    from workflow.db.session import session_factory
    from workflow.services.reminders import scan
    from workflow.tasks.dispatch import install

    install(celery_app)  # follow-up tasks of what this commits go to the workers now, not at the next sweep
    r = scan(session_factory())
    print(
        f"{r.as_of.isoformat()}：新增 {r.enqueued}，已发送 {r.sent}，待重试 {r.retried}，失败 {r.failed}，跳过 {r.skipped}"
    )
    for w in r.warnings:
        print(f"【注意】{w.message}")
    return 0


def run_failed(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.services.reminders import failed_reminders

    with session_factory()() as s:
        rows = failed_reminders(s)
    print(f"发送失败的提醒：{len(rows)} 条")
    for r in rows:
        when = (
            r.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if isinstance(r.created_at, datetime) else ""
        )
        print(
            f"  #{r.id} 单位{r.body_id} {r.reminder} 第{r.step}步 {r.channel} 尝试{r.attempts}次 {when}：{r.last_error}"
        )
    return 0 if not rows else 1
