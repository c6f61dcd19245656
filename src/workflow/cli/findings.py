"""`workflow findings --contested`: the checker's errors that reviewers agreed were wrong, by rule.

Every accepted contest is a real report on which a rule misjudged; listed by rule id, they show which
rule to fix first (issue #14: "when the checker is wrong anyway")."""

from __future__ import annotations

import argparse
import json
from collections import Counter


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("findings", help="列出被提出异议的校验结果（默认：审核人已接受的异议）")
    p.add_argument("--contested", action="store_true", help="列出审核人已接受的异议（默认即如此）")
    p.add_argument(
        "--status",
        choices=("accepted", "open", "rejected", "all"),
        default="accepted",
        help="按异议状态筛选：accepted 已接受（默认）、open 待决定、rejected 已驳回、all 全部",
    )
    p.add_argument("--rule", help="只看某条规则，如 B2")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=list_findings)


def list_findings(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.rules.engine import Locator
    from workflow.services.contests import contested

    statuses = ("open", "accepted", "rejected") if args.status == "all" else (args.status,)
    with session_factory()() as session:
        records = contested(session, statuses=statuses, rule=args.rule)
    if args.format == "json":
        out = [
            {
                "rule": r.rule_id,
                "where": r.where,
                "message": r.message,
                "status": r.status,
                "body": r.body,
                "year": r.year,
                "report_id": r.report_id,
                "reason": r.reason,
                "reviewer_comment": r.comment,
                "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            }
            for r in records
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if not records:
        print("没有符合条件的异议。")
        return 0
    per_rule = Counter(r.rule_id for r in records)
    print(f"共 {len(records)} 条异议，涉及 {len(per_rule)} 条规则：")
    for rule, count in per_rule.most_common():
        print(f"  {rule:<8} {count} 条")
    print()
    for r in records:
        where = Locator(**{k: r.where.get(k) for k in ("section", "table", "row", "column")}).describe()
        decided = r.decided_at.strftime("%Y-%m-%d") if r.decided_at else "未决定"
        print(f"{r.rule_id}  {r.body} {r.year}年度（报告 {r.report_id}）  {where}")
        print(f"    校验结果：{r.message}")
        print(f"    异议理由：{r.reason}")
        if r.comment:
            print(f"    审核意见：{r.comment}")
        print(f"    状态：{_STATUS[r.status]}（{decided}）")
    return 0


_STATUS = {"open": "待决定", "accepted": "已接受", "rejected": "已驳回"}
