"""Per-statement language detection (py3langid) on a probe set of real texts."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pytest

from app.adapters.embeddings.language import (
    LanguageDetector,
    english_vocabulary,
    guess_language,
)
from app.reference.esco import cached_esco
from tests.conftest import MAPPINGS_DIR

PROBE = Path(__file__).resolve().parents[2] / "data" / "language_probe.tsv"


def _probe() -> list[dict[str, str]]:
    lines = [line for line in PROBE.read_text("utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@lru_cache(maxsize=1)
def _esco_detector() -> LanguageDetector:
    taxonomy = cached_esco(MAPPINGS_DIR / "esco")
    texts = [t for c in taxonomy.concepts for t in (c.label, c.description, *c.alt_labels)]
    return LanguageDetector(english_vocabulary(texts))


def test_probe_set_is_routed_without_error() -> None:
    rows = _probe()
    assert len(rows) >= 40
    assert len({r["language"] for r in rows}) >= 8
    detector = _esco_detector()
    misrouted = [
        r["text"] for r in rows if detector.is_english(r["text"]) != (r["language"] == "en")
    ]
    assert misrouted == []


def test_probe_languages_are_named() -> None:
    detector = _esco_detector()
    rows = [r for r in _probe() if r["language"] != "en"]
    named = sum(detector.language(r["text"]) == r["language"] for r in rows)
    # Short Spanish labels ("instalar bombas de calor") can read as Portuguese; the routing
    # (multilingual model) is right either way.
    assert named >= len(rows) - 3


def test_without_vocabulary_short_english_labels_can_leave_english() -> None:
    # The vocabulary rule is what keeps these on the English model (see the module docstring).
    plain = LanguageDetector()
    assert plain.language("revise questionnaires") != "en"
    assert _esco_detector().language("revise questionnaires") == "en"
    detection = _esco_detector().detect("revise questionnaires")
    assert detection.rule == "english-words"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("By the end of the course students will be able to analyse data", "en"),
        ("", "en"),
        ("1. 2. 3.", "en"),
        ("Les étudiants seront capables d'analyser des données", "fr"),
        ("Die Studierenden können Daten mit GPS erfassen und auswerten", "de"),
        ("Los estudiantes serán capaces de diseñar un plan de negocio", "es"),
        ("Studenci potrafią analizować dane oraz przygotować raport", "pl"),
        ("Студенты умеют анализировать данные", "ru"),
        ("Οι φοιτητές μπορούν να αναλύουν δεδομένα", "el"),
    ],
)
def test_guess_language(text: str, language: str) -> None:
    assert guess_language(text) == language


def test_detection_reports_the_rule() -> None:
    detector = LanguageDetector(["manage", "a", "team"])
    assert detector.detect("manage a team").rule == "english-words"
    assert detector.detect("").rule == "empty"
    french = detector.detect("gérer une équipe de projet")
    assert (french.language, french.rule) == ("fr", "model")
    assert french.english_probability < 0.1 <= french.probability
