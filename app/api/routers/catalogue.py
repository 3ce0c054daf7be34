"""The qualification and programme catalogue: import, search, fetch (``docs/catalogue.md``).

``POST /v1/qualifications`` takes one programme, a list, ``{"programmes": [...]}`` (JSON) or a
catalogue CSV (``Content-Type: text/csv``). It is atomic (one invalid programme and nothing is
stored) and idempotent: content already stored answers with its id, ``created: false``, and the
status is ``200`` instead of ``201`` when nothing new was stored. Every problem of the body is
listed in the problem document's ``errors``, by JSON pointer or CSV row and column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.api.deps import RegistryDep, SessionDep
from app.api.problems import (
    INVALID_INPUT,
    UNSUPPORTED_MEDIA,
    ApiProblem,
    problem_responses,
)
from app.api.schemas.catalogue import (
    ImportItem,
    ImportResult,
    ModuleList,
    ModuleOut,
    ProgrammeOut,
    ProgrammePage,
    ProgrammeSummaryOut,
    WarningOut,
    catalogue_json_schema,
)
from app.api.schemas.frameworks import DataReleaseOut
from app.core.catalogue import CatalogueInputError, Issue
from app.services.catalogue import CatalogueService, StoreResult
from app.services.registry import Registry

router = APIRouter(tags=["catalogue"])

_CSV_TYPES = {"text/csv", "application/csv"}
_ROW_COLUMN = re.compile(r"^row (\d+)(?:, column (\w+))?")


def _service(registry: RegistryDep) -> CatalogueService:
    return CatalogueService(registry)


Service = Annotated[CatalogueService, Depends(_service)]
ProgrammeId = Annotated[str, Path(max_length=64, description="Programme id (from the POST)")]


async def _body(request: Request) -> tuple[bytes, bool]:
    """The raw body and whether it is CSV, after a media-type check."""
    raw = request.headers.get("content-type")
    media = raw.split(";", 1)[0].strip().casefold() if raw else None
    is_csv = media in _CSV_TYPES
    json_like = media == "application/json" or (media or "").endswith("+json")
    if media is not None and not is_csv and not json_like:
        raise ApiProblem(
            UNSUPPORTED_MEDIA,
            f"Content-Type {media!r} is not accepted: send application/json or text/csv.",
        )
    body = await request.body()
    if not body.strip():
        raise ApiProblem(INVALID_INPUT, "The request body is empty.", errors_list=[])
    return body, is_csv


Body = Annotated[tuple[bytes, bool], Depends(_body)]


def _error_entry(issue: Issue) -> dict[str, Any]:
    found = _ROW_COLUMN.match(issue.where)
    entry: dict[str, Any]
    if found:
        entry = {"row": int(found.group(1))}
        if found.group(2):
            entry["column"] = found.group(2)
    else:
        entry = {"pointer": issue.where}
    entry.update(detail=issue.message, code=issue.code)
    return entry


def _problem(exc: CatalogueInputError) -> ApiProblem:
    return ApiProblem(INVALID_INPUT, exc.message, errors_list=[_error_entry(i) for i in exc.errors])


def _warnings(issues: Any) -> list[WarningOut]:
    return [WarningOut(where=i.where, code=i.code, detail=i.message) for i in issues]


def import_result(
    results: Sequence[StoreResult], registry: Registry, response: Response
) -> ImportResult:
    """The answer of a catalogue import (JSON, CSV or LOQ): 200 instead of 201 when everything
    was stored already."""
    created = sum(r.created for r in results)
    if not created:
        response.status_code = 200
    return ImportResult(
        items=[
            ImportItem(
                id=r.id,
                created=r.created,
                content_hash=r.content_hash,
                title=r.title,
                where=r.where,
                warnings=_warnings(r.warnings),
            )
            for r in results
        ],
        created=created,
        already_stored=len(results) - created,
        data_release=DataReleaseOut.of(registry.release),
    )


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with its ``#/$defs/...`` references replaced by the definitions (the models
    are not recursive): the OpenAPI document has no place for the ``$defs`` of a raw body."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inlined(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(v, defs) for v in schema]
    return schema


def _body_doc() -> dict[str, Any]:
    schema = catalogue_json_schema()
    programme = _inlined(schema, schema.get("$defs", {}))
    programme.pop("$schema", None)
    many = {"type": "array", "items": programme}
    return {
        "requestBody": {
            "required": True,
            "description": 'One programme, a list of programmes, or {"programmes": [...]} in '
            "the catalogue JSON form (docs/catalogue.schema.json); or a catalogue CSV file "
            "(text/csv), one row per module (docs/catalogue.md).",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            programme,
                            many,
                            {
                                "type": "object",
                                "required": ["programmes"],
                                "properties": {"programmes": many},
                            },
                        ]
                    }
                },
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }


@router.post(
    "/v1/qualifications",
    response_model=ImportResult,
    status_code=201,
    summary="Import qualifications/programmes with their modules (idempotent)",
    responses={
        200: {"description": "Everything was stored already; the ids", "model": ImportResult},
        **problem_responses(409, 413, 415, 422),
    },
    openapi_extra=_body_doc(),
)
def create_qualifications(
    body: Body,
    service: Service,
    session: SessionDep,
    registry: RegistryDep,
    response: Response,
) -> ImportResult:
    data, is_csv = body
    try:
        imported = service.read_csv(data) if is_csv else service.read_json(data)
    except CatalogueInputError as exc:
        raise _problem(exc) from exc
    results = service.store(session, imported)
    if len(results) == 1:
        response.headers["Location"] = f"/v1/qualifications/{results[0].id}"
    return import_result(results, registry, response)


@router.get(
    "/v1/qualifications",
    response_model=ProgrammePage,
    summary="Search the catalogue: fuzzy text, framework and level filters, pagination",
    responses=problem_responses(404, 409, 422),
)
def list_qualifications(
    service: Service,
    session: SessionDep,
    registry: RegistryDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Text matched fuzzily against titles, codes, award and institution "
            "(and module titles and codes)",
        ),
    ] = None,
    framework: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Any framework identifier: IE-NFQ, IE, an EU or ESCO URI; EQF selects "
            "programmes with an EQF level",
        ),
    ] = None,
    level: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Any level identifier (IE:9, EQF:7, an EU level URI); a bare code is "
            "read in `framework`, a bare number without `framework` is an EQF level",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> ProgrammePage:
    page = service.search(
        session, q=q, framework=framework, level=level, limit=limit, offset=offset
    )
    return ProgrammePage(
        items=[ProgrammeSummaryOut.of(s, service.level_label(s.level)) for s in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_offset=page.next_offset,
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/qualifications/{programme_id}",
    response_model=ProgrammeOut,
    summary="One qualification/programme with its modules and their learning outcomes",
    responses=problem_responses(404),
)
def get_qualification(
    programme_id: ProgrammeId, service: Service, session: SessionDep, registry: RegistryDep
) -> ProgrammeOut:
    stored = service.get(session, programme_id)
    return ProgrammeOut.of(
        stored, data_release=DataReleaseOut.of(registry.release), label=service.level_label
    )


@router.get(
    "/v1/qualifications/{programme_id}/modules",
    response_model=ModuleList,
    summary="The modules of a qualification/programme, with their learning outcomes",
    responses=problem_responses(404),
)
def get_modules(
    programme_id: ProgrammeId, service: Service, session: SessionDep, registry: RegistryDep
) -> ModuleList:
    stored = service.get(session, programme_id)
    modules = stored.programme.modules
    return ModuleList(
        programme_id=stored.id,
        items=[ModuleOut.of(m, service.level_label(m.level)) for m in modules],
        total=len(modules),
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/qualification-formats/catalogue/schema",
    summary="JSON Schema of one programme in the catalogue JSON form",
)
def catalogue_schema() -> dict[str, Any]:
    return catalogue_json_schema()
