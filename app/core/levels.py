"""Level comparison over the framework graph.

``compare_level(G, source, target)`` answers "what is level X of framework A in framework B?":
it walks at most two level edges (a direct crosswalk, or source → EQF → target), composes the
SKOS relations and confidences along the way, and returns every comparable level, best first,
each with its path and the provenance of every edge used. When nothing is comparable the result
says why (:class:`~app.core.types.NotComparableReason`); it never falls back to a guess such as
"the nearest number".

Assumptions: EQF referencing edges point from national levels to EQF levels; every relation is
stored in both directions by :func:`app.core.graph.build_graph`; ``as_of`` filters levels and
edges by their validity (``None`` keeps every version, history included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import networkx as nx

from app.core.graph import QF_EHEA_ID, NodeKey, framework_of, level_edges, level_of
from app.core.types import (
    EQF_ID,
    Comparison,
    ComparisonFrame,
    EdgeKind,
    Framework,
    LevelEdge,
    LevelKey,
    LevelMatch,
    MatchType,
    NotComparableReason,
    PathStep,
)

_RANK = {
    MatchType.EXACT: 0,
    MatchType.CLOSE: 1,
    MatchType.BROAD: 2,
    MatchType.NARROW: 2,
    MatchType.RELATED: 3,
}


def compose(first: MatchType, second: MatchType) -> MatchType:
    """The SKOS relation from A to C, given A→B (``first``) and B→C (``second``).

    Two containments in the same direction stay a containment; opposite directions only tell
    that A and C overlap or are siblings, which SKOS calls ``related``.

    >>> compose(MatchType.EXACT, MatchType.NARROW)
    <MatchType.NARROW: 'narrow'>
    >>> compose(MatchType.BROAD, MatchType.NARROW)  # NFQ 8 → EQF 6 → SCQF 9
    <MatchType.RELATED: 'related'>
    >>> compose(MatchType.BROAD, MatchType.BROAD)
    <MatchType.BROAD: 'broad'>
    """
    if first is MatchType.EXACT:
        return second
    if second is MatchType.EXACT:
        return first
    if MatchType.RELATED in (first, second):
        return MatchType.RELATED
    if first is MatchType.CLOSE:
        return second
    if second is MatchType.CLOSE:
        return first
    return first if first is second else MatchType.RELATED


def _step(edge: LevelEdge) -> PathStep:
    return PathStep(
        source=edge.source,
        target=edge.target,
        kind=edge.kind,
        match_type=edge.match_type,
        confidence=edge.confidence,
        sources=edge.sources,
        basis=edge.basis,
    )


def _valid(G: nx.MultiDiGraph[NodeKey], edge: LevelEdge, as_of: dt.date | None) -> bool:
    return edge.validity.contains(as_of) and level_of(G, edge.target).validity.contains(as_of)


def eqf_levels_of(
    G: nx.MultiDiGraph[NodeKey], key: LevelKey, as_of: dt.date | None = None
) -> list[LevelEdge]:
    """The EQF referencing edges of a level valid at ``as_of`` (empty when not referenced).

    An EQF level is its own EQF level.
    """
    if key.framework == EQF_ID:
        return []
    return [
        e
        for e in level_edges(G, key)
        if e.kind is EdgeKind.EQF_REFERENCING
        and e.target.framework == EQF_ID
        and e.validity.contains(as_of)
    ]


def _eqf_number(G: nx.MultiDiGraph[NodeKey], key: LevelKey, as_of: dt.date | None) -> int | None:
    if key.framework == EQF_ID:
        return int(key.code)
    edges = eqf_levels_of(G, key, as_of)
    return int(edges[0].target.code) if edges else None


def _sort_key(match: LevelMatch) -> tuple[bool, int, float, int, int]:
    # Levels still in force rank before historical ones reached when ``as_of`` is None.
    return (
        not match.level.validity.is_current,
        _RANK[match.match_type],
        -match.confidence,
        len(match.steps),
        match.level.rank,
    )


def compare_level(
    G: nx.MultiDiGraph[NodeKey],
    source: LevelKey,
    target_framework: str,
    *,
    as_of: dt.date | None = None,
) -> Comparison:
    """Comparable levels of ``source`` in ``target_framework``, best first.

    Args:
        G: the framework graph (:func:`app.core.graph.build_graph`).
        source: the level to compare (any framework, the EQF and QF-EHEA included).
        target_framework: id of the framework to express it in.
        as_of: the date whose framework versions apply (e.g. the award date); ``None`` keeps
            every version.

    Returns:
        A :class:`Comparison` whose ``matches`` are ordered by relation strength (exact, close,
        broad/narrow, related), then confidence, then path length; or, when empty, a ``reason``.

    Raises:
        KeyError: ``source`` or ``target_framework`` is not in the graph.

    Example (Ireland's NFQ 7 and 8 are both referenced to EQF 6):
        >>> from tests.core.toy import toy_graph
        >>> G = toy_graph()
        >>> c = compare_level(G, LevelKey("IE-NFQ", "8"), "EQF")
        >>> [(m.level.code, m.match_type.value) for m in c.matches]
        [('6', 'broad')]
        >>> c = compare_level(G, LevelKey("EQF", "6"), "IE-NFQ")
        >>> [(m.level.code, m.match_type.value) for m in c.matches]
        [('7', 'narrow'), ('8', 'narrow')]
    """
    src_level = level_of(G, source)
    target = framework_of(G, target_framework)
    src_framework = framework_of(G, source.framework)

    if not (src_level.validity.contains(as_of) and src_framework.validity.contains(as_of)):
        return Comparison(
            src_level,
            target,
            as_of,
            (),
            NotComparableReason.NOT_VALID_AT_DATE,
            _validity_notes(G, source, as_of),
        )

    if source.framework == target_framework:
        identity = LevelMatch(
            level=src_level,
            eqf_level=_eqf_number(G, source, as_of),
            match_type=MatchType.EXACT,
            confidence=1.0,
            steps=(),
            notes=("the source level belongs to the target framework",),
            frame=ComparisonFrame.FRAMEWORK,
        )
        return Comparison(src_level, target, as_of, (identity,))

    best: dict[LevelKey, LevelMatch] = {}
    others: dict[LevelKey, list[str]] = {}

    def offer(match: LevelMatch) -> None:
        key = match.level.key
        current = best.get(key)
        if current is None or _sort_key(match) < _sort_key(current):
            if current is not None:
                others.setdefault(key, []).append(_describe_route(current))
            best[key] = match
        else:
            others.setdefault(key, []).append(_describe_route(match))

    # QF-EHEA cycles describe higher-education qualifications: a national level meets a cycle
    # only through its recorded placement, never through its EQF level (DQR 6 holds the
    # Bachelor and the Meister; only the former is a first-cycle qualification).
    via_eqf = not _crosses_into_cycles(source.framework, target_framework)
    reached_eqf: list[int] = []
    for first in level_edges(G, source):
        if not _valid(G, first, as_of):
            continue
        if first.target.framework == target_framework:
            tgt = level_of(G, first.target)
            offer(
                LevelMatch(
                    level=tgt,
                    eqf_level=_eqf_number(G, first.target, as_of),
                    match_type=first.match_type,
                    confidence=first.confidence,
                    steps=(_step(first),),
                    notes=_partial_placement_note(first),
                    frame=_frame_of(first),
                )
            )
            continue
        if first.kind is not EdgeKind.EQF_REFERENCING or first.target.framework != EQF_ID:
            continue
        reached_eqf.append(int(first.target.code))
        if not via_eqf:
            continue
        for second in level_edges(G, first.target):
            if (
                second.target.framework != target_framework
                or second.kind is not EdgeKind.EQF_REFERENCING
                or not _valid(G, second, as_of)
            ):
                continue
            offer(
                LevelMatch(
                    level=level_of(G, second.target),
                    eqf_level=int(first.target.code),
                    match_type=compose(first.match_type, second.match_type),
                    confidence=round(first.confidence * second.confidence, 6),
                    steps=(_step(first), _step(second)),
                    frame=ComparisonFrame.EQF,
                )
            )

    if best:
        matches = sorted(
            (_with_notes(m, others.get(key, ())) for key, m in best.items()),
            key=_sort_key,
        )
        return Comparison(src_level, target, as_of, tuple(matches))

    if not via_eqf and (reached_eqf or source.framework == QF_EHEA_ID):
        return Comparison(
            src_level,
            target,
            as_of,
            (),
            NotComparableReason.NOT_PLACED_IN_HIGHER_EDUCATION,
            (_not_placed_note(source, target_framework),),
        )
    return Comparison(
        src_level,
        target,
        as_of,
        (),
        *_why_nothing(G, source, target, reached_eqf, as_of),
    )


def _partial_placement_note(edge: LevelEdge) -> tuple[str, ...]:
    if edge.kind is not EdgeKind.QF_EHEA_PLACEMENT or edge.match_type is not MatchType.RELATED:
        return ()
    national = edge.source if edge.source.framework != QF_EHEA_ID else edge.target
    return (
        f"{national} also holds qualifications outside higher education: only its "
        "higher-education qualification types are in this cycle, so name the qualification "
        "type before treating it as a cycle qualification",
    )


def _crosses_into_cycles(source_framework: str, target_framework: str) -> bool:
    """Whether a comparison goes between a national framework and the QF-EHEA cycles."""
    ends = {source_framework, target_framework}
    return QF_EHEA_ID in ends and EQF_ID not in ends and len(ends) == 2


def _not_placed_note(source: LevelKey, target_framework: str) -> str:
    if source.framework == QF_EHEA_ID:
        return (
            f"no level of {target_framework} is placed in the QF-EHEA {source.code} cycle by the "
            "data (QF-EHEA cycles describe higher-education qualifications); compare with the "
            "EQF for the level alone"
        )
    return (
        f"the data do not record that the national referencing places {source} in higher "
        "education, and QF-EHEA cycles describe higher-education qualifications, so no cycle "
        "is offered: its EQF level says nothing about a cycle"
    )


def _describe_route(match: LevelMatch) -> str:
    via = " → ".join(str(k) for k in match.path)
    return f"also reached via {via} ({match.match_type.value}, confidence {match.confidence:g})"


def _with_notes(match: LevelMatch, notes: Sequence[str] | Iterable[str]) -> LevelMatch:
    notes = tuple(notes)
    validity = match.level.validity
    if not validity.is_current:
        notes = (f"historical level, valid until {validity.valid_to}", *notes)
    if not notes:
        return match
    return LevelMatch(
        match.level,
        match.eqf_level,
        match.match_type,
        match.confidence,
        match.steps,
        match.notes + notes,
        match.frame,
    )


def _frame_of(edge: LevelEdge) -> ComparisonFrame:
    # A placement in a QF-EHEA cycle is a published comparison of two frameworks, like a crosswalk.
    if edge.kind in (EdgeKind.CROSSWALK, EdgeKind.QF_EHEA_PLACEMENT):
        return ComparisonFrame.CROSSWALK
    if edge.kind is EdgeKind.SUCCESSION:
        return ComparisonFrame.FRAMEWORK
    return ComparisonFrame.EQF


def _validity_notes(
    G: nx.MultiDiGraph[NodeKey], source: LevelKey, as_of: dt.date | None
) -> tuple[str, ...]:
    level = level_of(G, source)
    notes = [
        f"{source} is valid from {level.validity.valid_from or 'the start'} "
        f"until {level.validity.valid_to or 'now'}, not on {as_of}"
    ]
    for edge in level_edges(G, source):
        if edge.kind is EdgeKind.SUCCESSION and edge.match_type is not MatchType.RELATED:
            later = level_of(G, edge.target)
            if (
                later.validity.valid_from
                and level.validity.valid_to
                and (later.validity.valid_from >= level.validity.valid_to)
            ):
                notes.append(f"{source} was succeeded by {edge.target} ({later.label})")
    return tuple(notes)


def _why_nothing(
    G: nx.MultiDiGraph[NodeKey],
    source: LevelKey,
    target: Framework,
    reached_eqf: list[int],
    as_of: dt.date | None,
) -> tuple[NotComparableReason, tuple[str, ...]]:
    src_level = level_of(G, source)
    if source.framework != EQF_ID and not reached_eqf:
        if any(e.kind is EdgeKind.EQF_REFERENCING for e in level_edges(G, source)):
            return NotComparableReason.NOT_VALID_AT_DATE, (
                f"{source} has no EQF referencing valid on {as_of}",
            )
        note = src_level.not_referenced_note or f"{source} is not referenced to the EQF"
        return NotComparableReason.NOT_REFERENCED, (note,)
    if target.id != EQF_ID and not target.eqf_referenced:
        return NotComparableReason.NOT_REFERENCED, (
            f"{target.id} is not referenced to the EQF and no published crosswalk links it "
            f"to {source.framework}",
        )
    eqf = [int(source.code)] if source.framework == EQF_ID else reached_eqf
    levels_at = [
        lvl
        for lvl in target.levels
        if any(
            e.kind is EdgeKind.EQF_REFERENCING
            and e.target.framework == EQF_ID
            and int(e.target.code) in eqf
            for e in level_edges(G, lvl.key)
        )
    ]
    if levels_at and not any(lvl.validity.contains(as_of) for lvl in levels_at):
        return NotComparableReason.NOT_VALID_AT_DATE, (
            f"{target.id} has levels at EQF {', '.join(map(str, eqf))}, but none valid on {as_of}",
        )
    return NotComparableReason.NO_COMPARABLE_LEVEL, (
        f"{target.id} has no level referenced to EQF {', '.join(map(str, sorted(set(eqf))))}",
    )


def compare_matrix(
    G: nx.MultiDiGraph[NodeKey],
    framework_ids: Sequence[str],
    *,
    as_of: dt.date | None = None,
) -> dict[LevelKey, dict[str, Comparison]]:
    """Every level of each framework compared with the EQF and with each other framework.

    Returns a mapping ``level → {target framework id → Comparison}``.
    """
    targets = [EQF_ID, *(f for f in framework_ids if f != EQF_ID)]
    out: dict[LevelKey, dict[str, Comparison]] = {}
    for fid in framework_ids:
        for level in framework_of(G, fid).levels:
            out[level.key] = {
                t: compare_level(G, level.key, t, as_of=as_of) for t in targets if t != fid
            }
    return out


if TYPE_CHECKING:  # the real signature for type checkers; at run time, __getattr__ below
    from app.core.level_relation import relate_levels as relate_levels


def __getattr__(name: str) -> object:
    # relate_levels lives in app.core.level_relation, which builds on this module; importing it
    # lazily keeps "from app.core.levels import relate_levels" working without an import cycle.
    if name == "relate_levels":
        from app.core.level_relation import relate_levels

        return relate_levels
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
