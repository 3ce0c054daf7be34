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
from rapidfuzz import fuzz, process, utils

from app.core.errors import InvalidInput
from app.core.graph import NodeKey, graph_from_release
from app.core.identifiers import IdentifierIndex
from app.core.levels import compare_level, compare_matrix, eqf_levels_of
from app.core.release import Release
from app.core.types import (
    EQF_ID,
    Comparison,
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
        self._qt_names = [utils.default_process(q.name) for q in self._qt]

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
        """Qualification types ranked by fuzzy match of their name to ``q`` (rapidfuzz WRatio).

        Types (``is_example=False``) rank before example qualifications at equal score.
        """
        query = utils.default_process(q)
        if not query:
            raise InvalidInput("q", "the query is empty")
        candidates: list[int] = list(range(len(self._qt)))
        if jurisdiction:
            wanted = jurisdiction.strip().casefold()
            fw_ids = set()
            try:
                fw_ids.add(self.index.framework(jurisdiction, field="jurisdiction"))
            except Exception:
                fw_ids |= {f.id for f in self.frameworks(jurisdiction=jurisdiction)}
            candidates = [
                i
                for i in candidates
                if self._qt[i].jurisdiction.casefold() == wanted
                or self._qt[i].jurisdiction.casefold().split("-", 1)[0] == wanted
                or self._qt[i].framework in fw_ids
            ]
        names = {i: self._qt_names[i] for i in candidates}
        results = process.extract(
            query, names, scorer=fuzz.WRatio, processor=None, limit=None, score_cutoff=60
        )
        hits: list[QualificationTypeHit] = []
        for _name, score, i in results:
            qt = self._qt[i]
            level = None
            if qt.framework and qt.level_code:
                level = self.release.level(LevelKey(qt.framework, qt.level_code))
            hits.append(QualificationTypeHit(qt, round(float(score), 1), level))
        hits.sort(
            key=lambda h: (
                -h.score,
                h.qualification_type.is_example,
                h.level is None,
                h.qualification_type.name,
            )
        )
        return hits[:limit]
