"""The application factory: `uvicorn --factory workflow.web.app:create_app`.

Served by `workflow run` / `workflow web` through workflow.cli.serve, which installs the Celery
dispatcher in each worker process first: the web layer itself does not import the task queue."""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import anyio.to_thread
import sqlalchemy.exc
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from workflow.db.session import read_only
from workflow.settings import Settings, get_settings
from workflow.web import metrics
from workflow.web import sessions as sessions_web
from workflow.web.dashboard import StatusCache
from workflow.web.deps import LoginRequired
from workflow.web.fragments import FragmentCache
from workflow.web.headers import SecurityHeaders
from workflow.web.inputs import POSTED_FORM, refuse_unstorable
from workflow.web.memo import Memo
from workflow.web.origin import RequestOrigin
from workflow.web.templating import build_templates, compile_all

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = sessions_web.SESSION_COOKIE  # the server-side session's random key (web/sessions.py)


# One concurrency model: every route that touches the database is a plain `def`, run in anyio's
# thread pool with short transactions; async code only reads the request and in-memory caches.  A
# thread holds at most one pooled connection at a time, so the threads stay below the pool (SQLite:
# SQLITE_POOL_SIZE; PostgreSQL: SQLAlchemy's 5 + 10 overflow) and nobody waits on the pool for a
# connection that a thread waiting for a token holds.  A page costs a few ms of CPU and the GIL
# runs one thread at a time; the threads beyond a few are for requests waiting on I/O (the SQLite
# write lock, PDF files).
WORKER_THREADS = 8
RETRY_AFTER_SECONDS = 5
BUSY_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,  # SQLite busy past its timeout, PostgreSQL gone or out of connections
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection within POOL_TIMEOUT_SECONDS
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    compile_all(app.state.templates)
    # Everything loaded by now (modules, the app, the compiled templates) lives as long as the
    # worker process.  Frozen, the cycle collector never walks it again: a full collection of these
    # ~130,000 objects stopped the event loop for ~85 ms (bench/web.py's slowest pages).
    gc.collect()
    gc.freeze()
    yield


def create_app(
    settings: Settings | None = None,
    *,
    sessions: sessionmaker[Session] | None = None,
    idle_minutes: float | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="政府信息公开工作年度报告 报送审核系统 API",
        version="1.0",
        docs_url=None,  # our own /docs page works offline (no CDN assets)
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(refuse_unstorable)],  # no NUL text or overflowing id reaches the database
    )
    if sessions is None:
        from workflow.db.session import session_factory

        sessions = session_factory()
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.read_sessions = read_only(sessions)
    # Server-side sessions (workflow.web.sessions): idle and absolute limits, the brief caches of
    # sessions and API tokens.
    app.state.idle_seconds = (settings.session_idle_minutes if idle_minutes is None else idle_minutes) * 60
    app.state.session_seconds = settings.session_max_hours * 3600
    app.state.users = sessions_web.SigninCache(sessions)
    app.state.tokens = sessions_web.TokenCache(sessions)
    # Templates are compiled once per process; only development re-reads edited files.
    app.state.templates = build_templates(auto_reload=settings.env == "development")
    app.state.status_cache = StatusCache()
    app.state.fragments = FragmentCache()
    app.state.memo = Memo()
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=sessions_web.UI_COOKIE,  # only the flash message and the sign-in form's CSRF token
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    metrics.install(app, settings)  # outermost: counts every request, timed from its first byte
    _security_headers_outermost(app)
    app.add_middleware(RequestOrigin)  # the audit trail's address and client (workflow.web.origin)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _include_routers(app)
    _install_handlers(app)
    return app


def _security_headers_outermost(app: FastAPI) -> None:
    """SecurityHeaders wraps the whole stack, Starlette's ServerErrorMiddleware included, so even a
    500 page carries the headers (add_middleware would place it inside that middleware)."""
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]


