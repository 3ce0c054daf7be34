"""Journey 3 — the catalogue: browse and search programmes and modules, import a catalogue file.

The pages call :class:`~app.services.catalogue.CatalogueService` as ``/v1/qualifications`` does:
the same reading (JSON or CSV, every problem located by JSON pointer or CSV row and column), the
same atomic and idempotent store, the same search, on a session bound to the officer's
organisation. Each page needs what its API operation needs (``like_api``).
"""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from starlette.responses import Response

from app.core.catalogue import CatalogueInputError, Issue
from app.core.errors import DomainError, NotFound
from app.core.identity import Permission
from app.services.catalogue import CatalogueService, StoreResult
from app.web.deps import Officer, RegistryDep, WebDbDep, like_api
from app.web.errors import PageError, Problem, problem_of
from app.web.i18n import N_
from app.web.nav import NavItem, register
from app.web.templating import render, translator

router = APIRouter(include_in_schema=False)

Searcher = Annotated[Officer, Depends(like_api("GET", "/v1/qualifications"))]
Reader = Annotated[Officer, Depends(like_api("GET", "/v1/qualifications/{programme_id}"))]
Importer = Annotated[Officer, Depends(like_api("POST", "/v1/qualifications"))]
PAGE_SIZE = 20

register(
    NavItem(
        N_("Catalogue"),
        "/catalogue",
        Permission.TENANT_READ,
        N_("Your organisation's programmes and modules: search, browse, import."),
        order=20,
    )
)


@router.get("/catalogue")
def catalogue_page(
    request: Request,
    officer: Searcher,
    registry: RegistryDep,
    db: WebDbDep,
    q: Annotated[str, Query(max_length=200)] = "",
    framework: Annotated[str, Query(max_length=300)] = "",
    level: Annotated[str, Query(max_length=300)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    service = CatalogueService(registry)
    problem: Problem | None = None
    page = None
    try:
        page = service.search(
            db,
            q=q or None,
            framework=framework or None,
            level=level or None,
            limit=PAGE_SIZE,
            offset=offset,
        )
    except DomainError as exc:
        problem = problem_of(exc)
    rows = [
        {"item": item, "level_label": service.level_label(item.level)}
        for item in (page.items if page else [])
    ]
    return render(
        request,
        "catalogue/index.html",
        {
            "problem": problem,
            "form": {"q": q, "framework": framework, "level": level},
            "page": page,
            "rows": rows,
            "can_import": officer.principal.can(Permission.CATALOGUE_WRITE),
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/catalogue/import")
def import_form(request: Request, officer: Importer) -> Response:
    return render(request, "catalogue/import.html", {"issues": [], "results": [], "pasted": ""})


def _issue_row(issue: Issue, document: Any = None) -> dict[str, str]:
    return {
        "where": issue.where or "/",
        "within": _within(document, issue.where) if document is not None else "",
        "severity": issue.severity.value,
        "code": issue.code,
        "message": issue.message,
    }


def _within(document: Any, pointer: str) -> str:
    """The programme or module a JSON pointer falls in, as "code — title", for people who do
    not read pointers; empty when the pointer does not lead through one."""
    if not pointer.startswith("/"):
        return ""
    node, found = document, ""
    for part in pointer[1:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            break
        if isinstance(node, dict) and isinstance(node.get("title"), str):
            code = node.get("code")
            found = f"{code} — {node['title']}" if isinstance(code, str) else node["title"]
    return found


def _looks_like_csv(filename: str, content_type: str, data: bytes) -> bool:
    if filename.lower().endswith(".csv") or content_type in {"text/csv", "application/csv"}:
        return True
    if filename.lower().endswith(".json") or "json" in content_type:
        return False
    return data.lstrip()[:1] not in (b"{", b"[")


@router.post("/catalogue/import")
async def import_catalogue(
    request: Request,
    officer: Importer,
    registry: RegistryDep,
    db: WebDbDep,
    file: Annotated[UploadFile | None, File()] = None,
    pasted: Annotated[str, Form(max_length=2_000_000)] = "",
) -> Response:
    tr = translator(request)
    name = ""
    data = b""
    content_type = ""
    if file is not None and file.filename:
        name = file.filename
        content_type = (file.content_type or "").split(";", 1)[0].strip().lower()
        data = await file.read()
    elif pasted.strip():
        name = tr("pasted text")
        data = pasted.encode("utf-8")
    context: dict[str, Any] = {"issues": [], "results": [], "pasted": pasted, "source": name}
    if not data.strip():
        context["problem"] = Problem(
            422,
            tr("Invalid input"),
            tr("Choose a catalogue file (JSON or CSV) or paste its content."),
            errors=[{"field": "file", "detail": tr("No file chosen and nothing pasted.")}],
        )
        return render(request, "catalogue/import.html", context, status_code=422)
    service = CatalogueService(registry)
    is_csv = _looks_like_csv(name, content_type, data)
    try:
        imported = service.read_csv(data) if is_csv else service.read_json(data)
        results: list[StoreResult] = service.store(db, imported)
    except CatalogueInputError as exc:
        document = None
        if not is_csv:
            with contextlib.suppress(ValueError):
                document = json.loads(data)
        issues = [_issue_row(i, document) for i in exc.errors]
        context["issues"] = issues
        context["problem"] = Problem(
            422,
            tr("The catalogue was not imported"),
            tr(
                "%(source)s has %(n)s problem(s); nothing was stored. Correct them and import "
                "the file again.",
                source=name,
                n=sum(1 for i in issues if i["severity"] == "error") or len(issues),
            ),
        )
        return render(request, "catalogue/import.html", context, status_code=422)
    except DomainError as exc:
        context["problem"] = problem_of(exc, field_name="file")
        return render(
            request, "catalogue/import.html", context, status_code=context["problem"].status
        )
    context["results"] = [
        {"result": r, "warnings": [_issue_row(w) for w in r.warnings]} for r in results
    ]
    context["created"] = sum(r.created for r in results)
    return render(request, "catalogue/import.html", context, status_code=200)


def _matches(q: str, *texts: str | None) -> bool:
    """Whether every word of ``q`` is in one of ``texts`` (case-insensitive)."""
    words = [w for w in q.casefold().split() if w]
    haystack = " ".join(t for t in texts if t).casefold()
    return bool(words) and all(w in haystack for w in words)


@router.get("/catalogue/{programme_id}")
def programme_page(
    request: Request,
    programme_id: str,
    officer: Reader,
    registry: RegistryDep,
    db: WebDbDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    tr = translator(request)
    service = CatalogueService(registry)
    try:
        stored = service.get(db, programme_id[:64])
    except NotFound as exc:
        raise PageError(404, tr("Not in the catalogue"), exc.message) from exc
    programme = stored.programme
    return render(
        request,
        "catalogue/programme.html",
        {
            "stored": stored,
            "p": programme,
            "level_label": service.level_label(programme.level),
            "q": q,
            "modules": [
                {
                    "m": m,
                    "level_label": service.level_label(m.level),
                    "matched": _matches(q, m.code, m.title),
                }
                for m in programme.modules
            ],
        },
    )
