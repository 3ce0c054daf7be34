"""Weighted set cover with partial credit: the one cover solver of the transfer engine.

The *elements* are modules to complete; a module is done when one chosen set *is* it
(``direct``), or when the outcomes covered by what is held and what is chosen reach ``need``
bits with at least ``need_credits`` credits between them. The *sets* are offerings with a
weight, each taken with its ``bundle`` (itself and its prerequisites).

:func:`solve` splits the cover into independent parts (connected components of the graph
linking modules to the offerings that can serve them, and offerings to their prerequisites) and
solves each part:

* **exactly** by branch-and-bound when at most ``exact_limit`` offerings are relevant: branch on
  the uncovered module with the fewest contributors; bound with a packing of uncovered modules
  whose possible contributors share nothing (each needs its own, so their cheapest costs add
  up — an admissible bound). Its first answer is optimal; the next are the next best minimal
  answers the search met;
* **greedily** otherwise (or past ``node_limit`` search nodes): repeatedly the bundle with the
  best progress per weight; alternatives re-run it with one step of the best answer banned
  (within a factor ln(n) of the optimum).

The parts' ranked answers are merged into the ``limit`` best sums (:func:`combine`).

>>> p = CoverProblem(need=[1, 1], need_credits=[0.0, 0.0], base_mask=[0, 0],
...                  base_credits=[0.0, 0.0], masks=[{0: 1}, {1: 1}, {0: 1, 1: 1}],
...                  direct=[None, None, None], credits=[5.0, 5.0, 5.0],
...                  weight=[5.0, 5.0, 8.0], bundle=[0b001, 0b010, 0b100])
>>> result = solve(p, {0, 1}, limit=2, exact_limit=10, node_limit=1000)
>>> result.algorithm, [(w, bits(c)) for w, c in result.answers]
('exact', [(8.0, [2]), (10.0, [0, 1])])

:mod:`app.core.pathways` states a learner's pathways as such a problem.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx


@dataclass
class CoverProblem:
    """A weighted cover in bitmask form: elements ("modules") with outcomes as bits, sets
    ("offerings") as indices. ``contributors`` (module → offerings that can serve it) is
    derived from ``masks``."""

    need: list[int]  # outcomes needed per module
    need_credits: list[float]  # module lower bound × workload_min_ratio (0: unknown)
    base_mask: list[int]  # outcomes covered by held credentials
    base_credits: list[float]  # credits of the held credentials contributing
    masks: list[dict[int, int]]  # offering → module → covered outcomes bitmask
    direct: list[int | None]  # offering → module it is, if any
    credits: list[float]  # offering → ECTS upper bound (0 when unknown)
    weight: list[float]
    bundle: list[int]  # offering → bitmask of offerings (itself and its prerequisites)
    contributors: list[list[int]] = field(init=False)  # module → offerings

    def __post_init__(self) -> None:
        self.contributors = [[] for _ in self.need]
        for o, masks in enumerate(self.masks):
            for m in masks:
                self.contributors[m].append(o)

    @property
    def size(self) -> int:
        """How many modules (elements) there are."""
        return len(self.need)

    def everything(self) -> int:
        """The bitmask of every offering."""
        return (1 << len(self.masks)) - 1

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
        return [m for m in range(self.size) if not self.done(m, chosen)]

    def cost(self, chosen: int) -> float:
        return sum(self.weight[o] for o in bits(chosen))

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


def bits(mask: int) -> list[int]:
    """Positions of the set bits, lowest first.

    >>> bits(0b10110)
    [1, 2, 4]
    """
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def mask_of(items: Sequence[int]) -> int:
    value = 0
    for i in items:
        value |= 1 << i
    return value


def prune(problem: CoverProblem, chosen: int, goal: set[int]) -> int:
    """``chosen`` without steps that no module needs (dearest dropped first), prerequisites kept."""
    for o in sorted(bits(chosen), key=lambda k: -problem.weight[k]):
        trial = chosen & ~(1 << o)
        # Keep the bundle closed: nothing left may require what is being dropped.
        if any(trial >> k & 1 and problem.bundle[k] >> o & 1 for k in bits(trial)):
            continue
        # Dropping ``o`` can only undo the modules it contributes to.
        if all(problem.done(m, trial) for m in problem.masks[o] if m in goal):
            chosen = trial
    return chosen


def components(problem: CoverProblem, goal: set[int]) -> list[tuple[set[int], int]]:
    """The independent parts of the cover: (modules, bitmask of the offerings that matter)."""
    G: nx.Graph[tuple[str, int]] = nx.Graph()
    for m in goal:
        G.add_node(("m", m))
        for o in problem.contributors[m]:
            G.add_edge(("m", m), ("o", o))
            for e in bits(problem.bundle[o]):
                G.add_edge(("o", o), ("o", e))
    parts = []
    for component in nx.connected_components(G):
        modules = {i for kind, i in component if kind == "m"}
        offerings = mask_of([i for kind, i in component if kind == "o"])
        parts.append((modules, offerings))
    parts.sort(key=lambda p: min(p[0]))
    return parts


def combine(parts: Sequence[Sequence[tuple[float, int]]], limit: int) -> list[tuple[float, int]]:
    """The ``limit`` best unions of one answer per part (each part's list sorted best first).

    >>> combine([[(1.0, 0b1), (2.0, 0b10)], [(5.0, 0b100), (5.5, 0b1000)]], 3)
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


def branch_and_bound(
    problem: CoverProblem, limit: int, node_limit: int, goal: set[int], allowed: int
) -> list[tuple[float, int]] | None:
    """The ``limit`` best minimal covers of ``goal`` with the offerings in ``allowed``, or None
    when the search needs more than ``node_limit`` nodes."""
    best: list[tuple[float, int]] = []  # max-heap by negated weight: the worst kept on top
    found: set[int] = set()
    seen: set[int] = set()
    nodes = 0
    usable = [[o for o in problem.contributors[m] if allowed >> o & 1] for m in range(problem.size)]

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
            minimal = prune(problem, chosen, goal)
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


def greedy(problem: CoverProblem, banned: int, goal: set[int], allowed: int) -> int | None:
    """Weighted greedy set cover with per-module state kept up to date as steps are added, and
    each candidate scored only on the modules its bundle touches (so an iteration costs about
    offerings × bundle size, not offerings × modules × contributors)."""
    n = problem.size
    mask = list(problem.base_mask)
    credits = list(problem.base_credits)
    direct = [False] * n
    candidates = bits(allowed)
    members: dict[int, list[int]] = {o: bits(problem.bundle[o]) for o in candidates}
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
            for m, covered in problem.masks[e].items():
                mask[m] |= covered
                credits[m] += problem.credits[e]
                direct[m] = direct[m] or problem.direct[e] == m
                changed.add(m)
        for m in changed:
            now[m] = progress(m, mask[m], credits[m], direct[m])
            dirty |= by_module[m]
        open_modules = {m for m in open_modules if not complete(m, mask[m], credits[m], direct[m])}
    return prune(problem, chosen, goal)


def greedy_paths(
    problem: CoverProblem, limit: int, goal: set[int], allowed: int
) -> list[tuple[float, int]]:
    first = greedy(problem, 0, goal, allowed)
    if first is None:
        return []
    found = {first}
    # Alternatives: ban one step of the best path at a time, dearest first (a few tries: a ban
    # that leads back to a path already found is not worth many more).
    for o in sorted(bits(first), key=lambda k: -problem.weight[k])[: 2 * limit]:
        if len(found) >= limit:
            break
        alt = greedy(problem, 1 << o, goal, allowed)
        if alt is not None:
            found.add(alt)
    return sorted(((problem.cost(c), c) for c in found), key=lambda s: (s[0], s[1].bit_count()))


@dataclass(frozen=True)
class CoverResult:
    """Ranked answers (weight, bitmask of offerings), best first, and how they were found."""

    answers: list[tuple[float, int]]
    parts: int  # independent parts solved apart
    greedy_parts: int  # parts solved greedily (too many offerings, or the search stopped)
    stopped: int  # exact searches stopped at ``node_limit``

    @property
    def algorithm(self) -> str:
        return "exact" if not self.greedy_parts else "greedy"


def solve(
    problem: CoverProblem, goal: set[int], *, limit: int, exact_limit: int, node_limit: int
) -> CoverResult:
    """The ``limit`` best covers of the modules in ``goal``, each part exactly if small enough."""
    parts = components(problem, goal)
    ranked_parts: list[list[tuple[float, int]]] = []
    greedy_parts = stopped = 0
    for modules, allowed in parts:
        solved: list[tuple[float, int]] | None = None
        if allowed.bit_count() <= exact_limit:
            solved = branch_and_bound(problem, limit, node_limit, modules, allowed)
            stopped += solved is None
        if solved is None:
            greedy_parts += 1
            solved = greedy_paths(problem, limit, modules, allowed)
        if solved:
            ranked_parts.append(solved)
    return CoverResult(combine(ranked_parts, limit), len(parts), greedy_parts, stopped)
