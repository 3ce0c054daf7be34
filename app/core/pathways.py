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

First the cover is split into independent parts (connected components of the graph linking
modules to the offerings that can serve them, and offerings to their prerequisites): a 40-module
programme is usually many small problems, not one large one. Per part:

* **Exact** branch-and-bound when at most ``exact_limit`` offerings are relevant: branch on the
  uncovered module with the fewest contributors; bound with a packing of uncovered modules whose
  possible contributors share nothing (each needs its own, so their cheapest costs add up — an
  admissible bound). Its first answer is optimal; the next are the next best minimal answers
  the search met.
* **Greedy** otherwise (or when the search exceeds ``node_limit`` nodes): repeatedly the bundle
  with the best progress per weight; alternatives re-run it with one step of the best answer
  banned. Greedy set cover is within a factor ln(n) of the optimum.

The parts' ranked answers are merged into ranked paths (the k best sums); the plan says which
algorithm ran (``exact`` only when every part was solved exactly).

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

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import networkx as nx

from app.core.credits import Range
from app.core.errors import InvalidInput
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


# --- the problem ------------------------------------------------------------------------------


@dataclass
class _Problem:
    """Bitmask form: module outcomes as bits, offerings as indices."""

    modules: list[TargetModule]  # the remaining required modules
    need: list[int]  # outcomes needed per module
    need_credits: list[float]  # module lower bound × workload_min_ratio (0: unknown)
    base_mask: list[int]  # outcomes covered by held credentials
    base_credits: list[float]  # credits of the held credentials contributing
    offerings: list[Offering]
    masks: list[dict[int, int]]  # offering → module → covered outcomes bitmask
    direct: list[int | None]  # offering → module it is, if any
    credits: list[float]  # offering → ECTS upper bound (0 when unknown)
    weight: list[float]
    bundle: list[int]  # offering → bitmask of offerings (itself and its prerequisites)
    policy: ArticulationPolicy
    matches: Mapping[str, CandidateMatch]  # offering id → its match (evidence of the steps)
    contributors: list[list[int]] = field(default_factory=list)  # module → offerings
    relate: Relate | None = None

    def done(self, m: int, chosen: int) -> bool:
        mask = self.base_mask[m]
        credits = self.base_credits[m]
        for o in self.contributors[m]:
            if chosen >> o & 1:
                if self.direct[o] == m:
                    return True
                mask |= self.masks[o].get(m, 0)
                credits += self.credits[o]
        return mask.bit_count() >= self.need[m] and credits + 1e-9 >= self.need_credits[m]

    def uncovered(self, chosen: int) -> list[int]:
        return [m for m in range(len(self.modules)) if not self.done(m, chosen)]

    def cost(self, chosen: int) -> float:
        return sum(self.weight[o] for o in _bits(chosen))

    def progress(self, m: int, chosen: int, extra: int) -> float:
        """How much closer module ``m`` gets (0–1) when ``extra`` offerings are added."""
        if self.done(m, chosen):
            return 0.0
        if self.done(m, chosen | extra):
            return 1.0
        before = self._state(m, chosen)
        after = self._state(m, chosen | extra)
        need_o = max(1, self.need[m])
        gained = min(after[0], self.need[m]) - min(before[0], self.need[m])
        part = gained / need_o
        if self.need_credits[m] > 0:
            c_gain = min(after[1], self.need_credits[m]) - min(before[1], self.need_credits[m])
            part = 0.5 * part + 0.5 * c_gain / self.need_credits[m]
        return max(0.0, min(part, 0.99))

    def _state(self, m: int, chosen: int) -> tuple[int, float]:
        mask, credits = self.base_mask[m], self.base_credits[m]
        for o in self.contributors[m]:
            if chosen >> o & 1:
                mask |= self.masks[o].get(m, 0)
                credits += self.credits[o]
        return mask.bit_count(), credits


