"""Problems shown as pages: the same RFC 9457 facts as the API, rendered in HTML.

* :class:`PageError` — raise it in a view for a whole-page error (404 unknown framework, 403
  forbidden...); ``install`` renders ``error.html`` with its status.
* :class:`SignInRequired` — raised by the sign-in dependency; answers a redirect to the sign-in
  page (``HX-Redirect`` for htmx requests) that comes back to the page asked for.
* :func:`problem_of` — a domain error (``app/core/errors.py``) as a :class:`Problem` with the
  API's type, title and status (``app/api/problems.py``, one table) and the field at fault, for
  a view that shows it next to the form (``{{ forms.problem_box(problem) }}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.api.problems import problem_for
from app.core import errors


@dataclass(frozen=True, slots=True)
class Problem:
    """What went wrong, for a page: RFC 9457 members plus the fields at fault."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    #: ``[{"field": form field or JSON pointer or "line 3", "detail": "..."}]``
    errors: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def for_field(self, name: str) -> str | None:
        """The message about form field ``name``, if there is one."""
        for err in self.errors:
            if err.get("field") == name:
                return err.get("detail")
        return None


def problem_of(exc: errors.DomainError, *, field_name: str | None = None) -> Problem:
    """The problem the API would answer for ``exc``; ``field_name``: the form field at fault
    when the error names none (a parameter of the API is a form field of the page)."""
    kind = problem_for(exc)
    at = getattr(exc, "field", None) or field_name
    found = [{"field": str(at), "detail": exc.message}] if at else []
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.AmbiguousIdentifier):
        extra["candidates"] = list(exc.candidates)
    return Problem(kind.status, kind.title, exc.message, kind.uri, found, extra)


class PageError(Exception):
    """A whole-page error: rendered by ``error.html`` with ``status``."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = Problem(status, title, detail)


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def sign_in_url(next_url: str) -> str:
    return "/sign-in?next=" + quote(next_url, safe="/")


def install(app: FastAPI) -> None:
    from app.web.templating import is_htmx, render

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render(
            request,
            "error.html",
            {"problem": exc.problem},
            status_code=exc.problem.status,
        )

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = sign_in_url(exc.next_url)
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
