"""NameIndex: words, abbreviations, level numbers and a floor (no real data)."""

from __future__ import annotations

import pytest

from app.core.qualification_search import NameIndex, name_tokens

NAMES = [
    "Level 3 NVQ",
    "Level 2 NVQ",
    "Baccalauréates",
    "Higher National Certificate",
    "Higher",
    "Master's degree",
    "Certificate of Higher Education",
]
ALT = [
    ("NVQ level 3",),
    ("NVQ level 2",),
    (),
    ("HNC",),
    ("Highers",),
    ("MSc", "Masters"),
    ("CertHE",),
]
IDX = NameIndex(NAMES, ALT)


def top(query: str, **kw: object) -> list[str]:
    return [NAMES[i] for i, _ in IDX.search(query, **kw)]  # type: ignore[arg-type]


def test_tokens_ignore_case_accents_plurals_and_possessives() -> None:
    assert name_tokens("Baccalauréates") == ("baccalaureate",)
    assert name_tokens("MASTERS degrees") == name_tokens("master's degree")


def test_level_numbers_must_agree() -> None:
    assert top("NVQ level 3") == ["Level 3 NVQ"]
    assert top("nvq 2") == ["Level 2 NVQ"]


def test_a_short_query_never_matches_inside_a_longer_word() -> None:
    assert top("ACCA") == []
    assert top("bac") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("HNC", "Higher National Certificate"), ("CertHE", "Certificate of Higher Education")],
)
def test_abbreviations(query: str, expected: str) -> None:
    assert top(query)[0] == expected


def test_a_typo_in_a_long_word_still_matches() -> None:
    assert top("Masterz degree")[0] == "Master's degree"


def test_titles_find_the_type_they_contain() -> None:
    assert top("HNC in Electrical Engineering", mode="contained") == ["Higher National Certificate"]
    assert top("MSc Computer Science", mode="contained") == ["Master's degree"]


def test_an_everyday_one_word_name_is_no_evidence_inside_a_longer_title() -> None:
    # "Higher" is a Scottish qualification, and also the first word of many others.
    assert "Higher" not in top("Higher education teaching", mode="contained")
    assert top("Highers")[0] == "Higher"


def test_floor() -> None:
    assert all(score >= 65 for _, score in IDX.search("certificate"))
    assert IDX.search("certificate", floor=101) == []
