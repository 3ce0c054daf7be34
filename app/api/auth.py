"""Authentication and authorisation at the edge (issue 12).

``install(app, settings)`` (called by ``create_app`` before the routers are included) adds one
dependency to every operation: it resolves the caller — an API key (``X-API-Key``, or
``Authorization: Bearer psk_…``) or an OIDC bearer JWT — into a :class:`Principal`, looks the
operation up in the access table (``app/api/access.py``) and refuses with RFC 9457 problems:

* 401 ``unauthenticated`` (with ``WWW-Authenticate``) when credentials are missing or invalid;
* 403 ``forbidden`` when the principal's roles lack the permission, naming the rule.

Routes that touch organisation data take :data:`PrincipalDep` and pass ``principal.organisation``
to their repositories. The OpenAPI document declares both security schemes and, per operation,
whether credentials are required (see :func:`_declare_security`).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.adapters.db.identity_repository import IdentityRepository
from app.adapters.oidc import InvalidToken, OidcVerifier
from app.api.access import ALWAYS_PUBLIC, RULES, rule_for
from app.api.problems import PROBLEM_JSON, ProblemType, problem_response
from app.core.identity import (
    ORGANISATION_ID,
    AuthorisationError,
    FourEyesViolation,
    Principal,
    PrincipalKind,
    parse_roles,
    require,
)
from app.settings import AuthSettings, Settings

log = logging.getLogger("passerelle.auth")

UNAUTHENTICATED = ProblemType(401, "unauthenticated", "Authentication required")
FORBIDDEN = ProblemType(403, "forbidden", "Forbidden")
FOUR_EYES = ProblemType(403, "four-eyes", "The four-eyes rule forbids this")

API_KEY_SCHEME = "ApiKey"
BEARER_SCHEME = "Bearer"
OIDC_SCHEME = "OpenIdConnect"


class Unauthenticated(Exception):
    def __init__(self, detail: str, *, error: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error  # RFC 6750 error code for the Bearer challenge


class Authenticator:
    """Turns request credentials into a principal; built once per app."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.public = frozenset(settings.public) | ALWAYS_PUBLIC
        self.oidc: OidcVerifier | None = None
        if settings.oidc_issuer:
            self.oidc = OidcVerifier(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                jwks_file=settings.oidc_jwks_file,
                jwks_url=settings.oidc_jwks_url,
                algorithms=settings.oidc_algorithms,
                leeway=settings.oidc_leeway_seconds,
            )

    def challenge(self, error: str | None = None, detail: str | None = None) -> str:
        bearer = 'Bearer realm="passerelle"'
        if error:
            description = (detail or "").replace('"', "'")[:200]
            bearer += f', error="{error}", error_description="{description}"'
        return f'{bearer}, ApiKey realm="passerelle", header="{self.settings.api_key_header}"'

    def has_credentials(self, request: Request) -> bool:
        headers = request.headers
        return self.settings.api_key_header in headers or "authorization" in headers

    def authenticate(self, request: Request, identity: IdentityRepository) -> Principal | None:
        """The caller, ``None`` when no credentials were sent; raises on bad credentials."""
        key = request.headers.get(self.settings.api_key_header)
        authorization = request.headers.get("authorization")
        if key is None and authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise Unauthenticated(
                    "Use 'Authorization: Bearer <token>'.", error="invalid_request"
                )
            value = value.strip()
            if value.startswith("psk_"):
                key = value
            else:
                return self._from_jwt(value, identity)
        if key is None:
            return None
        principal = identity.principal_for_key(key.strip())
        if principal is None:
            raise Unauthenticated(
                "The API key is unknown, revoked or expired.", error="invalid_token"
            )
        return principal

    def _from_jwt(self, token: str, identity: IdentityRepository) -> Principal:
        if self.oidc is None:
            raise Unauthenticated(
                "Bearer tokens are not accepted here (no OIDC issuer configured); use an API key.",
                error="invalid_token",
            )
        try:
            claims = self.oidc.verify(token)
        except InvalidToken as exc:
            raise Unauthenticated(
                f"The bearer token was refused: {exc}", error="invalid_token"
            ) from exc
        organisation = claims.get(self.settings.oidc_organisation_claim)
        if not isinstance(organisation, str) or not ORGANISATION_ID.match(organisation):
            raise AuthorisationError(
                f"The token has no valid {self.settings.oidc_organisation_claim!r} claim naming "
                "an organisation.",
                rule="organisation",
            )
        if not identity.organisation_exists(organisation):
            raise AuthorisationError(
                f"The organisation {organisation!r} is not known to this service.",
                rule="organisation",
            )
        subject = str(claims["sub"])
        name = claims.get("name") or claims.get("preferred_username") or claims.get("email") or ""
        return Principal(
            id=f"oidc:{subject}"[:200],
            kind=PrincipalKind.OIDC,
            organisation=organisation,
            roles=parse_roles(claims.get(self.settings.oidc_roles_claim)),
            name=str(name)[:200],
        )


