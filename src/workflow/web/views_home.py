"""The front door: send each role to its home page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from workflow.web.auth import HOME
from workflow.web.deps import MaybeUser

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(user: MaybeUser) -> Response:
    return RedirectResponse(HOME[user.role] if user else "/login", 303)


@router.get("/healthz")
def healthz() -> Response:
    return PlainTextResponse("ok")
