"""The words of one reminder: subject, plain text and HTML from the e-mail templates."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflow.domain.calendar import describe_day
from workflow.domain.reminders import AUDIENCE_LABELS, Audience
from workflow.notify.message import Message
from workflow.notify.render import render_email

_LINKS = {Audience.BODY: "/", Audience.HEAD: "/", Audience.OFFICE: "/admin", Audience.REVIEWERS: "/review"}


def compose(row: Any, body: Any, channels: Any) -> Message:
    """`row` is a reminders_sent row (payload, ids), `body` the Body row, `channels` gives office and URL."""
    p = row.payload
    audience = Audience(p["audience"])
    greeting = body.name if audience is Audience.BODY else AUDIENCE_LABELS[audience]
    if audience is Audience.HEAD:
        greeting = f"{body.name}负责人"
    context = {
        "greeting": greeting,
        "body_name": body.name,
        "report_year": p["report_year"],
        "reason": p["reason"],
        "due_text": describe_day(date.fromisoformat(p["due"])),
        "internal_text": describe_day(date.fromisoformat(p["anchor"])),
        "link": channels.base_url.rstrip("/") + _LINKS[audience],
        "office_name": channels.office_name,
    }
    subject, text, html = render_email(p["template"], context)
    domain = (channels.base_url.split("//")[-1].split("/")[0].split(":")[0]) or "workflow"
    key = f"{row.season_id}/{row.body_id}/{row.reminder}/{row.step}/{row.channel}"
    return Message(
        subject, text, html, message_id=f"<reminder-{row.id}@{domain}>", headers={"X-Workflow-Reminder": key}
    )
