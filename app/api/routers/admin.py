"""Administration of the caller's own organisation: API keys and the personal-data access log.

Every operation here needs the ``admin`` role (see ``app/api/access.py``) and only ever sees the
admin's own organisation: there is no parameter naming another one. Organisations themselves
are created by the operator (``passerelle auth bootstrap``), not over the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.adapters.db.identity_repository import ApiKeyInfo, IdentityRepository
from app.api.auth import PrincipalDep, log_personal_read
from app.api.deps import SessionDep
from app.api.problems import problem_responses
from app.core.identity import Role
from app.services import identity, records

router = APIRouter(tags=["admin"])


class ApiKeyOut(BaseModel):
    prefix: str = Field(description="shown in listings and logs; the secret is never shown again")
    organisation: str
    name: str
    roles: list[str]
    created_at: dt.datetime
    created_by: str | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, info: ApiKeyInfo) -> ApiKeyOut:
        return cls(
            prefix=info.prefix,
            organisation=info.organisation,
            name=info.name,
            roles=list(info.roles),
            created_at=info.created_at,
            created_by=info.created_by,
            expires_at=info.expires_at,
            revoked_at=info.revoked_at,
        )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the API key itself: shown this once, stored only hashed")


class ApiKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1, max_length=4)
    expires_at: dt.datetime | None = Field(
        default=None, description="UTC if no offset is given; omit for a key that never expires"
    )


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class AccessOut(BaseModel):
    at: dt.datetime
    principal: str
    organisation: str
    record_kind: str
    record_id: str
    action: str


class AccessList(BaseModel):
    items: list[AccessOut]


class WhoAmI(BaseModel):
    principal: str
    kind: str
    name: str
    organisation: str
    roles: list[str]
    permissions: list[str]


@router.get("/v1/whoami", response_model=WhoAmI, summary="The authenticated caller")
async def whoami(principal: PrincipalDep) -> WhoAmI:
    return WhoAmI(
        principal=principal.id,
        kind=principal.kind.value,
        name=principal.name,
        organisation=principal.organisation,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
    )


@router.get("/v1/admin/api-keys", response_model=ApiKeyList, summary="API keys of my organisation")
def list_api_keys(session: SessionDep, principal: PrincipalDep) -> ApiKeyList:
    return ApiKeyList(
        items=[ApiKeyOut.of(k) for k in identity.list_keys(session, principal.organisation)]
    )


@router.post(
    "/v1/admin/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Issue an API key for my organisation (the key is shown once)",
    responses=problem_responses(422),
)
def create_api_key(
    body: ApiKeyRequest, session: SessionDep, principal: PrincipalDep
) -> ApiKeyCreated:
    expires = body.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    issued = identity.create_key(
        session,
        principal.organisation,
        name=body.name,
        roles=frozenset(body.roles),
        expires_at=expires,
        created_by=principal,
    )
    return ApiKeyCreated(key=issued.secret, **ApiKeyOut.of(issued.info).model_dump())


@router.delete(
    "/v1/admin/api-keys/{prefix}",
    response_model=ApiKeyOut,
    summary="Revoke an API key of my organisation (kept, marked revoked)",
    responses=problem_responses(404),
)
def revoke_api_key(prefix: str, session: SessionDep, principal: PrincipalDep) -> ApiKeyOut:
    return ApiKeyOut.of(identity.revoke_key(session, principal.organisation, prefix))


@router.get(
    "/v1/admin/personal-data-access",
    response_model=AccessList,
    summary="Who read personal data of my organisation, newest first",
)
def personal_data_access(
    session: SessionDep,
    principal: PrincipalDep,
    record_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    rows = IdentityRepository(session).accesses(
        principal.organisation, record_id=record_id, limit=limit
    )
    return {
        "items": [
            {
                "at": r.at if r.at.tzinfo else r.at.replace(tzinfo=dt.UTC),
                "principal": r.principal_id,
                "organisation": r.organisation_id,
                "record_kind": r.record_kind,
                "record_id": r.record_id,
                "action": r.action,
            }
            for r in rows
        ]
    }


class ErasureRequest(BaseModel):
    """Whose personal data to erase: a learner (id or identifier value) or one record's learner."""

    model_config = ConfigDict(extra="forbid")

    learner: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="the learner's id or an identifier value, as in the credentials",
    )
    record_id: str | None = Field(default=None, min_length=1, max_length=64)


class ErasureOut(BaseModel):
    erased_records: list[str] = Field(
        description="records of this organisation whose learner was erased (the decisions stay "
        "and still verify; their learner reads as erased)"
    )


@router.post(
    "/v1/admin/personal-data-erasures",
    response_model=ErasureOut,
    summary="Erase a learner's personal data held by my organisation (GDPR Art. 17)",
    responses=problem_responses(404, 422),
)
def erase_personal_data(
    body: ErasureRequest, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    # Only the caller's organisation (bound to the session): another organisation's learner
    # is neither erased nor revealed — its record answers 404 like a missing one.
    erased = records.erase_personal_data(
        session, learner=body.learner, record_id=body.record_id, reason="request"
    )
    log_personal_read(
        session, principal, record_kind="recognition", record_ids=erased, action="erase"
    )
    return {"erased_records": erased}
