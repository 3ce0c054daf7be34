"""Tables of recognition decision records and their reviews: append-only, hash-chained.

Rows are never updated or deleted: the repository has no such method, and the migration
installs triggers that refuse UPDATE and DELETE on both tables (SQLite and PostgreSQL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.base import Base


class RecognitionRecordRow(Base):
    __tablename__ = "recognition_record"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)  # ISO 8601, hashed
    input_hash: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    data_release: Mapped[str] = mapped_column(String(64), nullable=False)
    model_id: Mapped[str | None] = mapped_column(String(120))
    policy_version: Mapped[str] = mapped_column(String(40), nullable=False)
    purpose: Mapped[str] = mapped_column(String(20), index=True, nullable=False)
    outcome: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    target_framework: Mapped[str] = mapped_column(String(40), index=True, nullable=False)
    qualification_id: Mapped[str | None] = mapped_column(String(64), index=True)
    credential_id: Mapped[str | None] = mapped_column(String(64), index=True)
    credential_title: Mapped[str | None] = mapped_column(Text)
    credential_eqf: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    record_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # the tenant and the principal who asked for the recommendation (migration 0010_identity;
    # on SQLite the column has no foreign key, see there); no default: inserts must name it
    organisation_id: Mapped[str] = mapped_column(
        String(63),
        ForeignKey("organisation.id"),
        index=True,
        nullable=False,
    )
    created_by: Mapped[str | None] = mapped_column(String(200))
    # HMAC of the learner's identity under a salt kept in recognition_subject (0009); hashed
    # with the record, so erasing the identity leaves the record verifiable
    subject_commitment: Mapped[str | None] = mapped_column(String(64))


class RecognitionReviewRow(Base):
    __tablename__ = "recognition_review"
    __table_args__ = (UniqueConstraint("record_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(
        ForeignKey("recognition_record.id"), index=True, nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)
    reviewer: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    review_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)


class RecognitionSubjectRow(Base):
    """The learner a record is about, kept apart from the hashed evidence (migration 0009).

    One row per record, keyed by the record id. ``salt`` + ``subject`` open the record's
    ``subject_commitment``; erasure (GDPR Art. 17, or the retention period) sets both to NULL
    and keeps the row as a tombstone saying when and why. Not append-only, on purpose.
    """

    __tablename__ = "recognition_subject"

    record_id: Mapped[str] = mapped_column(ForeignKey("recognition_record.id"), primary_key=True)
    credential_id: Mapped[str | None] = mapped_column(String(64), index=True)
    salt: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(40), index=True, nullable=False)
    erased_at: Mapped[str | None] = mapped_column(String(40))
    erasure_reason: Mapped[str | None] = mapped_column(String(40))
