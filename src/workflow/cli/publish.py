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
    from workflow.portal.export import export_site
    from workflow.settings import get_settings
    from workflow.storage import ArtifactCorrupted

    base_url = args.base_url or get_settings().base_url.rstrip("/") + "/public"
    out = Path(args.dir)
    try:
        with session_factory()() as session:
            summary = export_site(session, out, base_url=base_url)
    except ArtifactCorrupted as exc:
        print(f"导出中止：{exc}", file=sys.stderr)
        return 1
    print(
        f"已导出到 {out}：{summary.pages} 个页面，{summary.files} 个文件，共 {summary.bytes / 1024 / 1024:.1f} MB"
    )
    return 0
