"""Stackability pathways: what held micro-credentials cover of a qualification, what remains,
and ranked ways to complete it with what the catalogue offers.

The question is a weighted set cover. The *elements* are the target's required modules: the
compulsory ones (unmarked modules count; electives are chosen freely, so never required) and,
through the prerequisite DAG, every module they depend on. A module counts as done when:

* the learner takes the module itself (an offering with ``covers_module``), or
* the outcomes covered by everything the learner holds or takes reach the recognition policy's
  ``replace_coverage`` share of the module's outcomes (covered outcomes of several credentials
  add up — the outcome-level form of many-to-one), with enough credits between them
  (``workload_min_ratio``) and no contributor at an incompatible level.

A step's credits may count towards several modules here, as in a per-module recognition
decision (so adding a step never undoes a module, which keeps the search exact);
:func:`app.core.articulation.propose` is stricter and splits a course's credits.

The *sets* are offerings (modules of catalogue programmes, micro-credentials, the target's own
modules), each with a weight: its ECTS credits (``objective=credits``) or its published cost
(``objective=cost``; an offering without a cost weighs more than any priced one, so it is used
only when nothing priced does). Taking an offering means taking its prerequisites too: its
*bundle* is the offering and its ancestors in the offerings' prerequisite DAG (networkx).

The cover is solved by :func:`app.core.transfer.cover.solve` (independent parts apart; exact
branch-and-bound for small parts, greedy otherwise); the plan says which algorithm ran
(``exact`` only when every part was solved exactly) and why.

Every path lists its steps in study order (a topological order of the prerequisite DAGs), each
with the modules it completes or helps complete and the outcome pairs behind that.

>>> from app.core.transfer.align import index_target, match_courses
>>> from app.core.transfer.types import ArticulationPolicy, Course, TargetModule
>>> from app.core.credits import Range
>>> target = [TargetModule("A", "A", ("lead a team",), Range(5, 5)),
...           TargetModule("B", "B", ("paint portraits",), Range(5, 5))]
>>> held = [Course("h", "held", ("lead a team",), Range(5, 5))]
>>> offers = [Offering(Course("o1", "Portraits", ("paint portraits",), Range(5, 5)), "module")]
>>> ix, policy = index_target(target, None), ArticulationPolicy()
>>> plan = plan_pathways(target, held, match_courses(held, ix, None, policy), offers,
...                      match_courses([o.course for o in offers], ix, None, policy), policy)
>>> plan.covered_modules, plan.remaining_modules, plan.paths[0].offerings
(('A',), ('B',), ('o1',))
>>> plan.algorithm
'exact'
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import networkx as nx

from app.core.credits import Range
from app.core.errors import InvalidInput
from app.core.transfer.cover import CoverProblem, bits, mask_of, solve
from app.core.transfer.rules import Relate, coverage_need, is_required, level_check
from app.core.transfer.types import (
    ArticulationPolicy,
    CandidateMatch,
    LevelCheck,
    PairEvidence,
    TargetModule,
)
from app.core.transfer.types import Candidate as Course

#: Weight of a step without a usable cost under ``objective=cost``: above any real price, so
#: such steps are used only when no priced offering does the job.
UNKNOWN_COST = 1_000_000.0


class Objective(StrEnum):
    CREDITS = "credits"
    COST = "cost"


@dataclass(frozen=True, slots=True)
class Offering:
    """Something a learner can take: a catalogue module, a micro-credential, a target module.

    ``prerequisites`` are ids of other offerings to take first; ``covers_module`` is the code of
    the target module this offering *is* (taking it completes that module outright).
    """

    course: Course
    kind: str  # "target_module" | "module" | "micro_credential"
    provider: str | None = None
    cost: float | None = None
    currency: str | None = None
    prerequisites: tuple[str, ...] = ()
    covers_module: str | None = None

    @property
    def id(self) -> str:
        return self.course.id


@dataclass(frozen=True, slots=True)
class ModuleStatus:
    """A module and what the held credentials do for it (``required`` False: an elective not
    chosen, reported for what the held credentials cover of it, never planned for)."""

    module: TargetModule
    covered: bool
    covered_outcomes: tuple[int, ...]
    by: tuple[str, ...]  # held credentials contributing covered outcomes
    reason: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class Contribution:
    module: str
    outcomes: tuple[int, ...]  # module outcomes this step covers
    completes: bool  # the module is done once this step is taken (with the steps before it)
    together_with: tuple[str, ...]  # other steps or held credentials also covering outcomes
    pairs: tuple[PairEvidence, ...]
    level: LevelCheck | None


@dataclass(frozen=True, slots=True)
class Step:
    offering: Offering
    contributions: tuple[Contribution, ...]
    requires: tuple[str, ...]  # steps to take before this one
    prerequisite_only: bool = False  # taken because another step requires it


@dataclass(frozen=True, slots=True)
class Path:
    steps: tuple[Step, ...]  # in study order
    credits: Range | None  # None when a step's credits are not known
    cost: float | None  # of the steps with a cost in ``currency``
    currency: str | None
    unknown_cost_steps: int
    weight: float

    @property
    def offerings(self) -> tuple[str, ...]:
        return tuple(s.offering.id for s in self.steps)


@dataclass(frozen=True, slots=True)
class PathwayPlan:
    objective: Objective
    required: tuple[ModuleStatus, ...]
    paths: tuple[Path, ...]
    algorithm: str  # "exact" | "greedy" | "none" (nothing remains)
    notes: tuple[str, ...] = ()
    offerings_considered: int = 0

    @property
    def covered_modules(self) -> tuple[str, ...]:
        return tuple(s.module.code for s in self.required if s.covered)

    @property
    def remaining_modules(self) -> tuple[str, ...]:
        return tuple(s.module.code for s in self.required if s.required and not s.covered)

    def credits(self, covered: bool) -> Range | None:
        known = [
            s.module.credits_ects
            for s in self.required
            if s.covered is covered and (covered or s.required)
        ]
        if any(r is None for r in known):
            return None
        return Range(sum(r.minimum for r in known if r), sum(r.maximum for r in known if r))

    def outcomes(self) -> tuple[int, int]:
        """Required outcomes covered by the held credentials, and in total."""
        required = [s for s in self.required if s.required]
        done = sum(
            len(s.module.outcomes) if s.covered else len(s.covered_outcomes) for s in required
        )
        return done, sum(len(s.module.outcomes) for s in required)


# --- requirements ------------------------------------------------------------------------------


def prerequisite_dag(modules: Sequence[TargetModule]) -> nx.DiGraph[str]:
    """Module codes with an edge prerequisite → module; unknown codes are ignored.

    >>> g = prerequisite_dag([TargetModule("A", "A", ()), TargetModule("B", "B", (),
    ...                       prerequisites=("A", "Z"))])
    >>> sorted(g.edges)
    [('A', 'B')]
    """
    G: nx.DiGraph[str] = nx.DiGraph()
    codes = {m.code for m in modules}
    G.add_nodes_from(codes)
    for m in modules:
        for p in m.prerequisites:
            if p in codes and p != m.code:
                G.add_edge(p, m.code)
    return G


def required_modules(
    modules: Sequence[TargetModule], chosen: Sequence[str] = ()
) -> tuple[TargetModule, ...]:
    """Compulsory modules (unmarked ones count as compulsory), the electives the learner has
    ``chosen`` (electives are chosen freely, so never required otherwise), and every
    prerequisite they need.

    >>> mods = [TargetModule("A", "A", (), compulsory=False), TargetModule("B", "B", (),
    ...         prerequisites=("A",)), TargetModule("C", "C", (), compulsory=False)]
    >>> [m.code for m in required_modules(mods)]
    ['A', 'B']
    """
    compulsory = {m.code for m in modules if is_required(m) or m.code in chosen}
    G = prerequisite_dag(modules)
    wanted = set(compulsory)
    for code in compulsory:
        wanted |= nx.ancestors(G, code)
    return tuple(m for m in modules if m.code in wanted)


def _weight(
    offering: Offering, objective: Objective, currency: str | None, unknown: float
) -> float:
    credits = offering.course.credits_ects.central if offering.course.credits_ects else unknown
    if objective is Objective.CREDITS:
        return credits
    if offering.cost is not None and offering.currency == currency:
        # Credits break ties between equal prices (a cheaper *and* smaller path first).
        return offering.cost + credits * 1e-6
    return UNKNOWN_COST + credits


# --- the problem ------------------------------------------------------------------------------


@dataclass
class _Problem(CoverProblem):
    """The cover of the remaining required modules, with what the paths' evidence needs."""

    modules: list[TargetModule] = field(default_factory=list)  # the remaining required modules
    offerings: list[Offering] = field(default_factory=list)
    policy: ArticulationPolicy = field(default_factory=ArticulationPolicy)
    matches: Mapping[str, CandidateMatch] = field(default_factory=dict)  # offering id → match
    relate: Relate | None = None