def _bits(mask: int) -> list[int]:
    """Positions of the set bits, lowest first.

    >>> _bits(0b10110)
    [1, 2, 4]
    """
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _mask(items: Sequence[int]) -> int:
    value = 0
    for i in items:
        value |= 1 << i
    return value


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
            masks[i] = _mask(mm.covered)
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
        base_mask=[_mask(s.covered_outcomes) for s in remaining],
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
            _mask([position[a] for a in nx.ancestors(G, o)] + [position[o]]) for o in chosen_ids
        ],
        policy=policy,
        matches=match_of,
        relate=relate,
    )
    problem.contributors = [[] for _ in remaining]
    for o, masks in enumerate(problem.masks):
        for m in masks:
            problem.contributors[m].append(o)

    impossible = [
        remaining[m].module.code
        for m in range(len(remaining))
        if not problem.done(m, _all(problem))
    ]
    if impossible:
        notes.append("no offering completes " + ", ".join(impossible) + ": the paths leave it open")
    # Independent parts (modules linked only through shared offerings or prerequisite bundles)
    # are solved apart and their ranked answers merged: exact search stays small per part.
    goal = {m for m in range(len(remaining)) if remaining[m].module.code not in set(impossible)}
    parts = _components(problem, goal)
    ranked_parts: list[list[tuple[float, int]]] = []
    greedy_parts = stopped = 0
    for modules, allowed in parts:
        solved: list[tuple[float, int]] | None = None
        if allowed.bit_count() <= options.exact_limit:
            solved = _branch_and_bound(problem, limit, options.node_limit, modules, allowed)
            stopped += solved is None
        if solved is None:
            greedy_parts += 1
            solved = _greedy_paths(problem, limit, modules, allowed)
        if solved:
            ranked_parts.append(solved)
    algorithm = "exact" if not greedy_parts else "greedy"
    if greedy_parts:
        notes.append(
            f"greedy set cover (within a factor ln(n) of the optimum) for {greedy_parts} of "
            f"{len(parts)} independent part(s): more than {options.exact_limit} relevant "
            "offerings"
            + (f", or over {options.node_limit} search nodes ({stopped})" if stopped else "")
        )
    elif len(parts) > 1:
        notes.append(f"exact search in {len(parts)} independent parts, answers merged")
    solutions = _combine(ranked_parts, limit)
    paths = tuple(_path(problem, chosen, G, remaining, currency) for _, chosen in solutions[:limit])
    return PathwayPlan(objective, statuses, paths, algorithm, tuple(notes), len(useful))


def _upper(credits: Range | None) -> float:
    return credits.maximum if credits is not None else 0.0


def _all(problem: _Problem) -> int:
    return (1 << len(problem.offerings)) - 1


def _main_currency(offerings: Sequence[Offering]) -> str | None:
    counts = Counter(o.currency for o in offerings if o.cost is not None and o.currency)
    return counts.most_common(1)[0][0] if counts else None


def _minimal(problem: _Problem, chosen: int, goal: set[int]) -> int:
    """``chosen`` without steps that no module needs (dearest dropped first), prerequisites kept."""
    for o in sorted(_bits(chosen), key=lambda k: -problem.weight[k]):
        trial = chosen & ~(1 << o)
        # Keep the bundle closed: nothing left may require what is being dropped.
        if any(trial >> k & 1 and problem.bundle[k] >> o & 1 for k in _bits(trial)):
            continue
        # Dropping ``o`` can only undo the modules it contributes to.
        if all(problem.done(m, trial) for m in problem.masks[o] if m in goal):
            chosen = trial
    return chosen


def _components(problem: _Problem, goal: set[int]) -> list[tuple[set[int], int]]:
    """The independent parts of the cover: (modules, bitmask of the offerings that matter)."""
    G: nx.Graph[tuple[str, int]] = nx.Graph()
    for m in goal:
        G.add_node(("m", m))
        for o in problem.contributors[m]:
            G.add_edge(("m", m), ("o", o))
            for e in _bits(problem.bundle[o]):
                G.add_edge(("o", o), ("o", e))
    parts = []
    for component in nx.connected_components(G):
        modules = {i for kind, i in component if kind == "m"}
        offerings = _mask([i for kind, i in component if kind == "o"])
        parts.append((modules, offerings))
    parts.sort(key=lambda p: min(p[0]))
    return parts


