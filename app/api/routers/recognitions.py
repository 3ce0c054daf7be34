"""Recognition recommendations and their decision records (issue: recognition)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response

from app.api import records as record_versions
from app.api.auth import PrincipalDep
from app.api.deps import SessionDep, SettingsDep, TransferDep
from app.api.problems import problem_responses
from app.api.schemas.recognitions import (
    RecognitionList,
    RecognitionRecord,
    RecognitionRequest,
    ReviewRequest,
    VerifyOut,
)
from app.core.credentials import SourceFormat
from app.core.recognition import Outcome, Purpose
from app.services.recognition import RecognitionCommand, RecognitionService, ReviewCommand

router = APIRouter(tags=["recognition"])


async def get_recognition(transfer: TransferDep) -> RecognitionService:
    """The service of the app's transfer context (built once by the lifespan)."""
    return transfer.recognition


RecognitionDep = Annotated[RecognitionService, Depends(get_recognition)]


@router.post(
    "/v1/recognitions",
    status_code=201,
    response_model=RecognitionRecord,
    summary="Recommend recognition of a micro-credential, and store the decision record",
    responses=problem_responses(404, 409, 413, 422),
)
def create_recognition(
    body: RecognitionRequest, session: SessionDep, service: RecognitionDep, principal: PrincipalDep
) -> dict[str, Any]:
    command = RecognitionCommand(
        target=body.target,
        purpose=Purpose(body.purpose),
        credential_id=body.credential_id,
        credential_document=body.credential,
        credential_format=SourceFormat(body.credential_format) if body.credential_format else None,
        qualification_id=body.qualification_id,
        as_of=body.as_of,
        language=body.language,
        created_by=principal.id,
    )
    return service.recommend(session, command)


@router.get(
    "/v1/recognitions",
    response_model=RecognitionList,
    summary="Decision records, newest first, with filters",
)
def list_recognitions(
    session: SessionDep,
    service: RecognitionDep,
    purpose: Annotated[str | None, Query(max_length=20)] = None,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
    target_framework: Annotated[str | None, Query(max_length=40)] = None,
    qualification_id: Annotated[str | None, Query(max_length=64)] = None,
    credential_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> RecognitionList:
    items, total = service.list(
        session,
        limit=limit,
        offset=offset,
        purpose=purpose,
        outcome=outcome,
        target_framework=target_framework,
        qualification_id=qualification_id,
        credential_id=credential_id,
    )
    return RecognitionList.model_validate(
        {
            "items": items,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None,
        }
    )


@router.get(
    "/v1/recognitions/{record_id}",
    response_model=RecognitionRecord,
    summary="One decision record with its review history",
    responses={**problem_responses(404), **record_versions.ETAG_RESPONSE},
)
def get_recognition_record(
    record_id: str, session: SessionDep, service: RecognitionDep, response: Response
) -> dict[str, Any]:
    body = service.get(session, record_id)
    # The version a review names (If-Match): the hash of the record's newest link.
    response.headers["ETag"] = record_versions.etag(session, record_id)
    return body


@router.get(
    "/v1/recognitions/{record_id}/export",
    summary="The record as a downloadable JSON document (record, reviews, chain links)",
    responses=problem_responses(404),
)
def export_recognition(
    record_id: str, session: SessionDep, service: RecognitionDep, settings: SettingsDep
) -> Response:
    import json

    body = service.get(session, record_id)
    body["verification"] = record_versions.with_proof(
        service.verify(session, record_id), session, record_id, settings.records
    )
    return Response(
        content=json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="recognition-{record_id}.json"'},
    )


@router.post(
    "/v1/recognitions/{record_id}/review",
    response_model=RecognitionRecord,
    summary="Confirm or amend a recommendation (appended to its history, never rewritten)",
    description=(
        "The review names the version of the record it reviews: the `ETag` of "
        "`GET /v1/recognitions/{id}` in `If-Match`, or the same hash in `based_on`. If another "
        "review was added since, the answer is 409 with the current state; without a version, "
        "428."
    ),
    responses={**problem_responses(404, 409, 422, 428), **record_versions.ETAG_RESPONSE},
)
def review_recognition(
    record_id: str,
    body: ReviewRequest,
    session: SessionDep,
    service: RecognitionDep,
    response: Response,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> dict[str, Any]:
    # Who may review comes before which version is reviewed (the four-eyes rule, issue 12).
    service.check_reviewer(session, record_id, principal.id)
    # Checked under the chain lock, held until the commit: of two concurrent reviews of one
    # version, exactly one is stored.
    record_versions.check_review_version(
        session, record_id, if_match=if_match, based_on=body.based_on, current=service.get
    )
    reviewed = service.review(
        session,
        record_id,
        ReviewCommand(
            action=body.action,
            # The reviewer is who authenticated, never what the body says (issue 12): a body
            # ``reviewer`` is accepted for compatibility and ignored.
            reviewer=principal.label,
            reviewer_id=principal.id,
            reason=body.reason,
            outcome=Outcome(body.outcome) if body.outcome else None,
            conditions=tuple(body.conditions),
            note=body.note,
        ),
    )
    response.headers["ETag"] = record_versions.etag(session, record_id)
    return reviewed


@router.get(
    "/v1/recognitions/{record_id}/verify",
    response_model=VerifyOut,
    summary="Check that the record and its reviews were not altered",
    responses=problem_responses(404),
)
def verify_recognition(
    record_id: str, session: SessionDep, service: RecognitionDep, settings: SettingsDep
) -> dict[str, Any]:
    # The record's own links, then what the signed checkpoints (outside the database) add, and
    # what nothing here can prove.
    return record_versions.with_proof(
        service.verify(session, record_id), session, record_id, settings.records
    )
