"""`workflow backup FILE`, `workflow restore FILE`, `workflow rerender`: what an office runs to keep its data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    b = sub.add_parser("backup", help="备份数据库和已发布文件到一个 .tar.gz 文件（网站运行时也可备份）")
    b.add_argument("file", help="备份文件路径，例如 /backups/workflow-2027-01-20.tar.gz")
    b.set_defaults(func=run_backup)

    r = sub.add_parser("restore", help="从备份文件恢复到一个空的系统（先校验备份，损坏则不做任何改动）")
    r.add_argument("file", help="workflow backup 写出的备份文件")
    r.add_argument("--force", action="store_true", help="目标数据库已有数据时也恢复（覆盖现有数据）")
    r.set_defaults(func=run_restore)

    rr = sub.add_parser("rerender", help="用当前模板重新生成已发布的文件（只有内容变化的文件才生成新版本）")
    which = rr.add_mutually_exclusive_group(required=True)
    which.add_argument("--report", type=int, metavar="ID", help="只处理这份报告")
    which.add_argument("--all", action="store_true", help="处理所有已发布的报告")
    rr.add_argument("--dry-run", action="store_true", help="只列出会变化的文件，不写入")
    rr.set_defaults(func=run_rerender)


def run_backup(args: argparse.Namespace) -> int:
    from workflow.backup import BackupError, backup
    from workflow.backup.database import BACKEND_LABELS
    from workflow.settings import get_settings

    settings = get_settings()
    try:
        summary = backup(
            Path(args.file), url=settings.effective_database_url, storage_root=settings.published_dir
        )
    except BackupError as exc:
        print(f"备份失败：{exc.message}", file=sys.stderr)
        return 1
    for warning in summary.warnings:
        print(f"警告：{warning}", file=sys.stderr)
    m = summary.manifest
    size = (
        f"{summary.size / 1024 / 1024:.1f} MB"
        if summary.size >= 1024 * 1024
        else f"{summary.size / 1024:.0f} KB"
    )
    print(f"已备份到 {args.file}（{size}）")
    print(
        f"  数据库：{BACKEND_LABELS[m['backend']]}，结构版本 {m['schema_revision']}；{_counts(m['counts'])}"
    )
    print(f"  已发布文件：{m['files']['count']} 个")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from workflow.backup import BackupError, restore
    from workflow.db.session import dispose_all
    from workflow.settings import get_settings

    settings = get_settings()
    dispose_all()
    try:
        summary = restore(
            Path(args.file),
            url=settings.effective_database_url,
            storage_root=settings.published_dir,
            force=args.force,
            workdir=settings.data_dir,
        )
    except BackupError as exc:
        print(f"恢复失败：{exc.message}", file=sys.stderr)
        return 1
    m = summary.manifest
    print(f"已从 {args.file} 恢复（备份时间 {m.get('created_at')}）")
    print(f"  数据库：{_counts(m.get('counts', {}))}")
    print(f"  已发布文件：{summary.files} 个，存放在 {settings.published_dir}")
    if summary.revision != summary.head:
        print(
            f"备份的数据库结构版本为 {summary.revision}，当前程序为 {summary.head}：请运行 workflow db upgrade。"
        )
    return 0


def run_rerender(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.services.rerender import Rerendered, rerender

    def show(r: Rerendered) -> None:
        if r.conflict:
            print(
                f"报告 {r.report_id} 第{r.version}版：发布记录在处理期间被修改，已跳过，请重新运行。",
                file=sys.stderr,
            )
        for name, (old, new) in r.changed.items():
            was = f"{old[:12]}…" if old else "（无）"
            print(f"报告 {r.report_id} 第{r.version}版 report.{name}：{was} → {new[:12]}…")

    with session_factory()() as session:
        results = rerender(session, report_id=args.report, dry_run=args.dry_run, progress=show)
    if args.report is not None and not results:
        print(f"报告 {args.report} 没有发布记录。", file=sys.stderr)
        return 1
    changed = [r for r in results if r.changed and not r.conflict]
    files = sum(len(r.changed) for r in changed)
    verb = "将重新生成" if args.dry_run else "已重新生成"
    if files:
        print(f"共检查 {len(results)} 条发布记录，{len(changed)} 条有变化，{verb} {files} 个文件。")
    else:
        print(f"共检查 {len(results)} 条发布记录，输出与当前模板一致，没有生成新文件。")
    return 1 if any(r.conflict for r in results) else 0


def _counts(counts: dict[str, Any]) -> str:
    labels = {"reports": "报告", "report_versions": "版本", "review_decisions": "审核决定",
              "publications": "发布记录", "audit_events": "审计事件", "users": "用户"}  # fmt: skip
    return "，".join(f"{labels[k]} {counts[k]}" for k in labels if k in counts)
