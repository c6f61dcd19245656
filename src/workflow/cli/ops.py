"""Operator commands: `workflow db upgrade`, `workflow seed-demo`, `workflow status`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workflow.domain.states import STATE_LABELS, ReportState


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="数据库维护")
    db_sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    up = db_sub.add_parser("upgrade", help="把数据库迁移到最新结构（alembic upgrade head）")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=upgrade)
    db.set_defaults(func=lambda args: (db.print_help(), 2)[1])

    seed = sub.add_parser("seed-demo", help="写入演示数据（西宁市湟中区；可重复运行，不会重复写入）")
    seed.add_argument("--corpus", help="lushaer_2024.txt 所在目录（默认 WORKFLOW_DEMO_CORPUS_DIR）")
    # `workflow run` removes its first-start marker this way once the past season is all published.
    seed.add_argument("--done-marker", help=argparse.SUPPRESS)
    seed.set_defaults(func=seed_demo)

    status = sub.add_parser("status", help="各年度报告按状态统计")
    status.add_argument("--year", type=int, help="只看某一年度")
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(func=show_status)


def upgrade(args: argparse.Namespace) -> int:
    from workflow.db.migrate import upgrade as run_upgrade
    from workflow.settings import get_settings

    url = get_settings().effective_database_url
    run_upgrade(url, args.revision)
    print(f"数据库已迁移到 {args.revision}：{_safe(url)}")
    return 0


def seed_demo(args: argparse.Namespace) -> int:
    from workers.celery_app import app as celery_app
    from workflow.db.migrate import upgrade as run_upgrade
    from workflow.db.session import begin_write, session_factory
    from workflow.services import seed
    from workflow.settings import get_settings
    from workflow.tasks.dispatch import install

    install(celery_app)  # follow-up tasks of what this commits go to the workers now, not at the next sweep
    settings = get_settings()
    run_upgrade(settings.effective_database_url)
    corpus = args.corpus or settings.demo_corpus_dir
    with session_factory()() as session:
        begin_write(session)
        try:
            added = seed.seed_demo(session, corpus)
        except Exception as exc:  # e.g. the published files cannot be stored: say so, keep what is done
            session.rollback()
            print(
                f"演示数据未能全部写入：{exc}。已写入的部分保留；排除问题后再次运行 workflow seed-demo 即可补齐。"
            )
            return 1
        session.commit()
        logins = seed.demo_logins(session)
    if getattr(args, "done_marker", None):
        Path(args.done_marker).unlink(missing_ok=True)
    if any(added.values()):
        print("已写入演示数据：" + "，".join(f"{k} {v}" for k, v in added.items()))
    else:
        print("演示数据已存在，未写入新内容。")
    print(f"演示账号（密码均为 {seed.DEMO_PASSWORD}）：")
    for username, _password, label in logins:
        print(f"  {username:<16} {label}")
    return 0


def show_status(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.services.queries import reports_per_state

    with session_factory()() as session:
        counts = reports_per_state(session)
    if args.year is not None:
        counts = {y: c for y, c in counts.items() if y == args.year}
    if args.format == "json":
        print(json.dumps({str(y): c for y, c in counts.items()}, ensure_ascii=False, indent=2))
        return 0
    if not counts:
        print("还没有任何年度。")
    for year, by_state in counts.items():
        total = sum(by_state.values())
        print(f"{year}年度（共 {total} 份）")
        for state in ReportState:
            print(f"  {by_state.get(state.value, 0):>6}  {STATE_LABELS[state]}")
    return 0


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
