"""`workflow import-published FOLDER --year Y`: a district's published reports as last year's baselines.

Each file in FOLDER (PDF, .docx, HTML, text; one report per body) is matched to a body by the name
in its title, 单位名称 or 落款 (else by its file name) and stored as that body's report of Y-1, the
baseline of the cross-year checks of season Y.  Prints what matched, what did not, and why.
Exit status: 0 every file matched, 1 some did not, 2 the folder cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import-published",
        help="load a district's published reports (PDF/.docx/HTML/text) as last year's baselines",
    )
    p.add_argument("folder", help="folder with one published report per body")
    p.add_argument(
        "--year",
        type=int,
        required=True,
        help="the season the baselines serve: the files are the reports of the year before",
    )
    p.add_argument("--district", help="match only bodies of this jurisdiction (default: every body)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.importers import MAX_BYTES
    from workflow.services.baselines import MATCHED, SKIPPED, import_published

    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"找不到文件夹 {folder}，请检查路径。", file=sys.stderr)
        return 2
    files: list[tuple[str, bytes]] = []
    too_big: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.stat().st_size > MAX_BYTES:
            too_big.append(path.name)
            continue
        files.append((path.name, path.read_bytes()))
    if not files and not too_big:
        print(f"文件夹 {folder} 中没有文件。", file=sys.stderr)
        return 2
    with session_factory()() as session:
        items = import_published(session, files, year=args.year, district=args.district)
    for item in items:
        print(item.line)
    for name in too_big:
        print(f"未导入：{name} —— 文件超过 {MAX_BYTES // (1024 * 1024)} MB，不像是一份年度报告")
    matched = sum(1 for it in items if it.status in MATCHED)
    kept = sum(1 for it in items if it.status == SKIPPED)  # the body's own report in the system stands
    missed = len(items) + len(too_big) - matched - kept
    print(
        f"共 {len(items) + len(too_big)} 个文件：{matched} 个已作为{args.year - 1}年度报告导入，"
        + (f"{kept} 个单位已有系统内的报告，" if kept else "")
        + f"{missed} 个未导入。"
    )
    return 0 if missed == 0 else 1
