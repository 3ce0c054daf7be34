"""The one decision on a module: is it covered at the right level, with enough credit?

Recognition, articulation and pathways all call :func:`decide` (outcome coverage, level,
credits) and :func:`is_required` (compulsory or elective), so "is this module covered?" is
answered in one place. Levels are related in the most specific frame that has an official basis
(``app.core.levels.relate_levels``): one framework's own order, a published crosswalk, else the
EQF — and the EQF answer says it is at EQF granularity.

Elective and compulsory modules, one rule: a compulsory module is exempted only by covering its
outcomes (:func:`decide`); electives absorb credits up to what the programme allows
(:func:`elective_credits`), without a specific module being named.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from app.core.credits import Range
from app.core.transfer.types import (
    DEFAULT_RULES,
    Candidate,
    CreditCheck,
    Decision,
    LevelCheck,
    PurposePolicy,
    Target,
    TargetModule,
)
from app.core.types import ComparisonFrame, LevelKey, LevelOrder, LevelRelation

#: How a held level stands to a required one (``app.core.levels.relate_levels`` over the graph,
#: bound by the service to the date that applies).
Relate = Callable[[LevelKey, LevelKey], LevelRelation]


# --- checks ------------------------------------------------------------------------------------


def _fmt(r: Range | None) -> str:
    if r is None:
        return "unknown"
    return f"{r.minimum:.3g}" if r.exact else f"{r.minimum:.3g}–{r.maximum:.3g}"


def level_check(
    course: Candidate, module: TargetModule, rules: PurposePolicy, relate: Relate | None = None
) -> LevelCheck:
    """Is the candidate's level compatible with the module's? With both national levels known,
    in the most specific frame with a basis (``relate``): below in a framework's own order or
    through a crosswalk is substantial when the policy says so (``national_below_substantial``);
    through the EQF only, the EQF gap rule applies and "same" is a point to check. Otherwise
    EQF numbers, with the policy's gap.

    >>> level_check(Candidate("c", "c", (), eqf_level=5), TargetModule("m", "m", (), eqf_level=6),
    ...             DEFAULT_RULES).compatible
    False
    """
    relation = (
        relate(course.level, module.level)
        if relate is not None and course.level is not None and module.level is not None
        else None
    )
    frame = relation.frame.value if relation is not None and relation.frame else None
    national = frame in (ComparisonFrame.FRAMEWORK.value, ComparisonFrame.CROSSWALK.value)
    if relation is not None and national:
        where = f"{course.level} is {relation.order.value} {module.level} ({frame} order)"
        if relation.order is LevelOrder.BELOW and rules.national_below_substantial:
            why = f"{where}: a level difference, substantial for this purpose"
            return LevelCheck(course.id, course.eqf_level, module.eqf_level, False, why, frame)
        return LevelCheck(course.id, course.eqf_level, module.eqf_level, True, where, frame)
    eqf_course = course.eqf_level or (relation.held_eqf if relation else None)
    eqf_module = module.eqf_level or (relation.required_eqf if relation else None)
    if eqf_course is None or eqf_module is None:
        missing = "course" if eqf_course is None else "module"
        why = f"the {missing}'s level is not known: not checked"
        if relation is not None and relation.notes:
            why += f" ({'; '.join(relation.notes)})"
        return LevelCheck(course.id, eqf_course, eqf_module, None, why, frame)
    gap = eqf_module - eqf_course
    if gap >= rules.level_substantial_if_below_by:
        why = f"course at EQF {eqf_course}, {gap} below the module's EQF {eqf_module}"
        return LevelCheck(course.id, eqf_course, eqf_module, False, why, frame)
    why = f"course at EQF {eqf_course}, module at EQF {eqf_module}"
    if relation is not None and relation.notes:
        why += "; " + "; ".join(relation.notes)
    return LevelCheck(course.id, eqf_course, eqf_module, True, why, frame)


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
]
