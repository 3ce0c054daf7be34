"""Micro-credentials (API.md, "Micro-credentials"): import, validate, fetch, list, bulk CSV.

Bodies are read raw (JSON, JSON-LD, or a compact JWS/JWT) and handed to the importers, which
never fetch a URL. Re-posting a document already stored answers ``200`` with the stored record
(``created: false``) instead of ``201``: the same id, nothing duplicated.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.adapters.importers.detect import parse_format
from app.adapters.importers.plain import plain_json_schema
from app.adapters.importers.signed import require_compact
from app.api.auth import PrincipalDep, log_personal_read
from app.api.deps import RegistryDep, SessionDep, SettingsDep
from app.api.problems import UNSUPPORTED_MEDIA, ApiProblem, problem_for, problem_responses
from app.api.schemas.credentials import (
    BulkResult,
    BulkRow,
    CredentialPage,
    CredentialRecord,
    CredentialSummary,
    CredentialValidation,
)
from app.api.schemas.frameworks import DataReleaseOut
from app.core.credentials import CredentialInputError
from app.core.identity import Permission
from app.services.credentials import CredentialService, StoredCredential

router = APIRouter(tags=["credentials"])

_JSON_TYPES = {
    "application/json",
    "application/ld+json",
    "application/vc+ld+json",
    "application/vc",
    "application/vp",
}
_TOKEN_TYPES = {
    "application/jwt",
    "application/vc+jwt",
    "application/vc+sd-jwt",
    "application/vc-ld+jwt",
    "application/jose",
    "text/plain",
}
_CSV_TYPES = {"text/csv", "application/csv"}

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "An ELM v3 / EDC JSON-LD credential, an Open Badges 3.0 credential or "
        "achievement, a credential in Passerelle's plain JSON form, or any of these as a "
        "JWS (compact, or JSON serialisation such as a sealed EDC); signatures are verified "
        "offline and reported in credential.proof.verification. Contexts and URLs are never "
        "fetched.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/ld+json": {"schema": {"type": "object"}},
            "application/vc+jwt": {"schema": {"type": "string"}},
        },
    }
}

Format = Annotated[
    str | None,
    Query(
        max_length=20,
        description="Force the format instead of detecting it: elm, ob3 or plain",
    ),
]
Language = Annotated[
    str | None,
    Query(
        max_length=20,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="Preferred language of texts (falls back to en, then any); all are kept",
    ),
]


def _media_type(request: Request) -> str | None:
    raw = request.headers.get("content-type")
    if not raw:
        return None
    return raw.split(";", 1)[0].strip().casefold()


async def json_body(request: Request) -> bytes:
    """The raw body of a single-credential request, after a media-type check."""
    media = _media_type(request)
    if (
        media is not None
        and media not in _JSON_TYPES | _TOKEN_TYPES
        and not media.endswith("+json")
    ):
        hint = " CSV files go to POST /v1/credentials/bulk." if media in _CSV_TYPES else ""
        raise ApiProblem(
            UNSUPPORTED_MEDIA,
            f"Content-Type {media!r} is not accepted: send JSON (application/json, "
            f"application/ld+json) or a JWT (application/vc+jwt).{hint}",
        )
    body = await request.body()
    if not body.strip():
        raise CredentialInputError("", "the request body is empty")
    if media in _TOKEN_TYPES and media != "text/plain":
        require_compact(body, media)  # a non-JWS body sent as a JWT is said to be one
    return body


async def csv_body(request: Request) -> bytes:
    media = _media_type(request)
    if media is not None and media not in _CSV_TYPES | {"text/plain"}:
        raise ApiProblem(
            UNSUPPORTED_MEDIA, f"Content-Type {media!r} is not accepted here: send text/csv."
        )
    body = await request.body()
    if not body.strip():
        raise CredentialInputError("", "the request body is empty")
    return body


JsonBody = Annotated[bytes, Depends(json_body)]
CsvBody = Annotated[bytes, Depends(csv_body)]


def _service(registry: RegistryDep, settings: SettingsDep) -> CredentialService:
    return CredentialService.from_settings(registry, settings)


Service = Annotated[CredentialService, Depends(_service)]


def _record(stored: StoredCredential, registry: RegistryDep) -> CredentialRecord:
    return CredentialRecord.model_validate(
        {
            "id": stored.id,
            "created": stored.created,
            "created_at": stored.created_at,
            "source_format": stored.source_format,
            "content_hash": stored.content_hash,
            "credential": stored.credential,
            "completeness": stored.completeness,
            "shacl": stored.shacl,
            "warnings": stored.warnings,
            "data_release": DataReleaseOut.of(registry.release),
        }
    )


@router.post(
    "/v1/credentials",
    response_model=CredentialRecord,
    status_code=201,
    summary="Import and store a credential (idempotent: the same document gives the same id)",
    responses={
        200: {
            "description": "The document was already stored; its record",
            "model": CredentialRecord,
        },
        **problem_responses(413, 415, 422),
    },
    openapi_extra=_BODY_DOC,
)
def create_credential(
    body: JsonBody,
    service: Service,
    session: SessionDep,
    registry: RegistryDep,
    response: Response,
    format: Format = None,
    language: Language = None,
) -> CredentialRecord:
    report = service.read(body, forced=parse_format(format), language=language)
    stored = service.store(session, report)
    if not stored.created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/credentials/{stored.id}"
    return _record(stored, registry)


@router.post(
    "/v1/credentials/validate",
    response_model=CredentialValidation,
    summary="Read a credential and report completeness and warnings; nothing is stored",
    responses=problem_responses(413, 415, 422),
    openapi_extra=_BODY_DOC,
)
def validate_credential(
    body: JsonBody,
    service: Service,
    registry: RegistryDep,
    format: Format = None,
    language: Language = None,
) -> CredentialValidation:
    report = service.read(body, forced=parse_format(format), language=language)
    return CredentialValidation.model_validate(
        {
            **report.to_json(),
            "source_format": report.source_format.value,
            "content_hash": report.content_hash,
            "data_release": DataReleaseOut.of(registry.release),
        }
    )


@router.post(
    "/v1/credentials/bulk",
    response_model=BulkResult,
    summary="Import a CSV file, one credential per row; bad rows are reported and skipped",
    responses=problem_responses(413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def bulk_import(
    body: CsvBody,
    service: Service,
    session: SessionDep,
    registry: RegistryDep,
    language: Language = None,
) -> BulkResult:
    items: list[BulkRow] = []
    imported = already = skipped = 0
    for outcome in service.read_csv(body, language=language):
        if outcome.report is None:
            skipped += 1
            exc = outcome.error
            assert exc is not None
            problem = problem_for(exc)
            items.append(
                BulkRow(
                    row=outcome.row,
                    line=outcome.line,
                    problem={
                        "status": problem.status,
                        "title": problem.title,
                        "detail": exc.message,
                        "pointer": exc.field,
                    },
                )
            )
            continue
        stored = service.store(session, outcome.report)
        imported += stored.created
        already += not stored.created
        items.append(
            BulkRow(
                row=outcome.row,
                line=outcome.line,
                id=stored.id,
                created=stored.created,
                title=outcome.report.credential.title,
                complete=outcome.report.completeness.complete,
                warnings=len(outcome.report.warnings),
            )
        )
    return BulkResult(
        imported=imported,
        already_stored=already,
        skipped=skipped,
        items=items,
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/credentials",
    response_model=CredentialPage,
    summary="Stored credentials, newest first (limit/offset pagination)",
    responses=problem_responses(422),
)
def list_credentials(
    service: Service,
    session: SessionDep,
    registry: RegistryDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> CredentialPage:
    items, total = service.page(session, limit=limit, offset=offset)
    return CredentialPage(
        items=[
            CredentialSummary(
                id=s.id,
                title=s.credential.get("title"),
                source_format=s.source_format,
                created_at=s.created_at,
                complete=bool(s.completeness.get("complete")),
                mandatory_present=int(s.completeness.get("mandatory", {}).get("present", 0)),
                warnings=len(s.warnings),
            )
            for s in items
        ],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
        data_release=DataReleaseOut.of(registry.release),
    )


@router.get(
    "/v1/credentials/{credential_id}",
    response_model=CredentialRecord,
    summary="One stored credential: normalised form, completeness, warnings",
    responses=problem_responses(404),
)
def get_credential(
    credential_id: str,
    service: Service,
    session: SessionDep,
    registry: RegistryDep,
    principal: PrincipalDep,
) -> CredentialRecord:
    record = _record(service.get(session, credential_id), registry)
    if record.credential.learner is not None:
        # The learner is personal data: readers do not see it; whoever does is logged.
        if not principal.can(Permission.PERSONAL_READ):
            record.credential.learner = None
        else:
            log_personal_read(
                session,
                principal,
                record_kind="credential",
                record_ids=[credential_id],
                action="read-learner",
            )
    return record


@router.get(
    "/v1/credentials/{credential_id}/original",
    summary="The document as received (JSON, or the compact JWS for signed tokens)",
    responses=problem_responses(404, 410),
)
def get_original(
    credential_id: str, service: Service, session: SessionDep, principal: PrincipalDep
) -> Any:
    original, text, source_format = service.original(session, credential_id)
    log_personal_read(
        session,
        principal,
        record_kind="credential",
        record_ids=[credential_id],
        action="read-original",
    )
    if text is not None:
        media = "text/csv" if source_format == "csv" else "application/jwt"
        return Response(content=text, media_type=media)
    return original


@router.get(
    "/v1/credential-formats/plain/schema",
    summary="JSON Schema of the plain credential form",
)
def plain_schema() -> dict[str, Any]:
    return plain_json_schema()
