"""Qualifications, programmes and their modules: the catalogue's value types and its rules.

A *programme* (or qualification: one type serves both) is what an institution awards: a title,
an award type, a framework level, a credit volume, an ISCED-F field. Its *modules* carry their own
credits, level, learning outcomes, prerequisites and, where published, a cost. Recognition
(issue 5) compares a micro-credential with a programme's modules; credit transfer and
stackability (issue 6) walk the prerequisite graph and add up credits and costs.

This module holds the frozen values and pure functions over them:

* normalisation of credit systems (ids shared with ``mappings/credit_systems.yaml``) and of
  ISCED-F 2013 field codes (the full code list is below, with its source);
* :func:`validate_programme`: module credits against the total, prerequisites that name existing
  modules and form no cycle (checked with networkx), duplicate module codes, empty outcomes;
* :func:`prerequisite_graph` and :func:`study_order` for pathway search;
* :func:`programme_to_dict` (the canonical JSON form, also the import format) and
  :func:`content_hash` over it, which makes re-importing the same content idempotent;
* :func:`text_score`, the fuzzy ranking used by catalogue search.

Nothing here resolves level identifiers: a caller resolves ``IE:8`` or an EU vocabulary URI to a
:class:`~app.core.types.LevelKey` first (through a :class:`LevelResolver`, which the service backs
with the framework registry), so the core stays independent of the reference data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

import networkx as nx
from rapidfuzz import fuzz, utils

from app.core.credits import canonical_system
from app.core.errors import InvalidInput
from app.core.types import EQF_ID, LevelKey

# --- controlled values -------------------------------------------------------------------------

#: Credit systems a catalogue accepts, by the ids of ``mappings/credit_systems.yaml`` (so credit
#: conversion can take them as they are), with the label used in messages.
CREDIT_SYSTEMS: dict[str, str] = {
    "ects": "ECTS credits",
    "uk-cats": "UK credits (CATS)",
    "scqf": "SCQF credit points",
    "cqfw": "CQFW credits",
    "rqf": "RQF credits",
    "nzqf": "NZQF credits",
    "us-semester": "US semester credit hours",
    "us-quarter": "US quarter credit hours",
    "ecvet": "ECVET points",
    "hours": "notional learning hours",
}


def normalise_credit_system(name: str) -> str | None:
    """The canonical id of a credit system given by id, label or common alias; ``None`` if unknown.

    One alias table serves catalogues, credentials and credit conversion
    (:func:`app.core.credits.canonical_system`).

    >>> normalise_credit_system("ECTS"), normalise_credit_system("SCQF credit points")
    ('ects', 'scqf')
    >>> normalise_credit_system("UK credits"), normalise_credit_system("US-Semester")
    ('uk-cats', 'us-semester')
    >>> normalise_credit_system("Australian credit points") is None
    True
    """
    return canonical_system(name, CREDIT_SYSTEMS)


class ModuleStatus(StrEnum):
    """Whether a learner must take a module to complete the programme."""

    COMPULSORY = "compulsory"
    ELECTIVE = "elective"


class Cycle(StrEnum):
    """QF-EHEA cycle of a module, for institutions that publish a cycle rather than a level."""

    SHORT = "short"
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"


class Severity(StrEnum):
    ERROR = "error"  # the programme is not stored
    WARNING = "warning"  # stored, and the warning is kept with it


# --- value types -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Institution:
    name: str
    country: str | None = None  # ISO 3166-1 alpha-2, upper case


@dataclass(frozen=True, slots=True)
class CreditValue:
    """A credit volume in one system (``system`` is a key of :data:`CREDIT_SYSTEMS`)."""

    value: float
    system: str

    def __str__(self) -> str:
        return f"{self.value:g} {CREDIT_SYSTEMS.get(self.system, self.system)}"


@dataclass(frozen=True, slots=True)
class Cost:
    """A published fee (``currency`` is ISO 4217); ``note`` says for whom and when it applies."""

    amount: float
    currency: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a programme's description was published, when it was read, under which terms."""

    url: str | None = None
    title: str | None = None
    retrieved: dt.date | None = None
    licence: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Module:
    """One module (course, unit) of a programme.

    ``level`` is a framework level when the institution publishes one (SCQF 11, NFQ 8); otherwise
    ``cycle`` and/or ``year`` (of study) place it. ``prerequisites`` are codes of other modules of
    the same programme. ``status`` is ``None`` when the source does not say. ``description`` is
    the module's description or aims as published (prose beside the outcomes; course-level
    articulation reads it in its sparse channel).
    """

    code: str
    title: str
    credits: CreditValue | None = None
    level: LevelKey | None = None
    cycle: Cycle | None = None
    year: int | None = None
    semester: str | None = None
    learning_outcomes: tuple[str, ...] = ()
    isced_f: str | None = None
    prerequisites: tuple[str, ...] = ()
    status: ModuleStatus | None = None
    cost: Cost | None = None
    language: str | None = None
    url: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Programme:
    """A qualification or programme and its modules.

    ``level`` is its place in a national framework, ``eqf_level`` its EQF level (given by the
    source or derived from the framework's referencing). ``id`` is assigned when it is stored and
    is not part of its content (nor of :func:`content_hash`).
    """

    title: str
    institution: Institution
    code: str | None = None
    award: str | None = None  # award or qualification type: "Master of Science", "Micro-credential"
    level: LevelKey | None = None
    eqf_level: int | None = None
    credits: CreditValue | None = None
    isced_f: str | None = None
    language: str | None = None
    url: str | None = None
    cost: Cost | None = None
    sources: tuple[Provenance, ...] = ()
    notes: str | None = None
    modules: tuple[Module, ...] = ()
    id: str | None = None

    def module(self, code: str) -> Module | None:
        """The module with ``code`` (compared case- and space-insensitively), if any."""
        wanted = module_key(code)
        return next((m for m in self.modules if module_key(m.code) == wanted), None)


