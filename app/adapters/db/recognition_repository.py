"""Recognition records and reviews: append, read, list, verify. There is no update or delete.

Appending serialises on the chain (:meth:`RecognitionRepository.lock_chain`: an advisory
transaction lock on PostgreSQL, the database write lock on SQLite) before it reads the head, so
concurrent writers queue for a few milliseconds instead of colliding on the sequence number; the
lock ends with the request's transaction, which commits before the response is sent. Reviews
take the same lock and name the version they review, so of two concurrent reviews one wins and
the other is told the record moved on.

The learner a record is about is not in the hashed content: ``recognition_subject`` keeps the
identity and a salt, the record keeps only their commitment (see ``app/core/records.py``), and
erasure empties the subject row while the chain still verifies.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, defer

from app.adapters.db.models_credentials import CredentialRow
from app.adapters.db.models_recognition import (
    RecognitionRecordRow,
    RecognitionReviewRow,
    RecognitionSubjectRow,
)
from app.adapters.db.tenancy import organisation_of
from app.core.errors import NotFound
from app.core.identity import DEFAULT_ORGANISATION
from app.core.records import (
    GENESIS,
    ChainCheck,
    ChainState,
    Link,
    StaleVersion,
    link_hash,
    reviews_digest,
    subject_commitment,
    verify_chain,
)

#: pg_advisory_xact_lock key of the record chain (any constant; "PASSEREL" in ASCII).
CHAIN_LOCK_KEY = 0x5041535345524543
#: How long an append waits for the SQLite write lock before failing.
SQLITE_APPEND_WAIT_MS = 30_000


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
    # The learner (id, name, identifiers): stored apart, committed to. None: read from the
    # stored credential, the one place the learner is kept on import.
    subject: dict[str, Any] | None = None
    # The principal who asked for the recommendation (the four-eyes rule compares reviewers
    # with it); None only for records made outside an authenticated request.
    created_by: str | None = None


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
        # only when set: records written before migration 0009 keep their hashes
        **(
            {"subject_commitment": row.subject_commitment}
            if row.subject_commitment is not None
            else {}
        ),
        # who asked and for which organisation (0010_identity), so that moving a record to
        # another organisation or changing its creator (the four-eyes rule) breaks the hash;
        # only when they differ from what records before 0010 have, which keep their hashes
        **({"created_by": row.created_by} if row.created_by is not None else {}),
        **(
            {"organisation_id": row.organisation_id}
            if row.organisation_id != DEFAULT_ORGANISATION
            else {}
        ),
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


def _names(learner: Any, identifier: str) -> bool:
    """Whether a stored learner (id, identifiers) is the one ``identifier`` names."""
    if not isinstance(learner, dict):
        return False
    values = {learner.get("id")} | {
        i.get("value") for i in learner.get("identifiers") or [] if isinstance(i, dict)
    }
    return identifier in values


class RecognitionRepository:
    """Records of one organisation (``get``, ``list``, precedents, reviews: the organisation
    given, else the session's — see ``tenancy``); the hash chain itself is one for the whole
    database, so chain-wide checks (``verify_all``, checkpoints) are not per organisation."""

    def __init__(self, session: Session, organisation: str | None = None) -> None:
        self.session = session
        self._organisation = organisation

    @property
    def organisation(self) -> str:
        return organisation_of(self.session, self._organisation)

    def lock_chain(self) -> None:
        """Hold the chain's append lock until this transaction ends.

        PostgreSQL: a transaction-level advisory lock (nothing written, released at commit or
        rollback). SQLite: the database write lock — ``BEGIN IMMEDIATE`` when no transaction is
        open yet; once this session has written, it already holds that lock until commit.
        """
        bind = self.session.get_bind()
        if bind.dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY}
            )
        elif bind.dialect.name == "sqlite":
            raw = self.session.connection().connection.driver_connection
            if raw is not None and not raw.in_transaction:
                # Wait for the writer ahead up to 30 s (the driver's default is 5 s, which a
                # burst of concurrent appends on a busy machine came within 2 s of).
                raw.execute(f"PRAGMA busy_timeout = {SQLITE_APPEND_WAIT_MS}")
                raw.execute("BEGIN IMMEDIATE")

    def _subject_of(self, new: NewRecord) -> dict[str, Any] | None:
        if new.subject is not None:
            return new.subject
        if new.credential_id is None:
            return None
        credential = self.session.get(CredentialRow, new.credential_id)
        learner = credential.credential.get("learner") if credential is not None else None
        return learner if isinstance(learner, dict) and any(learner.values()) else None

    def append(self, new: NewRecord) -> RecognitionRecordRow:
        """Store a new record at the head of the chain (and its learner, apart).

        No retry loop: under :meth:`lock_chain` nobody else moves the head, so a constraint
        error here is a real error (it used to be retried and reported as a moving head).
        """
        subject = self._subject_of(new)
        salt = secrets.token_hex(32) if subject is not None else None
        self.lock_chain()
        head = self.session.scalar(
            select(RecognitionRecordRow).order_by(RecognitionRecordRow.seq.desc()).limit(1)
        )
        row = RecognitionRecordRow(
            id=str(uuid.uuid4()),
            organisation_id=self.organisation,
            created_by=new.created_by,
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
            subject_commitment=subject_commitment(bytes.fromhex(salt), subject)
            if salt is not None
            else None,
        )
        row.record_hash = link_hash(row.prev_hash, _hashed_content(row))
        self.session.add(row)
        self.session.flush()
        if subject is not None:
            self.session.add(
                RecognitionSubjectRow(
                    record_id=row.id,
                    credential_id=new.credential_id,
                    salt=salt,
                    subject=subject,
                    created_at=row.created_at,
                )
            )
            self.session.flush()
        return row

    def get(self, record_id: str) -> RecognitionRecordRow:
        organisation = self.organisation  # first: no organisation is an error, even for a miss
        row = self.session.get(RecognitionRecordRow, record_id)
        # another organisation's record is answered exactly like a missing one
        if row is None or row.organisation_id != organisation:
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

    def current_version(self, record_id: str) -> str:
        """The record's version: the hash of its newest link (last review, else the record).

        The API shows it as the record's ETag; a review names it (``If-Match`` / ``based_on``).
        """
        record = self.get(record_id)
        last = self.session.scalar(
            select(RecognitionReviewRow.review_hash)
            .where(RecognitionReviewRow.record_id == record_id)
            .order_by(RecognitionReviewRow.seq.desc())
            .limit(1)
        )
        return last or record.record_hash

    def add_review(
        self,
        record_id: str,
        *,
        action: str,
        outcome: str,
        reviewer: str,
        reason: str,
        payload: dict[str, Any],
        based_on: str | None = None,
    ) -> RecognitionReviewRow:
        """Append a review. With ``based_on`` (a version from :meth:`current_version`), refuse
        with :class:`StaleVersion` when the record has moved on since: checked under the chain
        lock, so of two concurrent reviews of one version exactly one is stored."""
        record = self.get(record_id)
        self.lock_chain()
        previous = self.reviews(record_id)
        last = previous[-1] if previous else None
        current = last.review_hash if last else record.record_hash
        if based_on is not None and based_on != current:
            raise StaleVersion(record_id, based_on, current)
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
        self.session.add(row)
        self.session.flush()
        return row

    # --- checkpoints ---------------------------------------------------------------------

    def chain_state(self, *, reviews_max_id: int | None = None) -> ChainState:
        """The head of the chain and the digest of the reviews (up to ``reviews_max_id``, or all
        of them). Taken under the chain lock when signing, so no append is half-way."""
        head = self.session.execute(
            select(RecognitionRecordRow.seq, RecognitionRecordRow.record_hash)
            .order_by(RecognitionRecordRow.seq.desc())
            .limit(1)
        ).first()
        records = self.session.scalar(select(func.count(RecognitionRecordRow.id))) or 0
        query = select(RecognitionReviewRow.id, RecognitionReviewRow.review_hash).order_by(
            RecognitionReviewRow.id
        )
        if reviews_max_id is not None:
            query = query.where(RecognitionReviewRow.id <= reviews_max_id)
        reviews = self.session.execute(query).all()
        return ChainState(
            records=records,
            head_seq=head.seq if head else 0,
            head_hash=head.record_hash if head else GENESIS,
            reviews=len(reviews),
            reviews_max_id=reviews[-1].id if reviews else (reviews_max_id or 0),
            reviews_digest=reviews_digest([r.review_hash for r in reviews]),
        )

    def record_hash_at(self, seq: int) -> str | None:
        if seq == 0:
            return GENESIS
        return self.session.scalar(
            select(RecognitionRecordRow.record_hash).where(RecognitionRecordRow.seq == seq)
        )

    def links_between(self, first_seq: int, last_seq: int) -> list[Link]:
        """The records from ``first_seq`` to ``last_seq`` as chain links, in order."""
        rows = self.session.scalars(
            select(RecognitionRecordRow)
            .where(RecognitionRecordRow.seq.between(first_seq, last_seq))
            .order_by(RecognitionRecordRow.seq)
        )
        return [
            Link(f"record {r.seq}", r.prev_hash, r.record_hash, _hashed_content(r)) for r in rows
        ]

    def record_hashes_at(self, seqs: Sequence[int]) -> dict[int, str]:
        """Stored hashes of the records at these sequence numbers (0: the genesis)."""
        found = {0: GENESIS} if 0 in seqs else {}
        wanted = sorted({s for s in seqs if s > 0})
        for start in range(0, len(wanted), 1000):  # bounded IN lists
            rows = self.session.execute(
                select(RecognitionRecordRow.seq, RecognitionRecordRow.record_hash).where(
                    RecognitionRecordRow.seq.in_(wanted[start : start + 1000])
                )
            )
            found.update({row.seq: row.record_hash for row in rows})
        return found

    def review_hashes(self) -> list[tuple[int, str]]:
        """Every review as ``(id, review_hash)``, in id order (chain-wide)."""
        rows = self.session.execute(
            select(RecognitionReviewRow.id, RecognitionReviewRow.review_hash).order_by(
                RecognitionReviewRow.id
            )
        )
        return [(row.id, row.review_hash) for row in rows]

    def head_seq(self) -> int:
        return self.session.scalar(select(func.max(RecognitionRecordRow.seq))) or 0

    # --- personal data -------------------------------------------------------------------

    def record_exists(self, record_id: str, *, everywhere: bool = False) -> bool:
        """Whether this organisation's part of the chain holds the record (``everywhere``: any
        organisation's — the operator's command line)."""
        row = self.session.get(RecognitionRecordRow, record_id)
        if row is None:
            return False
        return everywhere or row.organisation_id == self.organisation

    def subject(self, record_id: str) -> RecognitionSubjectRow | None:
        return self.session.get(RecognitionSubjectRow, record_id)

    def subjects_of_learner(
        self, identifier: str, *, everywhere: bool = False
    ) -> list[RecognitionSubjectRow]:
        """Subject rows of this organisation's records (``everywhere``: of every organisation)
        whose learner has this id or identifier value (erasure is rare: a scan of the rows not
        yet erased, rather than an index of identifiers in clear)."""
        query = select(RecognitionSubjectRow).where(RecognitionSubjectRow.erased_at.is_(None))
        if not everywhere:
            query = query.join(
                RecognitionRecordRow, RecognitionRecordRow.id == RecognitionSubjectRow.record_id
            ).where(RecognitionRecordRow.organisation_id == self.organisation)
        return [row for row in self.session.scalars(query) if _names(row.subject, identifier)]

    def credentials_of_learner(
        self, identifier: str, *, everywhere: bool = False
    ) -> list[CredentialRow]:
        """Stored credentials of this organisation (``everywhere``: of every organisation) whose
        learner has this id or identifier value — including those no record points at (a scan:
        erasure is rare)."""
        query = select(CredentialRow)
        if not everywhere:
            query = query.where(CredentialRow.organisation_id == self.organisation)
        rows = self.session.scalars(query)
        return [row for row in rows if _names(row.credential.get("learner"), identifier)]

    def erase_credentials(self, credentials: Sequence[CredentialRow]) -> int:
        """Remove the learner and the document as received from stored credentials."""
        for credential in credentials:
            credential.credential = {**credential.credential, "learner": None}
            credential.original = None
            credential.original_text = None
        self.session.flush()
        return len(credentials)

    def subjects_created_before(self, cutoff: str) -> list[RecognitionSubjectRow]:
        return list(
            self.session.scalars(
                select(RecognitionSubjectRow).where(
                    RecognitionSubjectRow.erased_at.is_(None),
                    RecognitionSubjectRow.created_at < cutoff,
                )
            )
        )

    def erase(self, subjects: Sequence[RecognitionSubjectRow], *, reason: str) -> list[str]:
        """Crypto-shred the learner of each record: identity and salt gone, a tombstone kept;
        the learner and the document as received are also removed from the stored credential.
        The records themselves are untouched, so they still verify. Returns the record ids."""
        now = _now()
        for row in subjects:
            row.subject = None
            row.salt = None
            row.erased_at = now
            row.erasure_reason = reason
            if row.credential_id is not None:
                credential = self.session.get(CredentialRow, row.credential_id)
                if credential is not None:
                    self.erase_credentials([credential])
        self.session.flush()
        return [row.record_id for row in subjects]

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
        query = select(RecognitionRecordRow).where(
            RecognitionRecordRow.organisation_id == self.organisation
        )
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
            .where(
                RecognitionRecordRow.organisation_id == self.organisation,
                RecognitionRecordRow.target_framework == target_framework,
            )
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
