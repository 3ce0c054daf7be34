"""Tables of identity (issue 12): ``organisation``, ``api_key``, ``personal_data_access``.

* ``organisation``: a tenant. Catalogue programmes, credentials, recognition records and jobs
  carry an ``organisation_id``; reference data (frameworks, ESCO, policies) does not.
* ``api_key``: a system caller. Only the SHA-256 of the key is stored (``digest``, unique: the
  look-up is by digest); ``prefix`` is shown in listings. Revoked keys are kept (``revoked_at``)
  so the access log and decision records still name who they were.
* ``personal_data_access``: one row per read of personal data (who, for which organisation,
  which record, when), written in the same transaction as the response.
* ``web_session``: a signed-in workspace session (migration 0016), keyed by the SHA-256 of the
  cookie's random id, so every API replica knows it and a copy of the table signs nobody in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.base import Base


class OrganisationRow(Base):
    __tablename__ = "organisation"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)  # a slug, see core.identity
    name: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ApiKeyRow(Base):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(
        String(63), ForeignKey("organisation.id"), index=True, nullable=False
    )
    prefix: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    roles: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PersonalDataAccessRow(Base):
    __tablename__ = "personal_data_access"
    __table_args__ = (Index("ix_personal_data_access_record", "record_kind", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    principal_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    organisation_id: Mapped[str] = mapped_column(String(63), nullable=False, index=True)
    record_kind: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)


class WebSessionRow(Base):
    __tablename__ = "web_session"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie id
    organisation_id: Mapped[str] = mapped_column(
        String(63), ForeignKey("organisation.id"), nullable=False
    )
    principal_id: Mapped[str] = mapped_column(String(200), nullable=False)
    principal_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    roles: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    organisation_name: Mapped[str] = mapped_column(Text, nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    key_prefix: Mapped[str | None] = mapped_column(String(8))
    signed_in_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), index=True, nullable=False
    )
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
