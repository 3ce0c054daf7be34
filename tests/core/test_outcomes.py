"""Segmentation and normalisation of learning-outcome text (app.core.outcomes)."""

from __future__ import annotations

import pytest

from app.core.outcomes import normalise, segment


@pytest.mark.parametrize(
    ("text", "stem", "statements"),
    [
        (
            "By the end of this course students will be able to: 1. use SQL; 2. design schemas",
            "By the end of this course students will be able to:",
            ["use SQL", "design schemas"],
        ),
        (
            "On successful completion, the learner can analyse financial statements",
            "On successful completion, the learner can",
            ["analyse financial statements"],
        ),
        (
            "Upon completion of the module, participants should be able to:\n"
            "- explain X\n- apply Y to Z\n• evaluate W",
            "Upon completion of the module, participants should be able to:",
            ["explain X", "apply Y to Z", "evaluate W"],
        ),
        (
            "Students will: (a) describe the EU institutions (b) compare voting systems "
            "(c) write a policy brief.",
            "Students will:",
            ["describe the EU institutions", "compare voting systems", "write a policy brief"],
        ),
        (
            "Learning outcomes:\n1) Identify hazards\n2) Apply first aid",
            "Learning outcomes:",
            ["Identify hazards", "Apply first aid"],
        ),
        (
            "Design a relational database; write SQL queries; document the design",
            None,
            ["Design a relational database", "write SQL queries", "document the design"],
        ),
        (
            "Graduates are able to lead teams, manage budgets and negotiate contracts.",
            "Graduates are able to",
            ["lead teams, manage budgets and negotiate contracts"],
        ),
        (
            "i) plan a survey ii) run it iii) report the findings",
            None,
            ["plan a survey", "run it", "report the findings"],
        ),
    ],
)
def test_stems_enumerations_bullets_semicolons(
    text: str, stem: str | None, statements: list[str]
) -> None:
    result = segment(text)
    assert result.stem == stem
    assert result.texts == statements
    assert result.is_split == (len(statements) > 1)


def test_original_text_is_kept_with_offsets() -> None:
    text = "Students will be able to:\n  - write SQL queries;\n  - model data."
    result = segment(text)
    assert result.original == text
    for seg in result.segments:
        assert text[seg.start : seg.end] == seg.original
    assert [s.original for s in result.segments] == ["write SQL queries", "model data."]


@pytest.mark.parametrize(
    "text",
    [
        "Explain chapter 3) of the handbook",  # a stray marker does not split
        "Use Python 3.11 (e.g. pandas) to clean data",  # neither do version numbers or e.g.
        "Analyse and evaluate survey data",  # nor "and"
        "analyse data; report",  # a one-word clause is not a statement of its own
    ],
)
def test_no_false_splits(text: str) -> None:
    assert len(segment(text).segments) == 1


def test_stem_alone_is_not_emptied() -> None:
    # A text that is only a stem stays as it is rather than becoming an empty statement.
    result = segment("Students will be able to")
    assert result.texts and result.texts[0]


def test_normalise_strips_markers_stems_and_conjunctions() -> None:
    assert normalise("  • The learner can   describe\u00a0the  EU;  and") == "describe the EU"
    assert normalise("3. compute integrals.") == "compute integrals"


def test_empty_lines_and_whitespace() -> None:
    assert segment("\n\n  apply first aid \n\n").texts == ["apply first aid"]
