"""Find qualification types by name: token-aware, abbreviation-aware, with a floor.

One lookup serves ``GET /v1/qualification-types`` (a short query such as "NVQ level 3") and the
title signal of the level estimator (a longer title such as "HNC Electrical Engineering").
Character-level fuzzy scores (rapidfuzz ``WRatio``) ranked "ACCA" → "Baccalauréates" at 90
because one string occurs inside the other; here words are compared as words:

* names and alternative labels are split into tokens (case, accents, punctuation and a plural
  ``s`` ignored; "of", "in", "the", "and", "for" dropped);
* a query token matches a name token when equal, or, for words of five letters or more, when
  nearly equal (a typo); a short query token never matches part of a longer word;
* an abbreviation matches the initials of a name ("HNC" → Higher National Certificate) or an
  alternative label given in the data ("CertHE");
* level numbers must agree: "NVQ level 3" never matches "Level 2 NVQ";
* a candidate is kept only when the query's tokens are mostly found (``mode="query"``) or the
  name's tokens are mostly found in the text (``mode="contained"``, for titles), and the score
  is at least ``floor`` (65 by default).

>>> idx = NameIndex(["Level 3 NVQ", "Baccalauréates", "Higher National Certificate"],
...                 [("NVQ level 3",), (), ("HNC",)])
>>> [(i, round(s)) for i, s in idx.search("nvq level 3")]
[(0, 100)]
>>> idx.search("ACCA")
[]
>>> [i for i, _ in idx.search("HNC")]
[2]
>>> [i for i, _ in idx.search("HNC in Electrical Engineering", mode="contained")]
[2]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz import process as rf_process

_STOP = frozenset({"of", "in", "the", "and", "for", "with", "on", "at", "to", "de", "des", "du"})
_GENERIC = frozenset(
    {"higher", "advanced", "national", "foundation", "access", "intermediate", "general", "credit"}
)
_SPLIT = re.compile(r"[^0-9a-z+*]+")
# Level numbers written as Roman numerals ("NVQ III") or words ("NVQ Level Three").
_ROMAN = {
    "i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8",
}  # fmt: skip
Mode = Literal["query", "contained"]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_tokens(text: str) -> tuple[str, ...]:
    """Comparable tokens of a name.

    >>> name_tokens("Master's degrees in Nursing")
    ('master', 'degree', 'nursing')
    >>> name_tokens("GCSE grades 9-4")
    ('gcse', 'grade', '9', '4')
    """
    out = []
    for raw in _SPLIT.split(_fold(text).replace("'s", "").replace("’s", "")):
        if not raw or raw in _STOP:
            continue
        token = raw[:-1] if len(raw) > 3 and raw.endswith("s") and not raw.endswith("ss") else raw
        out.append(token)
    return tuple(out)


def _initials(tokens: Sequence[str]) -> str:
    return "".join(t[0] for t in tokens if t and not t.isdigit())


def _numbers(tokens: Sequence[str]) -> set[str]:
    return {t for t in tokens if t.isdigit()}


@dataclass(frozen=True, slots=True)
class _Entry:
    item: int  # index of the named thing (a qualification type)
    tokens: tuple[str, ...]
    initials: str
    # A one-word name that is not written as an abbreviation ("Management", "Higher") names
    # little on its own inside a longer title; alternative labels are curated and always count.
    weak_alone: bool = False


def _abbreviation_like(label: str) -> bool:
    letters = [c for c in label if c.isalpha()]
    return sum(c.isupper() for c in letters) >= 2


def _in_order(label: Sequence[str], query: Sequence[str]) -> bool:
    """Whether the label's tokens occur in the query in order, at most one word apart."""
    pos = -1
    for token in label:
        nxt = next((i for i in range(pos + 1, len(query)) if query[i] == token), None)
        if nxt is None or (pos >= 0 and nxt - pos > 2):
            return False
        pos = nxt
    return True


