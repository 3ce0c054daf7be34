"""RFC 9457 problem details: one table from error class to (status, type, title), one renderer.

Every error the service answers is ``application/problem+json`` with the members ``type``,
``title``, ``status``, ``detail`` and, where a field is at fault, ``errors``: a list of
``{"pointer" | "parameter" | "field", "detail"}`` naming it (a JSON pointer into the body,
the name of a query/path parameter, or a dotted field path).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.security_headers import API_HEADERS
from app.core import errors

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://passerelle.dev/problems/"


@dataclass(frozen=True, slots=True)
class ProblemType:
    status: int
    slug: str
    title: str

    @property
    def uri(self) -> str:
        return TYPE_BASE + self.slug


class ApiProblem(Exception):
    """An error raised by the API layer itself (size limits, unsupported media type...)."""

    def __init__(
        self,
        problem: ProblemType,
        detail: str,
        *,
        errors_list: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail
        self.errors = errors_list or []
        self.extra = extra or {}
        self.headers = headers or {}


VALIDATION = ProblemType(422, "validation-error", "Request validation failed")
NOT_FOUND = ProblemType(404, "not-found", "Resource not found")
UNKNOWN_FRAMEWORK = ProblemType(404, "unknown-framework", "Unknown framework")
UNKNOWN_LEVEL = ProblemType(404, "unknown-level", "Unknown level")
AMBIGUOUS = ProblemType(409, "ambiguous-identifier", "Identifier names more than one thing")
INVALID_INPUT = ProblemType(422, "invalid-input", "Invalid input")
PAYLOAD_TOO_LARGE = ProblemType(413, "payload-too-large", "Request body too large")
UNSUPPORTED_MEDIA = ProblemType(415, "unsupported-media-type", "Unsupported media type")
METHOD_NOT_ALLOWED = ProblemType(405, "method-not-allowed", "Method not allowed")
RATE_LIMITED = ProblemType(429, "rate-limited", "Too many requests")
CONFLICT = ProblemType(409, "conflict", "Conflict")
GONE = ProblemType(410, "gone", "Gone")
SERVICE_UNAVAILABLE = ProblemType(503, "service-unavailable", "Service unavailable")
INTERNAL = ProblemType(500, "internal-error", "Internal server error")

# Most specific class first: the first match in MRO order wins.
DOMAIN_PROBLEMS: dict[type[errors.DomainError], ProblemType] = {
    errors.UnknownFramework: UNKNOWN_FRAMEWORK,
    errors.UnknownLevel: UNKNOWN_LEVEL,
    errors.NotFound: NOT_FOUND,
    errors.AmbiguousIdentifier: AMBIGUOUS,
    errors.PayloadTooLarge: PAYLOAD_TOO_LARGE,
    errors.Conflict: CONFLICT,
    errors.Gone: GONE,
    errors.InvalidInput: INVALID_INPUT,
    errors.DomainError: INVALID_INPUT,
}


def problem_for(exc: errors.DomainError) -> ProblemType:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_PROBLEMS:
            return DOMAIN_PROBLEMS[cls]
    return INVALID_INPUT


def problem_response(
    problem: ProblemType,
    detail: str,
    *,
    instance: str | None = None,
    errors_list: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors_list:
        body["errors"] = errors_list
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(loc: tuple[Any, ...] | list[Any]) -> dict[str, str]:
    """Turn a pydantic error location into a JSON pointer (body) or a parameter name."""
    parts = list(loc)
    if not parts:
        return {"pointer": ""}
    where, rest = parts[0], parts[1:]
    if where == "body":
        return {
            "pointer": "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in rest)
        }
    if where in {"query", "path", "header", "cookie"}:
        return {"parameter": ".".join(str(p) for p in rest), "in": str(where)}
    return {"field": ".".join(str(p) for p in parts)}


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for err in exc.errors():
        entry = _pointer(err.get("loc", ()))
        entry["detail"] = str(err.get("msg", "invalid value"))
        out.append(entry)
    return out


def _describe(items: list[dict[str, Any]]) -> str:
    first = items[0]
    place = first.get("pointer") or first.get("parameter") or first.get("field") or "body"
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return f"{place}: {first['detail']}{more}"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> JSONResponse:
        problem = problem_for(exc)
        errs: list[dict[str, Any]] = []
        field = getattr(exc, "field", None)
        if field is not None:
            key = "pointer" if field == "" or field.startswith("/") else "parameter"
            errs.append({key: field, "detail": exc.message})
        extra: dict[str, Any] = {}
        if isinstance(exc, errors.AmbiguousIdentifier):
            extra["candidates"] = exc.candidates
        return problem_response(
            problem, exc.message, instance=request.url.path, errors_list=errs, extra=extra
        )

    @app.exception_handler(ApiProblem)
    async def _api(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            exc.problem,
            exc.detail,
            instance=request.url.path,
            errors_list=exc.errors,
            extra=exc.extra,
            headers=exc.headers or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = validation_errors(exc)
        detail = _describe(errs) if errs else "The request is not valid."
        return problem_response(VALIDATION, detail, instance=request.url.path, errors_list=errs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        by_status = {
            404: NOT_FOUND,
            405: METHOD_NOT_ALLOWED,
            413: PAYLOAD_TOO_LARGE,
            415: UNSUPPORTED_MEDIA,
            429: RATE_LIMITED,
        }
        problem = by_status.get(
            exc.status_code, ProblemType(exc.status_code, "http-error", "HTTP error")
        )
        detail = exc.detail if isinstance(exc.detail, str) else problem.title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}."
        return problem_response(
            problem, detail, instance=request.url.path, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            INTERNAL,
            "An unexpected error occurred; it has been logged.",
            instance=request.url.path,
            headers=API_HEADERS,
        )


#: The one schema of every error body, a component of the OpenAPI document (RFC 9457 members
#: plus the extensions this service adds). Extra members are allowed, as RFC 9457 says.
PROBLEM_SCHEMA_NAME = "Problem"
PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {
            "type": "string",
            "description": "The X-Request-ID of the request, as in the logs",
        },
        "errors": {
            "type": "array",
            "description": "What is wrong, where: a JSON pointer into the body, a parameter "
            "name (with where it is: query, path, header) or a dotted field path.",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string"},
                    "parameter": {"type": "string"},
                    "in": {"type": "string"},
                    "field": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
_STATUS_TEXT = {
    400: "Bad request",
    404: "Not found",
    413: "Request body too large (or nested too deep)",
    415: "Unsupported media type",
    422: "Invalid input, naming the field",
    429: "Too many requests (see Retry-After)",
}
_OPERATIONS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring problem+json bodies for the given statuses."""
    return {
        status: {
            "description": _STATUS_TEXT.get(status, "Problem"),
            "content": dict(_PROBLEM_CONTENT),
        }
        for status in statuses
    }


def normalise_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every 4xx/5xx response of ``schema`` as problem+json with the shared component.

    FastAPI declares its own 422 as ``application/json`` (``HTTPValidationError``), but the
    handlers above answer every error, 422 included, as ``application/problem+json``. Every
    operation also declares the errors the request guard and rate limiter may answer before
    it runs: 429 everywhere, 413 and 415 where it takes a body, 422 where it takes input.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[PROBLEM_SCHEMA_NAME] = PROBLEM_SCHEMA
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _OPERATIONS or not isinstance(operation, dict):
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            added = {429}
            if operation.get("requestBody"):
                added |= {413, 415, 422}
            if operation.get("parameters"):
                added.add(422)
            for status in added:
                responses.setdefault(str(status), {"description": _STATUS_TEXT[status]})
            for code, response in responses.items():
                if str(code)[:1] in {"4", "5"}:
                    response["content"] = dict(_PROBLEM_CONTENT)
    referenced = repr(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and f"/{unused}'" not in referenced:
            del components[unused]
    return schema


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` normalise error responses; call after every other OpenAPI hook."""
    build = app.openapi
    done: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if id(schema) not in done:
            normalise_error_responses(schema)
            done.append(id(schema))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
