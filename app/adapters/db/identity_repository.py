"""Organisations, API keys and the personal-data access log: every identity query lives here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db.models_identity import ApiKeyRow, OrganisationRow, PersonalDataAccessRow
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.identity import (
    ORGANISATION_ID,
    NewApiKey,
    Principal,
    PrincipalKind,
    Role,
    hash_api_key,
    key_usable,
    new_api_key,
    parse_api_key,
    parse_roles,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes for DateTime(timezone=True); they were stored as UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What listings show of a key: never its secret or digest."""

    prefix: str
    organisation: str
    name: str
    roles: tuple[str, ...]
    created_at: dt.datetime
    created_by: str | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def usable(self) -> bool:
        return key_usable(
            revoked_at=self.revoked_at, expires_at=self.expires_at, now=dt.datetime.now(dt.UTC)
        )

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKeyInfo:
        created = _aware(row.created_at)
        assert created is not None
        return cls(
            prefix=row.prefix,
            organisation=row.organisation_id,
            name=row.name,
            roles=tuple(sorted(str(r) for r in row.roles)),
            created_at=created,
            created_by=row.created_by,
            expires_at=_aware(row.expires_at),
            revoked_at=_aware(row.revoked_at),
        )


class IdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # organisations -------------------------------------------------------------------------
    def organisation_exists(self, organisation_id: str) -> bool:
        return self.session.get(OrganisationRow, organisation_id) is not None

    def create_organisation(self, organisation_id: str, name: str) -> OrganisationRow:
        if not ORGANISATION_ID.match(organisation_id):
            raise InvalidInput(
                "/id", "an organisation id is 1-63 lower-case letters, digits and hyphens"
            )
        if self.organisation_exists(organisation_id):
            raise Conflict(f"organisation {organisation_id!r} already exists")
        row = OrganisationRow(id=organisation_id, name=name or organisation_id, created_at=_now())
        self.session.add(row)
        self.session.flush()
        return row

    def organisations(self) -> list[OrganisationRow]:
        return list(self.session.scalars(select(OrganisationRow).order_by(OrganisationRow.id)))

    # API keys ------------------------------------------------------------------------------
    def create_key(
        self,
        organisation_id: str,
        *,
        name: str,
        roles: frozenset[Role],
        expires_at: dt.datetime | None = None,
        created_by: str | None = None,
    ) -> tuple[NewApiKey, ApiKeyInfo]:
        if not self.organisation_exists(organisation_id):
            raise NotFound(f"No organisation {organisation_id!r}.")
        if not roles:
            raise InvalidInput("/roles", "a key needs at least one role")
        if expires_at is not None and _aware(expires_at) <= _now():  # type: ignore[operator]
            raise InvalidInput("/expires_at", "the expiry is in the past")
        key = new_api_key()
        while self.session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.prefix == key.prefix)):
            key = new_api_key()  # 57^8 prefixes: a clash is rare, but the column is unique
        row = ApiKeyRow(
            organisation_id=organisation_id,
            prefix=key.prefix,
            digest=key.digest,
            name=name,
            roles=sorted(r.value for r in roles),
            created_at=_now(),
            created_by=created_by,
            expires_at=_aware(expires_at),
        )
        self.session.add(row)
        self.session.flush()
        return key, ApiKeyInfo.of(row)

    def keys(self, organisation_id: str | None) -> list[ApiKeyInfo]:
        """The keys of one organisation (``None``: of all, for the operator's CLI)."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        if organisation_id is not None:
            query = query.where(ApiKeyRow.organisation_id == organisation_id)
        return [ApiKeyInfo.of(r) for r in self.session.scalars(query)]

    def revoke_key(self, organisation_id: str | None, prefix: str) -> ApiKeyInfo:
        """Revoke a key of ``organisation_id`` (``None``: any, for the operator's CLI)."""
        query = select(ApiKeyRow).where(ApiKeyRow.prefix == prefix)
        if organisation_id is not None:
            query = query.where(ApiKeyRow.organisation_id == organisation_id)
        row = self.session.scalar(query)
        if row is None:
            raise NotFound(f"No API key with prefix {prefix!r}.")
        if row.revoked_at is None:
            row.revoked_at = _now()
            self.session.flush()
        return ApiKeyInfo.of(row)

    def principal_for_key(self, secret: str) -> Principal | None:
        """The principal a key stands for, or ``None`` if it is unknown, revoked or expired."""
        prefix = parse_api_key(secret)
        if prefix is None:
            return None
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.digest == hash_api_key(secret)))
        if row is None or row.prefix != prefix:
            return None
        if not key_usable(revoked_at=row.revoked_at, expires_at=_aware(row.expires_at), now=_now()):
            return None
        return Principal(
            id=f"key:{row.prefix}",
            kind=PrincipalKind.API_KEY,
            organisation=row.organisation_id,
            roles=parse_roles(row.roles),
            name=row.name,
        )

    # personal-data access log ----------------------------------------------------------------
    def log_access(
        self, principal: Principal, *, record_kind: str, record_ids: list[str], action: str
    ) -> None:
        """One row per record read; flushed with the request's unit of work."""
        at = _now()
        self.session.add_all(
            PersonalDataAccessRow(
                at=at,
                principal_id=principal.id,
                organisation_id=principal.organisation,
                record_kind=record_kind,
                record_id=record_id,
                action=action,
            )
            for record_id in record_ids
        )
        self.session.flush()

    def accesses(
        self, organisation_id: str, *, record_id: str | None = None, limit: int = 100
    ) -> list[PersonalDataAccessRow]:
        query = select(PersonalDataAccessRow).where(
            PersonalDataAccessRow.organisation_id == organisation_id
        )
        if record_id is not None:
            query = query.where(PersonalDataAccessRow.record_id == record_id)
        return list(
            self.session.scalars(query.order_by(PersonalDataAccessRow.id.desc()).limit(limit))
        )
