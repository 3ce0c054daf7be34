"""Journey 1 — compare levels: the comparison form, a framework's page, the matrix view.

Every answer comes from the registry service the API uses (``Registry.compare``,
``Registry.matrix``, ``Registry.framework``), so a page and ``GET /v1/compare`` never disagree;
each page needs what its API operation needs in the access table (``like_api``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from app.core.errors import DomainError
from app.core.identity import Permission
from app.core.types import (
    EQF_ID,
    Comparison,
    EdgeKind,
    Framework,
    Level,
    LevelEdge,
    LevelMatch,
    MatchType,
    NotComparableReason,
    Source,
)
from app.services.registry import Registry
from app.web.deps import Officer, RegistryDep, like_api
from app.web.errors import PageError, Problem, problem_of
from app.web.i18n import N_, Translator
from app.web.nav import NavItem, register
from app.web.templating import render, translator

router = APIRouter(include_in_schema=False)

Comparer = Annotated[Officer, Depends(like_api("GET", "/v1/compare"))]
MatrixReader = Annotated[Officer, Depends(like_api("GET", "/v1/compare/matrix"))]
FrameworkLister = Annotated[Officer, Depends(like_api("GET", "/v1/frameworks"))]
FrameworkReader = Annotated[Officer, Depends(like_api("GET", "/v1/frameworks/{framework}"))]
Text = Annotated[str, Query(max_length=300)]

register(
    NavItem(
        N_("Compare levels"),
        "/compare",
        Permission.REFERENCE_READ,
        N_("What is a level of one framework in another, with path, relation and sources."),
        order=10,
    ),
    NavItem(
        N_("Frameworks"),
        "/frameworks",
        Permission.REFERENCE_READ,
        N_("Each framework's levels, descriptors, qualification types and references."),
        order=15,
    ),
    NavItem(
        N_("Matrix"),
        "/compare/matrix",
        Permission.REFERENCE_READ,
        N_("Several frameworks side by side, level by EQF level."),
        order=16,
    ),
)

SKOS = {
    MatchType.EXACT: "skos:exactMatch",
    MatchType.CLOSE: "skos:closeMatch",
    MatchType.BROAD: "skos:broadMatch",
    MatchType.NARROW: "skos:narrowMatch",
    MatchType.RELATED: "skos:relatedMatch",
}
RELATION_TEXT = {
    MatchType.EXACT: N_("the same level"),
    MatchType.CLOSE: N_("a close match"),
    MatchType.BROAD: N_("the target level is broader"),
    MatchType.NARROW: N_("the target level is narrower"),
    MatchType.RELATED: N_("related, neither contains the other"),
}
REASON_TEXT = {
    NotComparableReason.NOT_REFERENCED: N_(
        "Not referenced to the EQF (the level or its framework), and no crosswalk links it to "
        "the target: there is no recorded path, and none is guessed."
    ),
    NotComparableReason.NO_COMPARABLE_LEVEL: N_(
        "No level of the target framework is linked to this level by a recorded mapping."
    ),
    NotComparableReason.NOT_VALID_AT_DATE: N_(
        "The level, or the mappings from it, were not in force on the chosen date."
    ),
    NotComparableReason.UNKNOWN_LEVEL: N_("The level is in no framework of the data release."),
    NotComparableReason.NOT_PLACED_IN_HIGHER_EDUCATION: N_(
        "The data do not place this level in a higher-education cycle (QF-EHEA)."
    ),
}
EDGE_TEXT = {
    EdgeKind.EQF_REFERENCING: N_("EQF referencing"),
    EdgeKind.CROSSWALK: N_("crosswalk"),
    EdgeKind.SUCCESSION: N_("succession"),
    EdgeKind.QF_EHEA_PLACEMENT: N_("QF-EHEA placement"),
}


@dataclass(frozen=True, slots=True)
class LevelView:
    """A level as a page shows it: with whether it is historical at the date in view."""

    level: Level
    historical: bool
    until: dt.date | None

    @classmethod
    def of(cls, level: Level, as_of: dt.date | None) -> LevelView:
        validity = level.validity
        historical = not validity.contains(as_of) if as_of else not validity.is_current
        return cls(level, historical, validity.valid_to)


def _framework_label(fw: Framework) -> str:
    acronym = f" ({fw.acronym})" if fw.acronym and fw.acronym != fw.id else ""
    return f"{fw.title}{acronym} · {fw.id}"


def framework_options(registry: Registry) -> list[tuple[str, str]]:
    return [(fw.id, _framework_label(fw)) for fw in registry.frameworks()]


def level_options(fw: Framework, tr: Translator) -> list[tuple[str, str]]:
    out = []
    for level in sorted(fw.levels, key=lambda lv: (lv.rank, lv.code)):
        text = f"{level.code} — {level.label}"
        if not level.validity.is_current:
            text += " " + tr("(historical, until %(date)s)", date=level.validity.valid_to)
        out.append((level.code, text))
    return out


def _parse_date(value: str, field_name: str, tr: Translator) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise _FormError(
            Problem(
                422,
                tr("Invalid input"),
                tr("The date must be written YYYY-MM-DD."),
                errors=[{"field": field_name, "detail": tr("Not a date (YYYY-MM-DD).")}],
            )
        ) from exc


class _FormError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def _renamed(problem: Problem, names: dict[str, str]) -> Problem:
    """The problem with the API's parameter names replaced by the form's field names."""
    errs = [{**e, "field": names.get(e["field"], e["field"])} for e in problem.errors]
    return Problem(problem.status, problem.title, problem.detail, problem.type, errs, problem.extra)


def _safe_framework(registry: Registry, identifier: str) -> Framework | None:
    try:
        return registry.framework(identifier) if identifier else None
    except DomainError:
        return None


def _sources(match: LevelMatch) -> list[Source]:
    """The sources along a match's path, each once, in path order."""
    seen: dict[tuple[str, str], Source] = {}
    for step in match.steps:
        for source in step.sources:
            seen.setdefault((source.id, source.title), source)
    return list(seen.values())


