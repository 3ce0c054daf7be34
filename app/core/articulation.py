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

The thresholds are the recognition policy's ``credit_transfer`` rules and the outcome alignment
policy, and each (course, module) pair is decided by the transfer engine's one rule
(:func:`app.core.transfer.rules.decide`), so articulation and a single recognition decision agree
on the same evidence. Matching is the engine's batched aligner (:mod:`app.core.transfer.align`);
:func:`propose` turns the matches into proposals — cheap, no model — so a batch job stores each
course's :class:`CourseMatch` as it goes and proposes once at the end. A module or course left
without a proposal says why.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.credits import Range
from app.core.ports import Embedder
from app.core.transfer.align import index_target, match_courses
from app.core.transfer.rules import Relate, credit_check, decide, level_check
from app.core.transfer.types import (
    ArticulationPolicy,
    Candidate,
    CandidateMatch,
    CreditCheck,
    Decision,
    LevelCheck,
    ModuleMatch,
    PairEvidence,
    TargetModule,
)

Course = Candidate
CourseMatch = CandidateMatch


# --- results -----------------------------------------------------------------------------------


class Kind(StrEnum):
    ONE_TO_ONE = "one_to_one"
    ONE_TO_MANY = "one_to_many"
    MANY_TO_ONE = "many_to_one"


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
    miss: str | None = None  # with no proposal: why (every miss is explained)

    @property
    def best(self) -> Proposal | None:
        return self.proposals[0] if self.proposals else None


@dataclass(frozen=True, slots=True)
class Articulation:
    modules: tuple[ModuleResult, ...]  # in the programme's order
    by_course: Mapping[str, tuple[str, ...]]  # course id → modules it is proposed for
    unmatched_courses: tuple[str, ...]  # courses with no proposal
    policy_version: str
    course_misses: Mapping[str, str] = field(default_factory=dict)  # unmatched course → why

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


# --- proposals ---------------------------------------------------------------------------------


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
    relate: Relate | None = None,
    *,
    cross_lingual: bool = False,
) -> Articulation:
    """Proposals for every module of ``target`` from the courses' matches (``relate``: national
    levels related in the most specific frame; without it, EQF numbers). A module or course left
    without a proposal says why (``miss``, ``course_misses``).

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
            level = level_check(course, module, rules, relate)
            if level.compatible is False or mm.coverage < rules.conditional_coverage:
                continue
            eligible.append((mm, level))
        budget = _budget(course)
        replaced: list[tuple[ModuleMatch, LevelCheck, CreditCheck, list[str]]] = []
        for mm, level in sorted(eligible, key=lambda e: (-e[0].coverage, e[0].module)):
            module = modules[mm.module]
            credits = credit_check(course.credits_ects, module, rules)
            decision, reasons = decide(mm.coverage, [level], credits, rules)
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
        group = _many_to_one(modules[code], found, remaining, policy, relate)
        proposals[code].extend(group)

    results = []
    by_course: dict[str, list[str]] = defaultdict(list)
    limit = policy.options.proposals_per_module
    touching: dict[str, list[tuple[Course, ModuleMatch]]] = defaultdict(list)
    for match in matches:
        for mm in match.modules:
            if match.course in by_id:
                touching[mm.module].append((by_id[match.course], mm))
    for module in target:
        ranked = sorted(proposals.get(module.code, ()), key=_rank)[:limit]
        miss = (
            None
            if ranked
            else _module_miss(module, touching[module.code], policy, relate, cross_lingual)
        )
        results.append(ModuleResult(module, tuple(ranked), miss))
        for p in ranked:
            for cid in p.courses:
                if module.code not in by_course[cid]:
                    by_course[cid].append(module.code)
    unmatched = tuple(c.id for c in courses if c.id not in by_course)
    matched = {m.course: m for m in matches}
    return Articulation(
        modules=tuple(results),
        by_course={k: tuple(v) for k, v in by_course.items()},
        unmatched_courses=unmatched,
        policy_version=policy.version,
        course_misses={
            cid: _course_miss(by_id[cid], matched.get(cid), modules, policy, relate, cross_lingual)
            for cid in unmatched
            if cid in by_id
        },
    )


def _foreign(course: Course, module: TargetModule, cross_lingual: bool) -> str | None:
    """A language the alignment cannot bridge (a lexical or English-only model), if so."""
    have, want = (course.language or "")[:2], (module.language or "")[:2]
    if cross_lingual or not have or not want or have == want:
        return None
    return (
        f"language not supported: {course.id}'s outcomes are in {have}, {module.code}'s in "
        f"{want}, and the alignment does not compare across languages"
    )


def _blocker(
    course: Course,
    mm: ModuleMatch | None,
    module: TargetModule,
    policy: ArticulationPolicy,
    relate: Relate | None = None,
    cross_lingual: bool = False,
) -> str:
    """Why one course's match with one module is no proposal: level, outcomes (or language),
    then credits."""
    rules = policy.rules
    level = level_check(course, module, rules, relate)
    if level.compatible is False:
        return f"level too low: {level.reason}"
    coverage = mm.coverage if mm is not None else 0.0
    if coverage < rules.conditional_coverage:
        best = max((p.score for p in mm.pairs), default=0.0) if mm is not None else 0.0
        return _foreign(course, module, cross_lingual) or (
            f"no outcome above the bar: best candidate {course.id} covers {coverage:.0%} of "
            f"the outcomes (best pair score {best:.2f}; a proposal needs "
            f"{rules.conditional_coverage:.0%} covered)"
        )
    credits = credit_check(course.credits_ects, module, rules)
    if credits.sufficient is False and not credits.bridgeable:
        return f"credits too small: {course.id}: {credits.reason}"
    return f"{course.id}'s credits went to better-covered modules"


def _module_miss(
    module: TargetModule,
    found: Sequence[tuple[Course, ModuleMatch]],
    policy: ArticulationPolicy,
    relate: Relate | None = None,
    cross_lingual: bool = False,
) -> str:
    if not module.outcomes:
        return "the module publishes no learning outcomes to compare"
    if not found:
        return (
            "no outcome above the bar: no incoming course has an outcome reaching the pair score "
            "bar against this module's outcomes"
        )
    course, mm = max(found, key=lambda e: (e[1].coverage, max(p.score for p in e[1].pairs)))
    return _blocker(course, mm, module, policy, relate, cross_lingual)


def _course_miss(
    course: Course,
    match: CourseMatch | None,
    modules: Mapping[str, TargetModule],
    policy: ArticulationPolicy,
    relate: Relate | None = None,
    cross_lingual: bool = False,
) -> str:
    if not course.outcomes:
        return "the course states no learning outcomes"
    if match is None or not match.modules:
        foreign = [m for m in modules.values() if _foreign(course, m, cross_lingual)]
        if foreign and len(foreign) == len(modules):
            return _foreign(course, foreign[0], cross_lingual) or ""
        return "none of its outcomes scores above the bar against any module's outcomes"
    mm = max(match.modules, key=lambda m: (m.coverage, max(p.score for p in m.pairs)))
    module = modules.get(mm.module)
    if module is None:
        return "its best module is not in the programme"
    return (
        f"best module {module.code}: {_blocker(course, mm, module, policy, relate, cross_lingual)}"
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
    relate: Relate | None = None,
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
        if level_check(course, module, rules, relate).compatible is not False
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
            levels = [level_check(c, module, rules, relate) for c, _ in group]
            coverage = len(union) / n
            decision, reasons = decide(coverage, levels, credits, rules)
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
