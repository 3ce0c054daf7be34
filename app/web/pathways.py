"""Journey 5 of the workspace (issue 14), "pathways": a learner's held credentials against a
qualification of the catalogue — what they cover, what remains and why, and ranked paths to
complete it.

The page stands for ``POST /v1/pathways`` (``like_api``: the same access rule) and calls the
same service (:meth:`PathwayService.plan`) and the API's own mapper (``plan_json``), so the page
shows what the API answers. The officer's organisation only: its catalogue and its stored
credentials (the database session is bound to it).

* ``GET /pathways`` — the form: a programme, the learner's credentials (stored ones ticked, or
  plain-JSON files uploaded: read, not stored, as the API's inline credentials), the electives
  chosen (listed once a programme is chosen; htmx loads them on change, or the "Show its
  modules" button without JavaScript), the objective and how many paths;
* ``GET /pathways/electives`` — the electives fieldset of a programme (htmx fragment);
* ``POST /pathways`` — the answer under the form: the paths to the chosen programme, or
  (``action=stack``, as ``POST /v1/pathways/stack-into``) the programmes of the catalogue the
  credentials stack into, by covered share, each with a link to plan its paths.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.api.access import rule_for
from app.api.schemas.pathways import plan_json, stack_json
from app.core.errors import DomainError, NotFound
from app.core.identity import Permission
from app.core.pathways import Objective
from app.services.pathways import MAX_HELD, HeldRef, PathwayService
from app.web import transfer_view
from app.web.deps import Officer, TransferDep, WebDbDep, like_api
from app.web.errors import PageError, Problem, problem_of
from app.web.i18n import N_
from app.web.nav import NavItem, register
from app.web.templating import is_htmx, render, translator

router = APIRouter(include_in_schema=False)

register(
    NavItem(
        N_("Pathways"),
        "/pathways",
        Permission.TENANT_READ,
        N_(
            "A learner's credentials against a qualification: what they cover, what remains "
            "and why, and ranked paths to complete it."
        ),
        order=50,
    )
)

Planner = Annotated[Officer, Depends(like_api("POST", "/v1/pathways"))]
#: ``action=stack`` stands for this operation (the same rule as POST /v1/pathways today).
STACK_RULE = rule_for("POST", "/v1/pathways/stack-into")

MAX_ID = 64
MAX_FILE = 2 * 1024 * 1024  # bytes per uploaded credential, as the API's body limit
MAX_LIMIT = 10
STORED_SHOWN = 100
STACK_LIMIT = 10


def _pathways(transfer: TransferDep) -> PathwayService:
    return transfer.pathways


Pathways = Annotated[PathwayService, Depends(_pathways)]


@dataclass
class Choice:
    """What the officer chose in the form (kept when the page answers)."""

    qualification_id: str = ""
    held: list[str] = field(default_factory=list)
    electives: list[str] = field(default_factory=list)
    objective: str = Objective.CREDITS.value
    limit: int = 3
    use_catalogue: bool = True
    uploaded: list[str] = field(default_factory=list)  # file names read this time


def _programmes(db: Session, service: PathwayService) -> list[tuple[str, str]]:
    page = service.context.catalogue.search(db, limit=200)
    return [(p.id, f"{p.title} — {p.institution.name}") for p in page.items]


def _stored(db: Session, service: PathwayService) -> list[dict[str, Any]]:
    stored, _ = service.context.credentials.page(db, limit=STORED_SHOWN, offset=0)
    out = []
    for s in stored:
        credential = s.credential
        issuer = credential.get("issuer") or {}
        out.append(
            {
                "id": s.id,
                "title": credential.get("title") or s.id,
                "issuer": issuer.get("name") if isinstance(issuer, dict) else None,
                "format": s.source_format,
            }
        )
    return out


def _modules(db: Session, service: PathwayService, qualification_id: str) -> list[dict[str, Any]]:
    """The programme's modules, elective ones marked (empty when none is chosen or known)."""
    if not qualification_id:
        return []
    try:
        stored = service.context.catalogue.get(db, qualification_id)
    except NotFound:
        return []
    modules, _ = service.context.modules(stored.programme)
    return [
        {
            "code": m.code,
            "title": m.title,
            "credits": transfer_view.ects(
                {"min": m.credits_ects.minimum, "max": m.credits_ects.maximum}
                if m.credits_ects
                else None
            ),
            "compulsory": m.compulsory,
        }
        for m in modules
    ]


