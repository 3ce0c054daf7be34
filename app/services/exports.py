"""The export use cases (issue 15): what to export, resolved against the running data release,
handed to the format adapters (``app/adapters/exports``); and the ELM LOQ import.

Reference data (frameworks, comparisons, crosswalks) needs only the registry; exports of
organisation data (recognition records, articulation jobs) are given the record or result the
caller's organisation may read (the routers and the CLI fetch them through the services that
scope them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from app.adapters.exports import ctdl, open_badges
from app.adapters.exports.open_badges import LevelFact
from app.adapters.importers.catalogue import ImportedProgramme
from app.adapters.importers.elm_loq import read_loq
from app.core.errors import DomainError, InvalidInput
from app.core.types import EQF_ID, EdgeKind, LevelKey
from app.services.catalogue import RegistryLevels
from app.services.registry import Registry

#: Formats of the framework export, by name (``?format=``) → media type.
FRAMEWORK_FORMATS: dict[str, str] = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ctdl": "application/ld+json",
}


_SKOS_CACHE: dict[tuple[str, tuple[str, ...] | None, str], str] = {}
_SKOS_CACHE_SIZE = 128
_SKOS_LOCK = threading.Lock()


class ExportService:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    # --- reference data --------------------------------------------------------------------

    def frameworks_skos(self, frameworks: list[str] | None, media_type: str) -> str:
        """SKOS of the given frameworks (any identifier form; None: every framework)."""
        # rdflib is imported by the first SKOS export, not at start-up (~0.2 s of every start)
        from app.adapters.exports import skos

        ids = None
        if frameworks is not None:
            ids = []
            for f in frameworks:
                fid = self.registry.index.framework(f, field="framework")
                if fid not in ids:
                    ids.append(fid)
        release = self.registry.release
        key = (release.content_hash, tuple(ids) if ids is not None else None, media_type)
        text = _SKOS_CACHE.get(key)
        if text is None:
            # rdflib takes ~0.1-0.3 s per framework; the release never changes in a process
            text = skos.serialise(skos.skos_graph(release, ids), media_type)
            with _SKOS_LOCK:
                if len(_SKOS_CACHE) >= _SKOS_CACHE_SIZE:
                    _SKOS_CACHE.pop(next(iter(_SKOS_CACHE)))
                _SKOS_CACHE[key] = text
        return text

    def framework_ctdl(self, framework: str) -> dict[str, Any]:
        fid = self.registry.index.framework(framework, field="framework")
        return ctdl.framework_document(self.registry.release, fid)

    def comparison_map(
        self, source: str, target: str, *, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        """One comparison (the ``GET /v1/compare`` answer) as a CTDL ``AlignmentMap``."""
        comparison = self.registry.compare(source, target, as_of=as_of)
        release = self.registry.release
        return ctdl.comparisons_map(
            release,
            release.frameworks[comparison.source.framework],
            comparison.target,
            [comparison],
        )

    def alignment_map(
        self, source: str, target: str, *, basis: str = "compare", as_of: dt.date | None = None
    ) -> dict[str, Any]:
        """Every level of framework ``source`` against framework ``target``: the comparison of
        each (``basis=compare``), or only the edges recorded between the two (``recorded``:
        the EQF referencing, or a published crosswalk)."""
        release = self.registry.release
        src = release.frameworks[self.registry.index.framework(source, field="source")]
        tgt = release.frameworks[self.registry.index.framework(target, field="target")]
        if basis == "recorded":
            edges = [
                e
                for e in release.edges
                if e.source.framework == src.id
                and e.target.framework == tgt.id
                and e.kind in (EdgeKind.EQF_REFERENCING, EdgeKind.CROSSWALK)
            ]
            return {"@context": ctdl.CONTEXT, "@graph": [ctdl.edges_map(release, src, tgt, edges)]}
        if basis != "compare":
            raise InvalidInput("basis", "basis is compare or recorded")
        comparisons = [
            self.registry.compare(str(level.key), tgt.id, as_of=as_of)
            for level in sorted(src.levels, key=lambda lv: lv.rank)
        ]
        return ctdl.comparisons_map(release, src, tgt, comparisons)

    # --- organisation data -----------------------------------------------------------------

    def recognition_alignments(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A recognition record's levels and module outcomes as OB 3.0 ``Alignment``s: the
        credential's EQF and national levels, and the level its national (else EQF) level
        compares to best in the target framework."""
        return open_badges.recognition_alignments(record, self.level_facts(record))

    def level_facts(self, record: Mapping[str, Any]) -> list[LevelFact]:
        registry = self.registry
        release = registry.release
        credential = record.get("credential") or {}
        target = (record.get("target") or {}).get("framework")
        facts: list[LevelFact] = []
        keys: list[LevelKey] = []
        if credential.get("eqf_level"):
            keys.append(LevelKey(EQF_ID, str(credential["eqf_level"])))
        if credential.get("nqf_level"):
            # a national level the release does not know is not aligned with
            with contextlib.suppress(DomainError):
                keys.insert(0, registry.index.level(str(credential["nqf_level"])))
        for key in sorted(keys, key=lambda k: k.framework != EQF_ID):
            level = release.level(key)
            if level is not None:
                facts.append(
                    LevelFact(level, release.frameworks[key.framework], "level of the credential")
                )
        if target and keys and all(k.framework != target for k in keys):
            comparison = registry.compare(str(keys[0]), target)
            if comparison.matches:
                best = comparison.matches[0]
                facts.append(
                    LevelFact(
                        best.level,
                        comparison.target,
                        f"comparable level in the target framework ({best.match_type.value} "
                        f"match, confidence {best.confidence:.2f})",
                    )
                )
        return facts

    def recognition_profiles(
        self, record: Mapping[str, Any], *, organisation: str
    ) -> dict[str, Any]:
        return ctdl.recognition_profiles(record, organisation=organisation)

    def articulation_profiles(
        self, results: Mapping[str, Any], *, organisation: str, job_id: str | None = None
    ) -> dict[str, Any]:
        return ctdl.articulation_profiles(results, organisation=organisation, job_id=job_id)

    # --- import ----------------------------------------------------------------------------

    def read_loq(
        self, document: Any, *, source: str | None = None, language: str | None = None
    ) -> list[ImportedProgramme]:
        """Catalogue programmes from an ELM learning-opportunity/qualification document."""
        return read_loq(document, RegistryLevels(self.registry), source=source, language=language)
