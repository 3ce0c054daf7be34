"""The framework registry service: the active release, its graph and identifier index.

Read-only use cases over frameworks and levels (list, get, compare, matrix, qualification-type
search) live here. The registry is built once per process from a Release (files or database)
and shared by every request; it holds no session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from app.core.errors import InvalidInput
from app.core.graph import QF_EHEA_ID, NodeKey, graph_from_release, level_edges
from app.core.identifiers import IdentifierIndex
from app.core.levels import compare_level, compare_matrix, eqf_levels_of
from app.core.qualification_search import NameIndex, name_tokens
from app.core.release import Release
from app.core.types import (
    EQF_ID,
    Comparison,
    EdgeKind,
    Framework,
    Level,
    LevelEdge,
    LevelKey,
    QualificationType,
)


@dataclass(frozen=True, slots=True)
class QualificationTypeHit:
    qualification_type: QualificationType
    score: float
    level: Level | None


class Registry:
    """Everything the read-only framework endpoints need, built once from a release."""

    def __init__(self, release: Release) -> None:
        self.release = release
        self.graph: nx.MultiDiGraph[NodeKey] = graph_from_release(release)
        self.index = IdentifierIndex.build(release.frameworks.values())
        self._qt = list(release.qualification_types)
        self._qt_index = NameIndex([q.name for q in self._qt], [q.alt_labels for q in self._qt])

    # --- frameworks and levels -----------------------------------------------------------

    def frameworks(
        self, *, jurisdiction: str | None = None, q: str | None = None
    ) -> list[Framework]:
        items = sorted(self.release.frameworks.values(), key=lambda f: (f.id != EQF_ID, f.id))
        if jurisdiction:
            wanted = jurisdiction.strip().casefold()
            items = [
                f
                for f in items
                if any(
                    j.casefold() == wanted or j.casefold().split("-", 1)[0] == wanted
                    for j in f.jurisdictions
                )
            ]
        if q:
            needle = q.strip().casefold()
            items = [
                f
                for f in items
                if needle in f.title.casefold()
                or needle in f.id.casefold()
                or (f.acronym and needle in f.acronym.casefold())
            ]
        return items

    def framework(self, identifier: str, *, field: str | None = None) -> Framework:
        return self.release.frameworks[self.index.framework(identifier, field=field)]

    def level(self, identifier: str, *, field: str | None = None) -> Level:
        key = self.index.level(identifier, field=field)
        return self._level(key)

    def level_in(self, framework: str, code: str, *, field: str | None = None) -> Level:
        fid = self.index.framework(framework, field="framework")
        return self._level(self.index.level_in(fid, code, field=field))

    def _level(self, key: LevelKey) -> Level:
        level = self.release.level(key)
        assert level is not None  # the index only holds levels of this release
        return level

    def eqf_edges(self, key: LevelKey, as_of: dt.date | None = None) -> list[LevelEdge]:
        return eqf_levels_of(self.graph, key, as_of)

    def qf_ehea_placements(self, key: LevelKey) -> list[LevelEdge]:
        """The QF-EHEA cycle placements recorded for a national level (docs/levels.md)."""
        if key.framework == QF_EHEA_ID:
            return []
        return [e for e in level_edges(self.graph, key) if e.kind is EdgeKind.QF_EHEA_PLACEMENT]

    # --- comparison -----------------------------------------------------------------------

    def compare(self, source: str, target: str, *, as_of: dt.date | None = None) -> Comparison:
        src = self.index.level(source, field="source")
        tgt = self.index.framework(target, field="target")
        return compare_level(self.graph, src, tgt, as_of=as_of)

    def matrix(
        self, frameworks: Sequence[str], *, as_of: dt.date | None = None
    ) -> tuple[list[str], dict[LevelKey, dict[str, Comparison]]]:
        if not frameworks:
            raise InvalidInput("frameworks", "give at least one framework")
        if len(frameworks) > 12:
            raise InvalidInput("frameworks", "at most 12 frameworks per matrix")
        ids: list[str] = []
        for f in frameworks:
            fid = self.index.framework(f, field="frameworks")
            if fid not in ids:
                ids.append(fid)
        return ids, compare_matrix(self.graph, ids, as_of=as_of)

    # --- qualification types --------------------------------------------------------------

    def search_qualification_types(
        self, q: str, *, jurisdiction: str | None = None, limit: int = 10
    ) -> list[QualificationTypeHit]:
        """Qualification types ranked by how well their name or an alternative label matches ``q``.

        Word-aware (:mod:`app.core.qualification_search`): abbreviations and alternative labels
        count, level numbers must agree, and nothing under the floor is returned. At equal score,
        types rank before example qualifications and national rows before QF-EHEA cycle rows.
        """
        if not name_tokens(q):
            raise InvalidInput("q", "the query has no word to search for")
        allowed: set[int] | None = None
        if jurisdiction:
            wanted = jurisdiction.strip().casefold()
            fw_ids = set()
            try:
                fw_ids.add(self.index.framework(jurisdiction, field="jurisdiction"))
            except Exception:
                fw_ids |= {f.id for f in self.frameworks(jurisdiction=jurisdiction)}
            allowed = {
                i
                for i, qt in enumerate(self._qt)
                if qt.jurisdiction.casefold() == wanted
                or qt.jurisdiction.casefold().split("-", 1)[0] == wanted
                or qt.framework in fw_ids
            }
        hits: list[QualificationTypeHit] = []
        for i, score in self._qt_index.search(q):
            if allowed is not None and i not in allowed:
                continue
            qt = self._qt[i]
            level = None
            if qt.framework and qt.level_code:
                level = self.release.level(LevelKey(qt.framework, qt.level_code))
            hits.append(QualificationTypeHit(qt, score, level))
        hits.sort(
            key=lambda h: (
                -h.score,
                h.qualification_type.is_example,
                h.level is None,
                h.qualification_type.framework == QF_EHEA_ID,
                h.qualification_type.name,
                h.qualification_type.framework or "",
            )
        )
        return hits[:limit]
