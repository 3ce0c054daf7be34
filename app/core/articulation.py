"""Course articulation: which incoming courses can replace which modules of a target programme.

A registrar receives hundreds of incoming courses or micro-credentials (an id, a title, credits
already converted to an ECTS :class:`~app.core.credits.Range`, an EQF level where known, learning
outcomes) and wants, for every module of a programme, the courses that could exempt a learner
from it — with the evidence. Three shapes of proposal:

* ``one_to_one``: one course replaces one module;
* ``one_to_many``: one course replaces several modules, within its credits (each module's lower
  credit bound, times the policy's ``workload_min_ratio``, is taken from the course's upper
  bound until it runs out);
* ``many_to_one``: two or more courses *together* cover a module's outcomes and credits — a
  small set cover over that module's outcomes, solved exactly over the best few candidates.

The thresholds are the recognition policy's ``credit_transfer`` rules (outcome coverage to
replace, coverage for a conditional proposal, level gap, workload ratios) and the outcome
alignment policy (pair score, cover threshold, lexical weight), so articulation and a single
recognition decision agree on the same evidence.

How the work scales (PERFORMANCE.md: a GEMM is cheap, rapidfuzz is a reranker, not a
retriever). :func:`index_target` segments and embeds the programme's outcomes once. Then
:func:`match_courses` takes the courses in chunks:

1. *retrieve*: one matrix product of the chunk's statements with every module statement, reduced
   with ``np.maximum.reduceat`` / ``np.add.reduceat`` to a (course × module) score; the
   ``candidate_modules`` best modules of each course go on (without a model, modules sharing
   content words, by IDF, are retrieved instead);
2. *rescore*: only those pairs get the lexical score (rapidfuzz ``token_set_ratio``), fused with
   the cosine as the alignment policy says, and are reduced to outcome-level scores exactly as
   :func:`app.core.alignment.align_segmented` does (the best source outcome for each target
   outcome; an outcome of several statements scores the mean of its statements).

:func:`propose` turns the matches into proposals; it is cheap and needs no model, so a batch job
stores each course's :class:`CourseMatch` as it goes and proposes once at the end.

>>> modules = [TargetModule("DB", "Databases", ("design relational database schemas",
...                                             "write SQL queries"), Range(5, 5), 6)]
>>> courses = [Course("c1", "SQL basics", ("write SQL queries", "design relational database "
...            "schemas"), Range(5, 5), 6)]
>>> result = articulate(courses, modules, None, ArticulationPolicy())
>>> p = result.modules[0].proposals[0]
>>> (p.kind.value, p.decision.value, p.courses, p.coverage)
('one_to_one', 'replace', ('c1',), 1.0)
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz
from rapidfuzz import process as rf_process

from app.core.credits import Range
from app.core.lexical import LabelIndex, process, tokens
from app.core.outcome_policy import AlignPolicy
from app.core.outcomes import segment
from app.core.ports import Embedder
from app.core.recognition import PurposePolicy

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
class Course:
    """An incoming course, micro-credential or catalogue offering, with credits in ECTS."""

    id: str
    title: str
    outcomes: tuple[str, ...]
    credits_ects: Range | None = None
    eqf_level: int | None = None


@dataclass(frozen=True, slots=True)
class TargetModule:
    """A module of the target programme, with credits in ECTS and its EQF level where known."""

    code: str
    title: str
    outcomes: tuple[str, ...]
    credits_ects: Range | None = None
    eqf_level: int | None = None
    compulsory: bool = True
    prerequisites: tuple[str, ...] = ()


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
class CourseMatch:
    """Every module a course touches (retrieved, rescored, at least one pair)."""

    course: str
    modules: tuple[ModuleMatch, ...]

    def module(self, code: str) -> ModuleMatch | None:
        return next((m for m in self.modules if m.module == code), None)


class Kind(StrEnum):
    ONE_TO_ONE = "one_to_one"
    ONE_TO_MANY = "one_to_many"
    MANY_TO_ONE = "many_to_one"


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


@dataclass(frozen=True, slots=True)
class Proposal:
    """One way to exempt a learner from ``module``, with the evidence for it."""

    module: str
    kind: Kind
    decision: Decision
    courses: tuple[str, ...]
    coverage: float
    covered: tuple[int, ...]
    uncovered: tuple[int, ...]
    pairs: tuple[PairEvidence, ...]
    level: tuple[LevelCheck, ...]
    credits: CreditCheck
    reasons: tuple[str, ...]
    siblings: tuple[str, ...] = ()  # one_to_many: the other modules the course replaces

    @property
    def mean_score(self) -> float:
        return sum(p.score for p in self.pairs) / len(self.pairs) if self.pairs else 0.0


@dataclass(frozen=True, slots=True)
class ModuleResult:
    module: TargetModule
    proposals: tuple[Proposal, ...]  # best first

    @property
    def best(self) -> Proposal | None:
        return self.proposals[0] if self.proposals else None


@dataclass(frozen=True, slots=True)
class Articulation:
    modules: tuple[ModuleResult, ...]  # in the programme's order
    by_course: Mapping[str, tuple[str, ...]]  # course id → modules it is proposed for
    unmatched_courses: tuple[str, ...]  # courses with no proposal
    policy_version: str

    @property
    def replaceable(self) -> tuple[ModuleResult, ...]:
        return tuple(
            m for m in self.modules if m.best is not None and m.best.decision is Decision.REPLACE
        )

    def exempted_credits(self) -> Range | None:
        """ECTS of the modules with a ``replace`` proposal (None when none has known credits)."""
        known = [m.module.credits_ects for m in self.replaceable if m.module.credits_ects]
        if not known:
            return None
        return Range(sum(r.minimum for r in known), sum(r.maximum for r in known))


# --- the target's outcome index ------------------------------------------------------------


def statements(outcomes: Sequence[str]) -> tuple[list[str], list[int]]:
    """Each outcome's statements (stems and list markers removed) and the outcome they belong
    to. An outcome that segments to nothing keeps its stripped text, so no outcome vanishes.

    >>> statements(["use SQL; design schemas", "lead a team"])
    (['use SQL', 'design schemas', 'lead a team'], [0, 0, 1])
    """
    texts: list[str] = []
    owner: list[int] = []
    for i, outcome in enumerate(outcomes):
        segs = [s.text for s in segment(outcome).segments if s.text.strip()]
        for text in segs or [outcome.strip() or "?"]:
            texts.append(text)
            owner.append(i)
    return texts, owner


def _starts(owner: Sequence[int], groups: int) -> NDArray[np.int64]:
    """First position of each group in a sorted owner list (every group non-empty)."""
    arr = np.asarray(owner, dtype=np.int64)
    return np.searchsorted(arr, np.arange(groups, dtype=np.int64)).astype(np.int64)


@dataclass(frozen=True)
class TargetIndex:
    """The target programme's outcomes, flattened once: statements, owners, vectors, lexical
    forms. Only modules with outcomes are indexed (the others cannot be covered by outcomes).

    Layout: statements are grouped by outcome, outcomes by module, so ``reduceat`` over the
    ``*_starts`` arrays reduces a (rows × statements) matrix to outcomes and to modules.
    """

    modules: tuple[TargetModule, ...]  # every module of the target, in order
    indexed: tuple[int, ...]  # positions in ``modules`` of the modules with outcomes
    texts: tuple[str, ...]  # statements
    processed: tuple[str, ...]  # lexical forms of the statements
    stmt_outcome: NDArray[np.int64]  # statement → global outcome
    outcome_starts: NDArray[np.int64]  # global outcome → its first statement
    outcome_sizes: NDArray[np.float32]  # statements per outcome
    module_starts: NDArray[np.int64]  # indexed module → its first global outcome
    module_sizes: NDArray[np.float32]  # outcomes per indexed module
    stmt_module_range: tuple[tuple[int, int], ...]  # indexed module → statement slice
    vectors: NDArray[np.float32] | None  # one unit row per statement (None: lexical only)
    lexicon: LabelIndex | None  # for retrieval without a model

    @property
    def outcome_count(self) -> int:
        return len(self.outcome_starts)


def index_target(
    modules: Sequence[TargetModule],
    embedder: Embedder | None,
) -> TargetIndex:
    """Segment, process and (with a model) embed every module outcome statement once.

    >>> ix = index_target([TargetModule("A", "A", ("use SQL; design schemas",)),
    ...                    TargetModule("B", "B", ())], None)
    >>> ix.indexed, ix.texts, ix.outcome_count
    ((0,), ('use SQL', 'design schemas'), 1)
    """
    indexed: list[int] = []
    texts: list[str] = []
    stmt_outcome: list[int] = []
    outcome_module: list[int] = []
    ranges: list[tuple[int, int]] = []
    for position, module in enumerate(modules):
        if not module.outcomes:
            continue
        local_texts, local_owner = statements(module.outcomes)
        first_outcome = len(outcome_module)
        start = len(texts)
        texts.extend(local_texts)
        stmt_outcome.extend(first_outcome + o for o in local_owner)
        outcome_module.extend([len(indexed)] * len(module.outcomes))
        ranges.append((start, len(texts)))
        indexed.append(position)
    n_outcomes = len(outcome_module)
    outcome_starts = _starts(stmt_outcome, n_outcomes)
    module_starts = _starts(outcome_module, len(indexed))
    outcome_sizes = np.diff(np.append(outcome_starts, len(texts))).astype(np.float32)
    module_sizes = np.diff(np.append(module_starts, n_outcomes)).astype(np.float32)
    processed = tuple(process(t) for t in texts)
    vectors: NDArray[np.float32] | None = None
    lexicon: LabelIndex | None = None
    if embedder is not None and texts:
        vectors = np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)
    else:
        lexicon = LabelIndex(
            [[texts[k] for k in range(s, e)] for s, e in ranges]
        )  # one "concept" per module, its statements as labels
    return TargetIndex(
        modules=tuple(modules),
        indexed=tuple(indexed),
        texts=tuple(texts),
        processed=processed,
        stmt_outcome=np.asarray(stmt_outcome, dtype=np.int64),
        outcome_starts=outcome_starts,
        outcome_sizes=outcome_sizes,
        module_starts=module_starts,
        module_sizes=module_sizes,
        stmt_module_range=tuple(ranges),
        vectors=vectors,
        lexicon=lexicon,
    )


# --- matching ----------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """The statements of a chunk of courses (only courses with outcomes)."""

    courses: list[Course]
    texts: list[str]
    processed: list[str]
    stmt_outcome: list[int]  # statement → outcome index within its course
    course_starts: list[int]  # course → first statement row


def _chunk(courses: Sequence[Course]) -> _Chunk:
    chunk = _Chunk([], [], [], [], [])
    for course in courses:
        if not course.outcomes:
            continue
        local_texts, owner = statements(course.outcomes)
        chunk.courses.append(course)
        chunk.course_starts.append(len(chunk.texts))
        chunk.texts.extend(local_texts)
        chunk.stmt_outcome.extend(owner)
    chunk.processed = [process(t) for t in chunk.texts]
    return chunk


def _semantic_candidates(
    sim: NDArray[np.float32], chunk: _Chunk, target: TargetIndex, policy: ArticulationPolicy
) -> list[list[int]]:
    """For each course of the chunk, the indexed modules worth rescoring, best first."""
    ends = [*chunk.course_starts[1:], sim.shape[0]]
    # Best cosine of any of the course's statements, for every target statement (row slices:
    # ``np.maximum.reduceat`` along axis 0 is ten times slower on a 320 × 16,000 matrix) ...
    per_course = np.stack(
        [sim[s:e].max(axis=0) for s, e in zip(chunk.course_starts, ends, strict=True)]
    )
    # ... averaged over each outcome's statements, then over each module's outcomes.
    if target.texts and len(target.outcome_starts) == len(target.texts):
        per_outcome = per_course  # one statement per outcome: nothing to average
    else:
        per_outcome = (
            np.add.reduceat(per_course, target.outcome_starts, axis=1) / target.outcome_sizes
        )
    module_mean = np.add.reduceat(per_outcome, target.module_starts, axis=1) / target.module_sizes
    module_max = np.maximum.reduceat(per_outcome, target.module_starts, axis=1)
    w = policy.alignment.lexical_weight
    # The best fused score a module's best outcome could reach, were its lexical score perfect:
    # a module below min_pair_score even then cannot produce a single pair.
    reachable = (1.0 - w) * module_max + w >= policy.alignment.min_pair_score
    score = np.where(reachable, module_mean, -np.inf)
    k = min(policy.options.candidate_modules, score.shape[1])
    if k <= 0:
        return [[] for _ in chunk.courses]
    top = np.argpartition(-score, k - 1, axis=1)[:, :k]
    out: list[list[int]] = []
    for row, cols in enumerate(top):
        ordered = cols[np.argsort(-score[row, cols], kind="stable")]
        out.append([int(c) for c in ordered if np.isfinite(score[row, c])])
    return out


def _lexical_candidates(chunk: _Chunk, target: TargetIndex, k: int) -> list[list[int]]:
    assert target.lexicon is not None
    out = []
    for c in range(len(chunk.courses)):
        start = chunk.course_starts[c]
        end = chunk.course_starts[c + 1] if c + 1 < len(chunk.courses) else len(chunk.texts)
        words = [t for text in chunk.texts[start:end] for t in tokens(text)]
        out.append(target.lexicon.candidates(words, k))
    return out


def _rescore(
    chunk: _Chunk,
    c: int,
    sim: NDArray[np.float32] | None,
    candidates: Sequence[int],
    target: TargetIndex,
    policy: ArticulationPolicy,
) -> CourseMatch:
    """Exact fused scores of one course against its candidate modules."""
    course = chunk.courses[c]
    rows_start = chunk.course_starts[c]
    rows_end = chunk.course_starts[c + 1] if c + 1 < len(chunk.courses) else len(chunk.texts)
    if not candidates:
        return CourseMatch(course.id, ())
    cols = np.concatenate(
        [np.arange(*target.stmt_module_range[m], dtype=np.int64) for m in candidates]
    )
    lex = rf_process.cdist(
        chunk.processed[rows_start:rows_end],
        [target.processed[k] for k in cols],
        scorer=fuzz.token_set_ratio,
        processor=None,
        workers=1,
    ).astype(np.float32) / np.float32(100.0)
    sem: NDArray[np.float32] | None = None
    if sim is not None:
        sem = np.clip(sim[rows_start:rows_end][:, cols], -1.0, 1.0)
        w = np.float32(policy.alignment.lexical_weight)
        fused = (np.float32(1.0) - w) * sem + w * lex
    else:
        fused = lex
    row_outcome = np.asarray(chunk.stmt_outcome[rows_start:rows_end], dtype=np.int64)
    n_course_outcomes = int(row_outcome.max()) + 1
    row_starts = _starts(row_outcome.tolist(), n_course_outcomes)
    # Outcome × target statement: the best statement of each course outcome.
    colmax = np.maximum.reduceat(fused, row_starts, axis=0)
    col_outcome = target.stmt_outcome[cols]
    # Local outcome groups along the candidate columns (contiguous by construction).
    change = np.flatnonzero(np.diff(col_outcome)) + 1
    group_starts = np.concatenate([[0], change]).astype(np.int64)
    sizes = np.diff(np.append(group_starts, len(cols))).astype(np.float32)
    item = np.add.reduceat(colmax, group_starts, axis=1) / sizes  # course outcome × module outcome
    best_source = np.argmax(item, axis=0)
    best = item[best_source, np.arange(item.shape[1])]
    # Evidence: for each target statement, the best row within the chosen course outcome.
    group_of_col = np.repeat(np.arange(len(group_starts)), sizes.astype(np.int64))
    chosen = best_source[group_of_col]
    masked = np.where(row_outcome[:, None] == chosen[None, :], fused, -np.inf)
    best_row = np.argmax(masked, axis=0)
    col_index = np.arange(len(cols))
    sem_ev = (
        np.add.reduceat(sem[best_row, col_index], group_starts) / sizes if sem is not None else None
    )
    lex_ev = np.add.reduceat(lex[best_row, col_index], group_starts) / sizes

    min_pair, cover = policy.alignment.thresholds(lexical_only=sim is None)
    matches: list[ModuleMatch] = []
    g = 0
    for m in candidates:
        module = target.modules[target.indexed[m]]
        n = len(module.outcomes)
        pairs: list[OutcomeMatch] = []
        covered: list[int] = []
        for j in range(n):
            score = float(best[g + j])
            if score >= min_pair:
                pairs.append(
                    OutcomeMatch(
                        j,
                        int(best_source[g + j]),
                        round(score, 4),
                        None if sem_ev is None else round(float(sem_ev[g + j]), 4),
                        round(float(lex_ev[g + j]), 4),
                    )
                )
                if score >= cover:
                    covered.append(j)
        g += n
        if pairs:
            matches.append(ModuleMatch(module.code, n, tuple(pairs), tuple(covered)))
    matches.sort(key=lambda mm: (-mm.coverage, -sum(p.score for p in mm.pairs)))
    return CourseMatch(course.id, tuple(matches))


def match_courses(
    courses: Sequence[Course],
    target: TargetIndex,
    embedder: Embedder | None,
    policy: ArticulationPolicy,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[CourseMatch]:
    """Each course's coverage of the target's modules (one :class:`CourseMatch` per course,
    in input order; a course without outcomes matches nothing).

    ``embedder`` must be the one ``target`` was indexed with (or None for both). ``progress``
    is called with the number of courses finished after each chunk.

    >>> ix = index_target([TargetModule("M", "M", ("lead a team", "paint portraits"))], None)
    >>> [m.coverage for m in match_courses([Course("c", "c", ("lead a team",))], ix, None,
    ...                                   ArticulationPolicy())[0].modules]
    [0.5]
    """
    if (embedder is None) != (target.vectors is None) and target.texts:
        raise ValueError("the target was indexed with a different embedder")
    out: dict[str, CourseMatch] = {}
    size = max(1, policy.options.chunk_courses)
    done = 0
    for start in range(0, len(courses), size):
        part = courses[start : start + size]
        chunk = _chunk(part)
        if chunk.courses and target.texts:
            sim: NDArray[np.float32] | None = None
            if embedder is not None and target.vectors is not None:
                q = np.ascontiguousarray(embedder.encode(chunk.texts), dtype=np.float32)
                sim = q @ target.vectors.T
                candidates = _semantic_candidates(sim, chunk, target, policy)
            else:
                candidates = _lexical_candidates(chunk, target, policy.options.candidate_modules)
            for c in range(len(chunk.courses)):
                match = _rescore(chunk, c, sim, candidates[c], target, policy)
                out[chunk.courses[c].id] = match
        done += len(part)
        if progress is not None:
            progress(done)
    return [out.get(c.id, CourseMatch(c.id, ())) for c in courses]


# --- checks ------------------------------------------------------------------------------------


def _fmt(r: Range | None) -> str:
    if r is None:
        return "unknown"
    return f"{r.minimum:.3g}" if r.exact else f"{r.minimum:.3g}–{r.maximum:.3g}"


def level_check(course: Course, module: TargetModule, rules: PurposePolicy) -> LevelCheck:
    """Is the course's EQF level compatible with the module's (the recognition policy's gap)?

    >>> level_check(Course("c", "c", (), eqf_level=5), TargetModule("m", "m", (), eqf_level=6),
    ...             DEFAULT_RULES).compatible
    False
    """
    if course.eqf_level is None or module.eqf_level is None:
        missing = "course" if course.eqf_level is None else "module"
        return LevelCheck(
            course.id,
            course.eqf_level,
            module.eqf_level,
            None,
            f"the {missing}'s level is not known: not checked",
        )
    gap = module.eqf_level - course.eqf_level
    if gap >= rules.level_substantial_if_below_by:
        return LevelCheck(
            course.id,
            course.eqf_level,
            module.eqf_level,
            False,
            f"course at EQF {course.eqf_level}, {gap} below the module's EQF {module.eqf_level}",
        )
    return LevelCheck(
        course.id,
        course.eqf_level,
        module.eqf_level,
        True,
        f"course at EQF {course.eqf_level}, module at EQF {module.eqf_level}",
    )


def credit_check(brought: Range | None, module: TargetModule, rules: PurposePolicy) -> CreditCheck:
    """Do the credits brought cover the module's (upper bound against lower bound)?

    >>> credit_check(Range(4, 4), TargetModule("m", "m", (), Range(5, 5)), DEFAULT_RULES).sufficient
    True
    >>> c = credit_check(Range(3, 3), TargetModule("m", "m", (), Range(5, 5)), DEFAULT_RULES)
    >>> (c.sufficient, c.bridgeable)
    (False, True)
    """
    need = module.credits_ects
    if brought is None or need is None or need.minimum <= 0:
        side = "the course's" if brought is None else "the module's"
        return CreditCheck(
            brought, need, None, None, False, f"{side} credits are not known: not checked"
        )
    ratio = brought.maximum / need.minimum
    text = f"{_fmt(brought)} ECTS against the module's {_fmt(need)} ECTS"
    if ratio >= rules.workload_min_ratio:
        return CreditCheck(brought, need, round(ratio, 4), True, False, text + ": sufficient")
    bridgeable = ratio >= rules.workload_bridgeable_ratio
    return CreditCheck(
        brought,
        need,
        round(ratio, 4),
        False,
        bridgeable,
        text + (": short, bridgeable with more credits" if bridgeable else ": far too few"),
    )


# --- proposals ---------------------------------------------------------------------------------


def _decide(
    coverage: float, levels: Sequence[LevelCheck], credits: CreditCheck, rules: PurposePolicy
) -> tuple[Decision | None, list[str]]:
    reasons: list[str] = []
    if any(lv.compatible is False for lv in levels):
        return None, [lv.reason for lv in levels if lv.compatible is False]
    if coverage < rules.conditional_coverage:
        return None, [f"only {coverage:.0%} of the module's outcomes covered"]
    decision = Decision.REPLACE
    if coverage >= rules.replace_coverage:
        reasons.append(
            f"{coverage:.0%} of the module's outcomes covered (≥ {rules.replace_coverage:.0%})"
        )
    else:
        decision = Decision.CONDITIONAL
        reasons.append(
            f"{coverage:.0%} of the module's outcomes covered: assess the uncovered outcomes "
            f"(replacement needs {rules.replace_coverage:.0%})"
        )
    if credits.sufficient is False:
        if not credits.bridgeable:
            return None, [*reasons, credits.reason]
        decision = Decision.CONDITIONAL
    reasons.append(credits.reason)
    reasons.extend(lv.reason for lv in levels if lv.compatible is None)
    return decision, reasons


def _pairs(course: str, match: ModuleMatch) -> tuple[PairEvidence, ...]:
    return tuple(
        PairEvidence(course, p.course_outcome, p.module_outcome, p.score, p.semantic, p.lexical)
        for p in match.pairs
    )


def _rank(p: Proposal) -> tuple[int, int, float, float]:
    return (
        0 if p.decision is Decision.REPLACE else 1,
        len(p.courses),
        -p.coverage,
        -p.mean_score,
    )


def _budget(course: Course) -> float | None:
    return course.credits_ects.maximum if course.credits_ects is not None else None


def propose(
    courses: Sequence[Course],
    target: Sequence[TargetModule],
    matches: Sequence[CourseMatch],
    policy: ArticulationPolicy,
) -> Articulation:
    """Proposals for every module of ``target`` from the courses' matches.

    Steps: (1) each course's single-course proposals; a course eligible to replace several
    modules gives them its credits best-covered first (``one_to_many`` when it replaces more
    than one); modules that do not fit its credits get a ``conditional`` proposal saying so.
    (2) For each module no single course replaces, the smallest group of courses (≤
    ``max_group``, among the ``group_candidates`` best-covering courses with credits left) whose
    covered outcomes and remaining credits together reach the replacement rules
    (``many_to_one``); groups with a redundant member are not proposed.
    """
    rules = policy.rules
    by_id = {c.id: c for c in courses}
    modules = {m.code: m for m in target}
    proposals: dict[str, list[Proposal]] = defaultdict(list)
    remaining: dict[str, float | None] = {}

    # (1) single courses -----------------------------------------------------------------
    for match in matches:
        course = by_id.get(match.course)
        if course is None:
            continue
        eligible: list[tuple[ModuleMatch, LevelCheck]] = []
        for mm in match.modules:
            module = modules.get(mm.module)
            if module is None:
                continue
            level = level_check(course, module, rules)
            if level.compatible is False or mm.coverage < rules.conditional_coverage:
                continue
            eligible.append((mm, level))
        budget = _budget(course)
        replaced: list[tuple[ModuleMatch, LevelCheck, CreditCheck, list[str]]] = []
        for mm, level in sorted(eligible, key=lambda e: (-e[0].coverage, e[0].module)):
            module = modules[mm.module]
            credits = credit_check(course.credits_ects, module, rules)
            decision, reasons = _decide(mm.coverage, [level], credits, rules)
            if decision is None:
                continue
            if decision is Decision.CONDITIONAL:
                proposals[module.code].append(
                    _single(course, module, mm, level, credits, decision, reasons)
                )
                continue
            need = (
                module.credits_ects.minimum * rules.workload_min_ratio
                if module.credits_ects is not None
                else 0.0
            )
            if budget is not None and need > budget + 1e-9:
                # Replaceable on its own, but the course's credits went to better-covered
                # modules: counting them twice would exempt more than the course is worth.
                taken = ", ".join(r[0].module for r in replaced)
                reasons.append(
                    f"the course's credits are allocated to {taken} first; "
                    f"{need - budget:.3g} more ECTS are needed to exempt this module too"
                )
                proposals[module.code].append(
                    _single(course, module, mm, level, credits, Decision.CONDITIONAL, reasons)
                )
                continue
            if budget is not None:
                budget -= need
            replaced.append((mm, level, credits, reasons))
        remaining[course.id] = budget
        codes = tuple(mm.module for mm, *_ in replaced)
        for mm, level, credits, reasons in replaced:
            module = modules[mm.module]
            proposal = _single(course, module, mm, level, credits, Decision.REPLACE, reasons)
            if len(codes) > 1:
                siblings = tuple(c for c in codes if c != mm.module)
                proposal = Proposal(
                    proposal.module,
                    Kind.ONE_TO_MANY,
                    proposal.decision,
                    proposal.courses,
                    proposal.coverage,
                    proposal.covered,
                    proposal.uncovered,
                    proposal.pairs,
                    proposal.level,
                    proposal.credits,
                    (*proposal.reasons, f"the course also replaces {', '.join(siblings)}"),
                    siblings,
                )
            proposals[module.code].append(proposal)

    # (2) many-to-one ------------------------------------------------------------------------
    contributors: dict[str, list[tuple[Course, ModuleMatch]]] = defaultdict(list)
    for match in matches:
        course = by_id.get(match.course)
        if course is None:
            continue
        left = remaining.get(course.id)
        if left is not None and left <= 1e-9:
            continue  # all its credits are allocated
        for mm in match.modules:
            if mm.covered and mm.module in modules:
                contributors[mm.module].append((course, mm))
    for code, found in contributors.items():
        if any(p.decision is Decision.REPLACE for p in proposals[code]):
            continue
        group = _many_to_one(modules[code], found, remaining, policy)
        proposals[code].extend(group)

    results = []
    by_course: dict[str, list[str]] = defaultdict(list)
    limit = policy.options.proposals_per_module
    for module in target:
        ranked = sorted(proposals.get(module.code, ()), key=_rank)[:limit]
        results.append(ModuleResult(module, tuple(ranked)))
        for p in ranked:
            for cid in p.courses:
                if module.code not in by_course[cid]:
                    by_course[cid].append(module.code)
    unmatched = tuple(c.id for c in courses if c.id not in by_course)
    return Articulation(
        modules=tuple(results),
        by_course={k: tuple(v) for k, v in by_course.items()},
        unmatched_courses=unmatched,
        policy_version=policy.version,
    )


def _single(
    course: Course,
    module: TargetModule,
    mm: ModuleMatch,
    level: LevelCheck,
    credits: CreditCheck,
    decision: Decision,
    reasons: Sequence[str],
) -> Proposal:
    covered = set(mm.covered)
    return Proposal(
        module=module.code,
        kind=Kind.ONE_TO_ONE,
        decision=decision,
        courses=(course.id,),
        coverage=round(mm.coverage, 4),
        covered=tuple(sorted(covered)),
        uncovered=tuple(j for j in range(len(module.outcomes)) if j not in covered),
        pairs=_pairs(course.id, mm),
        level=(level,),
        credits=credits,
        reasons=tuple(reasons),
    )


def _many_to_one(
    module: TargetModule,
    found: Sequence[tuple[Course, ModuleMatch]],
    remaining: Mapping[str, float | None],
    policy: ArticulationPolicy,
) -> list[Proposal]:
    """Smallest irredundant groups of courses that together replace ``module`` (exact over
    the ``group_candidates`` best-covering courses: at most C(8, 2) + C(8, 3) = 84 groups)."""
    rules = policy.rules
    n = len(module.outcomes)
    if n == 0:
        return []
    need = math.ceil(rules.replace_coverage * n - 1e-9)
    usable = [
        (course, mm)
        for course, mm in found
        if level_check(course, module, rules).compatible is not False
    ]
    usable.sort(key=lambda e: (-len(e[1].covered), e[0].id))
    usable = usable[: policy.options.group_candidates]
    results: list[Proposal] = []
    valid: list[frozenset[int]] = []
    for size in range(2, policy.options.max_group + 1):
        for combo in itertools.combinations(range(len(usable)), size):
            key = frozenset(combo)
            if any(v <= key for v in valid):
                continue  # a smaller group already does it
            sets = [set(usable[i][1].covered) for i in combo]
            union = set().union(*sets)
            if len(union) < need:
                continue
            # Irredundant: every course covers an outcome the others do not.
            if any(not (sets[k] - set().union(*(sets[:k] + sets[k + 1 :]))) for k in range(size)):
                continue
            group = [usable[i] for i in combo]
            brought = _group_credits([c for c, _ in group], remaining)
            credits = credit_check(brought, module, rules)
            levels = [level_check(c, module, rules) for c, _ in group]
            coverage = len(union) / n
            decision, reasons = _decide(coverage, levels, credits, rules)
            if decision is None:
                continue
            valid.append(key)
            best: dict[int, PairEvidence] = {}
            for course, mm in group:
                for p in _pairs(course.id, mm):
                    if p.module_outcome not in best or p.score > best[p.module_outcome].score:
                        best[p.module_outcome] = p
            results.append(
                Proposal(
                    module=module.code,
                    kind=Kind.MANY_TO_ONE,
                    decision=decision,
                    courses=tuple(c.id for c, _ in group),
                    coverage=round(coverage, 4),
                    covered=tuple(sorted(union)),
                    uncovered=tuple(j for j in range(n) if j not in union),
                    pairs=tuple(best[j] for j in sorted(best)),
                    level=tuple(levels),
                    credits=credits,
                    reasons=(
                        f"{size} courses together: each covers outcomes the others do not",
                        *reasons,
                    ),
                )
            )
    results.sort(key=_rank)
    return results[: policy.options.proposals_per_module]


def _group_credits(group: Sequence[Course], remaining: Mapping[str, float | None]) -> Range | None:
    low = high = 0.0
    for course in group:
        if course.credits_ects is None:
            return None
        left = remaining.get(course.id)
        top = (
            course.credits_ects.maximum if left is None else min(left, course.credits_ects.maximum)
        )
        low += min(course.credits_ects.minimum, top)
        high += top
    return Range(low, high)


def articulate(
    courses: Sequence[Course],
    target: Sequence[TargetModule],
    embedder: Embedder | None,
    policy: ArticulationPolicy,
) -> Articulation:
    """Index the target, match every course, propose: the whole pipeline in one call."""
    index = index_target(target, embedder)
    return propose(courses, target, match_courses(courses, index, embedder, policy), policy)


# --- JSON forms (what a batch job stores per course, and reads back) ---------------------------


def range_to_json(r: Range | None) -> dict[str, float] | None:
    return None if r is None else {"min": round(r.minimum, 4), "max": round(r.maximum, 4)}


def range_from_json(d: Mapping[str, Any] | None) -> Range | None:
    return None if d is None else Range(float(d["min"]), float(d["max"]))


def course_to_json(c: Course) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "outcomes": list(c.outcomes),
        "credits_ects": range_to_json(c.credits_ects),
        "eqf_level": c.eqf_level,
    }


def course_from_json(d: Mapping[str, Any]) -> Course:
    return Course(
        id=str(d["id"]),
        title=str(d.get("title") or d["id"]),
        outcomes=tuple(str(o) for o in d.get("outcomes", ())),
        credits_ects=range_from_json(d.get("credits_ects")),
        eqf_level=d.get("eqf_level"),
    )


def match_to_json(m: CourseMatch) -> dict[str, Any]:
    """Compact: a pair is ``[module_outcome, course_outcome, score, semantic, lexical]``.

    >>> mm = ModuleMatch("M", 2, (OutcomeMatch(0, 1, 0.9, None, 0.9),), (0,))
    >>> match_from_json(match_to_json(CourseMatch("c", (mm,)))) == CourseMatch("c", (mm,))
    True
    """
    return {
        "course": m.course,
        "modules": [
            {
                "module": mm.module,
                "outcomes": mm.outcomes,
                "covered": list(mm.covered),
                "pairs": [
                    [p.module_outcome, p.course_outcome, p.score, p.semantic, p.lexical]
                    for p in mm.pairs
                ],
            }
            for mm in m.modules
        ],
    }


def match_from_json(d: Mapping[str, Any]) -> CourseMatch:
    return CourseMatch(
        course=str(d["course"]),
        modules=tuple(
            ModuleMatch(
                module=str(mm["module"]),
                outcomes=int(mm["outcomes"]),
                pairs=tuple(
                    OutcomeMatch(int(p[0]), int(p[1]), float(p[2]), p[3], float(p[4]))
                    for p in mm["pairs"]
                ),
                covered=tuple(int(j) for j in mm["covered"]),
            )
            for mm in d.get("modules", ())
        ),
    )


def proposal_to_json(
    p: Proposal,
    module: TargetModule,
    courses: Mapping[str, Course],
) -> dict[str, Any]:
    """A proposal with its evidence, outcome texts included, as results show it."""

    def text(items: Sequence[str], i: int) -> str | None:
        return items[i] if 0 <= i < len(items) else None

    return {
        "module": module.code,
        "module_title": module.title,
        "kind": p.kind.value,
        "decision": p.decision.value,
        "courses": list(p.courses),
        "coverage": p.coverage,
        "covered_outcomes": list(p.covered),
        "uncovered_outcomes": [{"index": j, "text": text(module.outcomes, j)} for j in p.uncovered],
        "pairs": [
            {
                "course": e.course,
                "course_outcome": e.course_outcome,
                "module_outcome": e.module_outcome,
                "score": e.score,
                "semantic": e.semantic,
                "lexical": e.lexical,
                "course_text": text(courses[e.course].outcomes, e.course_outcome)
                if e.course in courses
                else None,
                "module_text": text(module.outcomes, e.module_outcome),
            }
            for e in p.pairs
        ],
        "level": [
            {
                "course": lv.course,
                "course_eqf": lv.course_eqf,
                "module_eqf": lv.module_eqf,
                "compatible": lv.compatible,
                "reason": lv.reason,
            }
            for lv in p.level
        ],
        "credits": {
            "courses_ects": range_to_json(p.credits.courses_ects),
            "module_ects": range_to_json(p.credits.module_ects),
            "ratio": p.credits.ratio,
            "sufficient": p.credits.sufficient,
            "bridgeable": p.credits.bridgeable,
            "reason": p.credits.reason,
        },
        "siblings": list(p.siblings),
        "reasons": list(p.reasons),
    }


def iter_proposals(result: Articulation) -> Iterable[tuple[TargetModule, Proposal]]:
    for m in result.modules:
        for p in m.proposals:
            yield m.module, p