# --- held credentials ------------------------------------------------------------------------


def held_status(
    required: Sequence[TargetModule],
    held: Sequence[Course],
    matches: Sequence[CandidateMatch],
    policy: ArticulationPolicy,
    relate: Relate | None = None,
) -> tuple[ModuleStatus, ...]:
    """What the held credentials cover of each required module (outcomes add up)."""
    rules = policy.rules
    by_id = {c.id: c for c in held}
    statuses = []
    for module in required:
        outcomes: set[int] = set()
        credits = 0.0
        by: list[str] = []
        blocked: list[str] = []
        for match in matches:
            course = by_id.get(match.course)
            mm = match.module(module.code)
            if course is None or mm is None or not mm.covered:
                continue
            if level_check(course, module, rules, relate).compatible is False:
                blocked.append(course.id)
                continue
            outcomes |= set(mm.covered)
            credits += course.credits_ects.maximum if course.credits_ects else 0.0
            by.append(course.id)
        n = len(module.outcomes)
        need = coverage_need(module, rules) if n else 1
        need_credits = (
            module.credits_ects.minimum * rules.workload_min_ratio if module.credits_ects else 0.0
        )
        enough_outcomes = n > 0 and len(outcomes) >= need
        covered = enough_outcomes and credits + 1e-9 >= need_credits
        if covered:
            reason = f"{len(outcomes)} of {n} outcomes covered by {', '.join(by)}"
        elif not n:
            reason = "the module publishes no learning outcomes: only taking it completes it"
        elif enough_outcomes:
            reason = (
                f"outcomes covered, but {credits:.3g} ECTS held against {need_credits:.3g} needed"
            )
        else:
            reason = f"{len(outcomes)} of {n} outcomes covered ({need} needed)"
        if blocked:
            reason += f"; not counted (level too low): {', '.join(blocked)}"
        statuses.append(ModuleStatus(module, covered, tuple(sorted(outcomes)), tuple(by), reason))
    return tuple(statuses)


