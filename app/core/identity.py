"""Who is calling, for which organisation, and what each role may do (issue 12).

Pure types and rules, no HTTP or database: the API resolves a :class:`Principal` at the edge
(an API key or an OIDC bearer token), and every rule about what it may do lives here, once:

* :data:`ROLE_PERMISSIONS` — which :class:`Permission` each :class:`Role` holds;
* :func:`check_four_eyes` — nobody confirms or amends a recommendation they created;
* :func:`new_api_key` / :func:`hash_api_key` — the key format and how it is stored.

API keys are ``psk_<prefix>_<secret>``: 256 random bits (``secrets.token_urlsafe(32)``), of which
only the SHA-256 is stored. A plain (unsalted, fast) hash is enough here because the secret has
full entropy: there is no dictionary to attack, unlike a password. The 8-character ``prefix`` is
stored in clear so an operator can tell keys apart in listings and logs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.errors import DomainError


class Role(StrEnum):
    """The four roles (issue 12): each holds the permissions listed in :data:`ROLE_PERMISSIONS`."""

    READER = "reader"
    EVALUATOR = "evaluator"  # creates recommendations, imports credentials, runs transfer jobs
    REVIEWER = "reviewer"  # confirms or amends recommendations made by someone else
    ADMIN = "admin"  # everything, plus API keys and organisations


class Permission(StrEnum):
    """What an operation needs. One per kind of operation, not one per endpoint."""

    REFERENCE_READ = "reference:read"  # frameworks, levels, compare, credits, meta (shared data)
    COMPUTE = "compute"  # stateless analysis over shared data (outcomes, validation)
    TENANT_READ = "tenant:read"  # the organisation's catalogue, credentials, records, jobs
    PERSONAL_READ = "personal:read"  # credential originals: personal data, logged
    CATALOGUE_WRITE = "catalogue:write"
    CREDENTIAL_WRITE = "credential:write"
    RECOMMEND = "recognition:recommend"
    REVIEW = "recognition:review"
    TRANSFER_RUN = "transfer:run"  # articulation and batch jobs over the catalogue
    ADMIN = "admin"  # API keys, organisations


_READ = frozenset({Permission.REFERENCE_READ, Permission.COMPUTE, Permission.TENANT_READ})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READER: _READ,
    Role.EVALUATOR: _READ
    | {
        Permission.PERSONAL_READ,
        Permission.CATALOGUE_WRITE,
        Permission.CREDENTIAL_WRITE,
        Permission.RECOMMEND,
        Permission.TRANSFER_RUN,
    },
    Role.REVIEWER: _READ | {Permission.PERSONAL_READ, Permission.REVIEW},
    Role.ADMIN: frozenset(Permission),
}

#: Organisation ids are slugs: they appear in logs, keys listings and JWT claims.
ORGANISATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
#: The organisation that rows written before tenancy (migration 0010) belong to.
DEFAULT_ORGANISATION = "default"

API_KEY_SCHEME = "psk"
_API_KEY = re.compile(r"^psk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$")
_PREFIX_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class PrincipalKind(StrEnum):
    API_KEY = "api_key"
    OIDC = "oidc"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller acting for one organisation.

    ``id`` is stable and unique across kinds (``key:<prefix>``, ``oidc:<subject>``): it is what
    decision records and the access log store, and what the four-eyes rule compares.
    """

    id: str
    kind: PrincipalKind
    organisation: str
    roles: frozenset[Role]
    name: str = ""
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        granted: frozenset[Permission] = frozenset()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS[role]
        object.__setattr__(self, "permissions", granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        """How the principal is shown in a record: the id, and the name when there is one."""
        return f"{self.id} ({self.name})" if self.name and self.name != self.id else self.id


class AuthorisationError(DomainError):
    """The principal is known but may not do this (HTTP 403)."""

    def __init__(self, message: str, *, rule: str, permission: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.permission = permission


class FourEyesViolation(AuthorisationError):
    """Whoever created a recommendation may not confirm or amend it (the four-eyes rule)."""

    def __init__(self, principal_id: str, record_id: str) -> None:
        super().__init__(
            f"Four-eyes rule: {principal_id} created recommendation {record_id} and may not "
            "also review it; another reviewer must.",
            rule="four-eyes",
        )
        self.principal_id = principal_id
        self.record_id = record_id


def require(principal: Principal, permission: Permission) -> None:
    """Raise :class:`AuthorisationError` unless ``principal`` holds ``permission``."""
    if not principal.can(permission):
        roles = ", ".join(sorted(principal.roles)) or "none"
        holders = ", ".join(r.value for r in Role if permission in ROLE_PERMISSIONS[r])
        raise AuthorisationError(
            f"This operation needs the permission {permission.value!r} (roles: {holders}); "
            f"the caller has roles: {roles}.",
            rule="role",
            permission=permission.value,
        )


def check_four_eyes(reviewer_id: str, created_by: str | None, record_id: str) -> None:
    """The four-eyes rule: whoever asked for a recommendation never reviews it.

    ``reviewer_id`` and ``created_by`` are :attr:`Principal.id` values. Records made before
    identity existed have no creator (``None``) and can be reviewed by any reviewer.
    """
    if created_by is not None and created_by == reviewer_id:
        raise FourEyesViolation(reviewer_id, record_id)


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly made key: ``secret`` is shown once and never stored."""

    secret: str
    prefix: str
    digest: str


def new_api_key() -> NewApiKey:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    secret = f"{API_KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(secret=secret, prefix=prefix, digest=hash_api_key(secret))


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_api_key(secret: str) -> str | None:
    """The prefix of a well-formed key, or ``None`` (refused before any database look-up)."""
    match = _API_KEY.match(secret)
    return match.group(1) if match else None


def key_usable(
    *, revoked_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """A key works until it is revoked or expires (expiry is exclusive)."""
    return revoked_at is None and (expires_at is None or now < expires_at)


def parse_roles(values: object) -> frozenset[Role]:
    """Roles from a claim or a stored list; unknown names are ignored (an IdP may send others)."""
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    if not isinstance(values, list | tuple | set | frozenset):
        return frozenset()
    known = {r.value for r in Role}
    return frozenset(Role(v) for v in values if isinstance(v, str) and v in known)
