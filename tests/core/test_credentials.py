"""The normalised credential in the core: completeness, outcome heuristics, durations, levels."""

from __future__ import annotations

import pytest

from app.core.credentials import (
    STANDARD_ELEMENTS,
    CredentialLevel,
    Credits,
    LearningOutcome,
    MicroCredential,
    SourceFormat,
    WarningCode,
    completeness,
    credential_warnings,
    duration_hours,
    eqf_consistency,
    eqf_from_identifier,
    outcome_problem,
    resolve_levels,
)
from app.core.identifiers import IdentifierIndex
from app.core.types import Framework, Level, LevelKey, Validity


def test_eleven_mandatory_and_five_optional_elements() -> None:
    assert sum(e.mandatory for e in STANDARD_ELEMENTS) == 11
    assert sum(not e.mandatory for e in STANDARD_ELEMENTS) == 5
    report = completeness(MicroCredential(SourceFormat.PLAIN))
    assert (report.mandatory_present, report.optional_present, report.complete) == (0, 0, False)
    assert all(e.status == "missing" and e.where == () for e in report.elements)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Communication, collaboration and creativity", WarningCode.OUTCOME_TOPIC_LIST),
        ("Developing digital content", WarningCode.OUTCOME_NO_VERB),
        ("Databases", WarningCode.OUTCOME_TOO_SHORT),
        ("SQL, Python", WarningCode.OUTCOME_TOO_SHORT),
        ("Project design and planning methods", WarningCode.OUTCOME_TOPIC_LIST),
        ("Design a relational database schema for a small business", None),
        ("Analyses the cost structure of a small enterprise", None),
        ("Learners critique published research designs in their field", None),
        ("The participant is able to explain the ECTS credit system", None),
        ("Will be able to configure a home network securely", None),
    ],
)
def test_outcome_heuristics(text: str, problem: WarningCode | None) -> None:
    assert outcome_problem(text, "en") is problem


def test_outcome_heuristics_in_other_languages_only_check_shape() -> None:
    assert (
        outcome_problem("Kommunikation, Zusammenarbeit, Kreativität", "de")
        is WarningCode.OUTCOME_TOPIC_LIST
    )
    assert outcome_problem("Entwickelt digitale Lerninhalte für einen Kurs", "de") is None


@pytest.mark.parametrize(
    ("value", "hours", "problem_part"),
    [
        ("PT60H", 60.0, None),
        ("PT1H30M", 1.5, None),
        ("P1DT2H", 26.0, None),
        ("P2W", 336.0, None),
        ("PT0.5H", 0.5, None),
        ("P2M", None, "calendar months"),
        ("P1Y", None, "years"),
        ("P", None, "not an ISO 8601"),
        ("PT", None, "not an ISO 8601"),
        ("60", None, "not an ISO 8601"),
    ],
)
def test_durations(value: str, hours: float | None, problem_part: str | None) -> None:
    result = duration_hours(value)
    assert result.hours == hours
    if problem_part:
        assert result.problem is not None and problem_part in result.problem


def test_eqf_identifiers() -> None:
    assert eqf_from_identifier("https://data.europa.eu/snb/eqf/8/") == 8
    assert eqf_from_identifier("EQF level 3") == 3
    assert eqf_from_identifier("http://data.europa.eu/snb/eqf/9") is None


def _index() -> IdentifierIndex:
    nfq = Framework(
        "IE-NFQ",
        "NFQ",
        "national",
        ("IE",),
        ("http://x/ie",),
        "1",
        Validity(),
        True,
        None,
        (),
        (Level("IE-NFQ", "8", "NFQ 8", ("http://x/ie/8",)),),
    )
    eqf = Framework(
        "EQF",
        "EQF",
        "eqf",
        (),
        (),
        "1",
        Validity(),
        True,
        None,
        (),
        tuple(
            Level("EQF", str(n), f"EQF {n}", (f"http://data.europa.eu/snb/eqf/{n}",))
            for n in range(1, 9)
        ),
    )
    return IdentifierIndex.build([nfq, eqf])


def test_resolve_levels_and_consistency() -> None:
    c = MicroCredential(
        SourceFormat.PLAIN,
        level=CredentialLevel(
            eqf_identifier="http://data.europa.eu/snb/eqf/7", nqf_identifier="IE:8"
        ),
        sources={"level.nqf": ("/level/nqf",)},
    )
    resolved, warnings = resolve_levels(c, _index(), lambda key: f"label of {key}")
    assert warnings == ()
    assert resolved.level.eqf == 7
    assert resolved.level.nqf == LevelKey("IE-NFQ", "8")
    assert resolved.level.nqf_label == "label of IE-NFQ:8"
    mismatch = eqf_consistency(resolved, [6])
    assert mismatch is not None and mismatch.code is WarningCode.EQF_NQF_MISMATCH
    assert eqf_consistency(resolved, [7]) is None


def test_unknown_nqf_is_kept_and_eqf_uri_as_nqf_gives_eqf() -> None:
    c = MicroCredential(
        SourceFormat.PLAIN,
        level=CredentialLevel(nqf_identifier="http://x/unknown", nqf_published_label="Level X"),
        sources={"level.nqf": ("/level/nqf",)},
    )
    resolved, warnings = resolve_levels(c, _index())
    assert resolved.level.nqf is None and resolved.level.nqf_identifier == "http://x/unknown"
    assert [(w.code, w.pointer) for w in warnings] == [
        (WarningCode.UNKNOWN_NQF_LEVEL, "/level/nqf")
    ]
    as_eqf = MicroCredential(
        SourceFormat.PLAIN, level=CredentialLevel(nqf_identifier="http://data.europa.eu/snb/eqf/5")
    )
    assert resolve_levels(as_eqf, _index())[0].level.eqf == 5


def test_warnings_from_the_credential_alone() -> None:
    c = MicroCredential(
        SourceFormat.PLAIN,
        workload_hours=30,
        learning_outcomes=(LearningOutcome("Apply the ECTS credit system to a course design"),),
    )
    assert [w.code for w in credential_warnings(c)] == [
        WarningCode.WORKLOAD_HOURS_ONLY,
        WarningCode.LEVEL_MISSING,
    ]
    with_credits = MicroCredential(
        SourceFormat.PLAIN, credits=Credits("ECTS", 1), level=CredentialLevel(eqf=4)
    )
    assert credential_warnings(with_credits) == ()
