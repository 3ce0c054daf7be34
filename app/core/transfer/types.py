"""The transfer engine's values: what a candidate (a credential, an incoming course, a catalogue
offering) and a target module are, how one covers the other's outcomes, and the policy knobs.

Recognition, articulation and pathways ask one question — "which target modules does this
candidate cover, at what level and credit, with what evidence?" — so they share these types.
A credential becomes a :class:`Candidate` and a catalogue module a :class:`TargetModule` in
exactly one place each (``app.services.transfer``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.credits import Conversion, Range
from app.core.outcome_policy import AlignPolicy
from app.core.types import Comparison, LevelKey


@dataclass(frozen=True, slots=True)
class PurposePolicy:
    """When a difference is substantial for one purpose (``mappings/policies/recognition.yaml``).

    ``national_below_substantial``: a held level below the required one in one framework's own
    order or through a published crosswalk (NFQ 7 against NFQ 8, both EQF 6) is a substantial
    difference for this purpose (honours-level admission or exemption).
    """

    level_substantial_if_below_by: int
    workload_min_ratio: float
    workload_bridgeable_ratio: float
    replace_coverage: float
    conditional_coverage: float
    quality_required: bool
    national_below_substantial: bool = True


# --- policy ------------------------------------------------------------------------------------

#: The ``credit_transfer`` rules of ``mappings/policies/recognition.yaml`` at the time of writing,
#: used when a caller (a doctest, a unit test) builds a policy by hand.
DEFAULT_RULES = PurposePolicy(
    level_substantial_if_below_by=1,
    workload_min_ratio=0.8,
    workload_bridgeable_ratio=0.5,
    replace_coverage=0.7,
    conditional_coverage=0.4,
    quality_required=True,
)


@dataclass(frozen=True, slots=True)
class ArticulationOptions:
    """The knobs of ``mappings/policies/articulation.yaml`` (search sizes, not thresholds)."""

    candidate_modules: int = 20  # modules per course that reach the lexical rescoring
    chunk_courses: int = 64  # courses per matrix product (bounds memory: 64×5 rows × statements)
    max_group: int = 3  # many-to-one: at most this many courses together
    group_candidates: int = 8  # many-to-one: best-covering courses considered per module
    proposals_per_module: int = 5
    exact_limit: int = 22  # pathways: exact branch-and-bound up to this many relevant offerings
    node_limit: int = 200_000  # pathways: branch-and-bound nodes before it gives up exactness
    unknown_credits_ects: float = 10.0  # pathways: weight of a step whose credits are not known
    pathway_candidates: int = 8  # pathways: target modules rescored per offering
    version: str = "builtin"


@dataclass(frozen=True, slots=True)
class ArticulationPolicy:
    """Thresholds (recognition ``credit_transfer`` + outcome alignment) and search options."""

    rules: PurposePolicy = DEFAULT_RULES
    alignment: AlignPolicy = field(default_factory=AlignPolicy)
    options: ArticulationOptions = field(default_factory=ArticulationOptions)
    recognition_version: str = "builtin"

    @property
    def version(self) -> str:
        """Both policy versions: a result names exactly what produced it."""
        return f"recognition {self.recognition_version}; articulation {self.options.version}"


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """What may cover target modules: a credential, an incoming course or a catalogue offering,
    with credits in ECTS, its EQF level and its national level where known. ``facts`` carry what
    a recognition weighs besides (credentials only)."""

    id: str
    title: str
    outcomes: tuple[str, ...]
    credits_ects: Range | None = None
    eqf_level: int | None = None
    level: LevelKey | None = None
    facts: CandidateFacts | None = None
    language: str | None = None  # of its outcomes (ISO 639-1), where known
    description: str = ""  # aims / description as published (course-level matching reads it)


#: An incoming course is a candidate (the articulation engine's first name for it).
Course = Candidate


@dataclass(frozen=True, slots=True)
class TargetModule:
    """A module of the target programme, with credits in ECTS and its EQF level where known."""

    code: str
    title: str
    outcomes: tuple[str, ...]
    credits_ects: Range | None = None
    eqf_level: int | None = None
    compulsory: bool = True  # False: an elective (never exempted by credits alone)
    prerequisites: tuple[str, ...] = ()
    level: LevelKey | None = None
    language: str | None = None  # of its outcomes (ISO 639-1), where known
    description: str = ""  # aims / description as published (course-level matching reads it)


@dataclass(frozen=True, slots=True)
class OutcomeMatch:
    """The best course outcome for one module outcome, and how it scored."""

    module_outcome: int
    course_outcome: int
    score: float  # fused (or lexical only)
    semantic: float | None
    lexical: float


@dataclass(frozen=True, slots=True)
class ModuleMatch:
    """How one course's outcomes cover one module's outcomes."""

    module: str
    outcomes: int  # how many outcomes the module has
    pairs: tuple[OutcomeMatch, ...]  # one per module outcome reaching ``min_pair_score``
    covered: tuple[int, ...]  # module outcomes reaching ``cover_threshold``

    @property
    def coverage(self) -> float:
        return len(self.covered) / self.outcomes if self.outcomes else 0.0


@dataclass(frozen=True, slots=True)
class CandidateMatch:
    """Every module a course touches (retrieved, rescored, at least one pair)."""

    course: str
    modules: tuple[ModuleMatch, ...]

    def module(self, code: str) -> ModuleMatch | None:
        return next((m for m in self.modules if m.module == code), None)


CourseMatch = CandidateMatch


class Decision(StrEnum):
    REPLACE = "replace"  # no substantial difference: propose the exemption
    CONDITIONAL = "conditional"  # bridgeable: assess the uncovered outcomes or add credits


@dataclass(frozen=True, slots=True)
class LevelCheck:
    course: str
    course_eqf: int | None
    module_eqf: int | None
    compatible: bool | None  # None: a level is not known, so it was not checked
    reason: str
    frame: str | None = None  # where: "framework", "crosswalk" or "eqf" (None: EQF numbers)


@dataclass(frozen=True, slots=True)
class CreditCheck:
    courses_ects: Range | None  # the credits the course(s) bring to this module
    module_ects: Range | None
    ratio: float | None  # courses' upper bound / module's lower bound
    sufficient: bool | None  # None: credits not known on one side
    bridgeable: bool
    reason: str


@dataclass(frozen=True, slots=True)
class PairEvidence:
    course: str
    course_outcome: int
    module_outcome: int
    score: float
    semantic: float | None
    lexical: float


class Signature(StrEnum):
    NONE = "none"  # the document carries no signature
    UNVERIFIED = "unverified"  # signed, not (or not yet) checked
    VALID = "valid"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    """What a recognition weighs besides outcomes, credits and level — as read, nothing guessed."""

    issued_on: dt.date | None = None
    level_comparison: Comparison | None = None  # the credential's level → the target framework
    credit_conversion: Conversion | None = None
    credits_as_read: tuple[float, str] | None = None  # (value, system); "unspecified": none named
    workload_hours: float | None = None
    quality_assurance: tuple[str, ...] = ()
    esco_skills: frozenset[str] = frozenset()
    awarding_body: str | None = None
    issuer_country: str | None = None  # as published
    weak_outcomes: tuple[int, ...] = ()  # outcomes that read as titles, topics or placeholders
    signature: Signature = Signature.NONE
    signature_note: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """What the candidate is compared with: a framework and, optionally, a programme."""

    framework: str
    qualification_id: str | None = None
    title: str | None = None
    eqf_level: int | None = None
    level: LevelKey | None = None
    modules: tuple[TargetModule, ...] = ()
    elective_ects: Range | None = None  # credits electives may absorb (None: not published)
