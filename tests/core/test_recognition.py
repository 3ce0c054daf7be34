"""Recognition reasoning on hand-made facts: each outcome, and each element's substantial test."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.credits import Range
from app.core.recognition import (
    Element,
    Outcome,
    Purpose,
    PurposePolicy,
    RecognitionPolicy,
    recommend,
)
from app.core.transfer.types import (
    Candidate,
    CandidateFacts,
    CandidateMatch,
    ModuleMatch,
    OutcomeMatch,
    Target,
    TargetModule,
)

_CT = PurposePolicy(1, 0.8, 0.5, 0.7, 0.4, True)
POLICY = RecognitionPolicy(
    version="test",
    purposes={
        Purpose.CREDIT_TRANSFER: _CT,
        Purpose.ADMISSION: PurposePolicy(2, 0.0, 0.0, 0.5, 0.25, True),
        Purpose.EMPLOYMENT: PurposePolicy(2, 0.0, 0.0, 0.5, 0.25, False),
        Purpose.FURTHER_STUDY: PurposePolicy(1, 0.5, 0.25, 0.6, 0.35, True),
    },
)


def credential(
    *,
    eqf: int | None = 6,
    ects: float | None = 5,
    qa: tuple[str, ...] = ("Accredited by X",),
    outcomes: tuple[str, ...] = ("o1", "o2", "o3"),
    country: str | None = "IE",
) -> Candidate:
    return Candidate(
        "cred",
        "Data analysis with Python",
        outcomes,
        Range(ects, ects) if ects is not None else None,
        eqf,
        facts=CandidateFacts(
            issued_on=dt.date(2024, 6, 1),
            credits_as_read=(ects, "ECTS") if ects is not None else None,
            quality_assurance=qa,
            issuer_country=country,
        ),
    )


def module(code: str, *, ects: float = 5, eqf: int | None = 6, n: int = 4) -> TargetModule:
    return TargetModule(
        code, f"Module {code}", tuple(f"{code}-o{i}" for i in range(n)), Range(ects, ects), eqf
    )


def aligned(code: str, coverage: float, n: int = 4) -> ModuleMatch:
    covered = round(coverage * n)
    return ModuleMatch(
        code,
        n,
        tuple(OutcomeMatch(i, 0, 0.8, None, 0.8) for i in range(covered)),
        tuple(range(covered)),
    )


def matched(*modules: ModuleMatch) -> CandidateMatch:
    return CandidateMatch("cred", modules)


def target(*modules: TargetModule, eqf: int = 6, electives: float | None = None) -> Target:
    return Target(
        "IE-NFQ",
        "prog-1",
        "BSc Computing",
        eqf,
        None,
        modules,
        Range(electives, electives) if electives is not None else None,
    )


CT = Purpose.CREDIT_TRANSFER


class TestOutcomes:
    def test_full_when_a_module_is_covered_and_credits_match(self) -> None:
        rec = recommend(
            credential(), target(module("M1")), matched(aligned("M1", 0.9)), POLICY, purpose=CT
        )
        assert rec.outcome is Outcome.FULL
        assert rec.recognised_credits_ects == Range(5, 5)
        assert all(f.substantial is not True for f in rec.findings)

    def test_partial_when_only_part_of_the_credits_is_used(self) -> None:
        rec = recommend(
            credential(ects=10),
            target(module("M1", ects=5), module("M2", ects=5)),
            matched(aligned("M1", 0.9), aligned("M2", 0.1)),
            POLICY,
            purpose=CT,
        )
        assert rec.outcome is Outcome.PARTIAL
        assert [m.code for m in rec.modules if m.decision == "replace"] == ["M1"]
        assert "M1" in rec.justification

    def test_conditional_names_the_uncovered_outcomes(self) -> None:
        rec = recommend(
            credential(), target(module("M1")), matched(aligned("M1", 0.5)), POLICY, purpose=CT
        )
        assert rec.outcome is Outcome.CONDITIONAL
        assert any("M1-o2" in c for c in rec.conditions)

    def test_conditional_when_quality_assurance_is_missing(self) -> None:
        rec = recommend(
            credential(qa=()), target(module("M1")), matched(aligned("M1", 0.9)), POLICY, purpose=CT
        )
        assert rec.outcome is Outcome.CONDITIONAL
        assert rec.finding(Element.QUALITY).substantial is True
        assert any("quality assurance" in c for c in rec.conditions)

    def test_conditional_bridging_credits_when_workload_is_short(self) -> None:
        rec = recommend(
            credential(ects=3),
            target(module("M1", ects=5)),
            matched(aligned("M1", 0.9)),
            POLICY,
            purpose=CT,
        )
        assert rec.outcome is Outcome.CONDITIONAL
        assert any("2 additional ECTS" in c for c in rec.conditions)

    def test_alternative_elective_credits_when_no_module_matches(self) -> None:
        rec = recommend(
            credential(),
            target(module("M1"), electives=10),
            matched(aligned("M1", 0.1)),
            POLICY,
            purpose=CT,
        )
        assert rec.outcome is Outcome.ALTERNATIVE
        assert rec.alternative is not None and "elective credits" in rec.alternative
        assert rec.finding(Element.LEARNING_OUTCOMES).substantial is True

    def test_alternative_own_level_when_the_level_is_substantially_lower(self) -> None:
        rec = recommend(
            credential(eqf=4),
            target(module("M1", eqf=6), eqf=6),
            matched(aligned("M1", 0.9)),
            POLICY,
            purpose=CT,
        )
        assert rec.outcome is Outcome.ALTERNATIVE
        assert rec.finding(Element.LEVEL).substantial is True
        assert "EQF level 4" in (rec.alternative or "")

    def test_refusal_only_when_nothing_else_applies(self) -> None:
        rec = recommend(
            credential(eqf=None, ects=None),
            target(module("M1")),
            matched(aligned("M1", 0.0)),
            POLICY,
            purpose=CT,
        )
        assert rec.outcome is Outcome.REFUSAL
        assert rec.finding(Element.LEARNING_OUTCOMES).substantial is True


class TestSubstantialPerPurpose:
    def test_one_level_below_is_substantial_for_credit_transfer_not_for_admission(self) -> None:
        t = target(module("M1"), eqf=7)
        ct = recommend(credential(eqf=6), t, matched(aligned("M1", 0.9)), POLICY, purpose=CT)
        adm = recommend(
            credential(eqf=6), t, matched(aligned("M1", 0.9)), POLICY, purpose=Purpose.ADMISSION
        )
        assert ct.finding(Element.LEVEL).substantial is True
        assert adm.finding(Element.LEVEL).substantial is False
        assert adm.outcome is Outcome.FULL

    def test_missing_quality_assurance_is_stated_but_not_a_condition_for_employment(self) -> None:
        rec = recommend(credential(qa=()), target(), None, POLICY, purpose=Purpose.EMPLOYMENT)
        quality = rec.finding(Element.QUALITY)
        assert quality.substantial is False
        assert "no quality-assurance information" in quality.finding
        assert rec.outcome is Outcome.FULL

    def test_workload_far_below_a_module_is_substantial(self) -> None:
        rec = recommend(
            credential(ects=1),
            target(module("M1", ects=10)),
            matched(aligned("M1", 0.9)),
            POLICY,
            purpose=CT,
        )
        assert rec.modules[0].decision == "not_replaced"
        assert rec.outcome is not Outcome.FULL

    def test_a_module_far_above_the_credential_level_is_not_replaced(self) -> None:
        rec = recommend(
            credential(eqf=5),
            target(module("M1", eqf=7), eqf=5),
            matched(aligned("M1", 0.95)),
            POLICY,
            purpose=CT,
        )
        assert rec.modules[0].decision == "not_replaced"


@pytest.mark.parametrize("purpose", list(Purpose))
def test_every_finding_has_a_reason_and_the_letter_cites_the_policy(purpose: Purpose) -> None:
    rec = recommend(
        credential(), target(module("M1")), matched(aligned("M1", 0.8)), POLICY, purpose=purpose
    )
    assert {f.element for f in rec.findings} == set(Element)
    assert all(f.reason for f in rec.findings)
    assert "policy test" in rec.justification
    assert 0 < rec.confidence <= 1
