"""HTTP side of decision records: the version a review names (ETag / ``If-Match`` /
``based_on``), stale reviews as 409 with the current state, and ``/verify``'s proof."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db.recognition_repository import RecognitionRepository
from app.api.problems import CONFLICT, ApiProblem, ProblemType
from app.core.errors import DomainError
from app.core.records import StaleVersion
from app.services import records
from app.settings import RecordSettings

PRECONDITION_REQUIRED = ProblemType(428, "precondition-required", "Precondition required")
#: OpenAPI: the record's version, sent with the record (GET, review) for ``If-Match``.
ETAG_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The record",
        "headers": {
            "ETag": {
                "description": "the record's version (hash of its newest link), for If-Match",
                "schema": {"type": "string"},
            }
        },
    }
}


def etag(session: Session, record_id: str) -> str:
    """The record's current version as a strong entity tag."""
    return f'"{RecognitionRepository(session).current_version(record_id)}"'


def _strong_tags(if_match: str) -> set[str]:
    """The strong entity tags of an ``If-Match`` list; weak ones never match (RFC 9110 §13.1.1
    compares strongly), ``*`` names no version and is ignored."""
    tags = set()
    for part in if_match.split(","):
        tag = part.strip()
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tags.add(tag[1:-1])
    return tags


def check_review_version(
    session: Session,
    record_id: str,
    *,
    if_match: str | None,
    based_on: str | None,
    current: Callable[[Session, str], dict[str, Any]],
) -> None:
    """Lock the chain and check that the review names the record's current version.

    The lock is held until the request's commit, so the review appended after this check is
    appended to the version checked. 428 without a version; 409 (with ``current_version`` and
    the record as it now stands, from ``current``) when the named version is not the current
    one. 409 rather than 412 for a stale ``If-Match`` too, so that a client handles one status
    for both forms (RFC 9110 §13.1.1 leaves the status to the origin server: "MAY ... 412").
    """
    named = _strong_tags(if_match) if if_match else set()
    if based_on is not None:
        named.add(based_on)
    repo = RecognitionRepository(session)
    repo.get(record_id)  # 404 before 428
    if not named:
        raise ApiProblem(
            PRECONDITION_REQUIRED,
            "A review names the version of the record it reviews: send the record's ETag in "
            "If-Match, or the same value in based_on.",
            errors_list=[
                {"parameter": "If-Match", "detail": "missing"},
                {"pointer": "/based_on", "detail": "missing"},
            ],
        )
    repo.lock_chain()
    version = repo.current_version(record_id)
    if version in named:
        return
    stale = StaleVersion(record_id, sorted(named)[0], version)
    raise ApiProblem(
        CONFLICT,
        stale.message,
        errors_list=[
            {"pointer": "/based_on", "detail": "not the current version"}
            if based_on is not None
            else {"parameter": "If-Match", "detail": "not the current version"}
        ],
        extra={"current_version": version, "current": current(session, record_id)},
    )


def with_proof(
    verification: dict[str, Any], session: Session, record_id: str, settings: RecordSettings
) -> dict[str, Any]:
    """Add to a record's own verification what the signed checkpoints prove, and what cannot
    be proved; a checkpoint that disagrees with the database makes the record invalid."""
    try:
        documents = records.read_checkpoints(settings.checkpoints_file)
        keys = records.trusted_keys(settings)
    except (DomainError, OSError, ValueError) as exc:
        # An unreadable checkpoints file or key is a finding about the evidence, not an error
        # of the request: the record's own links are still reported.
        reason = exc.message if isinstance(exc, DomainError) else str(exc)
        return {
            **verification,
            "valid": False,
            "problems": [
                *verification["problems"],
                f"the checkpoints or their keys could not be read: {reason}",
            ],
            "cannot_prove": [records.NO_CHECKPOINT],
        }
    proof = records.record_proof(session, record_id, documents, keys)
    problems = [*verification["problems"], *proof.pop("checkpoint_problems")]
    return {
        **verification,
        **proof,
        "valid": verification["valid"] and not problems,
        "problems": problems,
    }
