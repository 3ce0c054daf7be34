"""Frameworks, levels, qualification types and level comparison (API.md: "Frameworks and
levels", "Comparison"). Every identifier form of API.md "Identifiers" is accepted."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.cache import ResponseCache
from app.api.deps import RegistryDep
from app.api.problems import problem_responses
from app.api.schemas.frameworks import (
    ComparisonOut,
    ComparisonResponse,
    DataReleaseOut,
    FrameworkDetailResponse,
    FrameworkList,
    FrameworkOut,
    LevelOut,
    LevelResponse,
    LevelSummary,
    MatrixCell,
    MatrixResponse,
    MatrixRow,
    QualificationTypeList,
    QualificationTypeOut,
    SourceOut,
)

router = APIRouter()
_COMPARE_CACHE = ResponseCache(maxsize=50_000)

AsOf = Annotated[
    dt.date | None,
    Query(description="Date whose framework versions apply (e.g. the award date), YYYY-MM-DD"),
]


@router.get(
    "/v1/frameworks",
    response_model=FrameworkList,
    tags=["frameworks"],
    summary="List frameworks",
    responses=problem_responses(422),
)
def list_frameworks(
    registry: RegistryDep,
    jurisdiction: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in id, acronym or title")
    ] = None,
) -> FrameworkList:
    items = registry.frameworks(jurisdiction=jurisdiction, q=q)
    return FrameworkList(
        items=[FrameworkOut.of(f) for f in items],
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/frameworks/{framework:path}/levels/{code}",
    response_model=LevelResponse,
    tags=["frameworks"],
    summary="One level of a framework",
    responses=problem_responses(404, 409),
)
def get_level(framework: str, code: str, registry: RegistryDep) -> LevelResponse:
    level = registry.level_in(framework, code, field="code")
    return LevelResponse(
        **LevelOut.of(
            level, registry.eqf_edges(level.key), registry.qf_ehea_placements(level.key)
        ).model_dump(),
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/frameworks/{framework:path}",
    response_model=FrameworkDetailResponse,
    tags=["frameworks"],
    summary="One framework with its levels",
    responses=problem_responses(404, 409),
)
def get_framework(framework: str, registry: RegistryDep) -> FrameworkDetailResponse:
    f = registry.framework(framework, field="framework")
    levels = [
        LevelOut.of(lvl, registry.eqf_edges(lvl.key), registry.qf_ehea_placements(lvl.key))
        for lvl in f.levels
    ]
    return FrameworkDetailResponse(
        **FrameworkOut.of(f).model_dump(),
        levels=levels,
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/levels/{identifier:path}",
    response_model=LevelResponse,
    tags=["frameworks"],
    summary="Resolve any level identifier (FRAMEWORK:CODE, level URI, EQF URI)",
    responses=problem_responses(404, 409),
)
def resolve_level(identifier: str, registry: RegistryDep) -> LevelResponse:
    level = registry.level(identifier, field="identifier")
    return LevelResponse(
        **LevelOut.of(
            level, registry.eqf_edges(level.key), registry.qf_ehea_placements(level.key)
        ).model_dump(),
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/qualification-types",
    response_model=QualificationTypeList,
    tags=["frameworks"],
    summary="Qualification types ranked by name match, with framework and EQF level",
    responses=problem_responses(404, 409, 422),
)
def search_qualification_types(
    registry: RegistryDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    jurisdiction: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> QualificationTypeList:
    hits = registry.search_qualification_types(q, jurisdiction=jurisdiction, limit=limit)
    return QualificationTypeList(
        items=[
            QualificationTypeOut(
                name=h.qualification_type.name,
                score=h.score,
                jurisdiction=h.qualification_type.jurisdiction,
                framework=h.qualification_type.framework,
                level=LevelSummary.of(h.level) if h.level else None,
                eqf_level=h.qualification_type.eqf_level,
                is_example=h.qualification_type.is_example,
                source=SourceOut.of(h.qualification_type.source)
                if h.qualification_type.source
                else None,
                alt_labels=list(h.qualification_type.alt_labels),
            )
            for h in hits
        ],
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/compare",
    response_model=ComparisonResponse,
    tags=["comparison"],
    summary="Comparable levels of a level in a target framework, best first",
    responses=problem_responses(404, 409, 422),
)
async def compare(
    registry: RegistryDep,
    source: Annotated[str, Query(min_length=1, max_length=300, description="Level identifier")],
    target: Annotated[str, Query(min_length=1, max_length=300, description="Framework identifier")],
    as_of: AsOf = None,
) -> Response:
    # ``async def``: the work is a few dozen microseconds of pure Python, cheaper than a hop
    # through the thread pool. Answers are cached as bytes per (resolved source, target, date):
    # the release is immutable for the life of the process.
    key = (
        registry.index.level(source, field="source"),
        registry.index.framework(target, field="target"),
        as_of,
    )
    body = _COMPARE_CACHE.get(key, registry)
    if body is None:
        comparison = registry.compare(str(key[0]), key[1], as_of=as_of)
        out = ComparisonOut.of(comparison, registry.eqf_edges(comparison.source.key, as_of))
        body = (
            ComparisonResponse(**out.model_dump(), data_release=DataReleaseOut.of(registry.release))
            .model_dump_json()
            .encode()
        )
        _COMPARE_CACHE.put(key, registry, body)
    return Response(content=body, media_type="application/json")


@router.get(
    "/v1/compare/matrix",
    response_model=MatrixResponse,
    tags=["comparison"],
    summary="Every level of each framework against the EQF and the others",
    responses=problem_responses(404, 409, 422),
)
def compare_matrix(
    registry: RegistryDep,
    frameworks: Annotated[
        str, Query(min_length=1, max_length=2000, description="Comma-separated framework ids")
    ],
    as_of: AsOf = None,
) -> MatrixResponse:
    requested = [f.strip() for f in frameworks.split(",") if f.strip()]
    ids, matrix = registry.matrix(requested, as_of=as_of)
    rows = []
    for key, by_target in matrix.items():
        level = registry.release.level(key)
        assert level is not None
        rows.append(
            MatrixRow(
                level=LevelSummary.of(level),
                eqf_levels=[int(e.target.code) for e in registry.eqf_edges(key, as_of)],
                comparisons=[
                    MatrixCell(
                        target=target,
                        matches=[m.level.code for m in c.matches],
                        match_types=[m.match_type.value for m in c.matches],
                        reason=c.reason.value if c.reason else None,
                    )
                    for target, c in by_target.items()
                ],
            )
        )
    return MatrixResponse(
        frameworks=ids, as_of=as_of, rows=rows, data_release=DataReleaseOut.of(registry.release)
    )
