"""Frozen value types of the domain core.

These are the nouns every other layer speaks: frameworks, their levels, the edges that relate
levels (EQF referencing, crosswalks), and the results of a comparison. They carry no behaviour
beyond small derived properties, and no dependency on any web, database or model library.

Assumptions: level codes are the framework's own strings (``"7.1"``, ``"Entry 3"``, ``"A"``) and
are compared case-insensitively through :func:`normalise_code`; dates are ``datetime.date``;
a missing ``valid_from``/``valid_to`` means "open" on that side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

EQF_ID = "EQF"


class MatchType(StrEnum):
    """SKOS mapping relations, read from the *source* level towards the target.

    ``broad`` means the target is broader than the source (``skos:broadMatch``): Ireland's
    NFQ 8 → EQF 6 is ``broad`` because EQF 6 also holds NFQ 7.
    """

    EXACT = "exact"
    CLOSE = "close"
    BROAD = "broad"
    NARROW = "narrow"
    RELATED = "related"

    def inverse(self) -> MatchType:
        """The same relation read from the target towards the source."""
        if self is MatchType.BROAD:
            return MatchType.NARROW
        if self is MatchType.NARROW:
            return MatchType.BROAD
        return self


class ConfidenceClass(StrEnum):
    """How well a level edge is supported by its sources (see ``mappings/confidence.yaml``)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class EdgeKind(StrEnum):
    """Why two levels are related."""

    EQF_REFERENCING = "eqf_referencing"  # an NQF level referenced to an EQF level
    CROSSWALK = "crosswalk"  # a published direct comparison between two frameworks
    SUCCESSION = "succession"  # an older level replaced by a newer one in the same framework
    QF_EHEA_PLACEMENT = "qf_ehea_placement"  # a level the referencing places in a QF-EHEA cycle


class NotComparableReason(StrEnum):
    """Why a comparison returned no match. Never replaced by a guess."""

    NOT_REFERENCED = "not_referenced"
    NO_COMPARABLE_LEVEL = "no_comparable_level"
    NOT_VALID_AT_DATE = "not_valid_at_date"
    UNKNOWN_LEVEL = "unknown_level"  # the level is in no framework of the data release
    # a QF-EHEA cycle asked of a level the data do not place in higher education (or back)
    NOT_PLACED_IN_HIGHER_EDUCATION = "not_placed_in_higher_education"


class ComparisonFrame(StrEnum):
    """The most specific frame with an official basis in which two levels were compared.

    ``framework``: the same framework's own level order; ``crosswalk``: a published direct
    comparison between the two frameworks (e.g. the UK–Ireland leaflet); ``eqf``: through both
    frameworks' EQF referencing, which is coarser than either national framework.
    """

    FRAMEWORK = "framework"
    CROSSWALK = "crosswalk"
    EQF = "eqf"


class LevelOrder(StrEnum):
    """Where a held level stands relative to a required one."""

    ABOVE = "above"
    SAME = "same"
    BELOW = "below"
    CANNOT_TELL = "cannot_tell"


def normalise_code(code: str) -> str:
    """Canonical form of a level code for case- and space-insensitive matching.

    >>> normalise_code("  Entry 3 ")
    'entry 3'
    >>> normalise_code("7.1") == normalise_code("7.1")
    True
    """
    return " ".join(code.split()).casefold()


@dataclass(frozen=True, slots=True)
class Validity:
    """A half-open interval ``[valid_from, valid_to)``; ``None`` is unbounded on that side."""

    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def contains(self, day: dt.date | None) -> bool:
        """Whether ``day`` lies in the interval (``None`` means "today's view": always true
        for an interval that is still open, and for closed ones too, since history is kept).

        >>> Validity(dt.date(2019, 1, 1)).contains(dt.date(2018, 12, 31))
        False
        >>> Validity(None, dt.date(2019, 1, 1)).contains(dt.date(2018, 12, 31))
        True
        """
        if day is None:
            return True
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day >= self.valid_to)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None or self.valid_to > dt.date.today()


@dataclass(frozen=True, slots=True)
class Source:
    """A citable source of a fact in the reference data."""

    id: str
    title: str
    url: str | None = None
    retrieved: dt.date | None = None
    licence: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class LevelKey:
    """The identity of a level: its framework id and its code as the framework writes it."""

    framework: str
    code: str

    def __str__(self) -> str:
        return f"{self.framework}:{self.code}"


@dataclass(frozen=True, slots=True)
class Descriptors:
    knowledge: str | None = None
    skills: str | None = None
    responsibility_autonomy: str | None = None


