"""Credit conversion between credit systems, as ranges, with the rule and source of every step.

Systems and rules come from ``mappings/credit_systems.yaml``. A rule converts one system to
another by a factor *range* (``min``–``max``; one ECTS credit is 25–30 hours) and says what kind
of rule it is:

* ``rule`` — stated by the source (two UK credits = one ECTS credit);
* ``derived`` — follows from stated definitions (a quarter credit is two thirds of a semester
  credit);
* ``practice`` — institutional practice, not a rule (US semester credit → ECTS): the answer is a
  range and always carries a warning, because the conversion is a recognition decision.

Conversion walks the rule graph (every rule usable both ways, the reverse with the inverse range)
and prefers paths that do not pass through notional hours, then the fewest ``practice`` steps,
then the fewest ``derived`` steps, then the fewest steps. Other paths that give a *different*
range are reported, because the systems' conventions do not all agree (10 UK credits are 100
notional hours by the UK rule, 125–150 by way of ECTS).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import networkx as nx

from app.core.errors import InvalidInput, UnknownCreditSystem
from app.core.types import Source


class RuleKind(StrEnum):
    RULE = "rule"
    DERIVED = "derived"
    PRACTICE = "practice"


@dataclass(frozen=True, slots=True)
class Range:
    minimum: float
    maximum: float

    def __post_init__(self) -> None:
        if self.minimum > self.maximum:
            raise ValueError("minimum above maximum")

    def times(self, other: Range) -> Range:
        return Range(self.minimum * other.minimum, self.maximum * other.maximum)

    def inverse(self) -> Range:
        return Range(1 / self.maximum, 1 / self.minimum)

    @property
    def central(self) -> float:
        return (self.minimum + self.maximum) / 2

    @property
    def exact(self) -> bool:
        return abs(self.maximum - self.minimum) <= 1e-9 * max(1.0, abs(self.maximum))


@dataclass(frozen=True, slots=True)
class CreditSystem:
    id: str
    title: str
    unit: str
    jurisdiction: str
    status: str
    confidence: str
    sources: tuple[Source, ...]
    hours_per_credit: Range | None = None
    credits_per_year: float | None = None
    notes: str | None = None

    @property
    def in_force(self) -> bool:
        return self.status.startswith("in force")


@dataclass(frozen=True, slots=True)
class ConversionRule:
    source: str
    target: str
    factor: Range
    kind: RuleKind
    sources: tuple[Source, ...]
    note: str | None = None
    reversed: bool = False


@dataclass(frozen=True, slots=True)
class ConversionStep:
    rule: ConversionRule
    value: Range


@dataclass(frozen=True, slots=True)
class Conversion:
    """The converted amount as a range, with the steps taken and warnings to show."""

    value: float
    source: str
    target: str
    result: Range
    steps: tuple[ConversionStep, ...]
    warnings: tuple[str, ...]
    alternatives: tuple[tuple[Range, tuple[str, ...]], ...] = ()

    @property
    def kind(self) -> RuleKind:
        kinds = {s.rule.kind for s in self.steps}
        if RuleKind.PRACTICE in kinds:
            return RuleKind.PRACTICE
        if RuleKind.DERIVED in kinds:
            return RuleKind.DERIVED
        return RuleKind.RULE


@dataclass(frozen=True, slots=True)
class CreditSystems:
    """All systems and rules of one version of ``mappings/credit_systems.yaml``."""

    version: str
    systems: dict[str, CreditSystem]
    rules: tuple[ConversionRule, ...]

    def system(self, identifier: str, *, field: str | None = None) -> CreditSystem:
        key = normalise_system(identifier)
        if key not in self.systems:
            raise UnknownCreditSystem(identifier, sorted(self.systems), field=field)
        return self.systems[key]


# Names and aliases of credit systems, after case-folding and collapsing spaces; a trailing
# plural "s" is tried off as well. The one table for catalogues, credentials and conversion.
_ALIASES: dict[str, str] = {
    "ects credit": "ects",
    "ects point": "ects",
    "ects-credit": "ects",
    "european credit transfer and accumulation system": "ects",
    # ELM's credit-point vocabulary names ECTS by this URI.
    "http://data.europa.eu/snb/education-credit/6fcec5c5af": "ects",
    "uk": "uk-cats",
    "cats": "uk-cats",
    "uk credit": "uk-cats",
    "uk-credit": "uk-cats",
    "uk cats": "uk-cats",
    "cats point": "uk-cats",
    "scqf credit point": "scqf",
    "scqf point": "scqf",
    "scqf credit": "scqf",
    "cqfw credit": "cqfw",
    "rqf credit": "rqf",
    "nzqa": "nzqf",
    "nzqf credit": "nzqf",
    "semester": "us-semester",
    "semester hour": "us-semester",
    "semester credit hour": "us-semester",
    "us semester credit hour": "us-semester",
    "quarter": "us-quarter",
    "quarter hour": "us-quarter",
    "quarter credit hour": "us-quarter",
    "us quarter credit hour": "us-quarter",
    "ecvet point": "ecvet",
    "hour": "hours",
    "notional hour": "hours",
    "notional learning hour": "hours",
    "hrs": "hours",
}


def _forms(identifier: str) -> tuple[str, str]:
    key = " ".join(identifier.replace("_", " ").split()).casefold()
    return key, key.removesuffix("s")


def canonical_system(identifier: str, known: Container[str]) -> str | None:
    """The id among ``known`` that ``identifier`` names (id, alias, plural); ``None`` if none.

    >>> canonical_system("SCQF credit points", {"scqf", "ects"})
    'scqf'
    >>> canonical_system("Australian credit points", {"scqf", "ects"}) is None
    True
    """
    for candidate in _forms(identifier):
        for option in (candidate, _ALIASES.get(candidate), candidate.replace(" ", "-")):
            if option is not None and option in known:
                return option
    return None


def normalise_system(identifier: str) -> str:
    """Canonical id of a credit system name or alias (an unknown name comes back dashed).

    >>> normalise_system("UK credits"), normalise_system(" ECTS "), normalise_system("Hours")
    ('uk-cats', 'ects', 'hours')
    """
    key, singular = _forms(identifier)
    return _ALIASES.get(key) or _ALIASES.get(singular) or key.replace(" ", "-")


def rule_graph(rules: Iterable[ConversionRule]) -> nx.MultiDiGraph[str]:
    """Every rule as an edge both ways (the reverse with the inverse range)."""
    G: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for rule in rules:
        G.add_edge(rule.source, rule.target, rule=rule)
        back = ConversionRule(
            rule.target,
            rule.source,
            rule.factor.inverse(),
            rule.kind,
            rule.sources,
            rule.note,
            reversed=True,
        )
        G.add_edge(rule.target, rule.source, rule=back)
    return G


def _paths(
    G: nx.MultiDiGraph[str], source: str, target: str, cutoff: int
) -> list[tuple[ConversionRule, ...]]:
    out: list[tuple[ConversionRule, ...]] = []
    # On a MultiDiGraph each edge of a path is a (u, v, key) triple; the stubs type it loosely.
    for edge_path in nx.all_simple_edge_paths(G, source, target, cutoff=cutoff):
        out.append(tuple(G.edges[edge]["rule"] for edge in edge_path))  # type: ignore[index]
    return out


HOURS = "hours"


def _cost(path: Sequence[ConversionRule]) -> tuple[int, int, int, int]:
    # Passing *through* notional hours mixes definitions of a different nature (a contact-based
    # US credit hour, a notional ECTS workload), so it is the last resort, after practice.
    return (
        sum(r.target == HOURS for r in path[:-1]),
        sum(r.kind is RuleKind.PRACTICE for r in path),
        sum(r.kind is RuleKind.DERIVED for r in path),
        len(path),
    )


def convert(
    systems: CreditSystems, value: float, source: str, target: str, *, max_steps: int = 3
) -> Conversion:
    """Convert ``value`` credits of ``source`` into ``target``.

    Args:
        systems: the credit systems and rules.
        value: the amount (≥ 0) in the source system.
        source, target: system ids or aliases (``ects``, ``uk-cats``, ``scqf``, ``cqfw``,
            ``rqf``, ``nzqf``, ``us-semester``, ``us-quarter``, ``hours``).
        max_steps: the longest chain of rules considered.

    Returns:
        A :class:`Conversion` with the range, steps (rule, kind, sources) and warnings.

    Raises:
        UnknownCreditSystem: an unknown system.
        InvalidInput: a negative value, or no rule path between the systems.

    Example:
        >>> from tests.core.test_credits import SYSTEMS
        >>> c = convert(SYSTEMS, 10, "uk-cats", "ects")
        >>> (c.result.minimum, c.result.maximum, c.kind.value)
        (5.0, 5.0, 'rule')
        >>> c = convert(SYSTEMS, 5.0, "ects", "hours")
        >>> (c.result.minimum, c.result.maximum)
        (125.0, 150.0)
    """
    if value < 0:
        raise InvalidInput("/value", "a credit value cannot be negative")
    src = systems.system(source, field="/from")
    dst = systems.system(target, field="/to")
    warnings: list[str] = []
    for system in (src, dst):
        if not system.in_force:
            warnings.append(f"{system.title} is {system.status}; values are historical")
    if src.id == dst.id:
        return Conversion(value, src.id, dst.id, Range(value, value), (), tuple(warnings))
    G = rule_graph(systems.rules)
    if src.id not in G or dst.id not in G:
        missing = src if src.id not in G else dst
        raise InvalidInput(
            "/from" if missing is src else "/to",
            f"{missing.title} has no conversion rule to other systems"
            + (f": {missing.notes}" if missing.notes else ""),
        )
    paths = sorted(_paths(G, src.id, dst.id, max_steps), key=_cost)
    if not paths:
        raise InvalidInput("/to", f"no conversion rule links {src.id} to {dst.id}")
    best = paths[0]
    steps: list[ConversionStep] = []
    current = Range(value, value)
    for rule in best:
        current = current.times(rule.factor)
        steps.append(ConversionStep(rule, current))
    for rule in best:
        if rule.kind is RuleKind.PRACTICE:
            warnings.append(
                f"{rule.source} → {rule.target} is institutional practice, not a rule"
                + (f" ({rule.note})" if rule.note else "")
                + "; the range is indicative and the decision rests with the recognising body"
            )
    alternatives: list[tuple[Range, tuple[str, ...]]] = []
    seen = {_rounded(current)}
    for path in paths[1:]:
        # Only routes as principled as the chosen one (no extra practice step, at most one
        # more step) are worth showing an officer.
        if _cost(path)[1] > _cost(best)[1] or len(path) > len(best) + 1:
            continue
        alt = Range(value, value)
        for rule in path:
            alt = alt.times(rule.factor)
        if _rounded(alt) in seen:
            continue
        seen.add(_rounded(alt))
        alternatives.append((alt, (path[0].source, *(r.target for r in path))))
    if alternatives:
        warnings.append(
            "other conventions give other values: "
            + "; ".join(f"via {' → '.join(route)}: {_fmt(rng)}" for rng, route in alternatives[:3])
        )
    return Conversion(
        value, src.id, dst.id, current, tuple(steps), tuple(warnings), tuple(alternatives[:3])
    )


def _rounded(rng: Range) -> tuple[float, float]:
    return (round(rng.minimum, 4), round(rng.maximum, 4))


def _fmt(rng: Range) -> str:
    if rng.exact:
        return f"{rng.minimum:.4g}"
    return f"{rng.minimum:.4g}–{rng.maximum:.4g}"


def to_ects(systems: CreditSystems, value: float, source: str) -> Conversion:
    """Shorthand used by recognition: any amount expressed in ECTS (a range)."""
    return convert(systems, value, source, "ects")