def _combine(parts: Sequence[Sequence[tuple[float, int]]], limit: int) -> list[tuple[float, int]]:
    """The ``limit`` best unions of one answer per part (each part's list sorted best first).

    >>> _combine([[(1.0, 0b1), (2.0, 0b10)], [(5.0, 0b100), (5.5, 0b1000)]], 3)
    [(6.0, 5), (6.5, 9), (7.0, 6)]
    """
    if not parts:
        return [(0.0, 0)]
    start = (0,) * len(parts)
    heap = [(sum(p[0][0] for p in parts), start)]
    seen = {start}
    out: list[tuple[float, int]] = []
    while heap and len(out) < limit:
        weight, index = heapq.heappop(heap)
        chosen = 0
        for p, i in zip(parts, index, strict=True):
            chosen |= p[i][1]
        out.append((round(weight, 9), chosen))
        for k, p in enumerate(parts):
            if index[k] + 1 < len(p):
                nxt = (*index[:k], index[k] + 1, *index[k + 1 :])
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (weight - p[index[k]][0] + p[index[k] + 1][0], nxt))
    return out


def _branch_and_bound(
    problem: _Problem, limit: int, node_limit: int, goal: set[int], allowed: int
) -> list[tuple[float, int]] | None:
    """The ``limit`` best minimal covers of ``goal`` with the offerings in ``allowed``, or None
    when the search needs more than ``node_limit`` nodes."""
    best: list[tuple[float, int]] = []  # max-heap by negated weight: the worst kept on top
    found: set[int] = set()
    seen: set[int] = set()
    nodes = 0
    usable = [
        [o for o in problem.contributors[m] if allowed >> o & 1]
        for m in range(len(problem.modules))
    ]

    def kth() -> float:
        return -best[0][0] if len(best) >= limit else math.inf

    def bound(chosen: int, open_modules: Sequence[int]) -> float:
        # Every open module needs one more contributor. Modules whose contributors (and their
        # prerequisites) share nothing need separate ones, so their cheapest costs add up.
        entries = []
        for m in open_modules:
            extras = [problem.bundle[o] & ~chosen for o in usable[m] if not chosen >> o & 1]
            if not extras:
                return math.inf
            reach = 0
            for extra in extras:
                reach |= extra
            entries.append((min(problem.cost(extra) for extra in extras), reach))
        entries.sort(key=lambda e: -e[0])
        used = 0
        total = 0.0
        for cheapest, reach in entries:
            if not reach & used:
                total += cheapest
                used |= reach
        return total

    def visit(chosen: int, cost: float) -> bool:
        nonlocal nodes
        nodes += 1
        if nodes > node_limit:
            return False
        open_modules = [m for m in goal if not problem.done(m, chosen)]
        if not open_modules:
            minimal = _minimal(problem, chosen, goal)
            if minimal not in found:
                weight = problem.cost(minimal)
                if weight < kth() or len(best) < limit:
                    found.add(minimal)
                    heapq.heappush(best, (-weight, minimal))
                    if len(best) > limit:
                        heapq.heappop(best)
            return True
        if cost + bound(chosen, open_modules) >= kth():
            return True
        # The most constrained module first: fewest offerings left to cover it.
        m = min(
            open_modules,
            key=lambda k: sum(1 for o in usable[k] if not chosen >> o & 1),
        )
        options = [o for o in usable[m] if not chosen >> o & 1]
        options.sort(
            key=lambda o: (
                problem.cost(problem.bundle[o] & ~chosen)
                / max(1e-9, problem.progress(m, chosen, problem.bundle[o])),
                o,
            )
        )
        for o in options:
            nxt = chosen | problem.bundle[o]
            if nxt in seen:
                continue
            seen.add(nxt)
            if not visit(nxt, problem.cost(nxt)):
                return False
        return True

    if not visit(0, 0.0):
        return None
    return sorted(((-w, c) for w, c in best), key=lambda s: (s[0], s[1].bit_count()))


