"""Rendering pages: one Jinja2 environment per language, and the headers every page carries.

:func:`render` is the one way a view answers with HTML: it adds the signed-in officer, the
navigation their roles allow, the CSRF token, the language and the ``static()`` helper to the
template's context, and sets the page's Content-Security-Policy (this origin's scripts and
styles only; no inline script or style), ``Cache-Control: no-store`` and ``Vary: HX-Request``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from app import __version__
from app.web.i18n import Translator, negotiate, translations
from app.web.nav import visible_nav

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_URL = "/static/web"

#: Pages load only this origin's scripts and styles (htmx is vendored; its indicator styles are
#: switched off by the htmx-config meta tag, so it injects no inline style).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "content-security-policy": PAGE_POLICY,
    "cache-control": "no-store",
    "vary": "HX-Request, Accept-Language",
}


@cache
def environment(locale: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(("html", "xml")),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["static"] = static
    env.globals["version"] = __version__
    return env


def static(path: str) -> str:
    """The URL of a file in ``app/web/static`` (versioned: the files are cached for a day)."""
    return f"{STATIC_URL}/{path}?v={__version__}"


def locale_of(request: Request) -> str:
    cached: str | None = getattr(request.state, "locale", None)
    if cached is None:
        cached = negotiate(request.headers.get("accept-language"))
        request.state.locale = cached
    return cached


def translator(request: Request) -> Translator:
    """``tr = translator(request); tr("Saved.")``: Python-side strings in the page's language."""
    return Translator(locale_of(request))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _parents(path: str) -> list[str]:
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[:n]) for n in range(2, len(parts))]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` (a path under app/web/templates) as the answer to ``request``."""
    locale = locale_of(request)
    officer = getattr(request.state, "officer", None)
    nav = visible_nav(officer.principal if officer is not None else None)
    values: dict[str, Any] = {
        "request": request,
        "officer": officer,
        "principal": officer.principal if officer is not None else None,
        "csrf_token": officer.csrf_token if officer is not None else "",
        "nav": nav,
        "current_path": request.url.path,
        # the entry the page belongs to: the longest path that is this page or a parent of it
        "current_nav": max(
            (i.path for i in nav if request.url.path in (i.path, *_parents(request.url.path))),
            key=len,
            default="/" if request.url.path == "/" else "",
        ),
        "lang": locale,
        "htmx": is_htmx(request),
        "problem": None,
    }
    values.update(context or {})
    body = environment(locale).get_template(template).render(values)
    return HTMLResponse(body, status_code=status_code, headers={**PAGE_HEADERS, **(headers or {})})
