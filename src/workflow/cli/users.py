"""`workflow user …`: an administrator's account tasks from the command line (issue #13).

Each goes through workflow.services.accounts, as the web's pages do, so a new password, a disabled
account or "sign out everywhere" ends the user's sessions at once here too (the web processes stop
trusting their cached copy within seconds).  A new password is read without echo (or from stdin with
--stdin, for scripts) and must pass the same password policy as on the web."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("user", help="用户账户：重设密码、停用/启用、退出所有登录")
    users = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    pw = users.add_parser("passwd", help="重设用户的密码（其所有登录随即退出）")
    pw.add_argument("username")
    pw.add_argument("--stdin", action="store_true", help="从标准输入读取新密码（一行），供脚本使用")
    pw.set_defaults(func=passwd)
    for name, helptext in (
        ("disable", "停用用户（其所有登录随即退出，API 令牌全部撤销）"),
        ("enable", "重新启用用户"),
        ("signout", "让用户在所有设备上退出登录"),
    ):
        q = users.add_parser(name, help=helptext)
        q.add_argument("username")
        q.set_defaults(func=change)


def _find(session: Session, username: str) -> int | None:
    from sqlalchemy import select

    from workflow.db.models import User

    uid = session.scalar(select(User.id).where(User.username == username))
    session.commit()
    return uid


def passwd(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.services import accounts

    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("新密码：")
        if getpass.getpass("再次输入新密码：") != password:
            print("两次输入的密码不一致，密码未修改。", file=sys.stderr)
            return 1
    problems = accounts.password_problems(args.username, password)
    if problems:
        print("密码未修改：" + "".join(problems), file=sys.stderr)
        return 1
    password_hash = accounts.hash_password(password)  # slow: before the write transaction
    with session_factory()() as session:
        uid = _find(session, args.username)
        if uid is None:
            print(f"用户“{args.username}”不存在。", file=sys.stderr)
            return 1
        ended = accounts.set_password(session, user_id=uid, password_hash=password_hash, actor_id=None)
    print(f"已为 {args.username} 设置新密码；{ended} 处登录已退出。")
    return 0


def change(args: argparse.Namespace) -> int:
    from workflow.db.session import session_factory
    from workflow.services import accounts
    from workflow.services.errors import ServiceError

    with session_factory()() as session:
        uid = _find(session, args.username)
        if uid is None:
            print(f"用户“{args.username}”不存在。", file=sys.stderr)
            return 1
        try:
            if args.user_command == "signout":
                ended = accounts.sign_out_everywhere(session, user_id=uid, actor_id=None)
                print(f"{args.username} 的 {ended} 处登录已退出。")
            else:
                accounts.set_active(session, user_id=uid, active=args.user_command == "enable", actor_id=None)
                word = "启用" if args.user_command == "enable" else "停用（其登录已全部退出，API 令牌已撤销）"
                print(f"已{word}：{args.username}")
        except ServiceError as exc:
            print(exc.message, file=sys.stderr)
            return 1
    return 0