def _greedy(problem: _Problem, banned: int, goal: set[int], allowed: int) -> int | None:
    """Weighted greedy set cover with per-module state kept up to date as steps are added, and
    each candidate scored only on the modules its bundle touches (so an iteration costs about
    offerings × bundle size, not offerings × modules × contributors)."""
    n = len(problem.modules)
    mask = list(problem.base_mask)
    credits = list(problem.base_credits)
    direct = [False] * n
    candidates = _bits(allowed)
    members: dict[int, list[int]] = {o: _bits(problem.bundle[o]) for o in candidates}
    touches = {o: sorted({m for e in members[o] for m in problem.masks[e]}) for o in candidates}

    def complete(m: int, mk: int, cr: float, dr: bool) -> bool:
        return dr or (mk.bit_count() >= problem.need[m] and cr + 1e-9 >= problem.need_credits[m])

    def progress(m: int, mk: int, cr: float, dr: bool) -> float:
        if complete(m, mk, cr, dr):
            return 1.0
        part = min(mk.bit_count(), problem.need[m]) / max(1, problem.need[m])
        if problem.need_credits[m] > 0:
            part = 0.5 * part + 0.5 * min(cr, problem.need_credits[m]) / problem.need_credits[m]
        return min(part, 0.99)

    open_modules = {m for m in goal if not complete(m, mask[m], credits[m], direct[m])}
    now = [progress(m, mask[m], credits[m], direct[m]) for m in range(n)]
    # Which offerings' gains a change to module m (or to offering e being taken) can alter.
    by_module: dict[int, set[int]] = defaultdict(set)
    by_member: dict[int, set[int]] = defaultdict(set)
    for o in candidates:
        for m in touches[o]:
            by_module[m].add(o)
        for e in members[o]:
            by_member[e].add(o)
    ratio: dict[int, float] = dict.fromkeys(candidates, 0.0)
    dirty = set(candidates)
    heap: list[tuple[float, int]] = []  # (-ratio, offering); stale entries skipped when popped
    chosen = 0
    while open_modules:
        for o in dirty:
            ratio[o] = 0.0
            if chosen >> o & 1 or problem.bundle[o] & (banned | ~allowed):
                continue
            extra = [e for e in members[o] if not chosen >> e & 1]
            gain = 0.0
            for m in touches[o]:
                if m not in open_modules:
                    continue
                mk, cr, dr = mask[m], credits[m], direct[m]
                for e in extra:
                    if m in problem.masks[e]:
                        mk |= problem.masks[e][m]
                        cr += problem.credits[e]
                        dr = dr or problem.direct[e] == m
                gain += progress(m, mk, cr, dr) - now[m]
            if gain > 1e-12:
                ratio[o] = gain / max(sum(problem.weight[e] for e in extra), 1e-9)
                heapq.heappush(heap, (-ratio[o], o))
        best_o = None
        while heap:
            r, o = heap[0]
            if chosen >> o & 1 or -r != ratio[o]:
                heapq.heappop(heap)  # taken, or its gain changed since it was pushed
                continue
            best_o = o
            break
        if best_o is None:
            return None
        changed: set[int] = set()
        dirty = set()
        for e in members[best_o]:
            if chosen >> e & 1:
                continue
            chosen |= 1 << e
            dirty |= by_member[e]
            for m, bits in problem.masks[e].items():
                mask[m] |= bits
                credits[m] += problem.credits[e]
                direct[m] = direct[m] or problem.direct[e] == m
                changed.add(m)
        for m in changed:
            now[m] = progress(m, mask[m], credits[m], direct[m])
            dirty |= by_module[m]
        open_modules = {m for m in open_modules if not complete(m, mask[m], credits[m], direct[m])}
    return _minimal(problem, chosen, goal)


def _greedy_paths(
    problem: _Problem, limit: int, goal: set[int], allowed: int
) -> list[tuple[float, int]]:
    first = _greedy(problem, 0, goal, allowed)
    if first is None:
        return []
    found = {first}
    # Alternatives: ban one step of the best path at a time, dearest first (a few tries: a ban
    # that leads back to a path already found is not worth many more).
    for o in sorted(_bits(first), key=lambda k: -problem.weight[k])[: 2 * limit]:
        if len(found) >= limit:
            break
        alt = _greedy(problem, 1 << o, goal, allowed)
        if alt is not None:
            found.add(alt)
    return sorted(((problem.cost(c), c) for c in found), key=lambda s: (s[0], s[1].bit_count()))


def _path(
    problem: _Problem,
    chosen: int,
    G: nx.DiGraph[str],
    remaining: Sequence[ModuleStatus],
    currency: str | None,
) -> Path:
    members = _bits(chosen)
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
                    outcomes=tuple(_bits(mask)),
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
