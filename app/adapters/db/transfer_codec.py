"""The one JSON codec of the transfer engine's values: what a batch job stores per course (the
course and its match, read back by any worker) and what its results show (proposals with their
evidence). Services and the API call these; the core never makes JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.articulation import Proposal
from app.core.credits import Conversion, Range
from app.core.recognition import Finding, Recommendation
from app.core.transfer.types import (
    Candidate,
    CandidateMatch,
    ModuleMatch,
    OutcomeMatch,
    TargetModule,
)
from app.core.types import LevelKey

Course = Candidate
CourseMatch = CandidateMatch


def range_to_json(r: Range | None) -> dict[str, float] | None:
    return None if r is None else {"min": round(r.minimum, 4), "max": round(r.maximum, 4)}


def range_from_json(d: Mapping[str, Any] | None) -> Range | None:
    return None if d is None else Range(float(d["min"]), float(d["max"]))


def course_to_json(c: Course) -> dict[str, Any]:
    out = {
        "id": c.id,
        "title": c.title,
        "outcomes": list(c.outcomes),
        "credits_ects": range_to_json(c.credits_ects),
        "eqf_level": c.eqf_level,
    }
    if c.level is not None:  # only when known: a batch's identity hash stays what it was
        out["level"] = str(c.level)
    if c.language is not None:
        out["language"] = c.language
    if c.description:  # only when given: a batch's identity hash stays what it was
        out["description"] = c.description
    return out


def course_from_json(d: Mapping[str, Any]) -> Course:
    return Course(
        id=str(d["id"]),
        title=str(d.get("title") or d["id"]),
        outcomes=tuple(str(o) for o in d.get("outcomes", ())),
        credits_ects=range_from_json(d.get("credits_ects")),
        eqf_level=d.get("eqf_level"),
        level=LevelKey(*str(d["level"]).split(":", 1)) if d.get("level") else None,
        language=d.get("language"),
        description=str(d.get("description") or ""),
    )


def match_to_json(m: CourseMatch) -> dict[str, Any]:
    """Compact: a pair is ``[module_outcome, course_outcome, score, semantic, lexical]``.

    >>> mm = ModuleMatch("M", 2, (OutcomeMatch(0, 1, 0.9, None, 0.9),), (0,))
    >>> match_from_json(match_to_json(CourseMatch("c", (mm,)))) == CourseMatch("c", (mm,))
    True
    """
    return {
        "course": m.course,
        "modules": [
            {
                "module": mm.module,
                "outcomes": mm.outcomes,
                "covered": list(mm.covered),
                "pairs": [
                    [p.module_outcome, p.course_outcome, p.score, p.semantic, p.lexical]
                    for p in mm.pairs
                ],
            }
            for mm in m.modules
        ],
    }


def match_from_json(d: Mapping[str, Any]) -> CourseMatch:
    return CourseMatch(
        course=str(d["course"]),
        modules=tuple(
            ModuleMatch(
                module=str(mm["module"]),
                outcomes=int(mm["outcomes"]),
                pairs=tuple(
                    OutcomeMatch(int(p[0]), int(p[1]), float(p[2]), p[3], float(p[4]))
                    for p in mm["pairs"]
                ),
                covered=tuple(int(j) for j in mm["covered"]),
            )
            for mm in d.get("modules", ())
        ),
    )


def proposal_to_json(
    p: Proposal,
    module: TargetModule,
    courses: Mapping[str, Course],
) -> dict[str, Any]:
    """A proposal with its evidence, outcome texts included, as results show it."""

    def text(items: Sequence[str], i: int) -> str | None:
        return items[i] if 0 <= i < len(items) else None

    return {
        "module": module.code,
        "module_title": module.title,
        "kind": p.kind.value,
        "decision": p.decision.value,
        "courses": list(p.courses),
        "coverage": p.coverage,
        "covered_outcomes": list(p.covered),
        "uncovered_outcomes": [{"index": j, "text": text(module.outcomes, j)} for j in p.uncovered],
        "pairs": [
            {
                "course": e.course,
                "course_outcome": e.course_outcome,
                "module_outcome": e.module_outcome,
                "score": e.score,
                "semantic": e.semantic,
                "lexical": e.lexical,
                "course_text": text(courses[e.course].outcomes, e.course_outcome)
                if e.course in courses
                else None,
                "module_text": text(module.outcomes, e.module_outcome),
            }
            for e in p.pairs
        ],
        "level": [
            {
                "course": lv.course,
                "course_eqf": lv.course_eqf,
                "module_eqf": lv.module_eqf,
                "compatible": lv.compatible,
                "reason": lv.reason,
            }
            for lv in p.level
        ],
        "credits": {
            "courses_ects": range_to_json(p.credits.courses_ects),
            "module_ects": range_to_json(p.credits.module_ects),
            "ratio": p.credits.ratio,
            "sufficient": p.credits.sufficient,
            "bridgeable": p.credits.bridgeable,
            "reason": p.credits.reason,
        },
        "siblings": list(p.siblings),
        "reasons": list(p.reasons),
    }


# --- recognition (the decision record's payload) -------------------------------------------


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "finding": f.finding,
        "substantial": f.substantial,
        "reason": f.reason,
        "confidence": round(f.confidence, 4),
        "request": list(f.request),
        "evidence": [
            {"kind": e.kind, "reference": e.reference, "detail": e.detail} for e in f.evidence
        ],
    }


def recommendation_json(rec: Recommendation) -> dict[str, Any]:
    """A recommendation as its decision record stores it (hashed: change only with a new field)."""
    return {
        "outcome": rec.outcome.value,
        "confidence": rec.confidence,
        "elements": {f.element.value: _finding(f) for f in rec.findings},
        "modules": [
            {
                "code": m.code,
                "title": m.title,
                "decision": m.decision,
                "coverage": m.coverage,
                "credits_ects": range_to_json(m.credits_ects),
                "reasons": list(m.reasons),
                "uncovered_outcomes": list(m.uncovered_outcomes),
                "compulsory": m.compulsory,
            }
            for m in rec.modules
        ],
        "recognised_credits_ects": range_to_json(rec.recognised_credits_ects),
        "conditions": list(rec.conditions),
        "alternative": rec.alternative,
        "missing": list(rec.missing),
        "documents_to_request": list(rec.documents),
        "confidence_notes": list(rec.confidence_notes),
        "justification": rec.justification,
    }


def conversion_json(c: Conversion | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "value": c.value,
        "from": c.source,
        "to": c.target,
        "result": range_to_json(c.result),
        "kind": c.kind.value if c.steps else "identity",
        "warnings": list(c.warnings),
    }
