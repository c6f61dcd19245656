"""消息: the clerk's returns (with the reviewers' comments), approvals, publications and reminders,
with read / unread state (issue #15.7).  Messages are the `Notification` rows the services write;
one addressed to a body is read for everyone of that body once one of them marks it read."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select, update

from workflow.clock import now
from workflow.db.models import Notification, ReportRow, Season
from workflow.db.session import begin_write
from workflow.web.deps import DB, Id, PageUser, ReadDB
from workflow.web.header import for_user
from workflow.web.views_common import flash, redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200
_YEAR = re.compile(r"(\d{4})\s*年度")


def kind_of(title: str) -> str:
    """A label for the list, from the message's title (the services write these titles)."""
    if "退回" in title:
        return "退回"
    if "公开" in title and "已公开" in title:
        return "公开"
    if "通过" in title:
        return "通过"
    if "提醒" in title or "截止" in title or "逾期" in title:
        return "提醒"
    return "通知"


@router.get("/messages")
def messages(request: Request, user: PageUser, db: ReadDB) -> Response:
    rows = list(
        db.scalars(
            select(Notification)
            .where(for_user(user))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(PAGE_SIZE)
        )
    )
    links: dict[int, int] = {}
    if user.body_id is not None:
        q = (
            select(Season.report_year, ReportRow.id)
            .join(Season, Season.id == ReportRow.season_id)
            .where(ReportRow.body_id == user.body_id)
        )
        links = {year: rid for year, rid in db.execute(q)}
    items = []
    for n in rows:
        m = _YEAR.search(n.title)
        rid = links.get(int(m.group(1))) if m else None
        items.append({"n": n, "kind": kind_of(n.title), "report_id": rid})
    unread = sum(1 for n in rows if n.read_at is None)
    db.close()
    return render(request, "submit/messages.html", {"items": items, "unread": unread})


@router.post("/messages/read")
def mark_all_read(request: Request, user: PageUser, db: DB) -> Response:
    begin_write(db)
    db.execute(
        update(Notification).where(for_user(user), Notification.read_at.is_(None)).values(read_at=now())
    )
    db.commit()
    flash(request, "全部消息已标为已读。")
    return redirect("/messages")


@router.post("/messages/{message_id}/read")
def mark_read(request: Request, message_id: Id, user: PageUser, db: DB) -> Response:
    begin_write(db)
    db.execute(
        update(Notification)
        .where(Notification.id == message_id, for_user(user), Notification.read_at.is_(None))
        .values(read_at=now())
    )
    db.commit()
    return redirect("/messages")
