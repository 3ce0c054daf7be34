"""The catalogue use cases: import (JSON, CSV, files), store idempotently, search, fetch.

Level identifiers of every form (``IE:9``, ``UK-SCT-SCQF:11``, EU vocabulary URIs) are resolved
through the registry of the running data release, and the programme records which release that
was. The service flushes, never commits: the API's session dependency and the CLI's unit of work
decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db.catalogue_repository import (
    CatalogueRepository,
    ProgrammeFilter,
    ProgrammeSummary,
    StoredProgramme,
)
from app.adapters.db.repositories import ReleaseRepository
from app.adapters.importers import catalogue as importer
from app.adapters.importers.catalogue import ImportedProgramme
from app.core.catalogue import Issue, content_hash
from app.core.errors import InvalidInput, NotFound
from app.core.types import EQF_ID, LevelKey
from app.services.registry import Registry


class UnknownQualification(NotFound):
    def __init__(self, programme_id: str) -> None:
        super().__init__(f"No qualification or programme has id {programme_id!r}.")
        self.field = "id"


class RegistryLevels:
    """The :class:`~app.core.catalogue.LevelResolver` of an import, backed by the registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def resolve_level(self, identifier: str) -> LevelKey:
        return self.registry.index.level(identifier)

    def eqf_levels(self, level: LevelKey) -> tuple[int, ...]:
        return tuple(sorted({int(e.target.code) for e in self.registry.eqf_edges(level)}))


@dataclass(frozen=True, slots=True)
class StoreResult:
    id: str
    created: bool
    content_hash: str
    title: str
    where: str
    warnings: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[ProgrammeSummary]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "severity": issue.severity.value,
        "where": issue.where,
        "code": issue.code,
        "message": issue.message,
    }


class CatalogueService:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.levels = RegistryLevels(registry)

    # --- reading input ---------------------------------------------------------------------

    def read_document(self, document: Any, *, source: str | None = None) -> list[ImportedProgramme]:
        return importer.read_document(document, self.levels, source=source)

    def read_json(self, data: bytes | str, *, source: str | None = None) -> list[ImportedProgramme]:
        return importer.read_json(data, self.levels, source=source)

    def read_csv(self, data: bytes | str, *, source: str | None = None) -> list[ImportedProgramme]:
        return importer.read_csv(data, self.levels, source=source)

    def read_file(self, path: Path) -> list[ImportedProgramme]:
        return importer.read_file(path, self.levels)

    # --- storing ---------------------------------------------------------------------------

    def store(self, session: Session, imported: Sequence[ImportedProgramme]) -> list[StoreResult]:
        """Store each programme unless the same content is stored already (then its id)."""
        release = ReleaseRepository(session).by_hash(self.registry.release.content_hash)
        repo = CatalogueRepository(session)
        out = []
        for item in imported:
            digest = content_hash(item.programme)
            pid, created = repo.add(
                item.programme,
                content_hash=digest,
                warnings=[issue_json(w) for w in item.warnings],
                data_release_id=release.id if release is not None else None,
            )
            out.append(
                StoreResult(pid, created, digest, item.programme.title, item.where, item.warnings)
            )
        return out

    # --- reading the catalogue -------------------------------------------------------------

    def get(self, session: Session, programme_id: str) -> StoredProgramme:
        stored = CatalogueRepository(session).get(programme_id)
        if stored is None:
            raise UnknownQualification(programme_id)
        return stored

    def search(
        self,
        session: Session,
        *,
        q: str | None = None,
        framework: str | None = None,
        level: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> Page:
        """Programmes matching ``q`` (fuzzy) in ``framework`` at ``level`` (any identifier form)."""
        where = self.filters(framework=framework, level=level)
        text = q.strip() if q else None
        items, total = CatalogueRepository(session).search(
            q=text or None, where=where, limit=limit, offset=offset
        )
        return Page(items, total, limit, offset)

    def filters(self, *, framework: str | None, level: str | None) -> ProgrammeFilter:
        """Resolve the ``framework`` and ``level`` filters to ids.

        ``framework`` takes any framework identifier (``IE``, ``IE-NFQ``, EU or ESCO URIs);
        ``EQF`` selects programmes with an EQF level. ``level`` takes any level identifier
        (``IE:9``, an EU level URI, ``EQF:7``, an EQF level URI); a bare code is read in
        ``framework`` (``framework=IE&level=9``), and a bare number without a framework is an
        EQF level.
        """
        index = self.registry.index
        fid = index.framework(framework, field="framework") if framework else None
        key: LevelKey | None = None
        if level:
            text = level.strip()
            bare = ":" not in text and not text.lower().startswith(("http://", "https://"))
            if bare and fid is not None:
                key = index.level_in(fid, text, field="level")
            elif bare and text.isdigit():
                key = index.level_in(EQF_ID, text, field="level")
            else:
                key = index.level(text, field="level")
        if key is not None and key.framework == EQF_ID:
            eqf = int(key.code)
            if fid is None or fid == EQF_ID:
                return ProgrammeFilter(eqf_level=eqf)
            return ProgrammeFilter(framework=fid, eqf_level=eqf)
        if key is not None:
            if fid is not None and fid not in (key.framework, EQF_ID):
                raise InvalidInput("level", f"level {key} is not a level of framework {fid}")
            return ProgrammeFilter(level=key)
        if fid == EQF_ID:
            return ProgrammeFilter(any_eqf_level=True)
        return ProgrammeFilter(framework=fid)

    def level_label(self, key: LevelKey | None) -> str | None:
        if key is None:
            return None
        level = self.registry.release.level(key)
        return level.label if level is not None else None
