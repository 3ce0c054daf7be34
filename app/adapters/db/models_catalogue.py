"""Tables of the qualification and programme catalogue: ``programme``, ``module``,
``module_outcome``.

One ``programme`` row per distinct content (``content_hash`` is unique), so importing the same
programme twice finds the row already there. Modules and outcomes are rows of their own, not a
JSON blob, because recognition and credit transfer address them one by one (an outcome's id is
what an embedding cache or a decision record points to). Levels are stored as the framework id
and level code they were resolved to; ``data_release_id`` records the reference data they were
resolved against (nullable: a release may be deleted, the programme stays).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.adapters.db.base import Base


class ProgrammeRow(Base):
    __tablename__ = "programme"
    __table_args__ = (
        Index("ix_programme_framework_level_code", "framework", "level_code"),
        UniqueConstraint("organisation_id", "content_hash"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID4 as text
    # the tenant (migration 0010_identity): repositories filter on it in every query and
    # stamp it on every insert (no default here, so an insert that forgets it fails)
    organisation_id: Mapped[str] = mapped_column(
        String(63),
        ForeignKey("organisation.id"),
        index=True,
        nullable=False,
    )
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str | None] = mapped_column(String(100))
    award: Mapped[str | None] = mapped_column(String(500))
    institution_name: Mapped[str] = mapped_column(Text, nullable=False)
    institution_country: Mapped[str | None] = mapped_column(String(2))
    framework: Mapped[str | None] = mapped_column(String(40))
    level_code: Mapped[str | None] = mapped_column(String(40))
    eqf_level: Mapped[int | None] = mapped_column(Integer, index=True)
    credits_value: Mapped[float | None] = mapped_column(Float)
    credits_system: Mapped[str | None] = mapped_column(String(20))
    isced_f: Mapped[str | None] = mapped_column(String(4))
    language: Mapped[str | None] = mapped_column(String(35))
    url: Mapped[str | None] = mapped_column(Text)
    cost_amount: Mapped[float | None] = mapped_column(Numeric(14, 2, asdecimal=False))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    cost_note: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    warnings: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    # set in Python with microseconds, so listing order is stable within one second
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    data_release_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("data_release.id", ondelete="SET NULL"), index=True
    )

    modules: Mapped[list[ModuleRow]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        order_by="ModuleRow.position",
        lazy="raise",
    )

    def __repr__(self) -> str:
        return f"ProgrammeRow(id={self.id!r}, title={self.title!r})"


class ModuleRow(Base):
    __tablename__ = "module"
    __table_args__ = (
        UniqueConstraint("programme_id", "position"),
        UniqueConstraint("programme_id", "code_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("programme.id", ondelete="CASCADE"), index=True, nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    code: Mapped[str] = mapped_column(String(100), nullable=False)
    code_key: Mapped[str] = mapped_column(String(100), nullable=False)  # module_key(code)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    # Description or aims as published (migration 0014); course-level articulation reads it.
    description: Mapped[str | None] = mapped_column(Text)
    credits_value: Mapped[float | None] = mapped_column(Float)
    credits_system: Mapped[str | None] = mapped_column(String(20))
    framework: Mapped[str | None] = mapped_column(String(40))
    level_code: Mapped[str | None] = mapped_column(String(40))
    cycle: Mapped[str | None] = mapped_column(String(10))
    year: Mapped[int | None] = mapped_column(Integer)
    semester: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(12))
    isced_f: Mapped[str | None] = mapped_column(String(4))
    language: Mapped[str | None] = mapped_column(String(35))
    url: Mapped[str | None] = mapped_column(Text)
    cost_amount: Mapped[float | None] = mapped_column(Numeric(14, 2, asdecimal=False))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    cost_note: Mapped[str | None] = mapped_column(Text)
    prerequisites: Mapped[list[Any]] = mapped_column(JSON, nullable=False)

    programme: Mapped[ProgrammeRow] = relationship(back_populates="modules", lazy="raise")
    outcomes: Mapped[list[ModuleOutcomeRow]] = relationship(
        back_populates="module",
        cascade="all, delete-orphan",
        order_by="ModuleOutcomeRow.position",
        lazy="raise",
    )


class ModuleOutcomeRow(Base):
    __tablename__ = "module_outcome"
    __table_args__ = (UniqueConstraint("module_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("module.id", ondelete="CASCADE"), index=True, nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)

    module: Mapped[ModuleRow] = relationship(back_populates="outcomes", lazy="raise")
