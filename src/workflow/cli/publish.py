"""`workflow export-site DIR`: write the public portal as static files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export-site", help="write the public portal (pages, files, feed, sitemap) as static files"
    )
    p.add_argument("dir", help="output directory (created if missing)")
    p.add_argument(
        "--base-url", help="public address the files will be served from (for the feed and sitemap)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.portal.export import SkippedFile, export_site
    from workflow.settings import get_settings

    def skip(file: SkippedFile) -> None:
        print(f"跳过 {file.path}：{file.reason}", file=sys.stderr)

    base_url = args.base_url or get_settings().base_url.rstrip("/") + "/public"
    out = Path(args.dir)
    with session_factory()() as session:
        summary = export_site(session, out, base_url=base_url, on_skip=skip)
    print(
        f"已导出到 {out}：{summary.pages} 个页面，{summary.files} 个文件，共 {summary.bytes / 1024 / 1024:.1f} MB"
    )
    if summary.skipped:
        print(
            f"有 {len(summary.skipped)} 个已发布文件缺失或校验不符，未导出（见上）。"
            "可运行 workflow rerender 重新生成，或从备份恢复。",
            file=sys.stderr,
        )
        return 1
    return 0
