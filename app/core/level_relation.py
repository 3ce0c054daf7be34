"""Whether a held level reaches a required one, in the most specific frame with an official basis.

``relate_levels(G, held, required)`` answers the question recognition, articulation and pathways
ask of levels ("is NFQ 7 enough for a module at NFQ 8?"): the same framework's own level order
first, then a published crosswalk (the UK–Ireland leaflet, a QF-EHEA placement), and only then
both frameworks' EQF referencing, where "same" is a finding to check, never a fact. It is
re-exported by :mod:`app.core.levels`.

Assumptions: a framework's levels are listed lowest first (``Level.rank``); sublevels sharing an
integer part ("7.1", "7.2"; "5 A", "5 B") are not ordered by the data; a historical level is
compared through its ``SUCCESSION`` edge.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

import networkx as nx

from app.core.graph import QF_EHEA_ID, NodeKey, framework_of, level_edges, level_node, level_of
from app.core.levels import _crosses_into_cycles, _not_placed_note, _step, _valid, eqf_levels_of
from app.core.types import (
    EQF_ID,
    ComparisonFrame,
    EdgeKind,
    Level,
    LevelEdge,
    LevelKey,
    LevelOrder,
    LevelRelation,
    MatchType,
    NotComparableReason,
    PathStep,
    Source,
    normalise_code,
)

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
