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
import re
from collections.abc import Callable, Iterable, Sequence

import networkx as nx

from app.core.graph import QF_EHEA_ID, NodeKey, framework_of, level_edges, level_node, level_of
from app.core.types import (
    EQF_ID,
    Comparison,
    ComparisonFrame,
    EdgeKind,
    Framework,
    Level,
    LevelEdge,
    LevelKey,
    LevelMatch,
    LevelOrder,
    LevelRelation,
    MatchType,
    NotComparableReason,
    PathStep,
    Source,
    normalise_code,
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


# --- Ordering a held level against a required one ---------------------------------------------

#: Confidence kept when two levels of different frameworks are only known to share an EQF level.
#: The EQF groups national levels (Ireland's NFQ 7 and 8 are both EQF 6), so "same" there is a
#: finding an evaluator must check, never a fact: lower when either national level shares its EQF
#: level with a neighbour (``broad``), a little higher when both sit alone at it (``exact``).
EQF_SAME_FACTOR_SHARED = 0.5
EQF_SAME_FACTOR_ALONE = 0.7

# "7.1", "5a", "5 A", "4+": a sublevel of the integer level it starts with.
_SUBLEVEL = re.compile(r"(\d+)\s*(?:\.\s*\d+|[a-z]|\+)")


def _integer_part(code: str) -> tuple[int, bool] | None:
    """``(integer level, is a sublevel)`` of a level code, ``None`` for codes like "Entry 3"."""
    norm = normalise_code(code)
    if norm.isdigit():
        return int(norm), False
    match = _SUBLEVEL.fullmatch(norm)
    return (int(match[1]), True) if match else None


def _overlap(a: Level, b: Level) -> bool:
    va, vb = a.validity, b.validity
    return (va.valid_to is None or vb.valid_from is None or va.valid_to > vb.valid_from) and (
        vb.valid_to is None or va.valid_from is None or vb.valid_to > va.valid_from
    )


def _by_rank(a: Level, b: Level) -> LevelOrder:
    if a.key == b.key:
        return LevelOrder.SAME
    return LevelOrder.ABOVE if a.rank > b.rank else LevelOrder.BELOW


def _own_order(a: Level, b: Level) -> tuple[LevelOrder | None, str]:
    """The order of two levels of one framework by its own level list, or why it has none."""
    if a.key == b.key:
        return LevelOrder.SAME, f"{a.key} is the required level itself"
    pa, pb = _integer_part(a.code), _integer_part(b.code)
    if pa and pb and pa[0] == pb[0] and (pa[1] or pb[1]):
        return None, (
            f"{a.key} and {b.key} are sublevels within level {pa[0]} of {a.framework}; "
            "the data do not order sublevels, so they are compared through the EQF"
        )
    if not _overlap(a, b):
        return None, (
            f"{a.key} and {b.key} belong to different versions of {a.framework} "
            "(their validity periods do not overlap)"
        )
    return _by_rank(a, b), ""


def _successor(G: nx.MultiDiGraph[NodeKey], level: Level, other: Level) -> LevelEdge | None:
    """An exact/close succession edge from ``level`` to a level in force beside ``other``."""
    for edge in level_edges(G, level.key):
        if (
            edge.kind is EdgeKind.SUCCESSION
            and edge.match_type in (MatchType.EXACT, MatchType.CLOSE)
            and _overlap(level_of(G, edge.target), other)
        ):
            return edge
    return None


def _eqf_edge(
    G: nx.MultiDiGraph[NodeKey], key: LevelKey, as_of: dt.date | None
) -> LevelEdge | None:
    """The EQF referencing edge of ``key`` at ``as_of``, the one still in force first."""
    edges = eqf_levels_of(G, key, as_of)
    edges.sort(key=lambda e: not e.validity.is_current)
    return edges[0] if edges else None


def _cite(steps: Sequence[PathStep], extra: Iterable[Source] = ()) -> tuple[Source, ...]:
    seen: dict[str, Source] = {}
    for source in (*extra, *(s for step in steps for s in step.sources)):
        seen.setdefault(source.id, source)
    return tuple(seen.values())


def _phrase(order: LevelOrder) -> str:
    return {
        LevelOrder.ABOVE: "above",
        LevelOrder.SAME: "at the same level as",
        LevelOrder.BELOW: "below",
        LevelOrder.CANNOT_TELL: "not comparable with",
    }[order]


def relate_levels(
    G: nx.MultiDiGraph[NodeKey],
    held: LevelKey,
    required: LevelKey,
    *,
    as_of: dt.date | None = None,
) -> LevelRelation:
    """Whether a held level is above, at or below a required one, in the most specific frame.

    The frames, most specific first: the same framework's own level order; a published
    crosswalk between the two frameworks (e.g. the UK–Ireland leaflet); otherwise both
    frameworks' EQF referencing. Through the EQF two levels are never "same" with full
    confidence: the EQF groups national levels (Ireland's NFQ 7 and 8 are both EQF 6), so the
    answer carries a lower confidence and a note that the national levels may differ.

    Args:
        G: the framework graph (:func:`app.core.graph.build_graph`).
        held: the level the candidate holds (e.g. a credential's level).
        required: the level asked for (e.g. a target module's level).
        as_of: the date whose EQF referencing and crosswalks apply; ``None`` keeps every version.

    Returns:
        A :class:`~app.core.types.LevelRelation`; ``order`` is ``cannot_tell`` with a ``reason``
        when a level is unknown, not referenced, or not valid at ``as_of`` — never a guess.

    Example (toy graph: IE-NFQ 7 and 8 both at EQF 6; a crosswalk IE-NFQ 8 ↔ SCQF 10):
        >>> from tests.core.toy import toy_graph
        >>> G = toy_graph()
        >>> r = relate_levels(G, LevelKey("IE-NFQ", "7"), LevelKey("IE-NFQ", "8"))
        >>> (r.order.value, r.frame.value, r.confidence)
        ('below', 'framework', 1.0)
        >>> r = relate_levels(G, LevelKey("IE-NFQ", "8"), LevelKey("UK-SCT-SCQF", "10"))
        >>> (r.order.value, r.frame.value)
        ('same', 'crosswalk')
        >>> r = relate_levels(G, LevelKey("IE-NFQ", "7"), LevelKey("DE-DQR", "6"))
        >>> (r.order.value, r.frame.value, r.confidence < 0.9, r.held_eqf, r.required_eqf)
        ('same', 'eqf', True, 6, 6)
        >>> relate_levels(G, LevelKey("DE-DQR", "5"), LevelKey("IE-NFQ", "8")).order.value
        'below'
        >>> r = relate_levels(G, LevelKey("MT-MQF", "A"), LevelKey("IE-NFQ", "8"))
        >>> (r.order.value, r.reason.value)
        ('cannot_tell', 'not_referenced')
    """
    for key in (held, required):
        if level_node(key) not in G:
            return LevelRelation(
                held,
                required,
                LevelOrder.CANNOT_TELL,
                None,
                0.0,
                None,
                None,
                notes=(f"{key} is not a level of any framework in the data release",),
                reason=NotComparableReason.UNKNOWN_LEVEL,
            )
    h, r = level_of(G, held), level_of(G, required)
    h_edge, r_edge = _eqf_edge(G, held, as_of), _eqf_edge(G, required, as_of)
    h_eqf = int(held.code) if held.framework == EQF_ID else _num(h_edge)
    r_eqf = int(required.code) if required.framework == EQF_ID else _num(r_edge)
    notes: list[str] = []

    def answer(
        order: LevelOrder,
        frame: ComparisonFrame | None,
        confidence: float,
        steps: tuple[PathStep, ...] = (),
        extra: Iterable[Source] = (),
        reason: NotComparableReason | None = None,
    ) -> LevelRelation:
        return LevelRelation(
            held,
            required,
            order,
            frame,
            round(confidence, 6),
            h_eqf,
            r_eqf,
            steps,
            _cite(steps, extra),
            tuple(n for n in notes if n),
            reason,
        )

    if held.framework == required.framework:
        framework = framework_of(G, held.framework)
        order, why = _own_order(h, r)
        steps: tuple[PathStep, ...] = ()
        if order is None and not _overlap(h, r):
            # An older level replaced on a date: compare its successor (FR-CNCP V → 3).
            for old, new in ((h, r), (r, h)):
                succ = _successor(G, old, new)
                if succ is not None:
                    later = level_of(G, succ.target)
                    pair = (later, r) if old is h else (h, later)
                    order, why = _own_order(*pair)
                    steps = (_step(succ),)
                    notes.append(f"{old.key} was succeeded by {later.key} ({later.label})")
                    break
        if order is not None:
            notes.append(
                f"{held} is {_phrase(order)} {required} in the level order of {framework.title}"
            )
            confidence = min((s.confidence for s in steps), default=1.0)
            return answer(order, ComparisonFrame.FRAMEWORK, confidence, steps, framework.sources)
        notes.append(why)

    crosswalk = _by_crosswalk(G, h, r, as_of)
    if crosswalk is not None:
        order, confidence, steps, said = crosswalk
        notes.extend(said)
        return answer(order, ComparisonFrame.CROSSWALK, confidence, steps)

    if _crosses_into_cycles(held.framework, required.framework):
        national = held if required.framework == QF_EHEA_ID else required
        partial = [
            e.basis
            for e in level_edges(G, national)
            if e.kind is EdgeKind.QF_EHEA_PLACEMENT and e.basis
        ]
        notes.extend(partial or [_not_placed_note(national, QF_EHEA_ID)])
    return _by_eqf(G, h, r, h_edge, r_edge, as_of, notes, answer)


def _num(edge: LevelEdge | None) -> int | None:
    return int(edge.target.code) if edge is not None else None


def _by_crosswalk(
    G: nx.MultiDiGraph[NodeKey], h: Level, r: Level, as_of: dt.date | None
) -> tuple[LevelOrder, float, tuple[PathStep, ...], list[str]] | None:
    """Order through the best-supported crosswalk counterparts of ``h`` in ``r``'s framework."""
    counterparts = [
        e
        for e in level_edges(G, h.key)
        if (
            e.kind is EdgeKind.CROSSWALK
            # a cycle placement counts unless the level is only partly higher education
            or (e.kind is EdgeKind.QF_EHEA_PLACEMENT and e.match_type is not MatchType.RELATED)
        )
        and e.target.framework == r.framework
        and _valid(G, e, as_of)
    ]
    if not counterparts:
        return None
    top = max(e.confidence for e in counterparts)
    best = [e for e in counterparts if e.confidence == top]
    orders = set()
    for edge in best:
        order, _why = _own_order(level_of(G, edge.target), r)
        orders.add(order)
    if len(orders) != 1 or None in orders:
        return None  # the counterparts straddle the required level: let the EQF frame say so
    (order,) = orders
    assert order is not None
    named = ", ".join(str(e.target) for e in best)
    where = (
        "the required level"
        if order is LevelOrder.SAME and len(best) == 1
        else f"{_phrase(order)} {r.key} in {r.framework}"
    )
    said = [
        f"a published crosswalk places {h.key} beside {named} ({best[0].match_type.value}, "
        f"confidence {top:g}): {where}"
    ]
    said += [e.basis for e in best if e.basis]
    weaker = [e for e in counterparts if e.confidence < top]
    if weaker:
        said.append(
            "the crosswalk also pairs it, with less support, with "
            + ", ".join(f"{e.target} (confidence {e.confidence:g})" for e in weaker)
        )
    return order, top, tuple(_step(e) for e in best[:1]), said


def _by_eqf(
    G: nx.MultiDiGraph[NodeKey],
    h: Level,
    r: Level,
    h_edge: LevelEdge | None,
    r_edge: LevelEdge | None,
    as_of: dt.date | None,
    notes: list[str],
    answer: Callable[..., LevelRelation],
) -> LevelRelation:
    for level, edge in ((h, h_edge), (r, r_edge)):
        if level.framework == EQF_ID or edge is not None:
            continue
        if any(e.kind is EdgeKind.EQF_REFERENCING for e in level_edges(G, level.key)):
            notes.append(f"{level.key} has no EQF referencing valid on {as_of}")
            return answer(
                LevelOrder.CANNOT_TELL, None, 0.0, reason=NotComparableReason.NOT_VALID_AT_DATE
            )
        notes.append(level.not_referenced_note or f"{level.key} is not referenced to the EQF")
        notes.append(
            f"no published crosswalk relates {h.framework} and {r.framework} at this level, "
            "so the two levels cannot be ordered"
        )
        return answer(LevelOrder.CANNOT_TELL, None, 0.0, reason=NotComparableReason.NOT_REFERENCED)
    h_eqf = int(h.code) if h.framework == EQF_ID else _num(h_edge)
    r_eqf = int(r.code) if r.framework == EQF_ID else _num(r_edge)
    assert h_eqf is not None and r_eqf is not None
    steps = tuple(_step(e) for e in (h_edge, r_edge.reversed() if r_edge else None) if e)
    edge_conf = min((s.confidence for s in steps), default=1.0)
    if h_eqf != r_eqf:
        order = LevelOrder.ABOVE if h_eqf > r_eqf else LevelOrder.BELOW
        notes.append(
            f"compared through the EQF: {h.key} is at EQF {h_eqf} and {r.key} at EQF {r_eqf}"
        )
        return answer(order, ComparisonFrame.EQF, edge_conf, steps)
    alone = all(s.match_type is MatchType.EXACT for s in steps)
    factor = EQF_SAME_FACTOR_ALONE if alone else EQF_SAME_FACTOR_SHARED
    notes.append(
        f"compared only at EQF granularity: {h.key} and {r.key} are both at EQF {h_eqf}, "
        "but national levels within one EQF level may differ; an evaluator must check "
        "the national levels"
    )
    if not alone:
        sharing = [
            str(s.source if s.source.framework != EQF_ID else s.target)
            for s in steps
            if s.match_type is not MatchType.EXACT
        ]
        notes.append(
            f"{' and '.join(sharing)} {'shares' if len(sharing) == 1 else 'each share'} "
            f"EQF {h_eqf} with another level of {'its' if len(sharing) == 1 else 'their'} framework"
        )
    return answer(LevelOrder.SAME, ComparisonFrame.EQF, edge_conf * factor, steps)
