"""The one decision on a module: is it covered at the right level, with enough credit?

Recognition, articulation and pathways all call :func:`decide` (outcome coverage, level,
credits) and :func:`is_required` (compulsory or elective), so "is this module covered?" is
answered in one place. Levels are related in the most specific frame that has an official basis
(:func:`national_relation`): one framework's own order, a published crosswalk, else the EQF —
and the EQF answer says it is at EQF granularity.

Elective and compulsory modules, one rule: a compulsory module is exempted only by covering its
outcomes (:func:`decide`); electives absorb credits up to what the programme allows
(:func:`elective_credits`), without a specific module being named.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

import networkx as nx

from app.core.credits import Range
from app.core.graph import NodeKey, level_of
from app.core.levels import compare_level
from app.core.transfer.types import (
    DEFAULT_RULES,
    Candidate,
    CreditCheck,
    Decision,
    LevelCheck,
    LevelFrame,
    LevelRelation,
    PurposePolicy,
    Target,
    TargetModule,
)
from app.core.types import EQF_ID, EdgeKind, LevelKey

#: How a held level stands to a required one (``None``: not related).
Relate = Callable[[LevelKey, LevelKey], LevelRelation | None]


def national_relation(
    G: nx.MultiDiGraph[NodeKey], held: LevelKey, required: LevelKey, as_of: dt.date | None = None
) -> LevelRelation | None:
    """``held`` against ``required``: one framework's order, a crosswalk, or the EQF (saying so).

    >>> from tests.core.toy import toy_graph
    >>> r = national_relation(toy_graph(), LevelKey("IE-NFQ", "7"), LevelKey("IE-NFQ", "8"))
    >>> (r.frame.value, r.steps)
    ('framework', 1)
    """
    try:
        have, want = level_of(G, held), level_of(G, required)
    except KeyError:
        return None
    if held.framework == required.framework:
        return LevelRelation(LevelFrame.FRAMEWORK, want.rank - have.rank, "same framework")
    try:
        comparison = compare_level(G, held, required.framework, as_of=as_of)
    except KeyError:
        return None
    for match in comparison.matches:
        if len(match.steps) == 1 and match.steps[0].kind is EdgeKind.CROSSWALK:
            source = "; ".join(s.title for s in match.steps[0].sources)
            return LevelRelation(
                LevelFrame.CROSSWALK,
                want.rank - match.level.rank,
                f"through the published crosswalk ({source})" if source else "crosswalk",
            )
    if held.framework == EQF_ID or required.framework == EQF_ID:
        return None  # plain EQF levels: the EQF rule applies as it is
    return LevelRelation(
        LevelFrame.EQF,
        None,
        f"{held} and {required} are compared at EQF granularity only: the national levels may "
        "differ, an evaluator must check",
    )


# --- checks ------------------------------------------------------------------------------------


def _fmt(r: Range | None) -> str:
    if r is None:
        return "unknown"
    return f"{r.minimum:.3g}" if r.exact else f"{r.minimum:.3g}–{r.maximum:.3g}"


def level_check(
    course: Candidate, module: TargetModule, rules: PurposePolicy, relate: Relate | None = None
) -> LevelCheck:
    """Is the candidate's level compatible with the module's? In the most specific frame with a
    basis (:func:`national_relation`): a framework's own order or a crosswalk, judged with the
    policy's ``national_substantial_if_below_by``; else the EQF, with its gap rule — and then
    equal EQF levels of two frameworks are a finding to check, not "meets or exceeds".

    >>> level_check(Candidate("c", "c", (), eqf_level=5), TargetModule("m", "m", (), eqf_level=6),
    ...             DEFAULT_RULES).compatible
    False
    """
    relation = (
        relate(course.level, module.level)
        if relate is not None and course.level is not None and module.level is not None
        else None
    )
    if relation is not None and relation.steps is not None and relation.frame is not LevelFrame.EQF:
        gap = relation.steps
        where = f"{course.level} against {module.level} ({relation.note})"
        if gap >= rules.national_substantial_if_below_by:
            return LevelCheck(
                course.id,
                course.eqf_level,
                module.eqf_level,
                False,
                f"{where}: {gap} level(s) below; the policy treats "
                f"{rules.national_substantial_if_below_by} or more as substantial",
                relation.frame.value,
            )
        return LevelCheck(
            course.id,
            course.eqf_level,
            module.eqf_level,
            True,
            where + (": the level difference is within the policy's tolerance" if gap > 0 else ""),
            relation.frame.value,
        )
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
    text = f"course at EQF {course.eqf_level}, module at EQF {module.eqf_level}"
    if relation is not None and gap == 0:
        text += f"; {relation.note}"
    return LevelCheck(course.id, course.eqf_level, module.eqf_level, True, text)


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


# --- the decision ------------------------------------------------------------------------------


def decide(
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


def is_required(module: TargetModule) -> bool:
    """A module is required unless the programme marks it elective (unmarked: required)."""
    return module.compulsory


def elective_credits(target: Target, offered: Range | None) -> Range | None:
    """The credits electives can absorb from ``offered``: at most what the programme allows for
    electives (``None`` when it allows none, or when either side is unknown)."""
    allowed = target.elective_ects
    if offered is None or allowed is None or allowed.maximum <= 0:
        return None
    return Range(min(offered.minimum, allowed.maximum), min(offered.maximum, allowed.maximum))


def coverage_need(module: TargetModule, rules: PurposePolicy) -> int:
    """How many of the module's outcomes must be covered to replace it."""
    return math.ceil(rules.replace_coverage * len(module.outcomes) - 1e-9)


__all__ = [
    "DEFAULT_RULES",
    "Relate",
    "coverage_need",
    "credit_check",
    "decide",
    "elective_credits",
    "is_required",
    "level_check",
    "national_relation",
]