def _include_routers(app: FastAPI) -> None:
    from workflow.web import (
        api,
        auth,
        docs,
        views_admin,
        views_contests,
        views_home,
        views_reminders,
        views_review,
        views_submit,
    )

    for module in (
        auth,
        views_home,
        views_submit,
        views_contests,
        views_review,
        views_admin,
        views_reminders,
        api,
        docs,
    ):
        app.include_router(module.router)
    from workflow.web import views_account  # the account page, sessions and API tokens (issue #13)

    app.include_router(views_account.router)
    from workflow.web import views_audit  # the audit trail for administrators (issue #13)

    app.include_router(views_audit.router)
    from workflow.web import views_summary  # the district's summary (issue #16.3)

    app.include_router(views_summary.router)
    from workflow.web import views_import  # imports shown before they replace (issue #15.2, .5, .6)

    app.include_router(views_import.router)
    from workflow.web import views_drafts  # autosave, conflicts and 历史版本 (issue #15.1)

    app.include_router(views_drafts.router)
    from workflow.web import views_messages  # 消息: returns, approvals, publications, reminders (#15.7)

    app.include_router(views_messages.router)
    app.include_router(metrics.router)
    try:  # the public portal is the publication engineer's router (issue 5)
        portal = importlib.import_module("workflow.portal")
    except ImportError:
        log.info("workflow.portal not available: no public pages")
        return
    router = getattr(portal, "router", None)
    if router is not None:
        app.include_router(router)


def _page_of_form(request: Request) -> str:
    """The path of the page a posted form came from, when the Referer is this site (the pages send
    it: Referrer-Policy same-origin); "" otherwise."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.scheme in ("http", "https") and referer.netloc == request.url.netloc and referer.path:
        return referer.path
    return ""


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        """To the login page, and back afterwards.  Nothing of an anonymous request is read or kept:
        a form posted after the session expired is kept by /static/app.js in the browser, which puts
        it back once the same user is signed in again on the page the form was on."""
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            target = _page_of_form(request) or request.url.path
        return RedirectResponse("/login?next=" + quote(target), 303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code, str(exc.detail))

    for error in BUSY_ERRORS:
        app.add_exception_handler(error, _busy)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "请求参数不正确", "errors": _plain_errors(exc)}, 422)
        return _error_page(request, 422, "提交的内容格式不正确，请返回检查后重试。")


def _plain_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]


async def _busy(request: Request, exc: Exception) -> Response:
    """The database could not be had in time: 503 with Retry-After, never a stack trace.  The failed
    transaction was rolled back whole; a posted form comes back as hidden fields with a button that
    posts it again, so nothing the user typed is lost."""
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    request.state.database_unavailable = True  # the page's header asks the database nothing
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    message = "系统繁忙，刚才的操作没有完成，也没有保存任何内容。"
    if _wants_json(request):
        return JSONResponse({"detail": "系统繁忙，请稍后重试。"}, 503, headers=headers)
    refill: list[tuple[str, str]] = []
    upload = False
    if request.method == "POST":
        kind = request.headers.get("content-type", "")
        upload = kind.startswith("multipart/form-data")
        if kind.startswith("application/x-www-form-urlencoded"):
            # The form as the request parsed it; never read the body stream again here (it was read
            # already: waiting for more of it would hang the answer).
            form = request.scope.get(POSTED_FORM)
            if form is not None:
                refill = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    ctx = {"message": message, "refill": refill, "action": request.url.path, "upload": upload}
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "errors/busy.html", ctx, status_code=503, headers=headers)


# Starlette refuses a form field over 1 MB (and too many fields or files) with these English messages.
FORM_LIMIT_MESSAGES = (
    "Field exceeded maximum size",
    "Part exceeded maximum size",
    "Too many fields",
    "Too many files",
)


def _error_page(request: Request, status: int, message: str) -> Response:
    if status == 404 and message == "Not Found":
        message = "页面不存在。"
    elif status == 405:
        message = "不支持此操作。"
    elif status == 400 and message.startswith(FORM_LIMIT_MESSAGES):  # Starlette's form parser, in English
        message = "提交的内容过长（一项超过 1 MB），没有保存。请返回上一页，删减后重新提交。"
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "errors/error.html", {"status": status, "message": message}, status_code=status
    )