def _page(
    request: Request,
    db: Session,
    service: PathwayService,
    choice: Choice,
    *,
    plan: dict[str, Any] | None = None,
    stack: dict[str, Any] | None = None,
    problem: Problem | None = None,
) -> Response:
    return render(
        request,
        "pathways/index.html",
        {
            "programmes": _programmes(db, service),
            "stored": _stored(db, service),
            "modules": _modules(db, service, choice.qualification_id),
            "choice": choice,
            "plan": plan,
            "stack": stack,
            # who covers what, by title (the answer names held credentials by id)
            "held_titles": {h["id"]: h["title"] for h in (plan or stack or {}).get("held", ())},
            "problem": problem,
            "max_limit": MAX_LIMIT,
            "view": transfer_view,
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/pathways")
def pathways_page(
    request: Request,
    officer: Planner,
    db: WebDbDep,
    service: Pathways,
    qualification_id: str = "",
) -> Response:
    return _page(request, db, service, Choice(qualification_id=qualification_id[:MAX_ID]))


@router.get("/pathways/electives")
def electives_fragment(
    request: Request,
    officer: Planner,
    db: WebDbDep,
    service: Pathways,
    qualification_id: str = "",
) -> Response:
    if not is_htmx(request):
        return pathways_page(request, officer, db, service, qualification_id)
    return render(
        request,
        "pathways/_electives.html",
        {
            "modules": _modules(db, service, qualification_id[:MAX_ID]),
            "choice": Choice(qualification_id=qualification_id[:MAX_ID]),
        },
    )


def _form_field(pointer: str | None, labels: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """The form field an API pointer names, and the credential it concerns (for the message)."""
    if not pointer:
        return "qualification_id", ""
    if pointer in ("id", "/qualification_id", "qualification_id"):
        return "qualification_id", ""
    if pointer.startswith("/electives"):
        return "electives", ""
    if pointer.startswith("/held/"):
        index = pointer.split("/")[2]
        if index.isdigit() and int(index) < len(labels):
            return labels[int(index)]
    return "held", ""


@router.post("/pathways")
async def plan(
    request: Request,
    officer: Planner,
    db: WebDbDep,
    service: Pathways,
    qualification_id: Annotated[str, Form(max_length=MAX_ID)] = "",
    held: Annotated[list[str] | None, Form()] = None,
    electives: Annotated[list[str] | None, Form()] = None,
    objective: Annotated[str, Form(max_length=10)] = Objective.CREDITS.value,
    limit: Annotated[int, Form(ge=1, le=MAX_LIMIT)] = 3,
    use_catalogue: Annotated[str, Form(max_length=5)] = "",
    upload: Annotated[list[UploadFile] | None, File()] = None,
    action: Annotated[str, Form(max_length=10)] = "plan",
) -> Response:
    tr = translator(request)
    choice = Choice(
        qualification_id=qualification_id.strip(),
        held=[h[:MAX_ID] for h in (held or []) if h.strip()],
        electives=[e[:MAX_ID] for e in (electives or []) if e.strip()],
        objective=objective if objective in {o.value for o in Objective} else "",
        limit=limit,
        use_catalogue=use_catalogue == "on",
    )
    documents: list[tuple[str, bytes]] = []
    for f in upload or []:
        if f.filename:
            documents.append((f.filename, await f.read(MAX_FILE + 1)))
    choice.uploaded = [name for name, _ in documents]

    def answer() -> Response:
        def refuse(title: str, detail: str, name: str) -> Response:
            problem = Problem(422, title, detail, errors=[{"field": name, "detail": detail}])
            return _page(request, db, service, choice, problem=problem)

        stacking = action == "stack"
        if stacking and not officer.principal.can(STACK_RULE.permission):
            raise PageError(403, tr("Not allowed"), tr("Your roles may not ask this."))
        if not choice.qualification_id and not stacking:
            return refuse(
                tr("Which qualification?"),
                tr("Choose the programme the learner wants to complete."),
                "qualification_id",
            )
        if not choice.objective:
            return refuse(tr("Which objective?"), tr("Fewest credits or lowest cost."), "objective")
        refs: list[HeldRef] = []
        labels: list[tuple[str, str]] = []
        for cid in choice.held:
            where = f"/held/{len(refs)}"
            refs.append(HeldRef(where, credential_id=cid, id_where=where))
            labels.append(("held", cid))
        for name, data in documents:
            if len(data) > MAX_FILE:
                return refuse(
                    tr("File too large"),
                    tr("%(name)s is over 2 MB.", name=name),
                    "upload",
                )
            try:
                document = json.loads(data)
            except (UnicodeDecodeError, ValueError) as exc:
                return refuse(
                    tr("Not a plain JSON credential"),
                    tr("%(name)s is not JSON: %(e)s", name=name, e=str(exc)),
                    "upload",
                )
            if not isinstance(document, dict):
                return refuse(
                    tr("Not a plain JSON credential"),
                    tr("%(name)s is not a JSON object.", name=name),
                    "upload",
                )
            refs.append(HeldRef(f"/held/{len(refs)}", credential=document))
            labels.append(("upload", name))
        if len(refs) > MAX_HELD:
            return refuse(
                tr("Too many credentials"),
                tr("At most %(n)d credentials at once.", n=MAX_HELD),
                "held",
            )
        if stacking and not refs:
            return refuse(
                tr("Which credentials?"),
                tr("Tick or upload the learner's credentials first."),
                "held",
            )
        try:
            if stacking:
                stacked = service.stack(db, refs, limit=STACK_LIMIT)
                return _page(request, db, service, choice, stack=stack_json(stacked))
            answer = service.plan(
                db,
                choice.qualification_id,
                refs,
                objective=Objective(choice.objective),
                limit=choice.limit,
                use_catalogue=choice.use_catalogue,
                electives=tuple(choice.electives),
            )
        except DomainError as exc:
            name, about = _form_field(exc.field, labels)
            problem = problem_of(exc)
            detail = f"{about}: {exc.message}" if about else exc.message
            problem = Problem(
                problem.status,
                problem.title,
                detail,
                problem.type,
                [{"field": name, "detail": detail}],
            )
            return _page(request, db, service, choice, problem=problem)
        return _page(request, db, service, choice, plan=plan_json(answer))

    return await run_in_threadpool(answer)
