"""Organisations and API keys: the use cases behind ``passerelle auth`` and ``/v1/admin``.

Services flush, never commit: the CLI's ``session_scope`` and the API's session dependency do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.adapters.db.identity_repository import ApiKeyInfo, IdentityRepository
from app.core.errors import InvalidInput
from app.core.identity import Principal, Role, parse_roles


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key as issued: ``secret`` is shown to the caller once and stored nowhere."""

    secret: str
    info: ApiKeyInfo


def roles_from(values: list[str], *, pointer: str = "/roles") -> frozenset[Role]:
    roles = parse_roles(values)
    unknown = sorted(set(values) - {r.value for r in roles})
    if unknown:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(pointer, f"unknown role(s) {unknown}; roles are: {known}")
    if not roles:
        raise InvalidInput(pointer, "at least one role is needed")
    return roles


def bootstrap(
    session: Session,
    organisation_id: str,
    *,
    name: str = "",
    key_name: str = "bootstrap admin",
    if_needed: bool = False,
) -> IssuedKey | None:
    """The first admin key of an organisation, creating the organisation if needed.

    Safe to run on a live system: it only ever adds an organisation and a key; nothing that
    exists is changed. ``if_needed``: only when the organisation has no usable admin key yet
    (``None`` otherwise), so ``make run`` can call it on every start.
    """
    repo = IdentityRepository(session)
    if not repo.organisation_exists(organisation_id):
        repo.create_organisation(organisation_id, name or organisation_id)
    elif if_needed and any("admin" in k.roles and k.usable for k in repo.keys(organisation_id)):
        return None
    key, info = repo.create_key(
        organisation_id, name=key_name, roles=frozenset({Role.ADMIN}), created_by="cli:bootstrap"
    )
    return IssuedKey(key.secret, info)


def create_key(
    session: Session,
    organisation_id: str,
    *,
    name: str,
    roles: frozenset[Role],
    expires_at: dt.datetime | None = None,
    created_by: Principal | str | None = None,
) -> IssuedKey:
    by = created_by.id if isinstance(created_by, Principal) else created_by
    key, info = IdentityRepository(session).create_key(
        organisation_id, name=name, roles=roles, expires_at=expires_at, created_by=by
    )
    return IssuedKey(key.secret, info)


def list_keys(session: Session, organisation_id: str | None) -> list[ApiKeyInfo]:
    return IdentityRepository(session).keys(organisation_id)


def revoke_key(session: Session, organisation_id: str | None, prefix: str) -> ApiKeyInfo:
    return IdentityRepository(session).revoke_key(organisation_id, prefix)
