"""Every query on the ``credential`` table, always within one organisation (see ``tenancy``)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters.db.models_credentials import CredentialRow
from app.adapters.db.tenancy import organisation_of


@dataclass(frozen=True, slots=True)
class NewCredential:
    content_hash: str
    source_format: str
    title: str | None
    credential: dict[str, Any]
    original: dict[str, Any] | None
    original_text: str | None
    completeness: dict[str, Any]
    warnings: list[Any]
    data_release_id: int | None


class CredentialRepository:
    def __init__(self, session: Session, organisation: str | None = None) -> None:
        self.session = session
        self.organisation = organisation_of(session, organisation)

    def get(self, credential_id: str) -> CredentialRow | None:
        row = self.session.get(CredentialRow, credential_id)
        # another organisation's credential is answered exactly like a missing one
        return row if row is not None and row.organisation_id == self.organisation else None

    def by_hash(self, content_hash: str) -> CredentialRow | None:
        return self.session.scalar(
            select(CredentialRow).where(
                CredentialRow.organisation_id == self.organisation,
                CredentialRow.content_hash == content_hash,
            )
        )

    def add(self, new: NewCredential) -> tuple[CredentialRow, bool]:
        """Store ``new`` unless a credential with its content hash exists.

        Returns the row and whether it was created. A concurrent insert of the same document
        is caught by the unique constraint (inside a savepoint) and answered with that row.
        """
        existing = self.by_hash(new.content_hash)
        if existing is not None:
            return existing, False
        row = CredentialRow(
            id=str(uuid.uuid4()),
            organisation_id=self.organisation,
            content_hash=new.content_hash,
            source_format=new.source_format,
            title=new.title,
            credential=new.credential,
            original=new.original,
            original_text=new.original_text,
            completeness=new.completeness,
            warnings=new.warnings,
            created_at=dt.datetime.now(dt.UTC),
            data_release_id=new.data_release_id,
        )
        bind = self.session.get_bind()
        if bind.dialect.name == "sqlite":
            # pysqlite's SAVEPOINT would open (and RELEASE would commit) the outer transaction,
            # and SQLite serialises writers anyway: a plain flush is the safe choice there.
            self.session.add(row)
            try:
                self.session.flush()
            except IntegrityError:
                self.session.rollback()
                existing = self.by_hash(new.content_hash)
                if existing is None:
                    raise
                return existing, False
            return row, True
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            existing = self.by_hash(new.content_hash)
            if existing is None:
                raise
            return existing, False
        return row, True

    def page(self, *, limit: int, offset: int) -> tuple[list[CredentialRow], int]:
        """Newest first; ``(rows, total)``."""
        mine = CredentialRow.organisation_id == self.organisation
        total = self.session.scalar(select(func.count()).select_from(CredentialRow).where(mine))
        rows = self.session.scalars(
            select(CredentialRow)
            .where(mine)
            .order_by(CredentialRow.created_at.desc(), CredentialRow.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), int(total or 0)