# --- planning ----------------------------------------------------------------------------------


def plan_pathways(
    target: Sequence[TargetModule],
    held: Sequence[Course],
    held_matches: Sequence[CandidateMatch],
    offerings: Sequence[Offering],
    offering_matches: Sequence[CandidateMatch],
    policy: ArticulationPolicy,
    *,
    objective: Objective = Objective.CREDITS,
    limit: int = 3,
    relate: Relate | None = None,
    electives: Sequence[str] = (),
) -> PathwayPlan:
    """What is covered, what remains, and up to ``limit`` ranked paths to complete ``target``.

    ``held_matches`` and ``offering_matches`` come from
    :func:`app.core.articulation.match_courses` against the target's index.
    """
    if limit < 1:
        raise InvalidInput("/limit", "limit must be at least 1")
    rules = policy.rules
    options = policy.options
    required = required_modules(target, electives)
    free = [m for m in target if m not in required]
    statuses = held_status(required, held, held_matches, policy, relate) + tuple(
        replace(s, required=False) for s in held_status(free, held, held_matches, policy, relate)
    )
    remaining = [s for s in statuses if s.required and not s.covered]
    notes: list[str] = []
    if free:
        notes.append(
            f"{len(free)} elective module(s) not chosen, so not planned for "
            f"({', '.join(m.code for m in free[:10])}): electives are chosen freely (name them "
            "in `electives` to plan for them)"
        )
    if not remaining:
        return PathwayPlan(
            objective,
            statuses,
            (Path((), Range(0, 0), 0.0, None, 0, 0.0),),
            "none",
            ("the held credentials already cover every required module", *notes),
        )

    # Offerings that help: take a remaining module directly, or cover one of its outcomes.
    index = {m.module.code: i for i, m in enumerate(remaining)}
    match_of = {m.course: m for m in offering_matches}
    held_ids = {c.id for c in held}
    by_id = {o.id: o for o in offerings}
    useful: dict[str, dict[int, int]] = {}
    for offering in offerings:
        if offering.id in held_ids:
            continue
        masks: dict[int, int] = {}
        if offering.covers_module in index:
            masks[index[offering.covers_module]] = 0
        match = match_of.get(offering.id)
        for mm in match.modules if match else ():
            i = index.get(mm.module)
            if i is None or not mm.covered:
                continue
            if level_check(offering.course, remaining[i].module, rules, relate).compatible is False:
                continue
            masks[i] = mask_of(mm.covered)
        if masks:
            useful[offering.id] = masks
    # Close over prerequisites: a useful offering brings the offerings it requires.
    G: nx.DiGraph[str] = nx.DiGraph()
    for oid in useful:
        G.add_node(oid)
        stack = [oid]
        while stack:
            current = stack.pop()
            for pre in by_id[current].prerequisites if current in by_id else ():
                if pre in by_id and pre not in held_ids and not G.has_edge(pre, current):
                    G.add_edge(pre, current)
                    stack.append(pre)
    if not nx.is_directed_acyclic_graph(G):
        cycle = nx.find_cycle(G)
        notes.append(f"prerequisite cycle among offerings ignored: {cycle}")
        G.remove_edges_from(cycle)
    chosen_ids = sorted(G.nodes, key=lambda oid: (oid not in useful, oid))
    position = {oid: k for k, oid in enumerate(chosen_ids)}
    currency = _main_currency([by_id[o] for o in chosen_ids])
    if objective is Objective.COST:
        priced = [o for o in chosen_ids if by_id[o].cost is not None]
        others = {by_id[o].currency for o in priced} - {currency}
        if others:
            notes.append(
                f"costs in {', '.join(sorted(c for c in others if c))} are not compared with "
                f"{currency} (no exchange rates): treated as unknown"
            )
        if len(priced) < len(chosen_ids):
            notes.append(
                f"{len(chosen_ids) - len(priced)} offering(s) publish no cost: used only where "
                "no priced offering does the job"
            )
    problem = _Problem(
        modules=[s.module for s in remaining],
        need=[coverage_need(s.module, rules) if s.module.outcomes else 10**9 for s in remaining],
        need_credits=[
            s.module.credits_ects.minimum * rules.workload_min_ratio
            if s.module.credits_ects
            else 0.0
            for s in remaining
        ],
        base_mask=[mask_of(s.covered_outcomes) for s in remaining],
        base_credits=[
            sum(c.credits_ects.maximum for c in held if c.id in s.by and c.credits_ects is not None)
            for s in remaining
        ],
        offerings=[by_id[o] for o in chosen_ids],
        masks=[useful.get(o, {}) for o in chosen_ids],
        direct=[index.get(by_id[o].covers_module or "") for o in chosen_ids],
        credits=[_upper(by_id[o].course.credits_ects) for o in chosen_ids],
        weight=[
            _weight(by_id[o], objective, currency, options.unknown_credits_ects) for o in chosen_ids
        ],
        bundle=[
            mask_of([position[a] for a in nx.ancestors(G, o)] + [position[o]]) for o in chosen_ids
        ],
        policy=policy,
        matches=match_of,
        relate=relate,
    )
    impossible = [
        remaining[m].module.code
        for m in range(len(remaining))
        if not problem.done(m, problem.everything())
    ]
    if impossible:
        notes.append("no offering completes " + ", ".join(impossible) + ": the paths leave it open")
    # Independent parts (modules linked only through shared offerings or prerequisite bundles)
    # are solved apart and their ranked answers merged: exact search stays small per part.
    goal = {m for m in range(len(remaining)) if remaining[m].module.code not in set(impossible)}
    solved = solve(
        problem, goal, limit=limit, exact_limit=options.exact_limit, node_limit=options.node_limit
    )
    if solved.greedy_parts:
        notes.append(
            f"greedy set cover (within a factor ln(n) of the optimum) for {solved.greedy_parts} "
            f"of {solved.parts} independent part(s): more than {options.exact_limit} relevant "
            "offerings"
            + (
                f", or over {options.node_limit} search nodes ({solved.stopped})"
                if solved.stopped
                else ""
            )
        )
    elif solved.parts > 1:
        notes.append(f"exact search in {solved.parts} independent parts, answers merged")
    paths = tuple(
        _path(problem, chosen, G, remaining, currency) for _, chosen in solved.answers[:limit]
    )
    return PathwayPlan(objective, statuses, paths, solved.algorithm, tuple(notes), len(useful))


