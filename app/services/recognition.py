"""Recognition use cases: recommend, store as an immutable record, review, verify, list.

A recommendation gathers the facts (the credential's level compared through the graph as of its
award date, its credits converted to ECTS, its outcomes aligned with each module of the target
programme), asks the pure core (:func:`app.core.recognition.recommend`) for the reasoning, finds
similar earlier decisions (precedents), and appends the whole — inputs, findings, evidence,
versions of data, model and policy — to the hash-chained record store. A human then confirms or
amends it; reviews are appended, never rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from app import __version__
from app.adapters.db.models_recognition import RecognitionRecordRow, RecognitionReviewRow
from app.adapters.db.recognition_repository import NewRecord, RecognitionRepository
from app.adapters.db.transfer_codec import conversion_json, range_to_json, recommendation_json
from app.core.catalogue import Programme
from app.core.credentials import MicroCredential, SourceFormat, credential_from_json
from app.core.errors import DomainError, InvalidInput
from app.core.identity import check_four_eyes
from app.core.recognition import Outcome, Purpose, Recommendation, recommend
from app.core.records import canonical
from app.core.transfer.types import Candidate, Target
from app.services.transfer import TransferContext


@dataclass(frozen=True, slots=True)
class RecognitionCommand:
    target: str
    purpose: Purpose
    credential_id: str | None = None
    credential_document: Any = None
    credential_format: SourceFormat | None = None
    qualification_id: str | None = None
    as_of: dt.date | None = None
    language: str | None = None
    created_by: str | None = None  # the principal's id (recorded for the four-eyes rule)


@dataclass(frozen=True, slots=True)
class ReviewCommand:
    action: str  # "confirm" | "amend"
    reviewer: str
    reason: str
    outcome: Outcome | None = None
    conditions: tuple[str, ...] = ()
    note: str | None = None
    reviewer_id: str | None = None  # the principal's id: checked against the record's creator


# --- JSON forms --------------------------------------------------------------------------------


def record_json(
    row: RecognitionRecordRow, reviews: Sequence[RecognitionReviewRow]
) -> dict[str, Any]:
    """A record as the API shows it: the stored payload, its chain links and its history."""
    current = reviews[-1].outcome if reviews else row.outcome
    return {
        "id": row.id,
        "seq": row.seq,
        "created_at": row.created_at,
        **row.payload,
        "status": "reviewed" if reviews else "pending_review",
        "current_outcome": current,
        "reviews": [
            {
                "seq": r.seq,
                "created_at": r.created_at,
                "action": r.action,
                "outcome": r.outcome,
                "reviewer": r.reviewer,
                "reason": r.reason,
                **r.payload,
                "review_hash": r.review_hash,
                "prev_hash": r.prev_hash,
            }
            for r in reviews
        ],
        "record": {
            "input_hash": row.input_hash,
            "record_hash": row.record_hash,
            "prev_hash": row.prev_hash,
            "policy_version": row.policy_version,
            "data_release": row.data_release,
            "model_id": row.model_id,
        },
    }


# --- the service -------------------------------------------------------------------------------


class RecognitionService:
    def __init__(self, context: TransferContext) -> None:
        self.context = context
        self.policy = context.recognition_policy

    def _credential(
        self, session: Session, cmd: RecognitionCommand
    ) -> tuple[MicroCredential, str | None, str, list[str]]:
        """The credential, its stored id, its content hash and import warnings."""
        credentials = self.context.credentials
        if cmd.credential_id is not None:
            stored = credentials.get(session, cmd.credential_id)
            return credential_from_json(stored.credential), stored.id, stored.content_hash, []
        if cmd.credential_document is None:
            raise InvalidInput("/credential", "give a credential document or a credential_id")
        data = (
            cmd.credential_document
            if isinstance(cmd.credential_document, (str, bytes))
            else json.dumps(cmd.credential_document)
        )
        try:
            report = credentials.read(data, forced=cmd.credential_format, language=cmd.language)
        except DomainError as exc:
            # The document is nested in the request: point at it from the request's root.
            if exc.field is not None and (exc.field == "" or exc.field.startswith("/")):
                exc.field = "/credential" + exc.field
            raise
        stored = credentials.store(session, report)
        return (
            report.credential,
            stored.id,
            stored.content_hash,
            [w.message for w in report.warnings],
        )

    def recommend(self, session: Session, cmd: RecognitionCommand) -> dict[str, Any]:
        """Recommend, store the record, and return it as JSON (with precedents)."""
        ctx = self.context
        framework = ctx.registry.framework(cmd.target, field="target")
        programme: Programme | None = None
        programme_hash: str | None = None
        if cmd.qualification_id is not None:
            stored = ctx.catalogue.get(session, cmd.qualification_id)
            programme, programme_hash = stored.programme, stored.content_hash
        credential, credential_id, credential_hash, import_warnings = self._credential(session, cmd)
        as_of = cmd.as_of or credential.issued_on
        candidate, credit_notes = ctx.candidate(
            credential, credential_id or "credential", target_framework=framework.id, as_of=as_of
        )
        target, modules, level_notes = ctx.target(framework.id, programme)
        match = None
        if candidate.outcomes and any(m.outcomes for m in modules) and programme_hash:
            # Every module rescored: one candidate, so recall matters more than speed.
            index = ctx.index_for(programme_hash, modules)
            match = ctx.match(index, [candidate], candidate_modules=len(modules))[0]
        rec = recommend(
            candidate,
            target,
            match,
            self.policy,
            purpose=cmd.purpose,
            relate=ctx.relate(as_of),
            lexical_only=ctx.aligner.embedder is None,
        )
        facts = candidate.facts
        assert facts is not None  # the context's conversion always attaches them

        inputs = {
            "credential": credential_hash,
            "target": framework.id,
            "qualification": programme_hash,
            "purpose": cmd.purpose.value,
            "as_of": as_of.isoformat() if as_of else None,
        }
        input_hash = hashlib.sha256(canonical(inputs)).hexdigest()
        repo = RecognitionRepository(session)
        precedents = self._precedents(repo, candidate, credential_id, target, rec)
        release = ctx.registry.release
        notes = [w for w in (*credit_notes, *level_notes) if not w.startswith("no learning")]
        payload: dict[str, Any] = {
            "purpose": cmd.purpose.value,
            "as_of": as_of.isoformat() if as_of else None,
            "credential": {
                "id": credential_id,
                "content_hash": credential_hash,
                "title": credential.title,
                "issued_on": credential.issued_on.isoformat() if credential.issued_on else None,
                "awarding_body": facts.awarding_body,
                "issuer_country": facts.issuer_country,
                "source_format": credential.source_format.value,
                "eqf_level": credential.level.eqf,
                "nqf_level": str(credential.level.nqf) if credential.level.nqf else None,
                "credits": {"value": credential.credits.value, "system": credential.credits.system}
                if credential.credits
                else None,
                "credits_ects": range_to_json(candidate.credits_ects),
                "credit_conversion": conversion_json(facts.credit_conversion),
                "workload_hours": credential.workload_hours,
                "learning_outcomes": list(candidate.outcomes),
                "signature": facts.signature.value,
            },
            "target": {
                "framework": framework.id,
                "qualification": {
                    "id": programme.id,
                    "title": programme.title,
                    "institution": programme.institution.name,
                    "level": str(programme.level) if programme.level else None,
                    "eqf_level": programme.eqf_level,
                    "content_hash": programme_hash,
                    "modules": len(programme.modules),
                    "elective_credits_ects": range_to_json(target.elective_ects),
                }
                if programme
                else None,
            },
            **recommendation_json(rec),
            "precedents": precedents,
            "warnings": [*import_warnings, *notes, *ctx.aligner.warnings],
            "versions": {
                "app": __version__,
                **ctx.versions(),
                "policy": {"version": self.policy.version, "sha256": ctx.recognition_sha256},
            },
        }
        # Round-trip through JSON now, so what is hashed is exactly what the database returns.
        payload = json.loads(json.dumps(payload))
        row = repo.append(
            NewRecord(
                input_hash=input_hash,
                data_release=release.content_hash,
                model_id=ctx.aligner.model_id,
                policy_version=self.policy.version,
                purpose=cmd.purpose.value,
                outcome=rec.outcome.value,
                target_framework=framework.id,
                qualification_id=programme.id if programme else None,
                credential_id=credential_id,
                credential_title=credential.title,
                credential_eqf=credential.level.eqf,
                confidence=rec.confidence,
                payload=payload,
                created_by=cmd.created_by,
            )
        )
        return record_json(row, [])

    def _precedents(
        self,
        repo: RecognitionRepository,
        candidate: Candidate,
        credential_id: str | None,
        target: Target,
        rec: Recommendation,
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for row in repo.candidates_for_precedent(
            target_framework=target.framework, qualification_id=target.qualification_id
        ):
            if credential_id is not None and row.credential_id == credential_id:
                similarity = 100.0
            elif candidate.title and row.credential_title:
                similarity = float(
                    fuzz.token_set_ratio(
                        candidate.title.casefold(), row.credential_title.casefold()
                    )
                )
            else:
                continue
            if similarity < 80 or (
                candidate.eqf_level is not None
                and row.credential_eqf is not None
                and row.credential_eqf != candidate.eqf_level
            ):
                continue
            reviews = repo.reviews(row.id)
            effective = reviews[-1].outcome if reviews else row.outcome
            found.append(
                {
                    "id": row.id,
                    "created_at": row.created_at,
                    "credential_title": row.credential_title,
                    "purpose": row.purpose,
                    "outcome": effective,
                    "reviewed": bool(reviews),
                    "similarity": round(similarity, 1),
                    "disagrees": row.purpose == rec.purpose.value
                    and effective != rec.outcome.value,
                }
            )
            if len(found) >= 5:
                break
        return found

    def get(self, session: Session, record_id: str) -> dict[str, Any]:
        repo = RecognitionRepository(session)
        row = repo.get(record_id)
        return record_json(row, repo.reviews(record_id))

    def check_reviewer(self, session: Session, record_id: str, reviewer_id: str) -> None:
        """The four-eyes rule, before anything else about a review is looked at."""
        created_by = RecognitionRepository(session).get(record_id).created_by
        check_four_eyes(reviewer_id, created_by, record_id)

    def review(self, session: Session, record_id: str, cmd: ReviewCommand) -> dict[str, Any]:
        repo = RecognitionRepository(session)
        row = repo.get(record_id)
        if cmd.reviewer_id is not None:
            check_four_eyes(cmd.reviewer_id, row.created_by, record_id)
        if cmd.action not in ("confirm", "amend"):
            raise InvalidInput("/action", "action is confirm or amend")
        if cmd.action == "amend" and cmd.outcome is None:
            raise InvalidInput("/outcome", "an amendment states the outcome it decides")
        reviews = repo.reviews(record_id)
        current = reviews[-1].outcome if reviews else row.outcome
        outcome = cmd.outcome.value if cmd.outcome else current
        if cmd.action == "confirm" and cmd.outcome is not None and cmd.outcome.value != current:
            raise InvalidInput(
                "/outcome",
                f"confirming keeps the outcome {current!r}; use action 'amend' to change it",
            )
        repo.add_review(
            record_id,
            action=cmd.action,
            outcome=outcome,
            reviewer=cmd.reviewer,
            reason=cmd.reason,
            payload={"conditions": list(cmd.conditions), "note": cmd.note},
        )
        return record_json(row, repo.reviews(record_id))

    def verify(self, session: Session, record_id: str) -> dict[str, Any]:
        repo = RecognitionRepository(session)
        row = repo.get(record_id)
        check = repo.verify(record_id)
        return {
            "id": row.id,
            "valid": check.valid,
            "checked_links": check.checked,
            "problems": list(check.problems),
            "record_hash": row.record_hash,
            "prev_hash": row.prev_hash,
            "algorithm": "sha256(prev_hash + '\\n' + canonical_json(content))",
        }

    def list(
        self, session: Session, *, limit: int, offset: int, **filters: str | None
    ) -> tuple[list[dict[str, Any]], int]:
        repo = RecognitionRepository(session)
        rows, total = repo.list(limit=limit, offset=offset, **filters)
        items = []
        for r in rows:
            reviews = repo.reviews(r.id)
            items.append(
                {
                    "id": r.id,
                    "seq": r.seq,
                    "created_at": r.created_at,
                    "purpose": r.purpose,
                    "outcome": r.outcome,
                    "current_outcome": reviews[-1].outcome if reviews else r.outcome,
                    "status": "reviewed" if reviews else "pending_review",
                    "confidence": r.confidence,
                    "target_framework": r.target_framework,
                    "qualification_id": r.qualification_id,
                    "credential_id": r.credential_id,
                    "credential_title": r.credential_title,
                    "record_hash": r.record_hash,
                }
            )
        return items, total
