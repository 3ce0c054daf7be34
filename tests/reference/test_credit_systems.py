"""The real credit-systems file: validates, and the published rules come out as stated."""

from __future__ import annotations

import pytest

from app.core.credits import RuleKind, convert
from app.reference.credit_systems import load_credit_systems
from tests.conftest import MAPPINGS_DIR

SYSTEMS = load_credit_systems(MAPPINGS_DIR / "credit_systems.yaml")


@pytest.mark.parametrize(
    ("value", "source", "target", "expected", "kind"),
    [
        (10, "uk-cats", "ects", (5, 5), RuleKind.RULE),  # QAA: two UK credits = one ECTS
        (20, "scqf", "ects", (10, 10), RuleKind.RULE),
        (20, "cqfw", "ects", (10, 10), RuleKind.RULE),
        (5, "ects", "hours", (125, 150), RuleKind.RULE),  # ECTS Users' Guide: 25–30 h
        (10, "rqf", "hours", (100, 100), RuleKind.RULE),  # TQT / 10
        (3, "us-semester", "ects", (4.5, 7.5), RuleKind.PRACTICE),
        (6, "us-quarter", "us-semester", (4, 4), RuleKind.DERIVED),
    ],
)
def test_published_rules(
    value: float, source: str, target: str, expected: tuple[float, float], kind: RuleKind
) -> None:
    c = convert(SYSTEMS, value, source, target)
    assert (round(c.result.minimum, 6), round(c.result.maximum, 6)) == expected
    assert c.kind is kind
    assert all(step.rule.sources for step in c.steps)


def test_every_pair_of_convertible_systems_converts() -> None:
    convertible = [s for s in SYSTEMS.systems if s not in ("ecvet", "aqf-volume")]
    for a in convertible:
        for b in convertible:
            assert convert(SYSTEMS, 10, a, b).result.minimum > 0


def test_practice_always_warns() -> None:
    for a in ("us-semester", "us-quarter"):
        c = convert(SYSTEMS, 3, a, "ects")
        assert c.kind is not RuleKind.PRACTICE or any("practice" in w for w in c.warnings)
