"""Small helpers shared by the page routers: flash messages and service-error pages."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response


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
