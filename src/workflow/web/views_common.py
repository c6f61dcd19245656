"""Small helpers shared by the page routers: flash messages, rendering, what report pages show."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from workflow.web.fragments import tables_html
from workflow.web.pagedata import Shown, comments_by_section


def flash(request: Request, message: str, kind: str = "ok") -> None:
    # Short messages only: the session is a signed cookie (4 KB).
    request.session["flash"] = [message[:500], kind]


def pop_flash(request: Request) -> dict[str, str]:
    item = request.session.pop("flash", None)
    return {"flash": item[0], "flash_kind": item[1]} if item else {}


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, {**pop_flash(request), **ctx}, status_code=status)


def redirect(url: str) -> Response:
    return RedirectResponse(url, 303)


def shown_context(request: Request, s: Shown) -> dict[str, Any]:
    """What the review and status pages both show of a report: the latest submitted version (or
    the draft) as tables with its latest check placed on them, explanations, comments, decisions."""
    return {
        "version": s.version,
        "content": s.content,
        "run": s.run,
        "findings": s.run.findings if s.run else [],
        "explained": s.facts.explained,
        "comments": comments_by_section(s.facts.comments),
        "decisions": s.facts.decisions,
        "tables": tables_html(request, s.view_key, spec=s.content.spec, values=s.values, at=s.at, errors={}),
    }
