"""The officer's workspace (issue 14): server-rendered pages over the same services as the API.

``install(app)`` is called by ``create_app`` *before* the API's authorisation and rate-limit
dependencies are added: pages authenticate with a session cookie (``app/web/deps.py``), not
with per-request credentials, and stay out of the OpenAPI document. Each page module has a
``router`` and may register navigation entries (``app/web/nav.py``); add a module to
:data:`PAGE_MODULES` to mount it (see the team's web contract for the rest).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from app.web import case, catalogue, compare, errors, pathways, shell, signin, transfer
from app.web.sessions import SessionStore
from app.web.templating import STATIC_URL

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Page modules, each with a ``router``; their order is the order routes are matched in.
PAGE_MODULES: tuple[ModuleType, ...] = (shell, signin, compare, catalogue, case, transfer, pathways)


def install(app: FastAPI) -> None:
    """Mount the workspace: its static files, its pages and its error pages."""
    # in the database, so that every API replica knows every session (the lifespan builds the
    # sessionmaker after this runs: the store asks for it when a page needs it)
    app.state.web_sessions = SessionStore(lambda: app.state.sessionmaker)
    # Before the API's /static mount, which would otherwise take /static/web/... too.
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="web-static")
    for module in PAGE_MODULES:
        app.include_router(module.router)
    errors.install(app)
