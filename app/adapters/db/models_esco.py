"""Tables of the ESCO taxonomy: one snapshot per ESCO content hash, with concepts and hierarchy.

Every row belongs to one ``esco_release`` (version + content hash of ``mappings/esco/``), so an
old snapshot stays readable after a new one is loaded, as for the framework data releases.
The hierarchy is a link table (``esco_broader``: concept → broader concept or group, group →
broader group), so "every concept under group S1.2" is a query, not a file scan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.base import Base, CreatedAtMixin


class EscoReleaseRow(CreatedAtMixin, Base):
    __tablename__ = "esco_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(20), nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    concept_count: Mapped[int] = mapped_column(Integer, nullable=False)
    group_count: Mapped[int] = mapped_column(Integer, nullable=False)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)

    def __repr__(self) -> str:
        return f"EscoReleaseRow(id={self.id}, version={self.version!r})"


class EscoConceptRow(Base):
    __tablename__ = "esco_concept"
    __table_args__ = (UniqueConstraint("release_id", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("esco_release.id", ondelete="CASCADE"), index=True, nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # order of the index rows
    uri: Mapped[str] = mapped_column(String(200), nullable=False)
    skill_type: Mapped[str | None] = mapped_column(String(20))
    reuse_level: Mapped[str | None] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(Text, nullable=False)
    alt_labels: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    hidden_labels: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    isced_f: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    collections: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    hierarchy_code: Mapped[str | None] = mapped_column(String(20))


class EscoGroupRow(Base):
    __tablename__ = "esco_group"
    __table_args__ = (UniqueConstraint("release_id", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("esco_release.id", ondelete="CASCADE"), index=True, nullable=False
    )
    uri: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # skill-group | isced-f
    code: Mapped[str | None] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(Text, nullable=False)
    alt_labels: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    scope_note: Mapped[str | None] = mapped_column(Text)


class EscoBroaderRow(Base):
    __tablename__ = "esco_broader"
    __table_args__ = (UniqueConstraint("release_id", "narrower_uri", "broader_uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("esco_release.id", ondelete="CASCADE"), index=True, nullable=False
    )
    narrower_uri: Mapped[str] = mapped_column(String(200), nullable=False)
    broader_uri: Mapped[str] = mapped_column(String(200), index=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # order among the narrower's
