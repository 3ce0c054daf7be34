"""Tables of long-running batch jobs: ``job`` and its ``job_item`` s.

A job's whole state lives here — the source of truth for progress and results, whichever engine
runs the work (Procrastinate on PostgreSQL, a thread on SQLite: docs/jobs.md) — so any API
process can report on it and a restart loses nothing:

* ``job``: what is to be done (``kind``, ``target``: e.g. a qualification id), the identity of
  the submitted content (``content_hash``, unique per organisation, kind and target, which makes
  submitting the same batch twice return the same job), ``status`` (queued → running → done |
  failed | cancelled), progress counters, and how its items are cut for the workers
  (``chunk_size``: items per chunk; ``lanes``: chunk ``c`` belongs to lane ``c % lanes``);
* ``job_item``: one input (one incoming course) with its own status, result and error, so a
  resumed job skips the items already done, and an item is recorded once (its status moves from
  ``queued`` exactly once).

Times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.base import Base


class JobRow(Base):
    __tablename__ = "job"
    __table_args__ = (
        UniqueConstraint("organisation_id", "kind", "target", "content_hash"),
        Index("ix_job_organisation_id_status", "organisation_id", "status"),
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
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    target: Mapped[str] = mapped_column(String(64), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    chunk_size: Mapped[int] = mapped_column(Integer, nullable=False, server_default="25")
    lanes: Mapped[int] = mapped_column(Integer, nullable=False, server_default="2")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class JobItemRow(Base):
    __tablename__ = "job_item"
    __table_args__ = (
        UniqueConstraint("job_id", "seq"),
        Index("ix_job_item_job_id_status", "job_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    input: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