def _upper(credits: Range | None) -> float:
    return credits.maximum if credits is not None else 0.0


def _main_currency(offerings: Sequence[Offering]) -> str | None:
    counts = Counter(o.currency for o in offerings if o.cost is not None and o.currency)
    return counts.most_common(1)[0][0] if counts else None


def _path(
    problem: _Problem,
    chosen: int,
    G: nx.DiGraph[str],
    remaining: Sequence[ModuleStatus],
    currency: str | None,
) -> Path:
    members = bits(chosen)
    ids = [problem.offerings[o].id for o in members]
    # Study order: offering prerequisites, then target-module prerequisites between the steps
    # that complete those modules.
    order: nx.DiGraph[str] = nx.DiGraph()
    order.add_nodes_from(ids)
    for a, b in G.subgraph(ids).edges:
        order.add_edge(a, b)
    completes: dict[int, list[str]] = defaultdict(list)
    for o in members:
        for m in problem.masks[o]:
            completes[m].append(problem.offerings[o].id)
    code_index = {mod.code: m for m, mod in enumerate(problem.modules)}
    for m, mod in enumerate(problem.modules):
        for pre in mod.prerequisites:
            p = code_index.get(pre)
            if p is None:
                continue
            for a in completes.get(p, ()):
                for b in completes.get(m, ()):
                    if a != b and not nx.has_path(order, b, a):
                        order.add_edge(a, b)
    weight_of = {problem.offerings[o].id: problem.weight[o] for o in members}
    sequence = list(nx.lexicographical_topological_sort(order, key=lambda k: (weight_of[k], k)))
    held_by = {s.module.code: s.by for s in remaining}
    steps: list[Step] = []
    taken = 0
    for oid in sequence:
        o = members[ids.index(oid)]
        taken |= 1 << o
        contributions = []
        offering = problem.offerings[o]
        for m, mask in sorted(problem.masks[o].items()):
            module = problem.modules[m]
            partners: tuple[str, ...] = ()
            if problem.direct[o] != m:  # taking the module itself needs no partner
                partners = tuple(
                    problem.offerings[k].id for k in members if k != o and m in problem.masks[k]
                ) + held_by.get(module.code, ())
            contributions.append(
                Contribution(
                    module=module.code,
                    outcomes=tuple(bits(mask)),
                    completes=problem.done(m, taken),
                    together_with=partners,
                    pairs=_evidence(offering, module.code, problem),
                    level=level_check(offering.course, module, problem.policy.rules, problem.relate)
                    if problem.direct[o] != m
                    else None,
                )
            )
        steps.append(
            Step(
                offering,
                tuple(contributions),
                tuple(sorted(order.predecessors(oid))),
                prerequisite_only=not problem.masks[o],
            )
        )
    credits: Range | None = Range(0, 0)
    cost = 0.0
    unknown = 0
    for o in members:
        c = problem.offerings[o].course.credits_ects
        credits = (
            None
            if credits is None or c is None
            else Range(credits.minimum + c.minimum, credits.maximum + c.maximum)
        )
        offering = problem.offerings[o]
        if offering.cost is not None and offering.currency == currency:
            cost += offering.cost
        else:
            unknown += 1
    return Path(
        tuple(steps),
        credits,
        round(cost, 2) if currency else None,
        currency,
        unknown,
        round(problem.cost(chosen), 6),
    )