#: A qualification is described exactly like a programme; the award type tells them apart.
Qualification = Programme


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding of validation or import.

    ``where`` locates it: a JSON pointer into the programme's JSON form (``/modules/2/credits``)
    or, for CSV input, a row and column. ``code`` is a stable machine-readable name.
    """

    severity: Severity
    where: str
    message: str
    code: str

    def at(self, where: str) -> Issue:
        return replace(self, where=where)


class CatalogueInputError(InvalidInput):
    """Input that cannot become a valid programme. ``issues`` holds every error found (and any
    warnings); ``field`` is where the first error is."""

    def __init__(self, issues: Sequence[Issue], *, source: str | None = None) -> None:
        errors = [i for i in issues if i.severity is Severity.ERROR] or list(issues)
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = f"{source}: " if source else ""
        place = first.where or "/"
        super().__init__(first.where, f"{where}{place}: {first.message}{more}")
        self.issues = tuple(issues)
        self.source = source

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)


class LevelResolver(Protocol):
    """Turns the level identifiers of an import into levels (the service uses the registry)."""

    def resolve_level(self, identifier: str) -> LevelKey:
        """The level named by ``identifier``; raises a :class:`~app.core.errors.DomainError`."""
        ...

    def eqf_levels(self, level: LevelKey) -> tuple[int, ...]:
        """The EQF levels ``level`` is referenced to (empty when it is not referenced)."""
        ...


# --- small helpers -------------------------------------------------------------------------------


def module_key(code: str) -> str:
    """The form in which module codes are compared: spaces collapsed, case folded.

    >>> module_key(" cs 101 ") == module_key("CS 101")
    True
    """
    return " ".join(code.split()).casefold()


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path parts.

    >>> pointer("modules", 2, "a/b")
    '/modules/2/a~1b'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _error(where: str, message: str, code: str) -> Issue:
    return Issue(Severity.ERROR, where, message, code)


def _warning(where: str, message: str, code: str) -> Issue:
    return Issue(Severity.WARNING, where, message, code)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


# --- ISCED-F ---------------------------------------------------------------------------------


def normalise_isced_f(value: str) -> str | None:
    """The ISCED-F 2013 code in ``value`` (a code, or an EU vocabulary / ESCO URI of one);
    ``None`` when it names no ISCED-F 2013 field.

    >>> normalise_isced_f("0613"), normalise_isced_f("http://data.europa.eu/snb/isced-f/0542")
    ('0613', '0542')
    >>> normalise_isced_f("0699") is None  # not a code of the classification
    True
    """
    text = value.strip().rstrip("/")
    if "/" in text:
        head, _, text = text.rpartition("/")
        if not head.lower().endswith(("/snb/isced-f", "/esco/isced-f")):
            return None
    return text if text in ISCED_F_2013 else None


def isced_f_label(code: str) -> str | None:
    """The English label of an ISCED-F 2013 code.

    >>> isced_f_label("0613")
    'Software and applications development and analysis'
    """
    return ISCED_F_2013.get(code)


# --- validation --------------------------------------------------------------------------------


def validate_programme(programme: Programme) -> list[Issue]:
    """Every error and warning of ``programme``, located by JSON pointer into its JSON form.

    Errors (the programme must not be stored): an empty title or module code, a negative credit
    value or cost, an unknown credit system or ISCED-F code, an EQF level outside 1–8, two
    modules with the same code, an empty learning outcome, a prerequisite that names no module of
    the programme (or the module itself), a cycle of prerequisites, and modules marked compulsory
    whose credits add up to more than the programme's total.

    Warnings (stored, and kept with it): modules not marked elective adding up to more than the
    total (their status is not published), modules whose credits add up to less than the total
    (a partial module list), module credits in another system than the total (not compared
    here: conversion is a recognition decision), a module without learning outcomes (nothing to
    match), the same outcome twice in a module, and a compulsory module that requires an
    elective one.

    >>> m = Module("A", "Alpha", CreditValue(5, "ects"), learning_outcomes=("Explain x.",))
    >>> p = Programme("P", Institution("U"), credits=CreditValue(10, "ects"), modules=(m,))
    >>> [(i.severity.value, i.where, i.code) for i in validate_programme(p)]
    [('warning', '/modules', 'modules_below_total')]
    >>> loop = replace(m, prerequisites=("a",))
    >>> [i.code for i in validate_programme(replace(p, modules=(loop,)))]
    ['prerequisite_is_self', 'modules_below_total']
    """
    issues: list[Issue] = []
    if not programme.title.strip():
        issues.append(_error("/title", "the title is empty", "empty"))
    if not programme.institution.name.strip():
        issues.append(_error("/institution/name", "the institution's name is empty", "empty"))
    if programme.eqf_level is not None and not 1 <= programme.eqf_level <= 8:
        issues.append(_error("/eqf_level", "an EQF level is between 1 and 8", "eqf_level_range"))
    level, eqf = programme.level, programme.eqf_level
    if (
        level is not None
        and level.framework == EQF_ID
        and eqf is not None
        and str(eqf) != level.code
    ):
        issues.append(
            _error("/eqf_level", f"EQF level {eqf} contradicts level {level}", "eqf_level_conflict")
        )
    issues += _check_credits(programme.credits, "/credits")
    issues += _check_cost(programme.cost, "/cost")
    issues += _check_isced(programme.isced_f, "/isced_f")

    positions: dict[str, int] = {}
    for i, module in enumerate(programme.modules):
        base = pointer("modules", i)
        key = module_key(module.code)
        if not key:
            issues.append(_error(base + "/code", "the module code is empty", "empty"))
        elif key in positions:
            issues.append(
                _error(
                    base + "/code",
                    f"module code {module.code!r} is already used by /modules/{positions[key]}",
                    "duplicate_module_code",
                )
            )
        else:
            positions[key] = i
        if not module.title.strip():
            issues.append(_error(base + "/title", "the module title is empty", "empty"))
        if module.year is not None and module.year < 1:
            issues.append(_error(base + "/year", "a year of study starts at 1", "year_range"))
        issues += _check_credits(module.credits, base + "/credits")
        issues += _check_cost(module.cost, base + "/cost")
        issues += _check_isced(module.isced_f, base + "/isced_f")
        issues += _check_outcomes(module, base)

    issues += _check_prerequisites(programme.modules, positions)
    issues += _check_credit_totals(programme)
    return issues


def errors_of(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity is Severity.ERROR]


def _check_credits(credits: CreditValue | None, where: str) -> list[Issue]:
    if credits is None:
        return []
    out = []
    if not math.isfinite(credits.value) or credits.value < 0:
        out.append(_error(where + "/value", "credits are a number of at least 0", "credit_range"))
    if credits.system not in CREDIT_SYSTEMS:
        known = ", ".join(CREDIT_SYSTEMS)
        out.append(
            _error(
                where + "/system",
                f"unknown credit system {credits.system!r} (known: {known})",
                "unknown_credit_system",
            )
        )
    return out


def _check_cost(cost: Cost | None, where: str) -> list[Issue]:
    if cost is None:
        return []
    out = []
    if not math.isfinite(cost.amount) or cost.amount < 0:
        out.append(_error(where + "/amount", "a cost is an amount of at least 0", "cost_range"))
    if len(cost.currency) != 3 or not cost.currency.isalpha() or not cost.currency.isupper():
        out.append(_error(where + "/currency", "a currency is an ISO 4217 code (EUR)", "currency"))
    return out


def _check_isced(code: str | None, where: str) -> list[Issue]:
    if code is None or code in ISCED_F_2013:
        return []
    return [_error(where, f"{code!r} is not an ISCED-F 2013 field code", "unknown_isced_f")]


def _check_outcomes(module: Module, base: str) -> list[Issue]:
    if not module.learning_outcomes:
        return [
            _warning(
                base + "/learning_outcomes",
                f"module {module.code!r} has no learning outcomes: it cannot be matched",
                "no_outcomes",
            )
        ]
    out = []
    seen: dict[str, int] = {}
    for j, text in enumerate(module.learning_outcomes):
        where = f"{base}/learning_outcomes/{j}"
        norm = " ".join(text.split()).casefold()
        if not norm:
            out.append(_error(where, "a learning outcome is empty", "empty"))
        elif norm in seen:
            out.append(
                _warning(
                    where,
                    f"the same outcome as learning_outcomes/{seen[norm]}",
                    "duplicate_outcome",
                )
            )
        else:
            seen[norm] = j
    return out


def _check_prerequisites(modules: Sequence[Module], positions: Mapping[str, int]) -> list[Issue]:
    out: list[Issue] = []
    for i, module in enumerate(modules):
        for j, code in enumerate(module.prerequisites):
            where = pointer("modules", i, "prerequisites", j)
            key = module_key(code)
            if key == module_key(module.code):
                out.append(
                    _error(where, f"module {code!r} requires itself", "prerequisite_is_self")
                )
            elif key not in positions:
                out.append(
                    _error(
                        where,
                        f"prerequisite {code!r} is not a module of this programme",
                        "unknown_prerequisite",
                    )
                )
            else:
                required = modules[positions[key]]
                if (
                    module.status is ModuleStatus.COMPULSORY
                    and required.status is ModuleStatus.ELECTIVE
                ):
                    out.append(
                        _warning(
                            where,
                            f"compulsory module {module.code!r} requires elective module "
                            f"{required.code!r}",
                            "compulsory_requires_elective",
                        )
                    )
    graph = prerequisite_graph(modules)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return out
    # Report the cycle once, at the prerequisite list of the module that closes it.
    codes = [str(edge[0]) for edge in cycle]
    closing = cycle[-1][1]
    where = pointer("modules", positions[module_key(str(closing))], "prerequisites")
    path = " → ".join([*codes, codes[0]])
    out.append(_error(where, f"prerequisites form a cycle: {path}", "prerequisite_cycle"))
    return out


def _check_credit_totals(programme: Programme) -> list[Issue]:
    total = programme.credits
    if total is None or not programme.modules:
        return []
    same = [m for m in programme.modules if m.credits and m.credits.system == total.system]
    other = sorted({m.credits.system for m in programme.modules if m.credits} - {total.system})
    out: list[Issue] = []
    if other:
        out.append(
            _warning(
                "/modules",
                f"some module credits are in {', '.join(other)}, not {total.system}: they are "
                "not added to the programme's total",
                "mixed_credit_systems",
            )
        )
    # Modules whose status is not published may be electives: only modules marked compulsory
    # can make the programme impossible; the others only earn a warning.
    compulsory = sum(
        m.credits.value for m in same if m.credits and m.status is ModuleStatus.COMPULSORY
    )
    not_elective = sum(
        m.credits.value for m in same if m.credits and m.status is not ModuleStatus.ELECTIVE
    )
    everything = sum(m.credits.value for m in same if m.credits)
    if compulsory > total.value and not _close(compulsory, total.value):
        out.append(
            _error(
                "/modules",
                f"compulsory modules add up to {compulsory:g} credits, more than the "
                f"programme's {total}",
                "credits_exceed_total",
            )
        )
    elif not_elective > total.value and not _close(not_elective, total.value):
        out.append(
            _warning(
                "/modules",
                f"modules not marked elective add up to {not_elective:g} credits, more than the "
                f"programme's {total}: mark the electives (status)",
                "modules_exceed_total",
            )
        )
    elif everything < total.value and not _close(everything, total.value):
        out.append(
            _warning(
                "/modules",
                f"the modules listed add up to {everything:g} of the programme's {total}: "
                "the module list may be partial",
                "modules_below_total",
            )
        )
    return out


# --- the prerequisite graph --------------------------------------------------------------------


def prerequisite_graph(modules: Sequence[Module]) -> nx.DiGraph[str]:
    """Modules as nodes (by code as written), an edge from each prerequisite to the module that
    requires it. Prerequisites naming no module, or the module itself, are left out (validation
    reports them).

    >>> a, b = Module("A", "Alpha"), Module("B", "Beta", prerequisites=("a",))
    >>> sorted(prerequisite_graph([a, b]).edges)
    [('A', 'B')]
    """
    by_key = {module_key(m.code): m.code for m in modules}
    graph: nx.DiGraph[str] = nx.DiGraph()
    for module in modules:
        graph.add_node(module.code)
    for module in modules:
        for code in module.prerequisites:
            required = by_key.get(module_key(code))
            if required is not None and required != module.code:
                graph.add_edge(required, module.code)
    return graph


def study_order(programme: Programme) -> list[str]:
    """Module codes in an order that respects every prerequisite (ties keep the listed order).

    >>> a, b = Module("A", "Alpha", prerequisites=("B",)), Module("B", "Beta")
    >>> study_order(Programme("P", Institution("U"), modules=(a, b)))
    ['B', 'A']

    Raises:
        CatalogueInputError: the prerequisites form a cycle.
    """
    graph = prerequisite_graph(programme.modules)
    rank = {m.code: i for i, m in enumerate(programme.modules)}
    try:
        return list(nx.lexicographical_topological_sort(graph, key=lambda code: rank[code]))
    except nx.NetworkXUnfeasible:
        cycle = [i for i in validate_programme(programme) if i.code == "prerequisite_cycle"]
        raise CatalogueInputError(cycle) from None


def module_credits(programme: Programme, *, status: ModuleStatus | None = None) -> dict[str, float]:
    """Credits of the modules (only those with ``status``, if given), added up per system.

    >>> ms = (Module("A", "a", CreditValue(5, "ects")), Module("B", "b", CreditValue(10, "ects")))
    >>> module_credits(Programme("P", Institution("U"), modules=ms))
    {'ects': 15.0}
    """
    totals: dict[str, float] = defaultdict(float)
    for m in programme.modules:
        if m.credits is not None and (status is None or m.status is status):
            totals[m.credits.system] += m.credits.value
    return dict(totals)


# --- canonical form and content hash -----------------------------------------------------------


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != ()}


def _credits_dict(c: CreditValue | None) -> dict[str, Any] | None:
    # float(): 10 and 10.0 are the same content, and must hash the same
    return None if c is None else {"value": float(c.value), "system": c.system}


def _cost_dict(c: Cost | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return _drop_none({"amount": float(c.amount), "currency": c.currency, "note": c.note})


def module_to_dict(m: Module) -> dict[str, Any]:
    """A module in the catalogue JSON form (members without a value are left out)."""
    return _drop_none(
        {
            "code": m.code,
            "title": m.title,
            "description": m.description,
            "credits": _credits_dict(m.credits),
            "level": str(m.level) if m.level else None,
            "cycle": m.cycle.value if m.cycle else None,
            "year": m.year,
            "semester": m.semester,
            "status": m.status.value if m.status else None,
            "isced_f": m.isced_f,
            "language": m.language,
            "url": m.url,
            "cost": _cost_dict(m.cost),
            "prerequisites": list(m.prerequisites),
            "learning_outcomes": list(m.learning_outcomes),
        }
    )


def programme_to_dict(p: Programme, *, with_id: bool = False) -> dict[str, Any]:
    """A programme in the catalogue JSON form: what the importer reads, so export → import gives
    the same programme (and the same :func:`content_hash`).

    >>> p = Programme("Data", Institution("U", "IE"), level=LevelKey("IE-NFQ", "9"))
    >>> programme_to_dict(p)
    {'title': 'Data', 'institution': {'name': 'U', 'country': 'IE'}, 'level': 'IE-NFQ:9'}
    """
    return _drop_none(
        {
            "id": p.id if with_id else None,
            "title": p.title,
            "institution": _drop_none(
                {"name": p.institution.name, "country": p.institution.country}
            ),
            "code": p.code,
            "award": p.award,
            "level": str(p.level) if p.level else None,
            "eqf_level": p.eqf_level,
            "credits": _credits_dict(p.credits),
            "isced_f": p.isced_f,
            "language": p.language,
            "url": p.url,
            "cost": _cost_dict(p.cost),
            "notes": p.notes,
            "sources": [
                _drop_none(
                    {
                        "url": s.url,
                        "title": s.title,
                        "retrieved": s.retrieved.isoformat() if s.retrieved else None,
                        "licence": s.licence,
                        "note": s.note,
                    }
                )
                for s in p.sources
            ],
            "modules": [module_to_dict(m) for m in p.modules],
        }
    )


def content_hash(programme: Programme) -> str:
    """SHA-256 of the canonical JSON form (sorted keys, no id): equal content, equal hash,
    whatever identifier forms or member order the input used.

    >>> a = Programme("T", Institution("U"), credits=CreditValue(5, "ects"))
    >>> content_hash(a) == content_hash(replace(a, id="x"))
    True
    >>> content_hash(a) == content_hash(replace(a, title="T2"))
    False
    """
    canonical = json.dumps(
        programme_to_dict(programme), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- search ------------------------------------------------------------------------------------


def text_score(
    query: str, texts: Iterable[str | None], *, codes: Iterable[str | None] = ()
) -> float:
    """How well ``query`` matches the best of ``texts`` (0–100, rapidfuzz ``WRatio`` after
    default processing); a query equal to one of ``codes`` (case-insensitively) scores 100.

    >>> text_score("data analytics", ["MSc in Data Analytics", "Dublin"]) >= 90
    True
    >>> text_score("H9DAP", ["Database and Analytics Programming"], codes=["h9dap"])
    100.0
    >>> text_score("zzzz", ["Sustainability"]) < 50
    True
    """
    needle = utils.default_process(query)
    if not needle:
        return 0.0
    wanted = module_key(query)
    if any(code and module_key(code) == wanted for code in codes):
        return 100.0
    best = 0.0
    for text in (*texts, *codes):
        if text:
            best = max(best, float(fuzz.WRatio(needle, utils.default_process(text))))
    return round(best, 1)


# --- ISCED-F 2013 codes --------------------------------------------------------------------------

#: Every ISCED-F 2013 code (12 broad fields including 99, 58 narrow, 150 detailed) with its English
#: label. Source: the EU Vocabularies ISCED-F concept scheme
#: (http://data.europa.eu/snb/isced-f/25831c2) as embedded in european-commission-empl/
#: European-Learning-Model @ 9d7c5d22002237c3afeb1750b7038e6fe2cdd371, xsd/loq/cv/isced-f.xsd
#: (EUPL-1.2), cross-checked with the ESCO v1.1.1 ISCED-F skill groups (identical 220 codes).
#: The classification is UNESCO Institute for Statistics, ISCED Fields of Education and Training
#: 2013 (CC BY-SA 3.0 IGO). Retrieved 2026-11-29.
ISCED_F_2013: dict[str, str] = {
    "00": "Generic programmes and qualifications",
    "000": "Generic programmes and qualifications not further defined",
    "0000": "Generic programmes and qualifications not further defined",
    "001": "Basic programmes and qualifications",
    "0011": "Basic programmes and qualifications",
    "002": "Literacy and numeracy",
    "0021": "Literacy and numeracy",
    "003": "Personal skills and development",
    "0031": "Personal skills and development",
    "009": "Generic programmes and qualifications not elsewhere classified",
    "0099": "Generic programmes and qualifications not elsewhere classified",
    "01": "Education",
    "011": "Education",
    "0110": "Education not further defined",
    "0111": "Education science",
    "0112": "Training for pre-school teachers",
    "0113": "Teacher training without subject specialisation",
    "0114": "Teacher training with subject specialisation",
    "0119": "Education not elsewhere classified",
    "018": "Inter-disciplinary programmes and qualifications involving education",
    "0188": "Inter-disciplinary programmes and qualifications involving education",
    "02": "Arts and humanities",
    "020": "Arts and humanities not further defined",
    "0200": "Arts and humanities not further defined",
    "021": "Arts",
    "0210": "Arts not further defined",
    "0211": "Audio-visual techniques and media production",
    "0212": "Fashion, interior and industrial design",
    "0213": "Fine arts",
    "0214": "Handicrafts",
    "0215": "Music and performing arts",
    "0219": "Arts not elsewhere classified",
    "022": "Humanities (except languages)",
    "0220": "Humanities (except languages) not further defined",
    "0221": "Religion and theology",
    "0222": "History and archaeology",
    "0223": "Philosophy and ethics",
    "0228": "Inter-disciplinary programmes and qualifications involving humanities",
    "0229": "Humanities (except languages) not elsewhere classified",
    "023": "Languages",
    "0230": "Languages not further defined",
    "0231": "Language acquisition",
    "0232": "Literature and linguistics",
    "0239": "Languages not elsewhere classified",
    "028": "Inter-disciplinary programmes and qualifications involving arts and humanities",
    "0288": "Inter-disciplinary programmes and qualifications involving arts and humanities",
    "029": "Arts and humanities not elsewhere classified",
    "0299": "Arts and humanities not elsewhere classified",
    "03": "Social sciences, journalism and information",
    "030": "Social sciences, journalism and information not further defined",
    "0300": "Social sciences, journalism and information not further defined",
    "031": "Social and behavioural sciences",
    "0310": "Social and behavioural sciences not further defined",
    "0311": "Economics",
    "0312": "Political sciences and civics",
    "0313": "Psychology",
    "0314": "Sociology and cultural studies",
    "0319": "Social and behavioural sciences not elsewhere classified",
    "032": "Journalism and information",
    "0320": "Journalism and information not further defined",
    "0321": "Journalism and reporting",
    "0322": "Library, information and archival studies",
    "0329": "Journalism and information not elsewhere classified",
    "038": (
        "Inter-disciplinary programmes and qualifications involving social sciences, "
        "journalism and information"
    ),
    "0388": (
        "Inter-disciplinary programmes and qualifications involving social sciences, "
        "journalism and information"
    ),
    "039": "Social sciences, journalism and information not elsewhere classified",
    "0399": "Social sciences, journalism and information not elsewhere classified",
    "04": "Business, administration and law",
    "040": "Business, administration and law not further defined",
    "0400": "Business, administration and law not further defined",
    "041": "Business and administration",
    "0410": "Business and administration not further defined",
    "0411": "Accounting and taxation",
    "0412": "Finance, banking and insurance",
    "0413": "Management and administration",
    "0414": "Marketing and advertising",
    "0415": "Secretarial and office work",
    "0416": "Wholesale and retail sales",
    "0417": "Work skills",
    "0419": "Business and administration not elsewhere classified",
    "042": "Law",
    "0421": "Law",
    "048": (
        "Inter-disciplinary programmes and qualifications involving business, "
        "administration and law"
    ),
    "0488": (
        "Inter-disciplinary programmes and qualifications involving business, "
        "administration and law"
    ),
    "049": "Business, administration and law not elsewhere classified",
    "0499": "Business, administration and law not elsewhere classified",
    "05": "Natural sciences, mathematics and statistics",
    "050": "Natural sciences, mathematics and statistics not further defined",
    "0500": "Natural sciences, mathematics and statistics not further defined",
    "051": "Biological and related sciences",
    "0510": "Biological and related sciences not further defined",
    "0511": "Biology",
    "0512": "Biochemistry",
    "0519": "Biological and related sciences not elsewhere classified",
    "052": "Environment",
    "0520": "Environment not further defined",
    "0521": "Environmental sciences",
    "0522": "Natural environments and wildlife",
    "0529": "Environment not elsewhere classified",
    "053": "Physical sciences",
    "0530": "Physical sciences not further defined",
    "0531": "Chemistry",
    "0532": "Earth sciences",
    "0533": "Physics",
    "0539": "Physical sciences not elsewhere classified",
    "054": "Mathematics and statistics",
    "0540": "Mathematics and statistics not further defined",
    "0541": "Mathematics",
    "0542": "Statistics",
    "058": (
        "Inter-disciplinary programmes and qualifications involving natural sciences, "
        "mathematics and statistics"
    ),
    "0588": (
        "Inter-disciplinary programmes and qualifications involving natural sciences, "
        "mathematics and statistics"
    ),
    "059": "Natural sciences, mathematics and statistics not elsewhere classified",
    "0599": "Natural sciences, mathematics and statistics not elsewhere classified",
    "06": "Information and Communication Technologies (ICTs)",
    "061": "Information and Communication Technologies (ICTs)",
    "0610": "Information and Communication Technologies (ICTs) not further defined",
    "0611": "Computer use",
    "0612": "Database and network design and administration",
    "0613": "Software and applications development and analysis",
    "0619": "Information and communication technologies not elsewhere classified",
    "068": (
        "Inter-disciplinary programmes and qualifications involving Information and "
        "Communication Technologies (ICTs)"
    ),
    "0688": (
        "Inter-disciplinary programmes and qualifications involving Information and "
        "Communication Technologies (ICTs)"
    ),
    "07": "Engineering, manufacturing and construction",
    "070": "Engineering, manufacturing and construction not further defined",
    "0700": "Engineering, manufacturing and construction not further defined",
    "071": "Engineering and engineering trades",
    "0710": "Engineering and engineering trades not further defined",
    "0711": "Chemical engineering and processes",
    "0712": "Environmental protection technology",
    "0713": "Electricity and energy",
    "0714": "Electronics and automation",
    "0715": "Mechanics and metal trades",
    "0716": "Motor vehicles, ships and aircraft",
    "0719": "Engineering and engineering trades not elsewhere classified",
    "072": "Manufacturing and processing",
    "0720": "Manufacturing and processing not further defined",
    "0721": "Food processing",
    "0722": "Materials (glass, paper, plastic and wood)",
    "0723": "Textiles (clothes, footwear and leather)",
    "0724": "Mining and extraction",
    "0729": "Manufacturing and processing not elsewhere classified",
    "073": "Architecture and construction",
    "0730": "Architecture and construction not further defined",
    "0731": "Architecture and town planning",
    "0732": "Building and civil engineering",
    "078": (
        "Inter-disciplinary programmes and qualifications involving engineering, "
        "manufacturing and construction"
    ),
    "0788": (
        "Inter-disciplinary programmes and qualifications involving engineering, "
        "manufacturing and construction"
    ),
    "079": "Engineering, manufacturing and construction not elsewhere classified",
    "0799": "Engineering, manufacturing and construction not elsewhere classified",
    "08": "Agriculture, forestry, fisheries and veterinary",
    "080": "Agriculture, forestry, fisheries and veterinary not further defined",
    "0800": "Agriculture, forestry, fisheries and veterinary not further defined",
    "081": "Agriculture",
    "0810": "Agriculture not further defined",
    "0811": "Crop and livestock production",
    "0812": "Horticulture",
    "0819": "Agriculture not elsewhere classified",
    "082": "Forestry",
    "0821": "Forestry",
    "083": "Fisheries",
    "0831": "Fisheries",
    "084": "Veterinary",
    "0841": "Veterinary",
    "088": (
        "Inter-disciplinary programmes and qualifications involving agriculture, "
        "forestry, fisheries and veterinary"
    ),
    "0888": (
        "Inter-disciplinary programmes and qualifications involving agriculture, "
        "forestry, fisheries and veterinary"
    ),
    "089": "Agriculture, forestry, fisheries and veterinary not elsewhere classified",
    "0899": "Agriculture, forestry, fisheries and veterinary not elsewhere classified",
    "09": "Health and welfare",
    "090": "Health and welfare not further defined",
    "0900": "Health and welfare not further defined",
    "091": "Health",
    "0910": "Health not further defined",
    "0911": "Dental studies",
    "0912": "Medicine",
    "0913": "Nursing and midwifery",
    "0914": "Medical diagnostic and treatment technology",
    "0915": "Therapy and rehabilitation",
    "0916": "Pharmacy",
    "0917": "Traditional and complementary medicine and therapy",
    "0919": "Health not elsewhere classified",
    "092": "Welfare",
    "0920": "Welfare not further defined",
    "0921": "Care of the elderly and of disabled adults",
    "0922": "Child care and youth services",
    "0923": "Social work and counselling",
    "0929": "Welfare not elsewhere classified",
    "098": "Inter-disciplinary programmes and qualifications involving health and welfare",
    "0988": "Inter-disciplinary programmes and qualifications involving health and welfare",
    "099": "Health and welfare not elsewhere classified",
    "0999": "Health and welfare not elsewhere classified",
    "10": "Services",
    "100": "Services not further defined",
    "1000": "Services not further defined",
    "101": "Personal services",
    "1010": "Personal services not further defined",
    "1011": "Domestic services",
    "1012": "Hair and beauty services",
    "1013": "Hotel, restaurants and catering",
    "1014": "Sports",
    "1015": "Travel, tourism and leisure",
    "1019": "Personal services not elsewhere classified",
    "102": "Hygiene and occupational health services",
    "1020": "Hygiene and occupational health services not further defined",
    "1021": "Community sanitation",
    "1022": "Occupational health and safety",
    "1029": "Hygiene and occupational health services not elsewhere classified",
    "103": "Security services",
    "1030": "Security services not further defined",
    "1031": "Military and defence",
    "1032": "Protection of persons and property",
    "1039": "Security services not elsewhere classified",
    "104": "Transport services",
    "1041": "Transport services",
    "108": "Inter-disciplinary programmes and qualifications involving services",
    "1088": "Inter-disciplinary programmes and qualifications involving services",
    "109": "Services not elsewhere classified",
    "1099": "Services not elsewhere classified",
    "99": "Field unknown",
    "999": "Field unknown",
    "9999": "Field unknown",
}
