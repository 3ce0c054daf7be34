"""Browser-facing protections (issue 12, item 7): security headers, CORS, local API docs.

* :class:`SecurityHeaders` adds to every response: ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``, a ``Content-Security-Policy`` that allows nothing (API
  answers are data, never pages) with ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY``
  for older browsers), and ``Cache-Control: no-store`` unless the route chose its own caching:
  learners' credentials, decision records and job results must not stay in shared caches or
  browser history. The two documentation pages get a policy that allows this origin's scripts.
* :func:`install` serves ``/docs`` (Swagger UI) and ``/redoc`` from files vendored under
  ``app/api/static`` (``README.md`` there names versions and licences), never from a CDN, and
  adds CORS for the origins in ``settings.cors_allow_origins`` (none by default: browsers then
  refuse cross-site reads, and the request guard's 415 refuses cross-site "simple" writes).
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/static"
DOC_PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI sets inline style attributes and shows SVG icons as data: URIs; ReDoc injects
# <style> elements and runs its search index in a blob: worker. No script but this origin's.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
#: What every API answer carries. Also sent by the 500 handler (app/api/problems.py): Starlette
#: answers an unhandled error from its outermost middleware, outside this one.
API_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "content-security-policy": API_POLICY,
    "cache-control": "no-store",
}
_COMMON = [
    (name.encode(), value.encode())
    for name, value in API_HEADERS.items()
    if name not in {"content-security-policy", "cache-control"}
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = DOCS_POLICY if path in DOC_PAGES else API_POLICY
        static = path.startswith(STATIC_PREFIX + "/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _COMMON if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy.encode()))
                if b"cache-control" not in present:
                    cache = b"public, max-age=86400" if static else b"no-store"
                    headers.append((b"cache-control", cache))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _swagger_page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    static = html.escape(root + STATIC_PREFIX)
    spec = html.escape(root + "/openapi.json")
    redirect = html.escape(str(request.base_url).rstrip("/") + "/docs/oauth2-redirect")
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Passerelle - Swagger UI</title>
<link rel="stylesheet" href="{static}/swagger-ui/swagger-ui.css">
<link rel="icon" type="image/png" href="{static}/swagger-ui/favicon-32x32.png"></head>
<body><div id="swagger-ui" data-openapi-url="{spec}"
 data-oauth2-redirect-url="{redirect}"></div>
<script src="{static}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{static}/swagger-ui/swagger-init.js"></script></body></html>
"""
    )


def _oauth2_redirect_page(request: Request) -> HTMLResponse:
    """Where an identity provider sends the browser back after "Authorize" in Swagger UI."""
    static = html.escape(request.scope.get("root_path", "") + STATIC_PREFIX)
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en"><body>
<script src="{static}/swagger-ui/oauth2-redirect.js"></script></body></html>
"""
    )


def _redoc_page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    static = html.escape(root + STATIC_PREFIX)
    spec = html.escape(root + "/openapi.json")
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Passerelle - ReDoc</title></head>
<body><redoc spec-url="{spec}"></redoc>
<script src="{static}/redoc/redoc.standalone.js"></script></body></html>
"""
    )


def install(app: FastAPI, settings: Settings) -> None:
    """Local docs pages and assets, CORS when configured, security headers outermost.

    The app must be built with ``docs_url=None, redoc_url=None`` (FastAPI's own pages load
    their assets from a CDN). The pages are plain Starlette routes: they carry no API
    dependency (authorisation, rate limit) and stay out of the OpenAPI document.
    """
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    app.router.add_route("/docs", _swagger_page, methods=["GET"], include_in_schema=False)
    app.router.add_route(
        "/docs/oauth2-redirect", _oauth2_redirect_page, methods=["GET"], include_in_schema=False
    )
    app.router.add_route("/redoc", _redoc_page, methods=["GET"], include_in_schema=False)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            # the origin list is the boundary; any request header (API key, bearer) may follow
            allow_headers=["*"],
            expose_headers=["Location", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
