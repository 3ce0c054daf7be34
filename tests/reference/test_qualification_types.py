"""Qualification types beyond Europass: the UK frameworks, alternative labels, the search."""

from __future__ import annotations

import pytest

from app.core.types import QualificationType
from app.services.registry import Registry


def first(registry: Registry, q: str, jurisdiction: str | None = None) -> QualificationType:
    hits = registry.search_qualification_types(q, jurisdiction=jurisdiction)
    assert hits, f"nothing found for {q!r}"
    return hits[0].qualification_type


@pytest.mark.parametrize(
    ("query", "framework", "code"),
    [
        ("NVQ level 3", "UK-RQF", "3"),
        ("HNC", "UK-RQF", "4"),
        ("HND", "UK-RQF", "5"),
        ("A levels", "UK-RQF", "3"),
        ("Foundation degree", "UK-RQF", "5"),
        ("PGCE", "UK-RQF", "7"),
        ("National 5", "UK-SCT-SCQF", "5"),
        ("SVQ level 3", "UK-SCT-SCQF", "6"),
    ],
)
def test_uk_types_are_found_at_their_level(
    registry: Registry, query: str, framework: str, code: str
) -> None:
    qt = first(registry, query)
    assert (qt.framework, qt.level_code) == (framework, code)
    assert qt.source is not None and qt.source.url


def test_doctorates_by_their_abbreviation(registry: Registry) -> None:
    hits = registry.search_qualification_types("PhD", jurisdiction="GB")
    assert hits and all(h.qualification_type.eqf_level == 8 for h in hits[:3])


def test_acca_does_not_match_baccalaureates(registry: Registry) -> None:
    hits = registry.search_qualification_types("ACCA")
    assert not any("accala" in h.qualification_type.name.casefold() for h in hits)
    # what the regulators place: ACCA's Foundation-Level qualifications (RQF 2-4)
    assert hits and all(h.qualification_type.name.startswith("ACCA") for h in hits)
    assert {h.qualification_type.level_code for h in hits} <= {"2", "3", "4"}


def test_gb_finds_uk_types(registry: Registry) -> None:
    for q in ("HNC", "NVQ level 3", "GCSE", "degree"):
        qt = first(registry, q, jurisdiction="GB")
        assert qt.jurisdiction.startswith("GB-"), q


def test_scottish_types_carry_their_cycle(registry: Registry) -> None:
    cycles = {
        (q.name, q.level_code)
        for q in registry.release.qualification_types
        if q.framework == "QF-EHEA" and q.jurisdiction == "GB-SCT"
    }
    assert ("Honours Degree", "first") in cycles
    assert ("Doctoral Degree", "third") in cycles
    assert not any(name.startswith("SVQ") for name, _ in cycles)


def test_every_uk_row_cites_a_source_with_an_address(registry: Registry) -> None:
    uk = [q for q in registry.release.qualification_types if q.jurisdiction.startswith("GB-")]
    assert len(uk) > 80
    assert all(q.source is not None and q.source.url for q in uk)


def test_the_irish_honours_bachelor_still_ranks_first_in_ireland(registry: Registry) -> None:
    qt = first(registry, "honours bachelor", jurisdiction="IE")
    assert (qt.name, qt.framework, qt.level_code) == ("Honours Bachelor Degree", "IE-NFQ", "8")
