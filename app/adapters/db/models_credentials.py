"""The ``credential`` table: imported micro-credentials, normalised and as received.

One row per distinct document (``content_hash`` is unique), so re-posting a document finds the
row already there. ``data_release_id`` records the reference data the levels were resolved
against (nullable: the release may be deleted, the credential stays).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.base import Base


class CredentialRow(Base):
    __tablename__ = "credential"
    __table_args__ = (UniqueConstraint("organisation_id", "content_hash"),)

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
    source_format: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str | None] = mapped_column(Text)
    credential: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    original: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    original_text: Mapped[str | None] = mapped_column(Text)
    completeness: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    warnings: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    # set in Python with microseconds, so listing order is stable within one second
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    data_release_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("data_release.id", ondelete="SET NULL"), index=True
    )

    def __repr__(self) -> str:
        return f"CredentialRow(id={self.id!r}, format={self.source_format!r})"
