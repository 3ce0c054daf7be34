"""Sign-in and sign-out of the workspace, with the service's own identity (issue 12).

An officer signs in with an API key of their organisation (``passerelle auth bootstrap`` makes
the first, ``passerelle auth keys create`` or ``POST /v1/admin/api-keys`` the others): the key
is checked exactly as the API checks it (``IdentityRepository.principal_for_key``), and the
browser then holds only a session cookie (HttpOnly, SameSite=Lax, Secure over https; see
``app/web/sessions.py``). The sign-in form carries a double-submit token (cookie + field), the
other forms the session's CSRF token (``app/web/deps.py``).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from app.adapters.db.identity_repository import IdentityRepository
from app.core.identity import Principal, PrincipalKind, parse_api_key
from app.web.deps import OfficerDep, session_store
from app.web.errors import Problem
from app.web.sessions import ABSOLUTE_TIMEOUT, COOKIE_NAME, SIGN_IN_COOKIE
from app.web.templating import render, translator

router = APIRouter(include_in_schema=False)
log = logging.getLogger("passerelle.web")


def safe_next(value: str | None) -> str:
    """A local path to go back to after sign-in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _form(request: Request, *, next_url: str, problem: Problem | None, status: int) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        {
            "next_url": next_url,
            "signin_token": token,
            "problem": problem,
            "signed_out": request.query_params.get("signed_out") == "1",
        },
        status_code=status,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        path="/sign-in",
        httponly=True,
        samesite="lax",
        secure=_cookie_secure(request),
    )
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    return _form(request, next_url=safe_next(next), problem=None, status=200)


def _principal_for(request: Request, key: str) -> tuple[Principal, str] | None:
    with request.app.state.sessionmaker() as db:
        repo = IdentityRepository(db)
        principal = repo.principal_for_key(key)
        if principal is None:
            return None
        names = {row.id: row.name for row in repo.organisations()}
        return principal, names.get(principal.organisation) or principal.organisation


@router.post("/sign-in")
async def sign_in(
    request: Request,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    tr = translator(request)
    next_url = safe_next(next)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        problem = Problem(
            403,
            tr("The form has expired"),
            tr("The sign-in form has expired or was not sent from this browser; try again."),
        )
        return _form(request, next_url=next_url, problem=problem, status=403)
    key = api_key.strip()
    found = None
    if parse_api_key(key) is not None:
        found = await run_in_threadpool(_principal_for, request, key)
    if found is None:
        log.info("web sign-in refused from %s", request.client.host if request.client else "?")
        problem = Problem(
            401,
            tr("Sign-in failed"),
            tr(
                "This API key is unknown, revoked or expired. Keys look like psk_XXXXXXXX_… ; "
                "ask your organisation's administrator for one."
            ),
            errors=[{"field": "api_key", "detail": tr("Unknown, revoked or expired API key.")}],
        )
        return _form(request, next_url=next_url, problem=problem, status=401)
    principal, organisation_name = found
    prefix = parse_api_key(key) if principal.kind == PrincipalKind.API_KEY else None
    session = await run_in_threadpool(
        partial(session_store(request).create, principal),
        organisation_name=organisation_name,
        key_prefix=prefix,
    )
    log.info("web sign-in: %s for %s", principal.id, principal.organisation)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        session.id,
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_cookie_secure(request),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, officer: OfficerDep) -> Response:
    await run_in_threadpool(session_store(request).drop, officer.session_id)
    log.info("web sign-out: %s for %s", officer.principal.id, officer.organisation)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response
