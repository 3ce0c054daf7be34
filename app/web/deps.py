"""Dependencies of the workspace's views: who is signed in, what they may do, the services.

* :data:`OfficerDep` — the signed-in officer (or a redirect to the sign-in page). On a write
  (POST, PUT, PATCH, DELETE) it also checks the CSRF token (the form field ``csrf_token`` or the
  ``X-CSRF-Token`` header htmx sends), so no view can forget it.
* :func:`like_api` — ``Depends(like_api("GET", "/v1/compare"))``: the page needs exactly what
  the API operation it stands for needs in the access table (``app/api/access.py``); a role
  without it gets a 403 page. :func:`permitted` takes a permission directly.
  It also charges the organisation's read or write bucket of the API's rate limiter (429 page).
* :data:`WebDbDep` — a database session bound to the officer's organisation, made by the API's
  own ``get_session`` (commit before the response, roll back on error).
* :data:`RegistryDep`, :data:`TransferDep` — the services the lifespan built, as for the API.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.adapters.db.identity_repository import IdentityRepository
from app.api import deps as api_deps
from app.api.access import RULES
from app.api.rate_limit import RateLimiter
from app.core.identity import AuthorisationError, Permission, Principal, require
from app.web.errors import PageError, SignInRequired
from app.web.sessions import COOKIE_NAME, SessionStore, WebSession
from app.web.templating import translator

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Officer:
    """The signed-in person: their principal (roles, organisation) and their session."""

    principal: Principal
    organisation_name: str
    csrf_token: str
    session_id: str

    @property
    def organisation(self) -> str:
        return self.principal.organisation


def session_store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.web_sessions
    return store


def _key_still_usable(request: Request, session: WebSession) -> bool:
    with request.app.state.sessionmaker() as db:
        keys = IdentityRepository(db).keys(session.principal.organisation)
    return any(k.prefix == session.key_prefix and k.usable for k in keys)


async def _csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


async def get_officer(request: Request) -> Officer:
    officer: Officer | None = getattr(request.state, "officer", None)
    if officer is not None:
        return officer
    store = session_store(request)
    session_id = request.cookies.get(COOKIE_NAME)
    session = await run_in_threadpool(store.get, session_id) if session_id else None
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None:
        raise SignInRequired(here if request.method == "GET" else "/")
    if store.needs_check(session):
        if not await run_in_threadpool(_key_still_usable, request, session):
            await run_in_threadpool(store.drop, session.id)
            raise SignInRequired(here if request.method == "GET" else "/")
        await run_in_threadpool(store.checked, session.id)
    if request.method in UNSAFE_METHODS and not await _csrf_ok(request, session.csrf_token):
        tr = translator(request)
        raise PageError(
            403,
            tr("The form has expired"),
            tr(
                "This form was not sent from this session (missing or stale CSRF token). "
                "Go back, reload the page and send it again."
            ),
        )
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        # the same per-organisation buckets as the API's operations (app/api/rate_limit.py)
        kind: Literal["write", "read"] = "write" if request.method in UNSAFE_METHODS else "read"
        wait = limiter.charge(kind, f"org:{session.principal.organisation}")
        if wait is not None:
            tr = translator(request)
            raise PageError(
                429,
                tr("Too many requests"),
                tr(
                    "Your organisation has sent too many requests; try again in %(s)s seconds.",
                    s=max(1, round(wait)),
                ),
            )
    officer = Officer(
        principal=session.principal,
        organisation_name=session.organisation_name,
        csrf_token=session.csrf_token,
        session_id=session.id,
    )
    # The API's session dependency binds this principal's organisation to the database session.
    request.state.principal = session.principal
    request.state.officer = officer
    return officer


OfficerDep = Annotated[Officer, Depends(get_officer)]


def permitted(permission: Permission) -> Callable[[Request, Officer], Awaitable[Officer]]:
    """A dependency: the officer, if their roles hold ``permission``; a 403 page otherwise."""

    async def check(request: Request, officer: OfficerDep) -> Officer:
        try:
            require(officer.principal, permission)
        except AuthorisationError as exc:
            raise PageError(403, translator(request)("Not allowed"), exc.message) from exc
        return officer

    return check


def like_api(method: str, path: str) -> Callable[[Request, Officer], Awaitable[Officer]]:
    """A dependency: the page needs what API operation ``method path`` needs (access table)."""
    rule = RULES.get((method.upper(), path))
    if rule is None:  # a typo would silently mean admin-only: refuse at import instead
        raise LookupError(f"{method} {path} is not in app/api/access.py")
    return permitted(rule.permission)


def get_web_db(request: Request, officer: OfficerDep) -> Iterator[Session]:
    """The API's request session, bound to the officer's organisation."""
    yield from api_deps.get_session(request)


WebDbDep = Annotated[Session, Depends(get_web_db, scope="function")]
RegistryDep = api_deps.RegistryDep
TransferDep = api_deps.TransferDep
SettingsDep = api_deps.SettingsDep
