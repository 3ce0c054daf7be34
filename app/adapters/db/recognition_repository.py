"""Recognition records and reviews: append, read, list, verify. There is no update or delete.

Appending takes the next sequence number and the previous record's hash; two writers racing
for the same number collide on the unique constraint, and the loser retries on a fresh head.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from app.adapters.db.models_recognition import RecognitionRecordRow, RecognitionReviewRow
from app.core.errors import Conflict, NotFound
from app.core.records import GENESIS, ChainCheck, Link, link_hash, verify_chain


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class NewRecord:
    input_hash: str
    data_release: str
    model_id: str | None
    policy_version: str
    purpose: str
    outcome: str
    target_framework: str
    qualification_id: str | None
    credential_id: str | None
    credential_title: str | None
    credential_eqf: int | None
    confidence: float
    payload: dict[str, Any]


def _hashed_content(row: RecognitionRecordRow) -> dict[str, Any]:
    """Everything of a record that its hash protects (columns and payload)."""
    return {
        "id": row.id,
        "seq": row.seq,
        "created_at": row.created_at,
        "input_hash": row.input_hash,
        "data_release": row.data_release,
        "model_id": row.model_id,
        "policy_version": row.policy_version,
        "purpose": row.purpose,
        "outcome": row.outcome,
        "target_framework": row.target_framework,
        "qualification_id": row.qualification_id,
        "credential_id": row.credential_id,
        "credential_title": row.credential_title,
        "credential_eqf": row.credential_eqf,
        "confidence": row.confidence,
        "payload": row.payload,
    }


def _review_content(row: RecognitionReviewRow) -> dict[str, Any]:
    return {
        "record_id": row.record_id,
        "seq": row.seq,
        "created_at": row.created_at,
        "action": row.action,
        "outcome": row.outcome,
        "reviewer": row.reviewer,
        "reason": row.reason,
        "payload": row.payload,
    }


class RecognitionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, new: NewRecord, *, attempts: int = 5) -> RecognitionRecordRow:
        """Store a new record at the head of the chain."""
        for _ in range(attempts):
            head = self.session.scalar(
                select(RecognitionRecordRow).order_by(RecognitionRecordRow.seq.desc()).limit(1)
            )
            row = RecognitionRecordRow(
                id=str(uuid.uuid4()),
                seq=(head.seq + 1) if head else 1,
                created_at=_now(),
                input_hash=new.input_hash,
                data_release=new.data_release,
                model_id=new.model_id,
                policy_version=new.policy_version,
                purpose=new.purpose,
                outcome=new.outcome,
                target_framework=new.target_framework,
                qualification_id=new.qualification_id,
                credential_id=new.credential_id,
                credential_title=new.credential_title,
                credential_eqf=new.credential_eqf,
                confidence=new.confidence,
                payload=new.payload,
                prev_hash=head.record_hash if head else GENESIS,
                record_hash="",
            )
            row.record_hash = link_hash(row.prev_hash, _hashed_content(row))
            try:
                with self.session.begin_nested():
                    self.session.add(row)
                    self.session.flush()
                return row
            except IntegrityError:
                continue  # another writer took this sequence number: retry on the new head
        raise Conflict("could not append the record: the chain head kept moving; retry")

    def get(self, record_id: str) -> RecognitionRecordRow:
        row = self.session.get(RecognitionRecordRow, record_id)
        if row is None:
            raise NotFound(f"No recognition record {record_id!r}.")
        return row

    def reviews(self, record_id: str) -> list[RecognitionReviewRow]:
        return list(
            self.session.scalars(
                select(RecognitionReviewRow)
                .where(RecognitionReviewRow.record_id == record_id)
                .order_by(RecognitionReviewRow.seq)
            )
        )

    def add_review(
        self,
        record_id: str,
        *,
        action: str,
        outcome: str,
        reviewer: str,
        reason: str,
        payload: dict[str, Any],
    ) -> RecognitionReviewRow:
        record = self.get(record_id)
        previous = self.reviews(record_id)
        last = previous[-1] if previous else None
        row = RecognitionReviewRow(
            record_id=record_id,
            seq=(last.seq + 1) if last else 1,
            created_at=_now(),
            action=action,
            outcome=outcome,
            reviewer=reviewer,
            reason=reason,
            payload=payload,
            prev_hash=last.review_hash if last else record.record_hash,
            review_hash="",
        )
        row.review_hash = link_hash(row.prev_hash, _review_content(row))
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as exc:
            raise Conflict("another review was added at the same time; reload and retry") from exc
        return row

    def list(
        self,
        *,
        purpose: str | None = None,
        outcome: str | None = None,
        target_framework: str | None = None,
        qualification_id: str | None = None,
        credential_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[RecognitionRecordRow], int]:
        query = select(RecognitionRecordRow)
        for column, value in (
            (RecognitionRecordRow.purpose, purpose),
            (RecognitionRecordRow.outcome, outcome),
            (RecognitionRecordRow.target_framework, target_framework),
            (RecognitionRecordRow.qualification_id, qualification_id),
            (RecognitionRecordRow.credential_id, credential_id),
        ):
            if value is not None:
                query = query.where(column == value)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(RecognitionRecordRow.seq.desc()).limit(limit).offset(offset)
        )
        return list(rows), total

    def candidates_for_precedent(
        self, *, target_framework: str, qualification_id: str | None, limit: int = 200
    ) -> Sequence[RecognitionRecordRow]:
        """Earlier records for the same target (qualification when given, else framework).

        Without their payload: precedents read the indexed columns only, and parsing the JSON
        of 200 full records cost more than the rest of a recognition once a target had history.
        """
        query = (
            select(RecognitionRecordRow)
            .options(defer(RecognitionRecordRow.payload))
            .where(RecognitionRecordRow.target_framework == target_framework)
        )
        if qualification_id is not None:
            query = query.where(RecognitionRecordRow.qualification_id == qualification_id)
        return list(
            self.session.scalars(query.order_by(RecognitionRecordRow.seq.desc()).limit(limit))
        )

    def verify(self, record_id: str) -> ChainCheck:
        """Check the record, its link to the record before it, and the chain of its reviews."""
        record = self.get(record_id)
        previous = self.session.scalar(
            select(RecognitionRecordRow).where(RecognitionRecordRow.seq == record.seq - 1)
        )
        problems: list[str] = []
        expected = previous.record_hash if previous else GENESIS
        if record.seq > 1 and previous is None:
            problems.append(f"record {record.seq - 1} before this one is missing")
        record_check = verify_chain(
            [
                Link(
                    f"record {record.seq}",
                    record.prev_hash,
                    record.record_hash,
                    _hashed_content(record),
                )
            ],
            start=expected,
        )
        following = self.session.scalar(
            select(RecognitionRecordRow).where(RecognitionRecordRow.seq == record.seq + 1)
        )
        if following is not None and following.prev_hash != record.record_hash:
            problems.append(f"record {following.seq} does not point at this record's hash")
        review_check = verify_chain(
            [
                Link(f"review {r.seq}", r.prev_hash, r.review_hash, _review_content(r))
                for r in self.reviews(record_id)
            ],
            start=record.record_hash,
        )
        problems.extend(record_check.problems)
        problems.extend(review_check.problems)
        return ChainCheck(
            not problems, record_check.checked + review_check.checked, tuple(problems)
        )

    def verify_all(self) -> ChainCheck:
        """Walk the whole record chain from the first record."""
        rows = self.session.scalars(
            select(RecognitionRecordRow).order_by(RecognitionRecordRow.seq)
        ).all()
        links = [
            Link(f"record {r.seq}", r.prev_hash, r.record_hash, _hashed_content(r)) for r in rows
        ]
        check = verify_chain(links)
        gaps = [
            f"record {b.seq}: sequence gap after {a.seq}"
            for a, b in itertools.pairwise(rows)
            if b.seq != a.seq + 1
        ]
        return ChainCheck(check.valid and not gaps, check.checked, check.problems + tuple(gaps))
