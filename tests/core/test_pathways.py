"""Stackability pathways: what is covered and what remains, exact paths checked against brute
force, cost and credit objectives, prerequisites (bundles and study order), greedy for large
instances, and stacking into a catalogue."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest

from app.core.credits import Range
from app.core.errors import InvalidInput
from app.core.pathways import (
    Objective,
    Offering,
    plan_pathways,
    required_modules,
    stack_into,
)
from app.core.transfer.align import index_target, match_courses
from app.core.transfer.types import (
    ArticulationPolicy,
    Course,
    CourseMatch,
    ModuleMatch,
    OutcomeMatch,
    TargetModule,
)

POLICY = ArticulationPolicy()

INTRO = TargetModule(
    "INTRO",
    "Introduction",
    ("explain sustainable development as a political concept", "describe the UN goals"),
    Range(3, 3),
    6,
)
CLIMATE = TargetModule(
    "CLIM",
    "Climate",
    ("explain the causes of climate change", "assess climate mitigation policies"),
    Range(2, 2),
    6,
    prerequisites=("INTRO",),
)
NATURE = TargetModule(
    "BIO",
    "Biodiversity",
    ("recognise reasons for the biodiversity crisis", "explore their connection to nature"),
    Range(2, 2),
    6,
    prerequisites=("INTRO",),
)
PROJECT = TargetModule("PROJ", "Project", (), Range(3, 3), 6, prerequisites=("CLIM", "BIO"))
TARGET = (INTRO, CLIMATE, NATURE, PROJECT)


def own(module: TargetModule, cost: float | None = 45) -> Offering:
    return Offering(
        Course(module.code, module.title, module.outcomes, module.credits_ects, module.eqf_level),
        "target_module",
        cost=cost,
        currency="EUR",
        covers_module=module.code,
    )


def offer(
    oid: str,
    *outcomes: str,
    ects: float = 1,
    cost: float | None = None,
    eqf: int | None = 6,
    prerequisites: tuple[str, ...] = (),
) -> Offering:
    return Offering(
        Course(oid, oid, outcomes, Range(ects, ects), eqf),
        "micro_credential",
        cost=cost,
        currency="EUR" if cost is not None else None,
        prerequisites=prerequisites,
    )


def plan(held, offerings, *, target=TARGET, policy=POLICY, **kw):  # type: ignore[no-untyped-def]
    ix = index_target(target, None)
    external = [o for o in offerings if o.covers_module is None]
    return plan_pathways(
        target,
        held,
        match_courses(held, ix, None, policy),
        offerings,
        match_courses([o.course for o in external], ix, None, policy),
        policy,
        **kw,
    )


HELD = [Course("h1", "Sustainability basics", INTRO.outcomes, Range(3, 3), 6)]
CATALOGUE = [
    *(own(m) for m in TARGET),
    offer("MOOC", *CLIMATE.outcomes, ects=2, cost=20, prerequisites=("BASICS",)),
    offer("BASICS", "basic physical science", ects=1, cost=5),
    offer("N1", NATURE.outcomes[0], ects=1, cost=10),
    offer("N2", NATURE.outcomes[1], ects=1, cost=10),
]


def test_required_modules_close_over_prerequisites() -> None:
    mods = [
        TargetModule("A", "A", (), compulsory=False),
        TargetModule("B", "B", (), prerequisites=("A",)),
        TargetModule("C", "C", (), compulsory=False),
    ]
    assert [m.code for m in required_modules(mods)] == ["A", "B"]
    # Every module elective (issue 10: "selected freely"): none is required.
    assert required_modules([replace(m, compulsory=False) for m in mods]) == ()


def test_covered_and_remaining() -> None:
    p = plan(HELD, CATALOGUE)
    assert p.covered_modules == ("INTRO",)
    assert p.remaining_modules == ("CLIM", "BIO", "PROJ")
    assert p.credits(True) == Range(3, 3) and p.credits(False) == Range(7, 7)
    assert p.outcomes() == (2, 6)
    intro = p.required[0]
    assert intro.by == ("h1",) and intro.covered_outcomes == (0, 1)


def test_fewest_credits_then_fewest_steps() -> None:
    p = plan(HELD, CATALOGUE, objective=Objective.CREDITS, limit=4)
    assert p.algorithm == "exact"
    best = p.paths[0]
    # 7 ECTS either way; taking the modules themselves has the fewest steps.
    assert best.credits == Range(7, 7)
    assert set(best.offerings) == {"CLIM", "BIO", "PROJ"}
    assert [path.weight for path in p.paths] == sorted(path.weight for path in p.paths)
    assert len({path.offerings for path in p.paths}) == len(p.paths)


def test_lowest_cost_uses_cheaper_micro_credentials_with_their_prerequisites() -> None:
    p = plan(HELD, CATALOGUE, objective=Objective.COST, limit=3)
    best = p.paths[0]
    assert set(best.offerings) == {"BASICS", "MOOC", "N1", "N2", "PROJ"}
    assert best.cost == 5 + 20 + 10 + 10 + 45
    order = list(best.offerings)
    assert order.index("BASICS") < order.index("MOOC")  # the MOOC's prerequisite first
    assert order[-1] == "PROJ"  # the project needs CLIM and BIO done
    steps = {s.offering.id: s for s in best.steps}
    assert steps["BASICS"].prerequisite_only and steps["MOOC"].requires == ("BASICS",)
    bio = [c for s in best.steps for c in s.contributions if c.module == "BIO"]
    # Two 1-ECTS micro-credentials together complete the 2-ECTS module (many-to-one).
    assert sorted(c.together_with for c in bio) == [("N1",), ("N2",)]
    assert [c.completes for c in bio] == [False, True]
    assert all(c.pairs and c.level is not None and c.level.compatible for c in bio)


def test_unpriced_offerings_are_a_last_resort_under_cost() -> None:
    catalogue = [*CATALOGUE[:4], offer("FREE?", *CLIMATE.outcomes, ects=2, cost=None)]
    p = plan(HELD, catalogue, objective=Objective.COST)
    assert "FREE?" not in p.paths[0].offerings
    assert any("publish no cost" in n for n in p.notes)


def test_offerings_below_the_module_level_do_not_count() -> None:
    low = offer("LOW", *CLIMATE.outcomes, ects=5, eqf=4)
    p = plan(HELD, [*CATALOGUE[:4], low])
    assert all("LOW" not in path.offerings for path in p.paths)


def test_held_credentials_add_up_at_outcome_level() -> None:
    a = Course("a", "a", (NATURE.outcomes[0],), Range(1, 1), 6)
    b = Course("b", "b", (NATURE.outcomes[1],), Range(1, 1), 6)
    p = plan([*HELD, a, b], CATALOGUE)
    assert "BIO" in p.covered_modules
    bio = next(s for s in p.required if s.module.code == "BIO")
    assert set(bio.by) == {"a", "b"}


def test_nothing_remains() -> None:
    p = plan([Course("x", "x", (), None)], [], target=(replace(PROJECT, prerequisites=()),))
    assert p.remaining_modules == ("PROJ",)
    done = plan(HELD, [], target=(INTRO,))
    assert done.algorithm == "none" and done.remaining_modules == ()


def test_a_module_nothing_can_complete_is_reported() -> None:
    p = plan(HELD, [offer("N1", NATURE.outcomes[0])], target=(INTRO, NATURE))
    assert any("no offering completes BIO" in n for n in p.notes)


def test_greedy_when_the_instance_is_large_and_it_says_so() -> None:
    small = replace(POLICY, options=replace(POLICY.options, exact_limit=0))
    p = plan(HELD, CATALOGUE, policy=small, objective=Objective.COST, limit=3)
    assert p.algorithm == "greedy"
    assert any("greedy" in n for n in p.notes)
    assert p.paths and set(p.paths[0].offerings) >= {"PROJ"}
    # The node limit makes the exact search give up and fall back too.
    tiny = replace(POLICY, options=replace(POLICY.options, node_limit=1))
    assert plan(HELD, CATALOGUE, policy=tiny).algorithm == "greedy"


TOPICS = (
    "anatomy",
    "botany",
    "carpentry",
    "dentistry",
    "economics",
    "forestry",
    "geology",
    "horticulture",
    "irrigation",
    "journalism",
    "kinesiology",
    "linguistics",
    "metallurgy",
    "navigation",
    "oceanography",
    "pharmacology",
    "quarrying",
    "radiology",
    "sculpture",
    "taxation",
    "upholstery",
    "viticulture",
    "welding",
    "xylography",
    "yachting",
    "zoology",
    "acoustics",
    "beekeeping",
    "cartography",
    "dermatology",
)


def test_independent_parts_are_solved_exactly_and_merged() -> None:
    # 30 modules, each with its own 45 EUR module and a cheaper micro-credential for it: 60
    # relevant offerings in all (above exact_limit), but 30 independent parts of 2.
    modules = tuple(
        TargetModule(f"M{i:02d}", topic, (topic, f"{topic}{topic[:3]}"), Range(2, 2), 6)
        for i, topic in enumerate(TOPICS)
    )
    offerings = [own(m) for m in modules] + [
        offer(f"X{i:02d}", *modules[i].outcomes, ects=2, cost=40 - i % 3) for i in range(30)
    ]
    p = plan([], offerings, target=modules, objective=Objective.COST, limit=3)
    assert p.algorithm == "exact"
    assert any("30 independent parts" in n for n in p.notes)
    best, second, third = p.paths
    assert set(best.offerings) == {f"X{i:02d}" for i in range(30)}
    # The next best paths swap one micro-credential for the module itself: the dearest
    # micro-credentials (40 EUR) are the cheapest to swap (+5 EUR each).
    assert second.cost == best.cost + 5 and third.cost == best.cost + 5
    assert len(set(second.offerings) - set(best.offerings)) == 1


def test_limit_is_checked() -> None:
    with pytest.raises(InvalidInput):
        plan(HELD, CATALOGUE, limit=0)


# --- optimality against brute force ------------------------------------------------------------


def _random_instance(seed: int) -> tuple[list[TargetModule], list[Offering]]:
    rng = random.Random(seed)
    modules = [
        TargetModule(
            f"M{i}", f"M{i}", tuple(f"topic{i} skill{j}" for j in range(3)), Range(2, 2), 6
        )
        for i in range(4)
    ]
    offerings = [own(m, cost=rng.randint(20, 60)) for m in modules]
    for k in range(9):
        picks = rng.sample([(i, j) for i in range(4) for j in range(3)], rng.randint(1, 4))
        offerings.append(
            offer(
                f"O{k}",
                *(f"topic{i} skill{j}" for i, j in picks),
                ects=rng.choice([1, 2, 3]),
                cost=rng.randint(5, 40),
            )
        )
    return modules, offerings


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", list(Objective))
def test_branch_and_bound_is_optimal(seed: int, objective: Objective) -> None:
    modules, offerings = _random_instance(seed)
    p = plan([], offerings, target=tuple(modules), objective=objective, limit=1)
    assert p.algorithm == "exact"
    best = p.paths[0].weight

    # Brute force over every subset, with the same coverage rule.
    ix = index_target(modules, None)
    external = [o for o in offerings if o.covers_module is None]
    matches = {m.course: m for m in match_courses([o.course for o in external], ix, None, POLICY)}
    need = {m.code: 3 for m in modules}  # 70 % of 3 outcomes → 3

    def done(chosen: tuple[Offering, ...]) -> bool:
        for m in modules:
            if any(o.covers_module == m.code for o in chosen):
                continue
            covered: set[int] = set()
            credits = 0.0
            for o in chosen:
                mm = matches[o.id].module(m.code) if o.id in matches else None
                if mm and mm.covered:
                    covered |= set(mm.covered)
                    credits += o.course.credits_ects.maximum if o.course.credits_ects else 0
            if len(covered) < need[m.code] or credits < 2 * 0.8 - 1e-9:
                return False
        return True

    def weight(chosen: tuple[Offering, ...]) -> float:
        if objective is Objective.CREDITS:
            return sum(o.course.credits_ects.central for o in chosen if o.course.credits_ects)
        return sum((o.cost or 0) + o.course.credits_ects.central * 1e-6 for o in chosen)  # type: ignore[union-attr]

    brute = min(
        weight(combo)
        for r in range(1, len(offerings) + 1)
        for combo in itertools.combinations(offerings, r)
        if done(combo)
    )
    assert best == pytest.approx(brute, abs=1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_greedy_is_never_better_than_exact(seed: int) -> None:
    modules, offerings = _random_instance(seed)
    exact = plan([], offerings, target=tuple(modules), objective=Objective.COST, limit=3)
    greedy_policy = replace(POLICY, options=replace(POLICY.options, exact_limit=0))
    greedy = plan(
        [], offerings, target=tuple(modules), policy=greedy_policy, objective=Objective.COST
    )
    assert greedy.algorithm == "greedy" and exact.algorithm == "exact"
    assert greedy.paths[0].weight >= exact.paths[0].weight - 1e-9
    # Every path listed is complete: each remaining module is completed by some step.
    for path in (*exact.paths, *greedy.paths):
        completed = {c.module for s in path.steps for c in s.contributions if c.completes}
        assert completed == {m.code for m in modules}


# --- stacking ----------------------------------------------------------------------------------


def test_stack_into_ranks_by_covered_share() -> None:
    held = [Course("h", "h", ("x",), Range(5, 5), 6)]

    def match(*codes: str) -> CourseMatch:
        return CourseMatch(
            "h",
            tuple(ModuleMatch(c, 1, (OutcomeMatch(0, 0, 1.0, None, 1.0),), (0,)) for c in codes),
        )

    a = [TargetModule("A", "A", ("x",), Range(5, 5)), TargetModule("B", "B", ("y",), Range(15, 15))]
    b = [TargetModule("A", "A", ("x",), Range(5, 5)), TargetModule("C", "C", ("z",), Range(5, 5))]
    c = [TargetModule("Q", "Q", ("q",))]  # no credits: share by modules; nothing covered
    ranked = stack_into(
        held,
        [("P1", "Big", a, [match("A")]), ("P2", "Small", b, [match("A")]), ("P3", "X", c, [])],
        POLICY,
    )
    assert [(r.programme_id, r.share, r.basis) for r in ranked] == [
        ("P2", 0.5, "credits"),
        ("P1", 0.25, "credits"),
    ]
    assert ranked[0].covered == ("A",)