def _eqf_of(registry: Registry, level: Level, as_of: dt.date | None) -> list[LevelEdge]:
    if level.framework == EQF_ID:
        return []
    return registry.eqf_edges(level.key, as_of)


@router.get("/compare")
def compare_page(
    request: Request,
    officer: Comparer,
    registry: RegistryDep,
    from_fw: Text = "",
    level: Text = "",
    source: Text = "",
    to_fw: Text = "",
    as_of: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    tr = translator(request)
    problem: Problem | None = None
    comparison: Comparison | None = None
    source_level: Level | None = None
    date: dt.date | None = None
    source_id = source.strip() or (f"{from_fw}:{level}" if from_fw and level else "")
    try:
        date = _parse_date(as_of, "as_of", tr)
        if source_id and to_fw:
            comparison = registry.compare(source_id, to_fw, as_of=date)
            source_level = comparison.source
        elif source_id or to_fw or level:
            missing = [] if source_id else ["level" if from_fw else "from_fw"]
            missing += [] if to_fw else ["to_fw"]
            raise _FormError(
                Problem(
                    422,
                    tr("Invalid input"),
                    tr("Choose a level to compare and the framework to compare it with."),
                    errors=[{"field": m, "detail": tr("Required.")} for m in missing],
                )
            )
    except _FormError as exc:
        problem = exc.problem
    except DomainError as exc:
        target = "source" if source.strip() else "level"
        problem = _renamed(problem_of(exc), {"source": target, "target": "to_fw"})
    from_framework = _safe_framework(registry, from_fw)
    if source_level is not None and not source.strip():
        from_framework = registry.framework(source_level.framework)
    context: dict[str, Any] = {
        "problem": problem,
        "framework_options": framework_options(registry),
        "level_options": level_options(from_framework, tr) if from_framework else [],
        "form": {
            "from_fw": from_framework.id if from_framework else from_fw,
            "level": source_level.code if source_level and not source.strip() else level,
            "source": source,
            "to_fw": to_fw,
            "as_of": as_of,
        },
        "comparison": comparison,
        "as_of": date,
        "source_view": LevelView.of(source_level, date) if source_level else None,
        "source_framework": registry.framework(source_level.framework) if source_level else None,
        "source_eqf": _eqf_of(registry, source_level, date) if source_level else [],
        "matches": [
            {"match": m, "view": LevelView.of(m.level, date), "sources": _sources(m)}
            for m in (comparison.matches if comparison else ())
        ],
        "reason_text": (
            tr(REASON_TEXT[comparison.reason]) if comparison and comparison.reason else None
        ),
        "skos": SKOS,
        "relation_text": {k: tr(v) for k, v in RELATION_TEXT.items()},
        "edge_text": {k: tr(v) for k, v in EDGE_TEXT.items()},
        "release_label": registry.release.label,
        "api_url": (
            f"/v1/compare?source={source_level.framework}:{source_level.code}&target="
            f"{comparison.target.id}" + (f"&as_of={date.isoformat()}" if date else "")
            if comparison and source_level
            else None
        ),
    }
    status = problem.status if problem else 200
    return render(request, "compare/index.html", context, status_code=status)


@router.get("/compare/levels")
def compare_levels(
    request: Request, officer: Comparer, registry: RegistryDep, from_fw: Text = ""
) -> Response:
    """The level chooser for a framework (htmx swaps it in when the framework changes)."""
    fw = _safe_framework(registry, from_fw)
    options = level_options(fw, translator(request)) if fw else []
    return render(request, "compare/_level_field.html", {"level_options": options, "selected": ""})


@router.get("/compare/matrix")
def matrix_page(
    request: Request,
    officer: MatrixReader,
    registry: RegistryDep,
    fw: Annotated[list[str] | None, Query(max_length=20)] = None,
    as_of: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    tr = translator(request)
    chosen = [f for f in (fw or []) if f.strip()]
    problem: Problem | None = None
    date: dt.date | None = None
    columns: list[Framework] = []
    grid: dict[int, dict[str, list[dict[str, Any]]]] = {}
    unplaced: dict[str, list[dict[str, Any]]] = {}
    try:
        date = _parse_date(as_of, "as_of", tr)
        if chosen:
            ids, matrix = registry.matrix(chosen, as_of=date)
            columns = [registry.framework(i) for i in ids if i != EQF_ID]
            grid = {n: {c.id: [] for c in columns} for n in range(1, 9)}
            for column in columns:
                unplaced[column.id] = []
                for lv in sorted(column.levels, key=lambda x: (x.rank, x.code)):
                    found = matrix[lv.key][EQF_ID]
                    cell = {"view": LevelView.of(lv, date), "comparison": found}
                    if not found.matches:
                        unplaced[column.id].append(cell)
                    for m in found.matches:
                        grid[int(m.level.code)][column.id].append({**cell, "match": m})
    except _FormError as exc:
        problem = exc.problem
    except DomainError as exc:
        problem = _renamed(problem_of(exc), {"frameworks": "fw"})
    context = {
        "problem": problem,
        "framework_options": framework_options(registry),
        "chosen": set(chosen) | {registry.index.framework(c) for c in chosen if _ok(registry, c)},
        "as_of": as_of,
        "columns": columns,
        "grid": grid,
        "unplaced": unplaced,
        "eqf": registry.framework(EQF_ID),
        "skos": SKOS,
        "reason_text": {k: tr(v) for k, v in REASON_TEXT.items()},
    }
    return render(
        request, "compare/matrix.html", context, status_code=problem.status if problem else 200
    )


def _ok(registry: Registry, identifier: str) -> bool:
    return _safe_framework(registry, identifier) is not None


@router.get("/frameworks")
def frameworks_page(
    request: Request,
    officer: FrameworkLister,
    registry: RegistryDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    items = registry.frameworks(q=q or None)
    return render(request, "compare/frameworks.html", {"frameworks": items, "q": q})


@router.get("/frameworks/{framework_id}")
def framework_page(
    request: Request, framework_id: str, officer: FrameworkReader, registry: RegistryDep
) -> Response:
    tr = translator(request)
    try:
        fw = registry.framework(framework_id)
    except DomainError as exc:
        raise PageError(404, tr("Unknown framework"), exc.message) from exc
    levels = sorted(fw.levels, key=lambda lv: (lv.rank, lv.code))
    types = sorted(
        (t for t in registry.release.qualification_types if t.framework == fw.id),
        key=lambda t: (t.level_code or "", t.name),
    )
    rank = {lv.code: lv.rank for lv in levels}
    types.sort(key=lambda t: (rank.get(t.level_code or "", 999), t.name))
    return render(
        request,
        "compare/framework.html",
        {
            "fw": fw,
            "levels": [
                {
                    "view": LevelView.of(lv, None),
                    "eqf": _eqf_of(registry, lv, None),
                    "successors": [
                        e.target
                        for e in registry.release.edges
                        if e.kind is EdgeKind.SUCCESSION and e.source == lv.key
                    ],
                }
                for lv in levels
            ],
            "qualification_types": types,
            "skos": SKOS,
        },
    )
