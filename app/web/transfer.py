"""Journey 4 of the workspace (issue 14), "credit transfer in bulk": a CSV of incoming courses
against a programme of the catalogue, a batch job, its progress live, the proposals per course.

Every page needs what the API operation it stands for needs (``like_api``: the access table of
``app/api/access.py``) and sees the officer's organisation only (the database session is bound
to it, and a job of another organisation is "not found", as through the API):

* ``GET /transfer`` — the upload form (programme, CSV file) and the column guide;
* ``GET /transfer/template.csv`` — an empty CSV with the columns the upload reads;
* ``POST /transfer`` — reads the CSV with :func:`read_courses_csv` and submits the job as
  ``POST /v1/batch/articulations`` does (same service, same quota, same idempotence: the same
  batch again opens the same job); every problem of the file is listed by row and column;
* ``GET /transfer/jobs/{id}`` — the job: a progress bar while it runs (htmx polls
  ``/transfer/jobs/{id}/live`` every second; without JavaScript a link reloads), then per
  course the proposals best first with their evidence, and the reason for every miss;
* ``GET /transfer/jobs/{id}/results.csv|.json`` — the API's exports of ``GET /v1/jobs/{id}/
  results`` (the CSV through the same formula-safe writer).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from app.api.problems import ApiProblem
from app.api.rate_limit import charge_batch
from app.api.routers.articulation import _job_out as job_out
from app.api.routers.articulation import articulation_service, jobs_service
from app.api.schemas.articulation import ArticulationResults
from app.core.errors import Conflict, DomainError, NotFound
from app.core.identity import Permission
from app.services.articulation import (
    CSV_COLUMNS,
    KIND,
    ArticulationService,
    BatchInputError,
    IncomingCourse,
    read_courses_csv,
    results_csv,
)
from app.web import transfer_view as view
from app.web.deps import Officer, TransferDep, WebDbDep, like_api
from app.web.errors import PageError, Problem, problem_of
from app.web.i18n import N_
from app.web.nav import NavItem, register
from app.web.templating import is_htmx, render, translator

router = APIRouter(include_in_schema=False)

register(
    NavItem(
        N_("Credit transfer"),
        "/transfer",
        Permission.TENANT_READ,
        N_(
            "Upload a CSV of incoming courses against a programme, follow the job, read the "
            "proposed exemptions per course with their evidence, download them."
        ),
        order=40,
    )
)

Submitter = Annotated[Officer, Depends(like_api("POST", "/v1/batch/articulations"))]
JobReader = Annotated[Officer, Depends(like_api("GET", "/v1/jobs/{job_id}"))]
ResultsReader = Annotated[Officer, Depends(like_api("GET", "/v1/jobs/{job_id}/results"))]
Canceller = Annotated[Officer, Depends(like_api("POST", "/v1/jobs/{job_id}/cancel"))]

MAX_UPLOAD = 5 * 1024 * 1024  # bytes of CSV; the API's body limit binds at about the same size
MAX_JOB_ID = 64
POLL_SECONDS = 1
RECENT_JOBS = 20
COURSES_PER_PAGE = 50  # course cards per page of a job's results


def _articulation(transfer: TransferDep) -> ArticulationService:
    return transfer.articulation


Articulation = Annotated[ArticulationService, Depends(_articulation)]


def _programmes(db: Session, service: ArticulationService) -> list[tuple[str, str]]:
    page = service.catalogue.search(db, limit=200)
    return [(p.id, f"{p.title} — {p.institution.name}") for p in page.items]


def _form(
    request: Request,
    officer: Officer,
    db: Session,
    service: ArticulationService,
    *,
    problem: Problem | None = None,
    chosen: str = "",
) -> Response:
    return render(
        request,
        "transfer/index.html",
        {
            "programmes": _programmes(db, service),
            "jobs": jobs_service(request.app).list(db, kind=KIND, limit=RECENT_JOBS),
            "can_submit": officer.principal.can(Permission.TRANSFER_RUN),
            "columns": CSV_COLUMNS,
            "credit_systems": sorted(service.credit_systems.systems),
            "chosen": chosen,
            "problem": problem,
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/transfer")
def transfer_page(
    request: Request, officer: JobReader, db: WebDbDep, service: Articulation
) -> Response:
    return _form(request, officer, db, service)


@router.get("/transfer/template.csv")
def template_csv(officer: JobReader) -> Response:
    return Response(
        ",".join(CSV_COLUMNS) + "\r\n",
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="incoming-courses.csv"'},
    )


def _store(
    app: FastAPI, organisation: str, qualification_id: str, incoming: list[IncomingCourse]
) -> tuple[dict[str, Any], bool]:
    """Submit the batch as ``POST /v1/batch/articulations`` does: the job service commits it
    before the answer (so the job page finds it at once) and tells its runner."""
    service = articulation_service(app)
    return jobs_service(app).submit(
        organisation, lambda session: service.submit(session, qualification_id, incoming)
    )


@router.post("/transfer")
def submit(
    request: Request,
    officer: Submitter,
    db: WebDbDep,
    service: Articulation,
    qualification_id: Annotated[str, Form(max_length=MAX_JOB_ID)] = "",
    courses: Annotated[UploadFile | None, File()] = None,
) -> Response:
    tr = translator(request)
    chosen = qualification_id.strip()

    def refuse(title: str, detail: str, field: str, *, status: int = 422) -> Response:
        problem = Problem(status, title, detail, errors=[{"field": field, "detail": detail}])
        return _form(request, officer, db, service, problem=problem, chosen=chosen)

    if not chosen:
        return refuse(
            tr("Which programme?"),
            tr("Choose the programme the courses are articulated against."),
            "qualification_id",
        )
    data = courses.file.read(MAX_UPLOAD + 1) if courses is not None and courses.filename else b""
    if not data.strip():
        return refuse(tr("No courses"), tr("Choose a CSV file of incoming courses."), "courses")
    if len(data) > MAX_UPLOAD:
        return refuse(
            tr("File too large"),
            tr("The file is over %(n)d MB; split it into several batches.", n=MAX_UPLOAD >> 20),
            "courses",
            status=413,
        )
    try:
        incoming = read_courses_csv(data)
        if not incoming:
            return refuse(tr("No courses"), tr("The file has no course rows."), "courses")
        charge_batch(request, len(incoming))  # the organisation's quota, as for the API
        job, _ = _store(request.app, officer.organisation, chosen, incoming)
    except UnicodeDecodeError:
        return refuse(tr("Not UTF-8"), tr("The CSV file is not UTF-8 text."), "courses")
    except BatchInputError as exc:
        lines = view.issues_text(exc.issues)
        problem = Problem(
            422,
            tr("The file has problems"),
            tr("Nothing was submitted. Correct these rows and upload the file again."),
            errors=[{"field": "courses", "detail": line} for line in lines],
        )
        return _form(request, officer, db, service, problem=problem, chosen=chosen)
    except ApiProblem as exc:  # the batch quota (429) or the per-batch maximum (422)
        return refuse(exc.problem.title, exc.detail, "courses", status=exc.problem.status)
    except DomainError as exc:
        problem = problem_of(exc, field_name="qualification_id")
        if problem.errors and problem.errors[0]["field"] == "id":
            problem.errors[0]["field"] = "qualification_id"
        return _form(request, officer, db, service, problem=problem, chosen=chosen)
    return RedirectResponse(f"/transfer/jobs/{job['id']}", status_code=303)


# --- a job ---------------------------------------------------------------------------------------


def _job(
    request: Request, db: Session, service: ArticulationService, job_id: str
) -> dict[str, Any]:
    if len(job_id) > MAX_JOB_ID:
        raise PageError(404, translator(request)("Not found"), "No such job.")
    try:
        return jobs_service(request.app).get(db, job_id)
    except NotFound as exc:
        raise PageError(404, translator(request)("Not found"), exc.message) from exc


def _live(
    request: Request,
    officer: Officer,
    db: Session,
    service: ArticulationService,
    job_id: str,
    page: int = 1,
) -> dict[str, Any]:
    """What the job's page shows: the job, and its results once it has finished (the courses
    :data:`COURSES_PER_PAGE` at a time; a cancelled job's results cover the courses done)."""
    job = _job(request, db, service, job_id)
    context: dict[str, Any] = {
        "job": job,
        "finished": view.finished(job),
        "percent": view.percent(job),
        "poll_seconds": POLL_SECONDS,
        "results": None,
        "can_read_results": officer.principal.can(Permission.TENANT_READ),
        "can_cancel": officer.principal.can(Permission.TRANSFER_RUN),
        "view": view,
    }
    if job["status"] in ("done", "cancelled"):
        payload = service.results(db, job_id)
        payload.pop("job", None)
        courses = view.courses_view(payload)
        pages = max(1, -(-len(courses) // COURSES_PER_PAGE))
        page = min(max(1, page), pages)
        start = (page - 1) * COURSES_PER_PAGE
        context["results"] = payload
        context["courses"] = courses[start : start + COURSES_PER_PAGE]
        context["pagination"] = {
            "page": page,
            "pages": pages,
            "first": start + 1,
            "last": min(start + COURSES_PER_PAGE, len(courses)),
            "total": len(courses),
        }
        context["modules"] = view.modules_view(payload)
    return context


@router.get("/transfer/jobs/{job_id}")
def job_page(
    request: Request,
    job_id: str,
    officer: JobReader,
    db: WebDbDep,
    service: Articulation,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    context = _live(request, officer, db, service, job_id, page)
    return render(request, "transfer/job.html", context)


@router.get("/transfer/jobs/{job_id}/live")
def job_live(
    request: Request, job_id: str, officer: JobReader, db: WebDbDep, service: Articulation
) -> Response:
    """The part of the job page that changes: polled by htmx while the job runs."""
    context = _live(request, officer, db, service, job_id)
    if not is_htmx(request):
        return RedirectResponse(f"/transfer/jobs/{job_id}", status_code=303)
    return render(request, "transfer/_live.html", context)


@router.post("/transfer/jobs/{job_id}/cancel")
def cancel(request: Request, job_id: str, officer: Canceller, db: WebDbDep) -> Response:
    """Cancel a queued or running job, as ``POST /v1/jobs/{id}/cancel``; a job that has
    finished meanwhile is simply shown as it is."""
    if len(job_id) > MAX_JOB_ID:
        raise PageError(404, translator(request)("Not found"), "No such job.")
    try:
        jobs_service(request.app).cancel(db, job_id)
    except NotFound as exc:
        raise PageError(404, translator(request)("Not found"), exc.message) from exc
    except Conflict:
        pass
    return RedirectResponse(f"/transfer/jobs/{job_id}", status_code=303)


def _results(
    request: Request, db: Session, service: ArticulationService, job_id: str
) -> dict[str, Any]:
    _job(request, db, service, job_id)
    try:
        return service.results(db, job_id)
    except DomainError as exc:
        raise PageError(422, translator(request)("No results"), exc.message) from exc


@router.get("/transfer/jobs/{job_id}/results.csv")
def results_as_csv(
    request: Request, job_id: str, officer: ResultsReader, db: WebDbDep, service: Articulation
) -> Response:
    payload = _results(request, db, service, job_id)
    job = payload.pop("job")
    return Response(
        content=results_csv(payload),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="articulation-{job["id"]}.csv"',
            "x-job-status": job["status"],
            "x-results-complete": "true" if payload["complete"] else "false",
        },
    )


@router.get("/transfer/jobs/{job_id}/results.json")
def results_as_json(
    request: Request, job_id: str, officer: ResultsReader, db: WebDbDep, service: Articulation
) -> Response:
    payload = _results(request, db, service, job_id)
    job = payload.pop("job")
    # The API's own response, through its own model: the same document as GET /v1/jobs/{id}/results.
    head = job_out(job)
    body = ArticulationResults.model_validate({"job": head, **payload}).model_dump(mode="json")
    return Response(
        content=json.dumps(body, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="articulation-{job["id"]}.json"'},
    )
