"""What the credit-transfer pages show, shaped from the API's own results (pure functions).

The results of a batch job are the payload ``GET /v1/jobs/{id}/results`` answers (built by
:meth:`ArticulationService.results`); the API lays them out per *module* of the programme. An
officer reads a transcript course by course, so :func:`courses_view` turns them around: per
incoming course, every proposal it takes part in — best first, in the engine's own order
(``app.core.articulation._rank``: replacements before conditional ones, fewer courses, higher
coverage) — with its evidence, or the engine's reason when it has none. Nothing is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FINISHED = frozenset({"done", "failed", "cancelled"})
_DECISION_ORDER = {"replace": 0, "conditional": 1}


def ects(value: Mapping[str, float] | None) -> str:
    """``{"min": 5, "max": 7.5}`` as ``5–7.5``; a single value as ``5``; nothing as ``""``."""
    if not value:
        return ""
    low, high = value["min"], value["max"]
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def percent(job: Mapping[str, Any]) -> int:
    """The job's progress as a whole percentage (for the progress bar's text)."""
    return int(job["progress"]["percent"])


def finished(job: Mapping[str, Any]) -> bool:
    return str(job["status"]) in FINISHED


def level_text(level: Sequence[Mapping[str, Any]]) -> str:
    """``yes`` / ``no`` / ``unknown`` as the CSV export says it (every course compatible?)."""
    values = {lv.get("compatible") for lv in level}
    if False in values:
        return "no"
    if None in values or not values:
        return "unknown"
    return "yes"


def _rank(proposal: Mapping[str, Any], order: int) -> tuple[int, int, float, int]:
    return (
        _DECISION_ORDER.get(str(proposal["decision"]), 2),
        len(proposal["courses"]),
        -float(proposal["coverage"]),
        order,
    )


def courses_view(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per incoming course (in the order submitted): its proposals best first, each with the
    module it concerns, and the reason when it has none."""
    modules = {str(m["code"]): m for m in payload.get("modules", ())}
    involving: dict[str, list[tuple[tuple[int, int, float, int], dict[str, Any]]]] = {}
    order = 0
    for module in payload.get("modules", ()):
        for position, proposal in enumerate(module["proposals"], start=1):
            order += 1
            entry = {
                **proposal,
                "best_for_module": position == 1,
                "module_credits": ects(module.get("credits_ects")),
                "module_eqf": module.get("eqf_level"),
                "level_summary": level_text(proposal.get("level", ())),
            }
            for course in proposal["courses"]:
                involving.setdefault(str(course), []).append((_rank(proposal, order), entry))
    out: list[dict[str, Any]] = []
    for course in payload.get("courses", ()):
        ranked = [p for _, p in sorted(involving.get(str(course["id"]), ()), key=lambda e: e[0])]
        suggestion = course.get("proposal")
        suggested = None
        if suggestion and suggestion["module"] in modules:
            target = modules[suggestion["module"]]
            suggested = {**suggestion, "title": target["title"]}
        out.append(
            {
                **course,
                "credits": ects(course.get("credits_ects")),
                "proposals": ranked,
                "suggestion": suggested,
            }
        )
    return out


def modules_view(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per module of the programme: its best proposal, or why it has none."""
    out = []
    for module in payload.get("modules", ()):
        best = module["proposals"][0] if module["proposals"] else None
        out.append(
            {
                "code": module["code"],
                "title": module["title"],
                "credits": ects(module.get("credits_ects")),
                "best": best,
                "others": max(0, len(module["proposals"]) - 1),
                "miss": module.get("miss"),
            }
        )
    return out


def issues_text(issues: Sequence[Mapping[str, Any]]) -> list[str]:
    """Located problems of an upload (``row 3, column credits: not a number``)."""
    lines = []
    for issue in issues:
        if "row" in issue:
            place = f"row {issue['row']}" + (
                f", column {issue['column']}" if issue.get("column") else ""
            )
        else:
            place = str(issue.get("pointer") or "")
        lines.append(f"{place}: {issue['detail']}" if place else str(issue["detail"]))
    return lines
