"""Segmentation and normalisation of learning-outcome text.

Outcomes arrive as written in module handbooks: one statement, or a lead-in stem followed by an
enumeration ("On successful completion, the learner can: 1. … 2. …"), bullets, lines or
semicolon-separated clauses. Matching works on single statements, so this module splits an input
into :class:`Segment` s, strips the stem ("By the end of this course students will be able to")
and list markers, and keeps, for display, the exact slice of the original text each statement
came from (``start``/``end`` offsets into the input).

Nothing is split on commas or "and": "analyse and evaluate survey data" is one outcome.

>>> s = segment("By the end of this course students will be able to: 1. use SQL; 2. design schemas")
>>> s.stem
'By the end of this course students will be able to:'
>>> [seg.text for seg in s.segments]
['use SQL', 'design schemas']
>>> segment("Explain the water cycle.").segments[0].text
'Explain the water cycle'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SUBJECT = (
    r"(?:the\s+|a\s+|each\s+|successful\s+)?"
    r"(?:students?|learners?|participants?|graduates?|candidates?|trainees?|pupils?|apprentices?"
    r"|holders?|you|they|one)"
)
_LEAD_CORE = (
    r"(?:by|at|upon|on|after|following|with)\s+(?:the\s+)?"
    r"(?:end|(?:successful\s+)?completion|completing|successfully\s+completing|finishing)\b"
    r"[^,:;\n]{0,80}?"
)
_LEAD = rf"(?:{_LEAD_CORE}[,:]?\s*)"
_MODAL = (
    r"(?:(?:will|should|shall|can|could|must|may)(?:\s+be\s+(?:able|expected|prepared)\s+to)?"
    r"|(?:is|are)\s+(?:able|expected|prepared|equipped)\s+to"
    r"|(?:has|have)\s+(?:the\s+)?(?:ability|capacity)\s+to)"
)
# A stem: optional "by the end of ..." clause, a subject, a modal ("will be able to"), then an
# optional colon/dash. Or the lead clause alone when it ends in a colon ("On completion:").
STEM_RE = re.compile(
    rf"^\s*(?:{_LEAD}?{_SUBJECT}\s+{_MODAL}\b\s*(?:\([^)]{{0,40}}\)\s*)?[:\-–—]?"
    rf"|{_LEAD_CORE}:\s*)",
    re.IGNORECASE,
)
_BULLET = r"[-*•‣▪▫◦●○■□–—·>]"
LINE_MARKER_RE = re.compile(
    rf"^\s*(?:{_BULLET}|\(?\d{{1,2}}[.)]|\(?[a-z][.)]|\(?[ivx]{{1,5}}[.)]|\(\w{{1,3}}\))\s+",
    re.IGNORECASE,
)
# Inline enumeration markers: "1." "2)" "(3)" "a)" "(b)" "iv)" preceded by start or whitespace.
INLINE_MARKER_RE = re.compile(
    r"(?:(?<=\s)|^)(?P<m>\(?(?P<n>\d{1,2}|[a-z]|[ivx]{1,5})[.)]|\((?P<p>\d{1,2}|[a-z]|[ivx]{1,5})\))\s+",
    re.IGNORECASE,
)
_EDGE_JUNK = " \t;,.:–—-*•"
_TRAILING_CONJ = re.compile(r"(?:[;,]\s*|\s+)(?:and|or|and/or)\s*$", re.IGNORECASE)
_LEADING_CONJ = re.compile(r"^(?:and|or|and/or)\s+", re.IGNORECASE)
_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}
_MIN_WORDS_SEMICOLON = 2  # "a; b" splits only when both sides look like statements


@dataclass(frozen=True, slots=True)
class Segment:
    """One statement: ``text`` is normalised for matching, ``original`` is as written."""

    text: str
    original: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SegmentedOutcome:
    """An input outcome, its stem (if any) and its statements in order."""

    original: str
    stem: str | None
    segments: tuple[Segment, ...]

    @property
    def is_split(self) -> bool:
        return len(self.segments) > 1

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.segments]


def normalise(text: str) -> str:
    """Unicode NFKC, one space between words, no stem, marker or edge punctuation.

    >>> normalise("  • The learner can   describe\\u00a0the  EU;  ")
    'describe the EU'
    """
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    text = LINE_MARKER_RE.sub("", text, count=1)
    m = STEM_RE.match(text)
    if m and m.end() < len(text):
        text = text[m.end() :]
    text = _TRAILING_CONJ.sub("", text.strip(_EDGE_JUNK))
    text = _LEADING_CONJ.sub("", text)
    return text.strip(_EDGE_JUNK)


def _ordinal(token: str) -> int | None:
    t = token.lower()
    if t.isdigit():
        return int(t)
    if t in _ROMAN:
        return _ROMAN[t]
    if len(t) == 1 and "a" <= t <= "z":
        return ord(t) - ord("a") + 1
    return None


def _enumeration_starts(text: str) -> list[tuple[int, int]]:
    """Spans ``(marker_start, content_start)`` of an inline enumeration, if ``text`` has one.

    Markers count only when they run 1, 2, 3… (or a, b, c… / i, ii, iii…) in order, so a stray
    "3)" or "e.g." does not split a sentence.
    """
    found = [
        (m.start("m"), m.end(), m.group("n") or m.group("p"))
        for m in INLINE_MARKER_RE.finditer(text)
    ]
    best: list[tuple[int, int]] = []
    for i, (_s, _e, tok) in enumerate(found):
        if _ordinal(tok) != 1:
            continue
        run = [found[i]]
        expected = 2
        for nxt in found[i + 1 :]:
            same_kind = nxt[2].isdigit() == tok.isdigit()
            if same_kind and _ordinal(nxt[2]) == expected:
                run.append(nxt)
                expected += 1
        if len(run) >= 2 and len(run) > len(best):
            best = [(s, e) for s, e, _t in run]
    return best


def _split_semicolons(text: str, base: int) -> list[tuple[int, int]]:
    parts: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(";", text):
        parts.append((start, m.start()))
        start = m.end()
    parts.append((start, len(text)))
    words = [len(text[a:b].split()) for a, b in parts]
    if len(parts) > 1 and all(w >= _MIN_WORDS_SEMICOLON for w in words if w):
        return [(base + a, base + b) for a, b in parts if text[a:b].strip()]
    return [(base, base + len(text))]


def _split_line(line: str, base: int) -> list[tuple[int, int]]:
    enum = _enumeration_starts(line)
    if not enum:
        marker = LINE_MARKER_RE.match(line)
        offset = marker.end() if marker else 0
        return _split_semicolons(line[offset:], base + offset)
    spans: list[tuple[int, int]] = []
    lead = line[: enum[0][0]]
    if lead.strip():
        spans.append((base, base + enum[0][0]))  # a lead-in before "1." (often the stem)
    for i, (_ms, cs) in enumerate(enum):
        end = enum[i + 1][0] if i + 1 < len(enum) else len(line)
        spans.extend(_split_semicolons(line[cs:end], base + cs))
    return spans


def segment(text: str) -> SegmentedOutcome:
    """Split one input outcome into statements (see the module docstring)."""
    stem: str | None = None
    body_start = 0
    m = STEM_RE.match(text)
    if m and text[m.end() :].strip():
        stem = text[m.start() : m.end()].strip()
        body_start = m.end()

    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n\r]+", text[body_start:]):
        base = body_start + line.start()
        spans.extend(_split_line(line.group(0), base))

    segments: list[Segment] = []
    lead_ins: list[str] = []
    for a, b in spans:
        raw = text[a:b]
        original = raw.strip()
        if not original:
            continue
        a += len(raw) - len(raw.lstrip())  # offsets of the stripped statement
        b = a + len(original)
        # A lead-in line ending in ":" ("Learning outcomes:", "Students will:") is not a statement
        # when statements follow it.
        if original.endswith(":") and b < spans[-1][1]:
            lead_ins.append(original)
            continue
        norm = normalise(original)
        if norm:
            segments.append(Segment(norm, original, a, b))
    if stem is None and lead_ins:
        stem = lead_ins[0]
    if not segments:
        whole = normalise(text) or " ".join(text.split())
        segments.append(Segment(whole, text.strip(), 0, len(text)))
    return SegmentedOutcome(original=text, stem=stem, segments=tuple(segments))
