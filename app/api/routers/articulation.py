"""Course articulation and batch jobs (``docs/credit-transfer.md``).

* ``POST /v1/articulations``: up to 100 incoming courses against a catalogue programme, answered
  at once;
* ``POST /v1/batch/articulations``: hundreds of courses (JSON, or a CSV upload) → ``202`` with the
  job and its ``Location``; the same batch again → ``200`` with the same job;
* ``GET /v1/jobs``: the organisation's jobs (``?status=&kind=``); ``GET /v1/jobs/{id}``: status
  and progress; ``GET /v1/jobs/{id}/results`` (``?format=csv``); ``POST /v1/jobs/{id}/cancel``.

This router's lifespan (run after the app's start-up, so the registry and the model are loaded)
builds the job service and its runner (``app.services.jobs.make_runner``: Procrastinate on
PostgreSQL, a thread on SQLite) and starts it. :func:`start_job_worker` is idempotent. Set
``app.state.jobs_autostart = False`` before start-up to run no turns in this process (jobs are
then run by ``passerelle worker`` processes, or by a test by hand).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from app.api.auth import PrincipalDep
from app.api.deps import SessionDep, TransferDep
from app.api.problems import INVALID_INPUT, UNSUPPORTED_MEDIA, ApiProblem, problem_responses
from app.api.rate_limit import charge_batch
from app.api.schemas.articulation import (
    ArticulationRequest,
    ArticulationResults,
    BatchArticulationRequest,
    IncomingCourseIn,
    JobList,
    JobOut,
)
from app.core.errors import DomainError
from app.services.articulation import (
    MAX_COURSES,
    ArticulationService,
    BatchInputError,
    IncomingCourse,
    read_courses_csv,
    results_csv,
)
from app.services.jobs import JobService, make_runner
from app.services.startup import Transfer

log = logging.getLogger(__name__)
_CSV_TYPES = {"text/csv", "application/csv"}


def articulation_service(app: FastAPI) -> ArticulationService:
    """The service of the app's transfer context (built once by the lifespan)."""
    transfer: Transfer = app.state.transfer
    return transfer.articulation


def start_job_worker(app: FastAPI) -> Callable[[], None] | None:
    """Build the job service and its runner (once) and start the runner unless
    ``app.state.jobs_autostart`` is False; returns the callable that stops it (None if it was
    built already)."""
    if getattr(app.state, "jobs", None) is not None:
        return None
    settings = app.state.settings
    runner = make_runner(settings, app.state.sessionmaker, [articulation_service(app).handler()])
    app.state.jobs = JobService(app.state.sessionmaker, runner, settings.jobs)
    app.state.job_runner = runner
    if getattr(app.state, "jobs_autostart", True) is not False:
        runner.start()

    def stop() -> None:
        runner.stop()  # also closes the connections a runner that only defers has opened

    return stop


def jobs_service(app: FastAPI) -> JobService:
    """The app's job service (built by this router's lifespan)."""
    service: JobService = app.state.jobs
    return service


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    stop = start_job_worker(app)
    try:
        yield
    finally:
        app.state.jobs = None
        if stop is not None:
            stop()


router = APIRouter(tags=["articulation"], lifespan=lifespan)


async def _service(transfer: TransferDep) -> ArticulationService:
    return transfer.articulation


Service = Annotated[ArticulationService, Depends(_service)]
JobId = Annotated[str, Path(max_length=64, description="Job id (from the submission)")]


def _problem(exc: BatchInputError) -> ApiProblem:
    return ApiProblem(INVALID_INPUT, exc.message, errors_list=exc.issues)