@dataclass(frozen=True, slots=True)
class CreditRange:
    system: str
    minimum: float | None = None
    maximum: float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class LevelEdge:
    """A directed relation from one level to another, with its provenance.

    The edge reads from ``source`` to ``target``: ``match_type`` is what the target is relative
    to the source. ``confidence`` is the numeric value (0–1) of ``confidence_class``.
    """

    source: LevelKey
    target: LevelKey
    kind: EdgeKind
    match_type: MatchType
    confidence_class: ConfidenceClass
    confidence: float
    sources: tuple[Source, ...]
    basis: str | None = None
    validity: Validity = field(default_factory=Validity)

    def reversed(self) -> LevelEdge:
        return LevelEdge(
            source=self.target,
            target=self.source,
            kind=self.kind,
            match_type=self.match_type.inverse(),
            confidence_class=self.confidence_class,
            confidence=self.confidence,
            sources=self.sources,
            basis=self.basis,
            validity=self.validity,
        )


@dataclass(frozen=True, slots=True)
class QualificationType:
    """A national qualification type (or a Europass example of one) placed at a level."""

    name: str
    jurisdiction: str
    framework: str | None
    level_code: str | None
    eqf_level: int | None
    source: Source | None = None
    is_example: bool = False
    alt_labels: tuple[str, ...] = ()  # abbreviations, common spellings, other-language names


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a framework."""

    framework: str
    code: str
    label: str
    uris: tuple[str, ...] = ()
    rank: int = 0  # position from the lowest level, for ordering only
    validity: Validity = field(default_factory=Validity)
    descriptors: Descriptors | None = None
    qualification_types: tuple[str, ...] = ()
    credit_range: CreditRange | None = None
    not_referenced_note: str | None = None

    @property
    def key(self) -> LevelKey:
        return LevelKey(self.framework, self.code)


@dataclass(frozen=True, slots=True)
class Framework:
    """A qualifications framework: the EQF, a national or regional framework, or QF-EHEA."""

    id: str
    title: str
    kind: str  # "eqf", "meta" (QF-EHEA), "national", "regional"
    jurisdictions: tuple[str, ...]
    uris: tuple[str, ...]
    version: str
    validity: Validity
    eqf_referenced: bool
    referencing_date: str | None  # ISO 8601, possibly reduced precision ("2009")
    sources: tuple[Source, ...]
    levels: tuple[Level, ...]
    acronym: str | None = None
    notes: str | None = None

    def level(self, code: str) -> Level | None:
        wanted = normalise_code(code)
        for level in self.levels:
            if normalise_code(level.code) == wanted:
                return level
        return None


@dataclass(frozen=True, slots=True)
class PathStep:
    """One edge walked by a comparison."""

    source: LevelKey
    target: LevelKey
    kind: EdgeKind
    match_type: MatchType
    confidence: float
    sources: tuple[Source, ...]
    basis: str | None


@dataclass(frozen=True, slots=True)
class LevelMatch:
    """A comparable level found in the target framework, with the way it was reached."""

    level: Level
    eqf_level: int | None
    match_type: MatchType
    confidence: float
    steps: tuple[PathStep, ...]
    notes: tuple[str, ...] = ()
    frame: ComparisonFrame | None = None

    @property
    def path(self) -> tuple[LevelKey, ...]:
        if not self.steps:
            return ()
        return (self.steps[0].source, *(step.target for step in self.steps))


@dataclass(frozen=True, slots=True)
class Comparison:
    """The answer to "what is this level in that framework?".

    Either ``matches`` is non-empty (best first), or ``reason`` says why there is none.
    """

    source: Level
    target: Framework
    as_of: dt.date | None
    matches: tuple[LevelMatch, ...]
    reason: NotComparableReason | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LevelRelation:
    """The answer to "does the held level reach the required one?" (``relate_levels``).

    ``order`` reads from the held level: ``below`` means the held level is lower than the
    required one. ``frame`` says in which frame the order was established (``None`` when it
    could not be); ``confidence`` (0–1) is the weight of that frame's evidence, never 1.0 outside
    the framework's own order; ``steps`` are the edges used and ``sources`` every source cited
    for them; ``notes`` are sentences an evaluator reads; ``reason`` is set with ``cannot_tell``.
    """

    held: LevelKey
    required: LevelKey
    order: LevelOrder
    frame: ComparisonFrame | None
    confidence: float
    held_eqf: int | None
    required_eqf: int | None
    steps: tuple[PathStep, ...] = ()
    sources: tuple[Source, ...] = ()
    notes: tuple[str, ...] = ()
    reason: NotComparableReason | None = None

    @property
    def meets(self) -> bool | None:
        """``True`` above or same, ``False`` below, ``None`` when it cannot be told."""
        if self.order is LevelOrder.CANNOT_TELL:
            return None
        return self.order is not LevelOrder.BELOW