def _evidence(offering: Offering, module: str, problem: _Problem) -> tuple[PairEvidence, ...]:
    match = problem.matches.get(offering.id)
    mm = match.module(module) if match is not None else None
    if mm is None:
        return ()
    return tuple(
        PairEvidence(
            offering.id, p.course_outcome, p.module_outcome, p.score, p.semantic, p.lexical
        )
        for p in mm.pairs
    )


# --- stacking into the catalogue ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StackResult:
    """What held credentials cover of one programme."""

    programme_id: str
    title: str
    required: tuple[ModuleStatus, ...]
    share: float  # covered share of required credits (or of modules when credits are unknown)
    basis: str  # "credits" | "modules"

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(s.module.code for s in self.required if s.covered)


def stack_into(
    held: Sequence[Course],
    programmes: Sequence[tuple[str, str, Sequence[TargetModule], Sequence[CandidateMatch]]],
    policy: ArticulationPolicy,
    relate: Relate | None = None,
) -> list[StackResult]:
    """Rank programmes by the share the held credentials cover (programmes with no covered
    outcome are left out). ``programmes`` holds (id, title, modules, matches of the held
    credentials against that programme).

    >>> from app.core.transfer.types import CandidateMatch, ModuleMatch, OutcomeMatch
    >>> mods = [TargetModule("A", "A", ("x",), Range(5, 5)), TargetModule("B", "B", ("y",),
    ...         Range(5, 5))]
    >>> m = CandidateMatch("h", (ModuleMatch("A", 1, (OutcomeMatch(0, 0, 1.0, None, 1.0),), (0,)),))
    >>> held = [Course("h", "h", ("x",), Range(5, 5))]
    >>> [(r.programme_id, r.share) for r in stack_into(held, [("P", "P", mods, [m])],
    ...                                                ArticulationPolicy())]
    [('P', 0.5)]
    """
    out: list[StackResult] = []
    for pid, title, modules, matches in programmes:
        # A programme of electives only is judged on all of them (any may be chosen).
        required = required_modules(modules) or tuple(modules)
        statuses = held_status(required, held, matches, policy, relate)
        if not any(s.covered_outcomes for s in statuses):
            continue
        credits = [s.module.credits_ects for s in statuses]
        if required and all(c is not None for c in credits):
            total = sum(c.central for c in credits if c)
            done = sum(
                s.module.credits_ects.central
                for s in statuses
                if s.covered and s.module.credits_ects
            )
            share, basis = (done / total if total else 0.0), "credits"
        else:
            share = sum(s.covered for s in statuses) / len(statuses) if statuses else 0.0
            basis = "modules"
        out.append(StackResult(pid, title, statuses, round(share, 4), basis))
    out.sort(
        key=lambda r: (
            -r.share,
            -sum(len(s.covered_outcomes) for s in r.required),
            r.title,
        )
    )
    return out
