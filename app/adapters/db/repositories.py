"""Repositories of the framework registry: every query on the registry tables lives here.

``ReleaseRepository.save`` stores a whole Release (idempotent on its content hash) and
``ReleaseRepository.load`` rebuilds the identical Release from rows, so the service can run on
what the database holds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.adapters.db.models import (
    DataRelease,
    FrameworkRow,
    LevelEdgeRow,
    LevelRow,
    QualificationTypeRow,
)
from app.core.release import ConfidenceScale, Release
from app.core.types import (
    ConfidenceClass,
    CreditRange,
    Descriptors,
    EdgeKind,
    Framework,
    Level,
    LevelEdge,
    LevelKey,
    MatchType,
    QualificationType,
    Source,
    Validity,
)


def _source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "title": source.title,
        "url": source.url,
        "retrieved": source.retrieved.isoformat() if source.retrieved else None,
        "licence": source.licence,
        "note": source.note,
    }


def _source(data: dict[str, Any]) -> Source:
    retrieved = data.get("retrieved")
    return Source(
        id=data["id"],
        title=data["title"],
        url=data.get("url"),
        retrieved=dt.date.fromisoformat(retrieved) if retrieved else None,
        licence=data.get("licence"),
        note=data.get("note"),
    )


class ReleaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_hash(self, content_hash: str) -> DataRelease | None:
        return self.session.scalar(
            select(DataRelease).where(DataRelease.content_hash == content_hash)
        )

    def latest(self) -> DataRelease | None:
        return self.session.scalar(select(DataRelease).order_by(DataRelease.id.desc()).limit(1))

    def all(self) -> list[DataRelease]:
        return list(self.session.scalars(select(DataRelease).order_by(DataRelease.id)))

    def save(self, release: Release, *, app_version: str) -> tuple[DataRelease, bool]:
        """Store ``release`` unless a release with the same hash exists.

        Returns the row and whether it was created. Older releases are kept.
        """
        existing = self.by_hash(release.content_hash)
        if existing is not None:
            return existing, False
        manifest = dict(release.manifest)
        scale = release.confidence_scale
        manifest["confidence_scale"] = {
            "version": scale.version,
            "high": scale.high,
            "medium": scale.medium,
            "low": scale.low,
        }
        row = DataRelease(
            content_hash=release.content_hash,
            label=release.label,
            app_version=app_version,
            manifest=manifest,
        )
        self.session.add(row)
        self.session.flush()
        for fw in release.frameworks.values():
            fw_row = FrameworkRow(
                release_id=row.id,
                framework_id=fw.id,
                title=fw.title,
                acronym=fw.acronym,
                kind=fw.kind,
                jurisdictions=list(fw.jurisdictions),
                uris=list(fw.uris),
                version=fw.version,
                valid_from=fw.validity.valid_from,
                valid_to=fw.validity.valid_to,
                eqf_referenced=fw.eqf_referenced,
                referencing_date=fw.referencing_date,
                sources=[_source_json(s) for s in fw.sources],
                notes=fw.notes,
            )
            fw_row.levels = [
                LevelRow(
                    code=lvl.code,
                    label=lvl.label,
                    rank=lvl.rank,
                    uris=list(lvl.uris),
                    valid_from=lvl.validity.valid_from,
                    valid_to=lvl.validity.valid_to,
                    descriptors=(
                        {
                            "knowledge": lvl.descriptors.knowledge,
                            "skills": lvl.descriptors.skills,
                            "responsibility_autonomy": lvl.descriptors.responsibility_autonomy,
                        }
                        if lvl.descriptors
                        else None
                    ),
                    qualification_types=list(lvl.qualification_types),
                    credit_range=(
                        {
                            "system": lvl.credit_range.system,
                            "minimum": lvl.credit_range.minimum,
                            "maximum": lvl.credit_range.maximum,
                            "note": lvl.credit_range.note,
                        }
                        if lvl.credit_range
                        else None
                    ),
                    not_referenced=lvl.not_referenced_note,
                )
                for lvl in fw.levels
            ]
            self.session.add(fw_row)
        self.session.add_all(
            LevelEdgeRow(
                release_id=row.id,
                kind=e.kind.value,
                source_framework=e.source.framework,
                source_code=e.source.code,
                target_framework=e.target.framework,
                target_code=e.target.code,
                match_type=e.match_type.value,
                confidence_class=e.confidence_class.value,
                confidence=e.confidence,
                basis=e.basis,
                sources=[_source_json(s) for s in e.sources],
                valid_from=e.validity.valid_from,
                valid_to=e.validity.valid_to,
            )
            for e in release.edges
        )
        self.session.add_all(
            QualificationTypeRow(
                release_id=row.id,
                name=q.name,
                jurisdiction=q.jurisdiction,
                framework_id=q.framework,
                level_code=q.level_code,
                eqf_level=q.eqf_level,
                is_example=q.is_example,
                source=_source_json(q.source) if q.source else None,
                alt_labels=list(q.alt_labels) or None,
            )
            for q in release.qualification_types
        )
        self.session.flush()
        return row, True

    def load(self, content_hash: str) -> Release | None:
        """Rebuild the Release stored under ``content_hash`` (None if there is none)."""
        row = self.by_hash(content_hash)
        if row is None:
            return None
        fw_rows = self.session.scalars(
            select(FrameworkRow)
            .where(FrameworkRow.release_id == row.id)
            .options(selectinload(FrameworkRow.levels))
            .order_by(FrameworkRow.id)
        ).all()
        frameworks: dict[str, Framework] = {}
        for f in fw_rows:
            levels = tuple(
                Level(
                    framework=f.framework_id,
                    code=lvl.code,
                    label=lvl.label,
                    uris=tuple(lvl.uris),
                    rank=lvl.rank,
                    validity=Validity(lvl.valid_from, lvl.valid_to),
                    descriptors=Descriptors(**lvl.descriptors) if lvl.descriptors else None,
                    qualification_types=tuple(lvl.qualification_types),
                    credit_range=CreditRange(**lvl.credit_range) if lvl.credit_range else None,
                    not_referenced_note=lvl.not_referenced,
                )
                for lvl in sorted(f.levels, key=lambda x: x.rank)
            )
            frameworks[f.framework_id] = Framework(
                id=f.framework_id,
                title=f.title,
                kind=f.kind,
                jurisdictions=tuple(f.jurisdictions),
                uris=tuple(f.uris),
                version=f.version,
                validity=Validity(f.valid_from, f.valid_to),
                eqf_referenced=f.eqf_referenced,
                referencing_date=f.referencing_date,
                sources=tuple(_source(s) for s in f.sources),
                levels=levels,
                acronym=f.acronym,
                notes=f.notes,
            )
        edges = tuple(
            LevelEdge(
                source=LevelKey(e.source_framework, e.source_code),
                target=LevelKey(e.target_framework, e.target_code),
                kind=EdgeKind(e.kind),
                match_type=MatchType(e.match_type),
                confidence_class=ConfidenceClass(e.confidence_class),
                confidence=e.confidence,
                sources=tuple(_source(s) for s in e.sources),
                basis=e.basis,
                validity=Validity(e.valid_from, e.valid_to),
            )
            for e in self.session.scalars(
                select(LevelEdgeRow)
                .where(LevelEdgeRow.release_id == row.id)
                .order_by(LevelEdgeRow.id)
            )
        )
        qtypes = tuple(
            QualificationType(
                name=q.name,
                jurisdiction=q.jurisdiction,
                framework=q.framework_id,
                level_code=q.level_code,
                eqf_level=q.eqf_level,
                source=_source(q.source) if q.source else None,
                is_example=q.is_example,
                alt_labels=tuple(q.alt_labels or ()),
            )
            for q in self.session.scalars(
                select(QualificationTypeRow)
                .where(QualificationTypeRow.release_id == row.id)
                .order_by(QualificationTypeRow.id)
            )
        )
        manifest = dict(row.manifest)
        scale_data = manifest.pop("confidence_scale")
        return Release(
            content_hash=row.content_hash,
            label=row.label,
            frameworks=frameworks,
            edges=edges,
            qualification_types=qtypes,
            confidence_scale=ConfidenceScale(**scale_data),
            manifest=manifest,
        )

    def counts(self) -> dict[str, int]:
        """Rows per release id, for ``passerelle data info``."""
        out: dict[str, int] = defaultdict(int)
        for rid in self.session.scalars(select(FrameworkRow.release_id)):
            out[str(rid)] += 1
        return dict(out)
