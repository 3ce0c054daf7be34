"""Exports in the ecosystem's formats, and the ELM LOQ import (issue 15; ``docs/exports.md``).

Explicit export routes, so the JSON answers of ``/v1/frameworks`` and ``/v1/compare`` keep their
contract: the framework routes negotiate ``?format=`` first, then ``Accept`` (``text/turtle``,
``application/ld+json``); CTDL, Open Badges and transfer-value documents are JSON-LD. Exports of
organisation data (recognition records, articulation jobs) read through the services that
scope them to the caller's organisation, so another organisation's id is a 404.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from app.adapters.importers.safety import ImportLimits, parse_json_bytes
from app.api.auth import PrincipalDep
from app.api.deps import RegistryDep, SessionDep, SettingsDep, TransferDep
from app.api.problems import (
    INVALID_INPUT,
    UNSUPPORTED_MEDIA,
    ApiProblem,
    ProblemType,
    problem_responses,
)
from app.api.routers.catalogue import _problem, import_result
from app.api.schemas.catalogue import ImportResult
from app.core.catalogue import CatalogueInputError
from app.services.catalogue import CatalogueService
from app.services.exports import FRAMEWORK_FORMATS, ExportService

router = APIRouter(tags=["exports"])


def _service(registry: RegistryDep) -> ExportService:
    return ExportService(registry)


Service = Annotated[ExportService, Depends(_service)]
AsOf = Annotated[dt.date | None, Query(description="Date the comparison is valid at")]
RdfFormat = Literal["turtle", "jsonld"]
FrameworkFormat = Literal["turtle", "jsonld", "ctdl"]

_LD = "application/ld+json"
_TURTLE = "text/turtle"
NOT_ACCEPTABLE = ProblemType(406, "not-acceptable", "Not acceptable")


def _negotiated(fmt: str | None, accept: str | None, allowed: tuple[str, ...]) -> str:
    """The media type of ``?format=``, else the first of ``Accept`` we serve, else Turtle."""
    if fmt is not None:
        return FRAMEWORK_FORMATS[fmt]
    for part in (accept or "").split(","):
        media = part.split(";", 1)[0].strip().casefold()
        if media == _TURTLE:
            return _TURTLE
        if media in (_LD, "application/json"):
            return _LD
    if accept and not any(
        p.split(";", 1)[0].strip() in ("*/*", "text/*", "application/*") for p in accept.split(",")
    ):
        raise ApiProblem(
            NOT_ACCEPTABLE,
            f"Accept {accept[:200]!r}: this export is served as {', '.join(allowed)}",
        )
    return _TURTLE


def _document(body: Any, name: str) -> Response:
    return Response(
        content=json.dumps(body, ensure_ascii=False, indent=2),
        media_type=_LD,
        headers={"content-disposition": f'inline; filename="{name}.jsonld"'},
    )


def _rdf(text: str, media_type: str, name: str) -> Response:
    suffix = "ttl" if media_type == _TURTLE else "jsonld"
    return Response(
        content=text,
        media_type=media_type,
        headers={"content-disposition": f'inline; filename="{name}.{suffix}"', "vary": "Accept"},
    )


_RDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "SKOS (Turtle or JSON-LD), or CTDL JSON-LD with format=ctdl",
        "content": {
            _TURTLE: {"schema": {"type": "string"}},
            _LD: {"schema": {"type": "object"}},
        },
    },
    **problem_responses(404, 406, 409, 422),
}
_LD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON-LD", "content": {_LD: {"schema": {"type": "object"}}}},
}


@router.get(
    "/v1/exports/frameworks",
    summary="Frameworks and their EQF referencing and crosswalks as SKOS (Turtle or JSON-LD)",
    response_class=Response,
    responses=_RDF_RESPONSES,
)
def export_frameworks(
    service: Service,
    frameworks: Annotated[
        str | None,
        Query(max_length=2000, description="Comma-separated framework ids (default: all)"),
    ] = None,
    format: Annotated[RdfFormat | None, Query(description="Overrides Accept")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    media = _negotiated(format, accept, (_TURTLE, _LD))
    wanted = [f.strip() for f in frameworks.split(",") if f.strip()] if frameworks else None
    return _rdf(service.frameworks_skos(wanted, media), media, "frameworks")


@router.get(
    "/v1/exports/frameworks/{framework}",
    summary="One framework as SKOS (Turtle, JSON-LD) or CTDL (QualificationsFramework, "
    "ProgressionModel levels, EQF referencing AlignmentMap)",
    response_class=Response,
    responses=_RDF_RESPONSES,
)
def export_framework(
    framework: Annotated[str, Path(max_length=300, description="Any framework identifier")],
    service: Service,
    format: Annotated[FrameworkFormat | None, Query(description="Overrides Accept")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    if format == "ctdl":
        document = service.framework_ctdl(framework)
        return _document(document, f"{document['@graph'][0]['pss:identifier']}.ctdl")
    media = _negotiated(format, accept, (_TURTLE, _LD))
    fid = service.registry.index.framework(framework, field="framework")
    return _rdf(service.frameworks_skos([fid], media), media, fid)


@router.get(
    "/v1/exports/alignment-map",
    summary="Every level of one framework against another as a CTDL AlignmentMap "
    "(each level's comparison, or only the recorded referencing/crosswalk edges)",
    response_class=Response,
    responses={**_LD_RESPONSES, **problem_responses(404, 409, 422)},
)
def export_alignment_map(
    service: Service,
    source: Annotated[str, Query(min_length=1, max_length=300, description="Framework")],
    target: Annotated[str, Query(min_length=1, max_length=300, description="Framework")],
    basis: Annotated[
        Literal["compare", "recorded"],
        Query(description="compare: GET /v1/compare of every level; recorded: edges only"),
    ] = "compare",
    as_of: AsOf = None,
) -> Response:
    document = service.alignment_map(source, target, basis=basis, as_of=as_of)
    return _document(document, "alignment-map")


@router.get(
    "/v1/exports/compare",
    summary="One comparison (the GET /v1/compare answer) as a CTDL AlignmentMap",
    response_class=Response,
    responses={**_LD_RESPONSES, **problem_responses(404, 409, 422)},
)
def export_comparison(
    service: Service,
    source: Annotated[str, Query(min_length=1, max_length=300, description="Level identifier")],
    target: Annotated[str, Query(min_length=1, max_length=300, description="Framework")],
    as_of: AsOf = None,
) -> Response:
    return _document(service.comparison_map(source, target, as_of=as_of), "comparison")


RecordId = Annotated[str, Path(max_length=64, description="Recognition record id")]


@router.get(
    "/v1/exports/recognitions/{record_id}/alignments",
    summary="A recognition decision's levels and module outcomes as Open Badges 3.0 Alignments",
    response_class=Response,
    responses={**_LD_RESPONSES, **problem_responses(404)},
)
def export_recognition_alignments(
    record_id: RecordId, session: SessionDep, service: Service, transfer: TransferDep
) -> Response:
    record = transfer.recognition.get(session, record_id)
    return _document(service.recognition_alignments(record), f"recognition-{record_id}.ob3")


@router.get(
    "/v1/exports/recognitions/{record_id}/transfer-values",
    summary="A recognition decision's granted modules as CTDL TransferValueProfiles",
    response_class=Response,
    responses={**_LD_RESPONSES, **problem_responses(404)},
)
def export_recognition_transfer_values(
    record_id: RecordId,
    session: SessionDep,
    service: Service,
    transfer: TransferDep,
    principal: PrincipalDep,
) -> Response:
    record = transfer.recognition.get(session, record_id)
    document = service.recognition_profiles(record, organisation=principal.organisation)
    return _document(document, f"recognition-{record_id}.ctdl")


@router.get(
    "/v1/exports/jobs/{job_id}/transfer-values",
    summary="An articulation job's proposed exemptions as CTDL TransferValueProfiles",
    response_class=Response,
    responses={**_LD_RESPONSES, **problem_responses(404, 422)},
)
def export_job_transfer_values(
    job_id: Annotated[str, Path(max_length=64, description="Articulation job id")],
    session: SessionDep,
    service: Service,
    transfer: TransferDep,
    principal: PrincipalDep,
) -> Response:
    results = transfer.articulation.results(session, job_id)
    document = service.articulation_profiles(
        results, organisation=principal.organisation, job_id=job_id
    )
    return _document(document, f"articulation-{job_id}.ctdl")


def _loq_body_doc() -> dict[str, Any]:
    schema = {"type": "object", "description": "ELM v3 LOQ JSON-LD (compact or @graph)"}
    return {
        "requestBody": {
            "required": True,
            "description": "An ELM v3 learning opportunity or qualification document "
            "(LearningOpportunity, Qualification or LearningAchievementSpecification; one, a "
            "list, or a @graph), as the Europass QDR publishes them.",
            "content": {_LD: {"schema": schema}, "application/json": {"schema": schema}},
        }
    }


async def _loq_body(request: Request) -> bytes:
    raw = request.headers.get("content-type")
    media = raw.split(";", 1)[0].strip().casefold() if raw else None
    if media is not None and media != "application/json" and not media.endswith("+json"):
        raise ApiProblem(
            UNSUPPORTED_MEDIA, f"Content-Type {media!r} is not accepted: send application/ld+json."
        )
    body = await request.body()
    if not body.strip():
        raise ApiProblem(INVALID_INPUT, "The request body is empty.", errors_list=[])
    return body


LoqBody = Annotated[bytes, Depends(_loq_body)]


@router.post(
    "/v1/qualifications/loq",
    response_model=ImportResult,
    status_code=201,
    tags=["catalogue"],
    summary="Import ELM learning opportunity/qualification (LOQ) documents into the catalogue",
    responses={
        200: {"description": "Everything was stored already; the ids", "model": ImportResult},
        **problem_responses(409, 413, 415, 422),
    },
    openapi_extra=_loq_body_doc(),
)
def import_loq(
    body: LoqBody,
    service: Service,
    session: SessionDep,
    registry: RegistryDep,
    settings: SettingsDep,
    response: Response,
    language: Annotated[
        str | None, Query(max_length=12, description="Preferred language of texts")
    ] = None,
) -> ImportResult:
    document = parse_json_bytes(body, ImportLimits.from_settings(settings))
    try:
        imported = service.read_loq(document, language=language)
    except CatalogueInputError as exc:
        raise _problem(exc) from exc
    return import_result(CatalogueService(registry).store(session, imported), registry, response)
