"""Tables of the framework registry: data releases, frameworks, levels, edges, qualification types.

A *data release* is one hashed snapshot of ``frameworks/`` and ``mappings/``. Every row below
belongs to exactly one release, so an old release stays readable (and citable by an old
decision) after a new one is loaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.adapters.db.base import Base, CreatedAtMixin


class DataRelease(CreatedAtMixin, Base):
    __tablename__ = "data_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(String(80), nullable=False)
    app_version: Mapped[str] = mapped_column(String(40), nullable=False)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)

    frameworks: Mapped[list[FrameworkRow]] = relationship(
        back_populates="release", cascade="all, delete-orphan", lazy="raise"
    )

    def __repr__(self) -> str:
        return f"DataRelease(id={self.id}, label={self.label!r})"


class FrameworkRow(Base):
    __tablename__ = "framework"
    __table_args__ = (UniqueConstraint("release_id", "framework_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("data_release.id", ondelete="CASCADE"), index=True, nullable=False
    )
    framework_id: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    acronym: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    jurisdictions: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    uris: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    version: Mapped[str] = mapped_column(String(40), nullable=False)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    eqf_referenced: Mapped[bool] = mapped_column(Boolean, nullable=False)
    referencing_date: Mapped[str | None] = mapped_column(String(10))
    sources: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)

    release: Mapped[DataRelease] = relationship(back_populates="frameworks", lazy="raise")
    levels: Mapped[list[LevelRow]] = relationship(
        back_populates="framework",
        cascade="all, delete-orphan",
        order_by="LevelRow.rank",
        lazy="raise",
    )


class LevelRow(Base):
    __tablename__ = "framework_level"
    __table_args__ = (UniqueConstraint("framework_pk", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_pk: Mapped[int] = mapped_column(
        ForeignKey("framework.id", ondelete="CASCADE"), index=True, nullable=False
    )
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    uris: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    descriptors: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    qualification_types: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    credit_range: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    not_referenced: Mapped[str | None] = mapped_column(Text)

    framework: Mapped[FrameworkRow] = relationship(back_populates="levels", lazy="raise")


class LevelEdgeRow(Base):
    __tablename__ = "level_edge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("data_release.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    source_framework: Mapped[str] = mapped_column(String(40), nullable=False)
    source_code: Mapped[str] = mapped_column(String(40), nullable=False)
    target_framework: Mapped[str] = mapped_column(String(40), nullable=False)
    target_code: Mapped[str] = mapped_column(String(40), nullable=False)
    match_type: Mapped[str] = mapped_column(String(10), nullable=False)
    confidence_class: Mapped[str] = mapped_column(String(10), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    basis: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class QualificationTypeRow(Base):
    __tablename__ = "qualification_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("data_release.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(Text, nullable=False)
    jurisdiction: Mapped[str] = mapped_column(String(20), nullable=False)
    framework_id: Mapped[str | None] = mapped_column(String(40))
    level_code: Mapped[str | None] = mapped_column(String(40))
    eqf_level: Mapped[int | None] = mapped_column(Integer)
    is_example: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    alt_labels: Mapped[list[Any] | None] = mapped_column(JSON)  # abbreviations, other names
