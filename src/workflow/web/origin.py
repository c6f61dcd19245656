"""Sets the request's origin (client address and user agent) for the audit trail, per request.

A pure ASGI middleware: the context variable it sets is seen by everything that handles the request,
including the sync routes and dependencies anyio runs in its thread pool (it copies the context into
the worker thread).  The address is the connection's peer, as for sign-in throttling: behind a
reverse proxy uvicorn (run with proxy headers) puts the forwarded client there, for trusted proxies
only."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from workflow.services.origin import Origin, request_origin


class RequestOrigin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        agent = next((v for k, v in scope.get("headers", ()) if k == b"user-agent"), b"")
        token = request_origin.set(
            Origin.of_request(client[0] if client else None, agent.decode("latin-1", "replace"))
        )
        try:
            await self.app(scope, receive, send)
        finally:
            request_origin.reset(token)
