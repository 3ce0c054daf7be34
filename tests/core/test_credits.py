"""Credit conversion on a toy rule set (the real file is checked in tests/reference)."""

from __future__ import annotations

import pytest

from app.core.credits import (
    ConversionRule,
    CreditSystem,
    CreditSystems,
    Range,
    RuleKind,
    convert,
    normalise_system,
)
from app.core.errors import InvalidInput, UnknownCreditSystem
from app.core.types import Source

S = (Source("toy", "Toy source"),)


def _system(sid: str, status: str = "in force") -> CreditSystem:
    return CreditSystem(sid, sid.upper(), "credit", "toy", status, "high", S)


def _rule(a: str, b: str, lo: float, hi: float, kind: RuleKind = RuleKind.RULE) -> ConversionRule:
    return ConversionRule(a, b, Range(lo, hi), kind, S, f"{a}->{b}")


SYSTEMS = CreditSystems(
    version="toy",
    systems={
        s: _system(s) for s in ("ects", "uk-cats", "scqf", "hours", "us-semester", "us-quarter")
    }
    | {"ecvet": _system("ecvet", "repealed (2020)")},
    rules=(
        _rule("uk-cats", "ects", 0.5, 0.5),
        _rule("scqf", "ects", 0.5, 0.5),
        _rule("ects", "hours", 25, 30),
        _rule("uk-cats", "hours", 10, 10),
        _rule("us-semester", "us-quarter", 1.5, 1.5, RuleKind.DERIVED),
        _rule("us-semester", "ects", 1.5, 2.5, RuleKind.PRACTICE),
        _rule("us-semester", "hours", 45, 45, RuleKind.DERIVED),
    ),
)


def test_a_stated_rule_is_exact() -> None:
    c = convert(SYSTEMS, 10, "uk-cats", "ects")
    assert (c.result.minimum, c.result.maximum) == (5, 5)
    assert c.kind is RuleKind.RULE
    assert [(s.rule.source, s.rule.target) for s in c.steps] == [("uk-cats", "ects")]


def test_hours_are_a_range() -> None:
    c = convert(SYSTEMS, 5, "ects", "hours")
    assert (c.result.minimum, c.result.maximum) == (125, 150)


def test_reverse_direction_inverts_the_range() -> None:
    c = convert(SYSTEMS, 150, "hours", "ects")
    assert c.result.minimum == pytest.approx(5)
    assert c.result.maximum == pytest.approx(6)
    assert c.steps[0].rule.reversed


def test_two_step_rule_path() -> None:
    c = convert(SYSTEMS, 20, "scqf", "uk-cats")
    assert (c.result.minimum, c.result.maximum) == (20, 20)
    assert [s.rule.target for s in c.steps] == ["ects", "uk-cats"]


def test_practice_is_a_range_with_a_warning() -> None:
    c = convert(SYSTEMS, 3, "us-semester", "ects")
    assert (c.result.minimum, c.result.maximum) == (4.5, 7.5)
    assert c.kind is RuleKind.PRACTICE
    assert any("institutional practice" in w for w in c.warnings)


def test_a_path_through_hours_is_the_last_resort_but_shown() -> None:
    c = convert(SYSTEMS, 3, "us-semester", "ects")
    assert all(s.rule.target != "hours" for s in c.steps)
    assert any("via us-semester → hours → ects" in w for w in c.warnings)


def test_disagreeing_conventions_are_reported() -> None:
    c = convert(SYSTEMS, 10, "uk-cats", "hours")
    assert (c.result.minimum, c.result.maximum) == (100, 100)
    assert any("125–150" in w for w in c.warnings)


def test_quarter_to_semester_is_two_thirds() -> None:
    c = convert(SYSTEMS, 6, "us-quarter", "us-semester")
    assert c.result.minimum == pytest.approx(4)


def test_aliases_and_identity() -> None:
    assert normalise_system("UK credits") == "uk-cats"
    c = convert(SYSTEMS, 7, "ECTS", "ects")
    assert (c.result.minimum, c.steps) == (7, ())


def test_unknown_system_names_the_field() -> None:
    with pytest.raises(UnknownCreditSystem) as info:
        convert(SYSTEMS, 1, "ects", "parsecs")
    assert info.value.field == "/to"


def test_a_system_without_rules_says_so() -> None:
    with pytest.raises(InvalidInput) as info:
        convert(SYSTEMS, 60, "ecvet", "ects")
    assert info.value.field == "/from"


def test_negative_values_are_refused() -> None:
    with pytest.raises(InvalidInput):
        convert(SYSTEMS, -1, "ects", "hours")


def test_catalogue_and_conversion_read_credit_systems_alike() -> None:
    # One alias table: every name a catalogue accepts means the same system to conversion.
    from app.core.catalogue import CREDIT_SYSTEMS, normalise_credit_system
    from app.core.credits import _ALIASES

    names = [*CREDIT_SYSTEMS, *_ALIASES, "ECTS credits", "Hours", "SCQF credit points"]
    for name in names:
        canonical = normalise_credit_system(name)
        assert canonical is not None, name
        assert normalise_system(name) == canonical, name
    assert normalise_credit_system("Australian credit points") is None
