"""Security headers on every response: pages, the JSON API, static files, error pages, the portal.

A pure ASGI middleware (no BaseHTTPMiddleware: that one buffers streamed bodies and costs a task per
request); it only appends headers to the response's start message and never touches the body.

- Content-Security-Policy: scripts only from our own origin (no inline script, no ``javascript:``
  links, no ``on…=`` attributes: the pages' behaviour lives in /static/*.js), no plugins, no framing,
  forms post only to us.  The application's pages use no inline style either; the public portal and
  the published report pages keep their inline ``<style>`` (the exported site is self-contained files)
  and per-column widths, so under /public/ styles may be inline — scripts still may not.
  /docs is our own page with no CDN assets and no script: it lives under the strict policy too.
- PDFs get the framing/form/base directives only: a fetch policy on the PDF response itself can stop
  a browser's built-in viewer from showing it.
- X-Frame-Options: DENY, X-Content-Type-Options: nosniff, Referrer-Policy: same-origin.
- Strict-Transport-Security only when the request came over https: uvicorn runs with
  ``proxy_headers`` (workflow.cli.run), so a trusted local proxy's X-Forwarded-Proto sets the scheme.
  A header the route already set (e.g. its own CSP) is kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The portal's pages (live and exported) carry their stylesheet inline; scripts stay external.
_PORTAL = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_DOCUMENT = "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
PORTAL_PREFIX = "/public/"
HSTS = "max-age=31536000"

_COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


def policy_for(path: str, content_type: str) -> str:
    """The Content-Security-Policy for a response to `path` with this content type."""
    if content_type.startswith("application/pdf"):
        return _DOCUMENT
    if path.startswith(PORTAL_PREFIX):
        return _PORTAL
    return _STRICT


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                kind = next((v.decode("latin-1") for n, v in raw if n.lower() == b"content-type"), "")
                extra = [*_COMMON, (b"content-security-policy", policy_for(path, kind).encode())]
                if https:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                raw.extend(h for h in extra if h[0] not in present)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
