"""Which language is a statement in? Enough to pick its embedding model (English or multilingual).

Detection uses **py3langid** (BSD-3-Clause, a maintained fork of Marco Lui's langid.py: a naive
Bayes model over byte n-grams trained on 97 languages, shipped inside the wheel, no network),
restricted to the EU's 24 official languages and a few neighbours (Norwegian, Icelandic,
Albanian, Serbian, Macedonian, Turkish, Ukrainian, Russian). Catalan, Galician and Basque are
left out on purpose: on short Spanish skill labels ("instalar bombas de calor") the full model
answers Galician, which would be a wrong name in a warning (the routing would be right anyway).

Decision, per statement:

1. no letters at all → ``en`` (nothing to route);
2. py3langid's top language, unless English keeps at least ``english_floor`` (0.1) of the
   normalised probability: short English labels ("revise questionnaires", "tai chi", "algebra")
   often rank another language first by a small margin, while French and Spanish labels leave
   English under 0.05;
3. optionally, a text whose every word is in ``english_words`` stays English whatever the model
   says. The outcome engine passes the vocabulary of ESCO's English *descriptions*, so a short
   label built from English words ("Kali Linux", "manoeuvre bus") stays on the English model.

Measured (``benchmarks/multilingual.py``; probe set ``tests/data/language_probe.tsv`` of 43
real texts in 8 languages, with sources): 0 texts sent to the wrong model (py3langid alone: 6,
all short English labels; the former hand-written heuristic: 9 here, 11 of 27 on the issue's own
probe set). With a vocabulary built from ESCO's English *descriptions* only, 111 of its 13,896
English preferred labels (0.8 %) would go to the multilingual model (which handles English too,
only slower); all 60 French and Spanish ESCO labels of the check went to the multilingual model.
py3langid takes 0.1–0.3 ms a text; a text made of catalogue words is answered in microseconds.
Errors in both directions are cheap: the statement is still matched, by the model that knows its
language less well, and responses name the language that was detected.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LANGUAGES",
    "Detection",
    "LanguageDetector",
    "english_vocabulary",
    "guess_language",
    "is_english",
]

# The EU's 24 official languages, then neighbours whose text reaches European institutions.
EU_LANGUAGES: tuple[str, ...] = tuple(
    "bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv".split()  # noqa: SIM905
)
LANGUAGES: tuple[str, ...] = (*EU_LANGUAGES, "is", "no", "sq", "sr", "mk", "tr", "uk", "ru")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# English must keep this share of py3langid's normalised probability to win when another
# language ranks first (see the module docstring for the measurement behind 0.1).
ENGLISH_FLOOR = 0.1

_identifier_lock = threading.Lock()
_identifier: Any = None


def _shared_identifier() -> Any:
    """One py3langid model per process (about 0.3 s and 20 MB to load), restricted once."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import (  # type: ignore[import-untyped]
                    MODEL_FILE,
                    LanguageIdentifier,
                )

                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                ident.set_languages(list(LANGUAGES))
                _identifier = ident
    return _identifier


@dataclass(frozen=True, slots=True)
class Detection:
    """The language of one text, with py3langid's view of it."""

    language: str  # ISO 639-1 code; "en" when routed to the English model
    probability: float  # normalised probability of ``language`` (1.0 for the rules' answers)
    english_probability: float  # py3langid's probability of English
    rule: str  # "model", "english-floor", "english-words" or "empty"


class LanguageDetector:
    """Per-statement language detection (thread-safe; the model is shared and read-only)."""

    def __init__(
        self, english_words: Iterable[str] = (), *, english_floor: float = ENGLISH_FLOOR
    ) -> None:
        self._english_words = frozenset(w.casefold() for w in english_words)
        self._floor = english_floor

    def detect(self, text: str) -> Detection:
        words = _WORD.findall(text)
        if not words:
            return Detection("en", 1.0, 1.0, "empty")
        # The three rules only ever add to English, so the cheap one goes first: most English
        # outcomes are made of catalogue words and never reach the model (0.1–0.3 ms a text).
        if self._english_words and all(w.casefold() in self._english_words for w in words):
            return Detection("en", 1.0, 1.0, "english-words")
        ranked = _shared_identifier().rank(text)
        top, top_p = ranked[0]
        english = next((float(p) for lang, p in ranked if lang == "en"), 0.0)
        if top == "en":
            return Detection("en", english, english, "model")
        if english >= self._floor:
            return Detection("en", english, english, "english-floor")
        return Detection(str(top), float(top_p), english, "model")

    def language(self, text: str) -> str:
        return self.detect(text).language

    def is_english(self, text: str) -> bool:
        return self.language(text) == "en"


def english_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The casefolded words of ``texts`` (e.g. ESCO's English labels and descriptions)."""
    return frozenset(w.casefold() for text in texts for w in _WORD.findall(text))


_default = LanguageDetector()


def guess_language(text: str) -> str:
    """The language of ``text`` (ISO 639-1), ``en`` when unsure or empty.

    >>> guess_language("Manage a team of nurses in a hospital ward")
    'en'
    >>> guess_language("Gérer une équipe d'infirmiers dans un service hospitalier")
    'fr'
    >>> guess_language("Die Studierenden können Daten mit GPS erfassen")
    'de'
    """
    return _default.language(text)


def is_english(text: str) -> bool:
    """Whether ``text`` should go to the English model (empty text counts as English)."""
    return _default.is_english(text)