async def authorise(request: Request) -> None:
    """The dependency on every operation: authenticate, then check the access table.

    ``async`` and without the request's session, so an anonymous call to a public operation
    costs a dictionary look-up, not a thread-pool hop and a session. Credentials are checked in
    the thread pool on a short session of their own. The request's session is bound to the
    principal's organisation where it is made (``deps.get_session``), so every repository of
    organisation data built on it acts for that organisation (app/adapters/db/tenancy.py).
    """
    route = request.scope.get("route")
    # path_format: the template without converters ("{framework:path}" → "{framework}"), as
    # the access table and the OpenAPI document write it
    rule = rule_for(request.method, getattr(route, "path_format", request.url.path))
    authenticator: Authenticator = request.app.state.authenticator
    principal: Principal | None = None
    if authenticator.has_credentials(request):
        principal = await run_in_threadpool(_authenticate, request, authenticator)
    request.state.principal = principal
    if principal is None:
        if rule.group in authenticator.public:
            return
        raise Unauthenticated("This operation needs an API key or a bearer token.")
    require(principal, rule.permission)


def _authenticate(request: Request, authenticator: Authenticator) -> Principal | None:
    with request.app.state.sessionmaker() as session:
        return authenticator.authenticate(request, IdentityRepository(session))


async def get_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # only on a public operation that asks for a principal anyway
        raise Unauthenticated("This operation needs an API key or a bearer token.")
    return principal


async def get_optional_principal(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


def log_personal_read(
    session: Any, principal: Principal, *, record_kind: str, record_ids: list[str], action: str
) -> None:
    """Record that ``principal`` read personal data (committed with the response)."""
    if record_ids:
        IdentityRepository(session).log_access(
            principal, record_kind=record_kind, record_ids=record_ids, action=action
        )
        log.info(
            "personal data read: %s %s %s by %s for %s",
            action,
            record_kind,
            ",".join(record_ids[:10]),
            principal.id,
            principal.organisation,
        )


def install(app: FastAPI, settings: Settings) -> None:
    """Wire authentication into ``app``: call before the routers are included."""
    authenticator = Authenticator(settings.auth)
    app.state.authenticator = authenticator
    app.router.dependencies.append(Depends(authorise))

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        return problem_response(
            UNAUTHENTICATED,
            exc.detail,
            instance=request.url.path,
            headers={"WWW-Authenticate": authenticator.challenge(exc.error, exc.detail)},
        )

    @app.exception_handler(AuthorisationError)
    async def _forbidden(request: Request, exc: AuthorisationError) -> JSONResponse:
        problem = FOUR_EYES if isinstance(exc, FourEyesViolation) else FORBIDDEN
        extra: dict[str, Any] = {"rule": exc.rule}
        if exc.permission:
            extra["permission"] = exc.permission
        return problem_response(problem, exc.message, instance=request.url.path, extra=extra)

    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _declare_security(build_openapi(), authenticator)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "rule": {"type": "string"},
        "permission": {"type": "string"},
    },
}


def _declare_security(schema: dict[str, Any], authenticator: Authenticator) -> None:
    settings = authenticator.settings
    schemes: dict[str, Any] = {
        API_KEY_SCHEME: {
            "type": "apiKey",
            "in": "header",
            "name": settings.api_key_header,
            "description": "An API key (`psk_…`) made with `passerelle auth keys create`.",
        },
        BEARER_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "An OIDC access token (JWT) from the configured issuer, or an API key.",
        },
    }
    required: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}, {BEARER_SCHEME: []}]
    if settings.oidc_issuer:
        schemes[BEARER_SCHEME]["bearerFormat"] = "JWT"
        schemes[OIDC_SCHEME] = {
            "type": "openIdConnect",
            "openIdConnectUrl": settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
        }
        required.append({OIDC_SCHEME: []})
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)
    problem = {"content": {PROBLEM_JSON: {"schema": _PROBLEM}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or (method.upper(), path) not in RULES:
                continue
            rule = rule_for(method, path)
            operation["x-permission"] = rule.permission.value
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "401", {"description": "Missing or invalid credentials", **problem}
            )
            if rule.group in authenticator.public:
                operation["security"] = [{}, *required]  # anonymous, or any credentials
            else:
                operation["security"] = required
                responses.setdefault(
                    "403", {"description": "The caller's roles do not allow this", **problem}
                )
