"""The credit-transfer page's reshaping of the API's results (no browser): per course, every
proposal it takes part in, best first in the engine's order, and the reason when it has none."""

from __future__ import annotations

from typing import Any

from app.web.transfer_view import courses_view, ects, issues_text, level_text, modules_view


def _proposal(module: str, decision: str, courses: list[str], coverage: float) -> dict[str, Any]:
    return {
        "module": module,
        "module_title": module.title(),
        "kind": "many_to_one" if len(courses) > 1 else "one_to_one",
        "decision": decision,
        "courses": courses,
        "coverage": coverage,
        "covered_outcomes": [],
        "uncovered_outcomes": [],
        "pairs": [],
        "level": [{"course": c, "compatible": True} for c in courses],
        "credits": {"reason": ""},
        "reasons": [],
    }


PAYLOAD: dict[str, Any] = {
    "modules": [
        {
            "code": "db",
            "title": "Databases",
            "credits_ects": {"min": 5.0, "max": 5.0},
            "proposals": [
                _proposal("db", "replace", ["a", "b"], 1.0),
                _proposal("db", "conditional", ["a"], 0.56),
            ],
            "miss": None,
        },
        {
            "code": "ethics",
            "title": "Ethics",
            "credits_ects": {"min": 5.0, "max": 7.5},
            "proposals": [_proposal("ethics", "replace", ["a"], 0.8)],
            "miss": None,
        },
        {"code": "ai", "title": "AI", "credits_ects": None, "proposals": [], "miss": "no outcomes"},
    ],
    "courses": [
        {"seq": 0, "id": "a", "title": "A", "credits_ects": None, "modules": ["db", "ethics"]},
        {"seq": 1, "id": "b", "title": "B", "credits_ects": None, "modules": ["db"]},
        {
            "seq": 2,
            "id": "c",
            "title": "C",
            "credits_ects": {"min": 3.0, "max": 3.0},
            "modules": [],
            "reason": "none of its outcomes scores above the bar",
            "proposal": {"module": "ai", "score": 0.9, "terms": ["ai"]},
        },
    ],
}


def test_per_course_best_first_and_misses_with_reasons() -> None:
    a, b, c = courses_view(PAYLOAD)
    # a's replacements first (alone before in a group), then its conditional one
    assert [(p["module"], p["decision"], p["courses"]) for p in a["proposals"]] == [
        ("ethics", "replace", ["a"]),
        ("db", "replace", ["a", "b"]),
        ("db", "conditional", ["a"]),
    ]
    assert [p["best_for_module"] for p in a["proposals"]] == [True, True, False]
    assert a["proposals"][1]["module_credits"] == "5"
    assert [p["module"] for p in b["proposals"]] == ["db"]
    assert c["proposals"] == [] and c["reason"] == "none of its outcomes scores above the bar"
    assert c["suggestion"]["title"] == "AI" and c["credits"] == "3"


def test_modules_and_small_helpers() -> None:
    rows = modules_view(PAYLOAD)
    assert [(r["code"], r["others"], r["miss"]) for r in rows] == [
        ("db", 1, None),
        ("ethics", 0, None),
        ("ai", 0, "no outcomes"),
    ]
    assert rows[1]["credits"] == "5–7.5" and ects(None) == ""
    assert level_text([{"compatible": True}, {"compatible": None}]) == "unknown"
    assert level_text([{"compatible": False}, {"compatible": True}]) == "no"
    assert issues_text([{"row": 3, "column": "credits", "detail": "not a number"}]) == [
        "row 3, column credits: not a number"
    ]
