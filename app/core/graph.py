"""The framework graph: frameworks, levels, EQF levels and QF-EHEA cycles as nodes, typed edges.

Node keys are tuples so that kinds never collide:

* ``("framework", "IE-NFQ")`` — attributes ``kind="framework"``, ``framework`` (a Framework);
* ``("level", "IE-NFQ", "8")`` — attributes ``kind`` (``"level"``, ``"eqf_level"`` for the EQF's
  own levels, ``"cycle"`` for QF-EHEA cycles) and ``level`` (a Level).

Edges (a ``MultiDiGraph``, because two levels may be related by several sources):

* level → framework, ``kind="part_of"``;
* level → level, ``kind`` one of :class:`~app.core.types.EdgeKind`, attribute ``edge`` holding the
  :class:`~app.core.types.LevelEdge` read in that direction. Every relation is stored both ways
  (the reverse carries the inverse SKOS relation), so walks never need to look backwards.

The graph keeps qualifications out: comparisons walk only level nodes, so their cost does not
grow with the catalogue (see PERFORMANCE.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import networkx as nx

from app.core.release import Release
from app.core.types import EQF_ID, Framework, Level, LevelEdge, LevelKey

QF_EHEA_ID = "QF-EHEA"

NodeKey = tuple[str, ...]


def framework_node(framework_id: str) -> NodeKey:
    return ("framework", framework_id)


def level_node(key: LevelKey) -> NodeKey:
    return ("level", key.framework, key.code)


def _level_kind(framework: Framework) -> str:
    if framework.id == EQF_ID:
        return "eqf_level"
    if framework.id == QF_EHEA_ID:
        return "cycle"
    return "level"


def build_graph(
    frameworks: Iterable[Framework], edges: Iterable[LevelEdge]
) -> nx.MultiDiGraph[NodeKey]:
    """Build the graph of frameworks, levels and their relations.

    Args:
        frameworks: every framework, the EQF included.
        edges: level relations, each given once; the reverse is added here.

    Returns:
        A ``MultiDiGraph`` as described in the module docstring.

    Raises:
        KeyError: an edge names a level that no framework has.

    Example:
        >>> from app.core.types import *
        >>> eqf = Framework("EQF", "EQF", "eqf", (), (), "1", Validity(), False, None, (),
        ...                 (Level("EQF", "6", "EQF 6"),))
        >>> nfq = Framework("IE-NFQ", "NFQ", "national", ("IE",), (), "1", Validity(), True,
        ...                 None, (), (Level("IE-NFQ", "8", "NFQ 8"),))
        >>> e = LevelEdge(LevelKey("IE-NFQ", "8"), LevelKey("EQF", "6"),
        ...               EdgeKind.EQF_REFERENCING, MatchType.BROAD, ConfidenceClass.HIGH, 0.9, ())
        >>> G = build_graph([eqf, nfq], [e])
        >>> sorted(n for n in G.successors(("level", "IE-NFQ", "8")))
        [('framework', 'IE-NFQ'), ('level', 'EQF', '6')]
    """
    G: nx.MultiDiGraph[NodeKey] = nx.MultiDiGraph()
    for framework in frameworks:
        G.add_node(framework_node(framework.id), kind="framework", framework=framework)
        kind = _level_kind(framework)
        for level in framework.levels:
            node = level_node(level.key)
            G.add_node(node, kind=kind, level=level)
            G.add_edge(node, framework_node(framework.id), kind="part_of")
    for edge in edges:
        src, dst = level_node(edge.source), level_node(edge.target)
        for node, key in ((src, edge.source), (dst, edge.target)):
            if node not in G:
                raise KeyError(f"edge names unknown level {key}")
        G.add_edge(src, dst, kind=edge.kind.value, edge=edge)
        G.add_edge(dst, src, kind=edge.kind.value, edge=edge.reversed())
    return G


def graph_from_release(release: Release) -> nx.MultiDiGraph[NodeKey]:
    """``build_graph`` over everything a release holds."""
    return build_graph(release.frameworks.values(), release.edges)


def level_edges(G: nx.MultiDiGraph[NodeKey], key: LevelKey) -> Iterator[LevelEdge]:
    """Every level relation leaving the level ``key`` (crosswalks, referencing, succession)."""
    # The raw adjacency dict: this runs on every comparison, and G.edges(...) views cost ~10x.
    adjacency: dict[NodeKey, dict[int, dict[str, object]]] = G._adj[level_node(key)]  # type: ignore[attr-defined]
    for _nbr, keydict in adjacency.items():
        for data in keydict.values():
            edge = data.get("edge")
            if isinstance(edge, LevelEdge):
                yield edge


def level_of(G: nx.MultiDiGraph[NodeKey], key: LevelKey) -> Level:
    """The Level stored at ``key``; ``KeyError`` if the graph has no such level."""
    level: Level = G.nodes[level_node(key)]["level"]
    return level


def framework_of(G: nx.MultiDiGraph[NodeKey], framework_id: str) -> Framework:
    framework: Framework = G.nodes[framework_node(framework_id)]["framework"]
    return framework


def frameworks_in(G: nx.MultiDiGraph[NodeKey]) -> list[Framework]:
    return [data["framework"] for _n, data in G.nodes(data=True) if data["kind"] == "framework"]
