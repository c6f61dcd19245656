"""The front door: send each role to its home page; /healthz for load balancers and operators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from workflow.web.auth import HOME
from workflow.web.deps import MaybeUser
from workflow.web.health import checker_for
from workflow.web.metrics import may_see_internals

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(user: MaybeUser) -> Response:
    return RedirectResponse(HOME[user.role] if user else "/login", 303)


@router.get("/healthz")
def healthz(request: Request, user: MaybeUser) -> Response:
    """200 while submissions get checked, 503 with the reasons when they cannot (workflow.web.health).

    Sync: the checks wait on the database and Redis in the thread pool, never on the event loop.
    The components are shown to the allowed networks and administrators, others see the status."""
    health = checker_for(request.app).check()
    body = health.to_dict(detailed=may_see_internals(request, user))
    return JSONResponse(body, health.status_code, headers={"Cache-Control": "no-store"})
