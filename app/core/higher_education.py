"""Whether a level, or a qualification type at it, is a QF-EHEA cycle qualification.

QF-EHEA cycles describe higher-education qualifications, so the answer comes only from what the
national referencing records (``qf_ehea`` placements in ``frameworks/*.yaml``, turned into
``QF_EHEA_PLACEMENT`` edges and into qualification-type rows placed at a cycle), never from the
level's EQF level: German DQR 6 holds both the Bachelor (first cycle) and the Meister (not a
higher-education qualification).

Assumptions: a placement with ``match_type`` ``related`` marks a level that also holds
qualifications outside higher education, so only a named qualification type can be placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import networkx as nx

from app.core.graph import QF_EHEA_ID, NodeKey, framework_of, level_edges, level_node
from app.core.types import EdgeKind, LevelKey, MatchType, QualificationType, Source


class CycleStatus(StrEnum):
    """How far the data place a level (or a type at it) in a QF-EHEA cycle."""

    PLACED = "placed"  # the level, or the named type, is a qualification of ``cycle``
    NOT_PLACED = "not_placed"  # the named type is not among the level's higher-education types
    TYPE_NEEDED = "type_needed"  # the level mixes higher education with other qualifications
    NOT_RECORDED = "not_recorded"  # the data record no placement: cannot tell


@dataclass(frozen=True, slots=True)
class CyclePlacement:
    level: LevelKey
    qualification_type: str | None
    status: CycleStatus
    cycle: str | None
    confidence: float
    sources: tuple[Source, ...] = ()
    notes: tuple[str, ...] = ()


def _same_type(given: str, known: str) -> bool:
    # "Higher Certificate in Science" is a Higher Certificate; "Higher" alone is not.
    g, k = " ".join(given.casefold().split()), " ".join(known.casefold().split())
    return g == k or g.startswith(k + " ")


def qf_ehea_cycle(
    G: nx.MultiDiGraph[NodeKey],
    level: LevelKey,
    qualification_type: str | None = None,
    types: Iterable[QualificationType] = (),
) -> CyclePlacement:
    """The QF-EHEA cycle of ``level`` (or of ``qualification_type`` at it), if the data place it.

    Args:
        G: the framework graph.
        level: a national level.
        qualification_type: the type's name as written (e.g. "Master craftsman"), if known.
        types: the release's qualification types (rows placed at QF-EHEA cycles are used).

    Example (Ireland's NFQ 6 holds the Higher Certificate, a short-cycle higher-education award,
    and the Advanced Certificate, a further-education award):
        >>> from app.core.graph import graph_from_release
        >>> from app.reference.loader import load_release
        >>> from tests.conftest import FRAMEWORKS_DIR, MAPPINGS_DIR
        >>> release = load_release(FRAMEWORKS_DIR, MAPPINGS_DIR)
        >>> G = graph_from_release(release)
        >>> nfq6 = LevelKey("IE-NFQ", "6")
        >>> qf_ehea_cycle(G, nfq6).status.value
        'type_needed'
        >>> p = qf_ehea_cycle(G, nfq6, "Higher Certificate in Science", release.qualification_types)
        >>> (p.status.value, p.cycle)
        ('placed', 'short')
        >>> qf_ehea_cycle(G, nfq6, "Advanced Certificate", release.qualification_types).status.value
        'not_placed'
        >>> qf_ehea_cycle(G, LevelKey("IE-NFQ", "8")).cycle
        'first'
        >>> qf_ehea_cycle(G, LevelKey("IE-NFQ", "5")).status.value
        'not_recorded'
    """
    if level.framework == QF_EHEA_ID:
        return CyclePlacement(level, qualification_type, CycleStatus.PLACED, level.code, 1.0)
    if level_node(level) not in G:
        return CyclePlacement(
            level,
            qualification_type,
            CycleStatus.NOT_RECORDED,
            None,
            0.0,
            notes=(f"{level} is not a level of any framework in the data release",),
        )
    placements = [e for e in level_edges(G, level) if e.kind is EdgeKind.QF_EHEA_PLACEMENT]
    if not placements:
        return CyclePlacement(
            level,
            qualification_type,
            CycleStatus.NOT_RECORDED,
            None,
            0.0,
            notes=(
                f"the data do not record that the national referencing places {level} in "
                "higher education; QF-EHEA cycles describe higher-education qualifications, "
                "so its EQF level says nothing about a cycle",
            ),
        )
    edge = placements[0]
    cycle = edge.target.code
    basis = (edge.basis,) if edge.basis else ()
    if edge.match_type is not MatchType.RELATED:
        return CyclePlacement(
            level,
            qualification_type,
            CycleStatus.PLACED,
            cycle,
            edge.confidence,
            edge.sources,
            basis,
        )
    jurisdictions = set(framework_of(G, level.framework).jurisdictions)
    he_types = [
        t
        for t in types
        if t.framework == QF_EHEA_ID and t.level_code == cycle and t.jurisdiction in jurisdictions
    ]
    names = sorted({t.name for t in he_types if not t.is_example})
    listed = f" ({'; '.join(names)})" if names else ""
    if qualification_type is None:
        return CyclePlacement(
            level,
            None,
            CycleStatus.TYPE_NEEDED,
            None,
            0.0,
            edge.sources,
            (
                *basis,
                f"{level} holds higher-education qualifications of the {cycle} cycle{listed} "
                "and qualifications outside higher education: the qualification type decides",
            ),
        )
    match = next((t for t in he_types if _same_type(qualification_type, t.name)), None)
    if match is not None:
        cited = (match.source,) if match.source else edge.sources
        return CyclePlacement(
            level,
            qualification_type,
            CycleStatus.PLACED,
            cycle,
            edge.confidence,
            cited,
            (f"{match.name} is a {cycle}-cycle qualification at {level}", *basis),
        )
    return CyclePlacement(
        level,
        qualification_type,
        CycleStatus.NOT_PLACED,
        None,
        edge.confidence,
        edge.sources,
        (
            f"{qualification_type!r} is not among the higher-education types of {level} "
            f"placed in the {cycle} cycle{listed}",
            *basis,
        ),
    )
