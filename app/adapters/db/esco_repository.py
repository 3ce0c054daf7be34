"""Repository of the ESCO tables: store a Taxonomy (idempotent on its hash) and rebuild it.

``EscoRepository.save`` inserts with bulk ``INSERT``s (about 35k rows; a second or two on
SQLite), and does nothing when a snapshot with the same content hash is already stored.
``load`` rebuilds a Taxonomy equal to the one loaded from the files (a test checks).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.adapters.db.models_esco import (
    EscoBroaderRow,
    EscoConceptRow,
    EscoGroupRow,
    EscoReleaseRow,
)
from app.core.taxonomy import SkillConcept, SkillGroup, Taxonomy

_CHUNK = 2000  # rows per INSERT batch: keeps PostgreSQL parameter counts well under 65k


class EscoRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_hash(self, content_hash: str) -> EscoReleaseRow | None:
        return self.session.scalar(
            select(EscoReleaseRow).where(EscoReleaseRow.content_hash == content_hash)
        )

    def latest(self) -> EscoReleaseRow | None:
        return self.session.scalar(
            select(EscoReleaseRow).order_by(EscoReleaseRow.id.desc()).limit(1)
        )

    def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), _CHUNK):
            self.session.execute(insert(table), rows[start : start + _CHUNK])

    def save(self, taxonomy: Taxonomy) -> tuple[EscoReleaseRow, bool]:
        """Store ``taxonomy`` unless a snapshot with its content hash exists; flush, no commit."""
        existing = self.by_hash(taxonomy.content_hash)
        if existing is not None:
            return existing, False
        row = EscoReleaseRow(
            version=taxonomy.version,
            language=taxonomy.language,
            content_hash=taxonomy.content_hash,
            concept_count=len(taxonomy.concepts),
            group_count=len(taxonomy.groups),
            manifest=dict(taxonomy.manifest),
        )
        self.session.add(row)
        self.session.flush()
        rid = row.id
        self._insert(
            EscoConceptRow,
            [
                {
                    "release_id": rid,
                    "position": i,
                    "uri": c.uri,
                    "skill_type": c.skill_type,
                    "reuse_level": c.reuse_level,
                    "label": c.label,
                    "alt_labels": list(c.alt_labels),
                    "hidden_labels": list(c.hidden_labels),
                    "description": c.description,
                    "isced_f": list(c.isced_f),
                    "collections": list(c.collections),
                    "hierarchy_code": c.hierarchy_code,
                }
                for i, c in enumerate(taxonomy.concepts)
            ],
        )
        self._insert(
            EscoGroupRow,
            [
                {
                    "release_id": rid,
                    "uri": g.uri,
                    "kind": g.kind,
                    "code": g.code,
                    "label": g.label,
                    "alt_labels": list(g.alt_labels),
                    "description": g.description,
                    "scope_note": g.scope_note,
                }
                for g in taxonomy.groups
            ],
        )
        nodes: list[SkillConcept | SkillGroup] = [*taxonomy.concepts, *taxonomy.groups]
        links = [
            {"release_id": rid, "narrower_uri": node.uri, "broader_uri": b, "position": k}
            for node in nodes
            for k, b in enumerate(node.broader)
        ]
        self._insert(EscoBroaderRow, links)
        self.session.flush()
        return row, True

    def load(self, content_hash: str) -> Taxonomy | None:
        """The stored snapshot as a Taxonomy (None if no snapshot has this hash)."""
        release = self.by_hash(content_hash)
        if release is None:
            return None
        rid = release.id
        broader: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for narrower, broad, pos in self.session.execute(
            select(
                EscoBroaderRow.narrower_uri, EscoBroaderRow.broader_uri, EscoBroaderRow.position
            ).where(EscoBroaderRow.release_id == rid)
        ):
            broader[narrower].append((pos, broad))

        def links(uri: str) -> tuple[str, ...]:
            return tuple(b for _p, b in sorted(broader.get(uri, [])))

        concepts = tuple(
            SkillConcept(
                uri=c.uri,
                label=c.label,
                skill_type=c.skill_type,
                reuse_level=c.reuse_level,
                alt_labels=tuple(c.alt_labels),
                hidden_labels=tuple(c.hidden_labels),
                description=c.description,
                broader=links(c.uri),
                isced_f=tuple(c.isced_f),
                collections=tuple(c.collections),
                hierarchy_code=c.hierarchy_code,
            )
            for c in self.session.scalars(
                select(EscoConceptRow)
                .where(EscoConceptRow.release_id == rid)
                .order_by(EscoConceptRow.position)
            )
        )
        groups = tuple(
            SkillGroup(
                uri=g.uri,
                kind=g.kind,
                label=g.label,
                code=g.code,
                alt_labels=tuple(g.alt_labels),
                description=g.description,
                scope_note=g.scope_note,
                broader=links(g.uri),
            )
            for g in self.session.scalars(
                select(EscoGroupRow)
                .where(EscoGroupRow.release_id == rid)
                .order_by(EscoGroupRow.uri)
            )
        )
        return Taxonomy(
            version=release.version,
            content_hash=release.content_hash,
            concepts=concepts,
            groups=groups,
            language=release.language,
            manifest=dict(release.manifest),
        )

    def narrower_concepts(self, content_hash: str, broader_uri: str) -> list[str]:
        """URIs of the concepts and groups directly under ``broader_uri`` in one snapshot."""
        release = self.by_hash(content_hash)
        if release is None:
            return []
        return list(
            self.session.scalars(
                select(EscoBroaderRow.narrower_uri)
                .where(
                    EscoBroaderRow.release_id == release.id,
                    EscoBroaderRow.broader_uri == broader_uri,
                )
                .order_by(EscoBroaderRow.narrower_uri)
            )
        )

    def counts(self, content_hash: str) -> dict[str, int]:
        release = self.by_hash(content_hash)
        if release is None:
            return {}
        out: dict[str, int] = {}
        for name, table in (
            ("concepts", EscoConceptRow),
            ("groups", EscoGroupRow),
            ("broader_links", EscoBroaderRow),
        ):
            out[name] = int(
                self.session.scalar(
                    select(func.count()).select_from(table).where(table.release_id == release.id)
                )
                or 0
            )
        return out

    def delete(self, content_hash: str) -> bool:
        """Remove one snapshot (rows cascade through the release)."""
        release = self.by_hash(content_hash)
        if release is None:
            return False
        for table in (EscoBroaderRow, EscoConceptRow, EscoGroupRow):
            self.session.execute(delete(table).where(table.release_id == release.id))
        self.session.delete(release)
        self.session.flush()
        return True