def _pointer(loc: tuple[int | str, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def _validation(exc: ValidationError, prefix: tuple[int | str, ...] = ()) -> ApiProblem:
    errors = [
        {"pointer": _pointer((*prefix, *e["loc"])), "detail": str(e["msg"])} for e in exc.errors()
    ]
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ApiProblem(
        INVALID_INPUT, f"{first['pointer'] or '/'}: {first['detail']}{more}", errors_list=errors
    )


_COURSES = TypeAdapter(list[IncomingCourseIn])


def _job_out(job: dict[str, Any], created: bool = True) -> JobOut:
    base = f"/v1/jobs/{job['id']}"
    return JobOut.model_validate(
        {
            **job,
            "created": created,
            "links": {
                "self": base,
                "results": f"{base}/results",
                "results_csv": f"{base}/results?format=csv",
            },
        }
    )


async def _batch(
    request: Request, qualification_id: str | None
) -> tuple[str, str, list[IncomingCourse]]:
    """The qualification, where it was named (a pointer or parameter name), and the courses of
    a batch body (JSON object, JSON list, or CSV)."""
    raw = request.headers.get("content-type")
    media = raw.split(";", 1)[0].strip().casefold() if raw else "application/json"
    body = await request.body()
    if not body.strip():
        raise ApiProblem(INVALID_INPUT, "The request body is empty.")
    if media in _CSV_TYPES:
        if not qualification_id:
            raise ApiProblem(
                INVALID_INPUT,
                "give the target as the query parameter qualification_id with a CSV upload",
                errors_list=[{"parameter": "qualification_id", "detail": "required"}],
            )
        try:
            return qualification_id, "qualification_id", read_courses_csv(body)
        except UnicodeDecodeError as exc:
            raise ApiProblem(INVALID_INPUT, "The CSV file is not UTF-8.") from exc
        except BatchInputError as exc:
            raise _problem(exc) from exc
    if media != "application/json" and not media.endswith("+json"):
        raise ApiProblem(
            UNSUPPORTED_MEDIA,
            f"Content-Type {media!r} is not accepted: send application/json or text/csv.",
        )
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ApiProblem(
            INVALID_INPUT,
            f"The body is not JSON: {exc}",
            errors_list=[{"pointer": "", "detail": "not JSON"}],
        ) from exc
    if isinstance(data, list):
        if len(data) > MAX_COURSES:
            raise ApiProblem(INVALID_INPUT, f"more than {MAX_COURSES} courses")
        try:
            courses = _COURSES.validate_python(data)
        except ValidationError as exc:
            raise _validation(exc) from exc
        incoming = [c.incoming(f"/{n}") for n, c in enumerate(courses)]
        target, where = qualification_id, "qualification_id"
    else:
        try:
            parsed = BatchArticulationRequest.model_validate(data)
        except ValidationError as exc:
            raise _validation(exc) from exc
        incoming = [c.incoming(f"/courses/{n}") for n, c in enumerate(parsed.courses)]
        target = parsed.qualification_id or qualification_id
        where = "/qualification_id" if parsed.qualification_id else "qualification_id"
    if not target:
        raise ApiProblem(
            INVALID_INPUT,
            "name the target programme: qualification_id in the body or the query",
            errors_list=[{"pointer": "/qualification_id", "detail": "required"}],
        )
    return target, where, incoming


_BATCH_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Incoming courses: {qualification_id, courses: [...]}, a JSON list of "
        "courses (qualification_id in the query), or a CSV file (text/csv; columns id, title, "
        "credits, credit_system, eqf_level, level, learning_outcomes — outcomes one per line "
        "or separated by | — and optionally description).",
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        BatchArticulationRequest.model_json_schema(
                            ref_template="#/components/schemas/{model}"
                        ),
                        {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/IncomingCourseIn"},
                        },
                    ]
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}
_BATCH_DOC["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0].pop("$defs", None)


@router.post(
    "/v1/articulations",
    response_model=ArticulationResults,
    summary="Articulate up to 100 incoming courses against a programme, at once",
    responses=problem_responses(404, 413, 422),
)
def articulate(body: ArticulationRequest, session: SessionDep, service: Service) -> dict[str, Any]:
    incoming = [c.incoming(f"/courses/{n}") for n, c in enumerate(body.courses)]
    try:
        return service.articulate(session, body.qualification_id, incoming)
    except BatchInputError as exc:
        raise _problem(exc) from exc
    except DomainError as exc:
        if exc.field in ("id", "qualification_id"):
            exc.field = "/qualification_id"
        raise


@router.post(
    "/v1/batch/articulations",
    status_code=202,
    response_model=JobOut,
    summary="Submit a batch of incoming courses (JSON or CSV): a job, processed in the background",
    responses={
        200: {"description": "The same batch was submitted before: that job", "model": JobOut},
        **problem_responses(404, 413, 415, 422),
    },
    openapi_extra=_BATCH_DOC,
)
async def submit_batch(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    qualification_id: Annotated[str | None, Query(max_length=64)] = None,
) -> JobOut:
    target, where, incoming = await _batch(request, qualification_id)
    charge_batch(request, len(incoming))  # the organisation's quota of courses (429 when spent)
    app = request.app
    service = articulation_service(app)

    def store() -> tuple[dict[str, Any], bool]:
        # Committed by the job service, not by the request dependency: the 202 must only go out
        # once the job is durable, so a client polling at once finds it (and a worker can run it).
        return jobs_service(app).submit(
            principal.organisation,  # the caller's queue (tenancy)
            lambda session: service.submit(session, target, incoming),
        )

    try:
        job, created = await run_in_threadpool(store)
    except BatchInputError as exc:
        raise _problem(exc) from exc
    except DomainError as exc:
        if exc.field == "id":  # the catalogue names its path parameter; here it is this one
            exc.field = where
        raise
    response.headers["Location"] = f"/v1/jobs/{job['id']}"
    if not created:
        response.status_code = 200
    return _job_out(job, created)


JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]


@router.get(
    "/v1/jobs",
    response_model=JobList,
    summary="The organisation's batch jobs, newest first (filter by status or kind)",
    responses=problem_responses(422),
)
def list_jobs(
    request: Request,
    session: SessionDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
    kind: Annotated[str | None, Query(max_length=40, description="Only jobs of this kind")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JobList:
    service = jobs_service(request.app)
    jobs = service.list(session, status=status, kind=kind, limit=limit, offset=offset)
    total = service.count(session, status=status, kind=kind)
    return JobList(items=[_job_out(j) for j in jobs], total=total, limit=limit, offset=offset)


@router.post(
    "/v1/jobs/{job_id}/cancel",
    response_model=JobOut,
    summary="Cancel a queued or running job (work stops at the next chunk; results so far stay)",
    responses=problem_responses(404, 409),
)
def cancel_job(job_id: JobId, request: Request, session: SessionDep) -> JobOut:
    return _job_out(jobs_service(request.app).cancel(session, job_id))


@router.get(
    "/v1/jobs/{job_id}",
    response_model=JobOut,
    summary="A batch job: status, progress (done/total), timestamps",
    responses=problem_responses(404),
)
def get_job(job_id: JobId, session: SessionDep, service: Service) -> JobOut:
    return _job_out(service.job(session, job_id))


@router.get(
    "/v1/jobs/{job_id}/results",
    response_model=ArticulationResults,
    summary="Proposed exemptions with their evidence (JSON, or ?format=csv)",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(404, 422),
    },
)
def job_results(
    job_id: JobId,
    session: SessionDep,
    service: Service,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    payload = service.results(session, job_id)
    job = payload.pop("job")
    if format == "csv":
        return Response(
            content=results_csv(payload),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="articulation-{job_id}.csv"',
                "x-job-status": job["status"],
                "x-results-complete": "true" if payload["complete"] else "false",
            },
        )
    return {"job": _job_out(job), **payload}
