"""A deliberately small language guesser: is this text English, and if not, which language?

It only has to decide which embedding model a learning outcome goes to (English → MiniLM, other →
the multilingual model), so it favours English when unsure: the English model is the fast one
and ESCO's labels are English. No dependency, no model, microseconds per text.

Heuristic, in order:

1. **Script.** If more than a fifth of the letters are not Latin (Cyrillic, Greek, ...), the text
   is not English (``bg``/``ru``/``uk``/``sr``/``mk`` are all reported as ``cyrl``, Greek as
   ``el``, anything else as ``und``).
2. **Function words.** Each language scores the number of its frequent function words in the
   text (articles, prepositions, conjunctions). Words that are also common English (``a``,
   ``in``, ``on``, ``to``, ``do``) are left out of the other lists; a few that occur in English
   labels too ("die head", "pour concrete", "iPhone OS") count half. A few suffixes that
   English words do not take (``-ung``, ``-ción``, ``-zione``, ``-ção``, ``-ność`` ...) add half a
   point.
3. **Diacritics.** Latin letters with diacritics (é, ü, ñ, ł, å ...) count for "not English" and
   for the languages whose alphabet has them.
4. Decision: the best-scoring language wins if it beats English and scores at least 1; a tie
   or a weak score (typically a short label
   with no function word and no diacritic, such as "Werkstoffkunde" or "materials science")
   goes to English.

Known blind spots: short non-English labels without function words or diacritics ("Backwaren")
are taken for English; English text quoting foreign names with accents stays English only if it
has English function words. Both errors are cheap: the text is still matched, only by the model
that knows that language less well.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["guess_language", "is_english"]

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of for with from by is are be will their this that these those which "
        "using use into its it can should at or how such as an students learners able "
        "including within through between about"
    ),
    "fr": _words(
        "le la les de des du et une un pour avec dans sur est être aux au qui que leur leurs "
        "ses ces cette afin selon entre ainsi également"
    ),
    "de": _words(
        "der die das und ist mit für von zu den dem des ein eine einer eines sie werden "
        "auf im zur zum sowie bei nach über können"
    ),
    "es": _words(
        "el los las y de del para una por que su sus al lo como en entre sobre según también "
        "mediante"
    ),
    "it": _words(
        "il gli di della delle dei degli nel nella alla alle che una uno dello sono essere "
        "anche tra sulla sulle"
    ),
    "pt": _words("os de das dos com uma em não ao aos pela pelo nas nos sua seu também entre"),
    "nl": _words("het een van voor met zijn wordt op te en bij naar ook aan worden deze"),
    "pl": _words("się oraz na jest że dla od przez jak lub które który"),
    "sv": _words("och att för med som av är till på det ett"),
    "da": _words("og til er det ikke af på med som"),
    "ro": _words("și de la cu pentru să este sau ale unei"),
}
# Function words that also occur in English text ("die head", "pour concrete", "iPhone OS",
# "van driver"): half a point each, so one of them alone does not move a text away from English.
_AMBIGUOUS = _words("de die os com av im pour lo den op te van son")
# The best non-English language must reach this score (e.g. one unambiguous function word).
_MIN_SCORE = 1.0
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "de": ("ung", "ungen", "keit", "heit", "schaft", "lich"),
    "es": ("ción", "ciones", "mente"),
    "fr": ("tion", "ement"),  # shared with English: only used to break ties among non-English
    "it": ("zione", "zioni", "mento"),
    "pt": ("ção", "ções"),
    "pl": ("ność", "ości", "anie", "enie"),
}
# Which languages use which letters with diacritics (a letter may point to several).
_DIACRITICS: dict[str, str] = {
    "fr": "éèêëàâçîïôûùœ",
    "de": "äöüß",
    "es": "ñáéíóúü",
    "it": "àèéìòù",
    "pt": "ãõáâêçéíóú",
    "pl": "ąćęłńóśźż",
    "sv": "åäö",
    "da": "æøå",
    "ro": "ăâîșşțţ",
    "nl": "ëï",
}
_SHARED_WITH_ENGLISH = {"fr"}


def _script(letter: str) -> str:
    name = unicodedata.name(letter, "")
    return name.split(" ", 1)[0]


def guess_language(text: str) -> str:
    """Best guess of the language: ``en``, ``fr``, ``de``, ``es``, ``it``, ``pt``, ``nl``, ``pl``,
    ``sv``, ``da``, ``ro``, ``el``, ``cyrl`` or ``und``.

    >>> guess_language("Manage a team of nurses in a hospital ward")
    'en'
    >>> guess_language("Gérer une équipe d'infirmiers dans un service hospitalier")
    'fr'
    >>> guess_language("Die Studierenden können Daten mit GPS erfassen")
    'de'
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    scripts: dict[str, int] = {}
    for c in letters:
        if not c.isascii():
            script = _script(c)
            scripts[script] = scripts.get(script, 0) + 1
    non_latin = sum(n for s, n in scripts.items() if s != "LATIN")
    if non_latin > len(letters) / 5:
        top = max((s for s in scripts if s != "LATIN"), key=lambda s: scripts[s])
        return {"CYRILLIC": "cyrl", "GREEK": "el"}.get(top, "und")

    lowered = unicodedata.normalize("NFC", text).casefold()
    words = _WORD.findall(lowered)
    scores = {
        lang: sum(0.5 if w in _AMBIGUOUS else 1.0 for w in words if w in vocab)
        for lang, vocab in _FUNCTION_WORDS.items()
    }
    for lang, suffixes in _SUFFIXES.items():
        if lang in _SHARED_WITH_ENGLISH:
            continue
        scores[lang] += 0.5 * sum(1 for w in words if len(w) > 5 and w.endswith(suffixes))
    accented = [c for c in lowered if c.isalpha() and not c.isascii()]
    if accented:
        for lang, alphabet in _DIACRITICS.items():
            scores[lang] += 0.5 * sum(1 for c in accented if c in alphabet)
        # English has (almost) no diacritics: each accented letter weighs against it.
        scores["en"] -= 0.5 * len(accented)
    english = scores.pop("en")
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] > english and scores[best] >= _MIN_SCORE:
        return best
    return "en"


def is_english(text: str) -> bool:
    """Whether ``text`` should go to the English model (ties and empty text count as English)."""
    return guess_language(text) == "en"