class NameIndex:
    """Names (and alternative labels) of items, searchable as described in the module doc."""

    def __init__(self, names: Sequence[str], alt_labels: Sequence[Sequence[str]] = ()) -> None:
        self.entries: list[_Entry] = []
        # Inverted indexes, so a search scores only entries sharing a token or the initials.
        self._by_token: dict[str, list[int]] = {}
        self._by_initials: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            labels = [name, *(alt_labels[i] if i < len(alt_labels) else ())]
            for n, label in enumerate(labels):
                toks = name_tokens(label)
                if not toks:
                    continue
                weak = n == 0 and len(toks) == 1 and not _abbreviation_like(label)
                entry = _Entry(i, toks, _initials(toks), weak)
                k = len(self.entries)
                self.entries.append(entry)
                for t in set(toks):
                    self._by_token.setdefault(t, []).append(k)
                if len(toks) > 1 and len(entry.initials) >= 2:
                    self._by_initials.setdefault(entry.initials, []).append(k)
        self._vocabulary = [t for t in self._by_token if len(t) >= 4 and t.isalpha()]

    def _candidates(self, query: Sequence[str]) -> set[int]:
        found: set[int] = set()
        for token in query:
            found.update(self._by_token.get(token, ()))
            found.update(self._by_token.get(_ROMAN.get(token, ""), ()))
            found.update(self._by_initials.get(token, ()))
            if len(token) >= 5 and token.isalpha():
                for word, _s, _i in rf_process.extract(
                    token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=88, limit=None
                ):
                    found.update(self._by_token[word])
        return found

    @staticmethod
    def _match(token: str, candidate: Sequence[str], initials: str) -> float:
        if token in candidate:
            return 1.0
        roman = _ROMAN.get(token)
        if roman is not None and roman in candidate:
            return 1.0
        if len(initials) >= 2 and len(candidate) > 1 and token == initials:
            return 1.0  # an abbreviation of the whole name: counts for every name token
        if len(token) >= 5 and token.isalpha():
            best = max((fuzz.ratio(token, c) for c in candidate if len(c) >= 4), default=0.0)
            if best >= 88:
                return 0.9
        return 0.0

    def score(self, query: Sequence[str], entry: _Entry, mode: Mode) -> float:
        """0–100; 0 when the numbers disagree or too little is shared."""
        cand = entry.tokens
        qn, cn = _numbers(query) | {_ROMAN[t] for t in query if t in _ROMAN}, _numbers(cand)
        if qn and cn and not (qn & cn):
            return 0.0
        matched_q = [self._match(t, cand, entry.initials) for t in query]
        # The query with level numbers written as digits ("III", "three" → "3").
        plain = [_ROMAN.get(t, t) for t in query]
        if len(entry.initials) >= 2 and len(cand) > 1 and entry.initials in query:
            # The query used the abbreviation: the whole name is covered.
            covered_c = 1.0
        else:
            covered_c = sum(1.0 for c in cand if c in plain) / len(cand)
        covered_q = sum(matched_q) / len(query)
        # A one-word name that is an everyday word ("Higher", Scotland's school qualification)
        # is not evidence when it only occurs inside a longer text.
        generic = len(cand) == 1 and cand[0] in _GENERIC and len(query) > 1
        if mode == "query":
            if covered_q >= 0.5:
                value = 0.65 * covered_q + 0.35 * covered_c
            elif covered_c == 1.0 and not generic:
                value = 0.55 + 0.3 * covered_q  # the whole label inside a longer query
            else:
                return 0.0
        else:
            if covered_c < 0.75 or generic or (entry.weak_alone and len(query) > 2):
                return 0.0
            # In a title the name reads as a phrase: "Educated to degree level in a …" does not
            # contain "A level".
            if covered_c == 1.0 and len(cand) > 1 and not _in_order(cand, plain):
                covered_c = 0.75
            value = 0.8 * covered_c + 0.2 * covered_q
        if cn and not qn and mode == "query":
            value *= 0.9  # "NVQ" alone is not "Level 3 NVQ"
        return round(100.0 * min(value, 1.0), 1)

    def search(
        self, text: str, *, mode: Mode = "query", floor: float = 65.0, limit: int | None = None
    ) -> list[tuple[int, float]]:
        """``(item, score)`` best first, one row per item (its best label), scores ≥ ``floor``."""
        query = name_tokens(text)
        if not query:
            return []
        best: dict[int, float] = {}
        for k in self._candidates(query):
            entry = self.entries[k]
            s = self.score(query, entry, mode)
            if s >= floor and s > best.get(entry.item, 0.0):
                best[entry.item] = s
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked[:limit] if limit is not None else ranked
