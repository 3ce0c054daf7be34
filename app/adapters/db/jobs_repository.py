"""Every query on ``job`` and ``job_item``: create (idempotent), claim with a lease, record
progress, finish.

Claiming is the only contended operation. A job can be claimed when it is ``queued``, or
``running`` with an expired lease (its worker died or stalled):

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks a job no other transaction is claiming,
  then it is updated in the same transaction;
* SQLite (no row locks; writers are serialised by the database lock): a conditional ``UPDATE …
  WHERE id = ? AND (status = 'queued' OR lease expired)``; the worker whose update touched the
  row has it.

Every later write of the worker is conditional on still holding the lease
(``lease_owner = me``), in the same transaction as the items it records, so a worker that lost
its lease cannot record anything, and an item already done is never counted twice
(``UPDATE job_item … WHERE status = 'queued'``). The repository flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from app.adapters.db.models_jobs import JobItemRow, JobRow
from app.adapters.db.tenancy import organisation_of

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Times come back naive from SQLite (stored in UTC): make them aware again."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    seq: int
    result: dict[str, Any] | None = None
    error: str | None = None


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


class JobRepository:
    """Jobs of one organisation for callers (``find``, ``create``, ``get``, ``list``: the
    organisation given, else the session's — see ``tenancy``), and the worker's operations by
    job id (claim, lease, record, finish), which serve every organisation's queue."""

    def __init__(self, session: Session, organisation: str | None = None) -> None:
        self.session = session
        self._organisation = organisation

    @property
    def organisation(self) -> str:
        return organisation_of(self.session, self._organisation)

    # --- creating ----------------------------------------------------------------------------

    def find(self, kind: str, target: str, content_hash: str) -> JobRow | None:
        return self.session.scalar(
            select(JobRow).where(
                JobRow.organisation_id == self.organisation,
                JobRow.kind == kind,
                JobRow.target == target,
                JobRow.content_hash == content_hash,
            )
        )

    def create(
        self,
        *,
        kind: str,
        target: str,
        content_hash: str,
        params: dict[str, Any],
        inputs: Sequence[dict[str, Any]],
        now: dt.datetime,
    ) -> tuple[JobRow, bool]:
        """A new queued job with one item per input, or the job already holding this content
        (``created`` False). A concurrent submission of the same content loses on the unique
        constraint and gets the winner's job (PostgreSQL: inside a savepoint; SQLite serialises
        writers, and a pysqlite savepoint is not usable here, so the loser's transaction is
        rolled back and the winner read afresh)."""
        existing = self.find(kind, target, content_hash)
        if existing is not None:
            return existing, False
        job = JobRow(
            id=str(uuid.uuid4()),
            organisation_id=self.organisation,
            kind=kind,
            target=target,
            content_hash=content_hash,
            status=QUEUED,
            total=len(inputs),
            done=0,
            failed=0,
            params=params,
            result=None,
            error=None,
            attempts=0,
            lease_owner=None,
            lease_expires_at=None,
            created_at=now,
            updated_at=now,
        )
        try:
            if self.session.get_bind().dialect.name == "sqlite":
                self.session.add(job)
                self.session.flush()
            else:
                with self.session.begin_nested():
                    self.session.add(job)
                    self.session.flush()
        except IntegrityError:
            if self.session.get_bind().dialect.name == "sqlite":
                self.session.rollback()
            winner = self.find(kind, target, content_hash)
            if winner is None:  # pragma: no cover - the constraint names this very key
                raise
            return winner, False
        self.session.add_all(
            JobItemRow(job_id=job.id, seq=seq, input=data, status=QUEUED, result=None, error=None)
            for seq, data in enumerate(inputs)
        )
        self.session.flush()
        return job, True

    # --- reading -----------------------------------------------------------------------------

    def get(self, job_id: str) -> JobRow | None:
        """The organisation's job; another organisation's is answered like a missing one."""
        organisation = self.organisation  # first: no organisation is an error, even for a miss
        row = self.session.get(JobRow, job_id)
        return row if row is not None and row.organisation_id == organisation else None

    def items(
        self, job_id: str, *, status: str | None = None, offset: int = 0, limit: int | None = None
    ) -> list[JobItemRow]:
        stmt = select(JobItemRow).where(JobItemRow.job_id == job_id)
        if status is not None:
            stmt = stmt.where(JobItemRow.status == status)
        stmt = stmt.order_by(JobItemRow.seq).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(self.session.scalars(stmt))

    def pending(self, job_id: str, limit: int) -> list[JobItemRow]:
        """The next items not yet processed, in order."""
        return self.items(job_id, status=QUEUED, limit=limit)

    def count(self, job_id: str, status: str) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(JobItemRow)
                .where(JobItemRow.job_id == job_id, JobItemRow.status == status)
            )
            or 0
        )

    def list(self, *, kind: str | None = None, limit: int = 50, offset: int = 0) -> list[JobRow]:
        stmt = select(JobRow).where(JobRow.organisation_id == self.organisation)
        if kind is not None:
            stmt = stmt.where(JobRow.kind == kind)
        stmt = stmt.order_by(JobRow.created_at.desc(), JobRow.id).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    # --- claiming and the lease --------------------------------------------------------------

    def _claimable(self, now: dt.datetime) -> Any:
        return or_(
            JobRow.status == QUEUED,
            and_(JobRow.status == RUNNING, JobRow.lease_expires_at < now),
        )

    def claim(
        self,
        *,
        owner: str,
        kinds: Sequence[str],
        now: dt.datetime,
        lease: dt.timedelta,
        job_id: str | None = None,
    ) -> JobRow | None:
        """Take the oldest claimable job of ``kinds`` (or job ``job_id``, if it is claimable)
        for ``owner`` until ``now + lease``."""
        # Fair between organisations: the job of the organisation served least recently first
        # (never served: first of all), then the oldest. An organisation is "served" when one
        # of its jobs last moved (claimed, a chunk recorded, given back, finished).
        served = aliased(JobRow)
        last_served = (
            select(func.max(served.updated_at))
            .where(served.organisation_id == JobRow.organisation_id, served.started_at.is_not(None))
            .correlate(JobRow)
            .scalar_subquery()
        )
        candidates = (
            select(JobRow.id)
            .where(JobRow.kind.in_(list(kinds)), self._claimable(now))
            .order_by(last_served.is_(None).desc(), last_served, JobRow.created_at, JobRow.id)
        )
        if job_id is not None:
            candidates = candidates.where(JobRow.id == job_id)
        if self.session.get_bind().dialect.name == "postgresql":
            ids = list(self.session.scalars(candidates.limit(1).with_for_update(skip_locked=True)))
        else:
            ids = list(self.session.scalars(candidates.limit(5)))
        for job_id in ids:
            result = self.session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, self._claimable(now))
                .values(
                    status=RUNNING,
                    lease_owner=owner,
                    lease_expires_at=now + lease,
                    attempts=JobRow.attempts + 1,
                    started_at=func.coalesce(JobRow.started_at, now),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) == 1:
                job = self.session.get(JobRow, job_id, populate_existing=True)
                assert job is not None
                return job
        return None

    def waiting_elsewhere(
        self, organisation: str, *, kinds: Sequence[str], now: dt.datetime
    ) -> bool:
        """Whether another organisation has a claimable job of ``kinds`` (fair scheduling)."""
        waiting = (
            select(JobRow.id)
            .where(
                JobRow.kind.in_(list(kinds)),
                JobRow.organisation_id != organisation,
                self._claimable(now),
            )
            .limit(1)
        )
        return self.session.scalar(waiting) is not None

    def renew(self, job_id: str, *, owner: str, now: dt.datetime, lease: dt.timedelta) -> bool:
        """Extend the lease; False when ``owner`` no longer holds it (then stop working)."""
        result = self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == RUNNING)
            .values(lease_expires_at=now + lease, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    def record(
        self,
        job_id: str,
        outcomes: Sequence[ItemOutcome],
        *,
        owner: str,
        now: dt.datetime,
        lease: dt.timedelta,
    ) -> bool:
        """Store a chunk's results and renew the lease, only while ``owner`` holds it.

        Returns False (and writes nothing) when the lease was lost. Items already done (by a
        worker that held the lease before) are left as they are and not counted again.
        """
        if not self.renew(job_id, owner=owner, now=now, lease=lease):
            return False
        done = failed = 0
        for outcome in outcomes:
            status = FAILED if outcome.error is not None else DONE
            result = self.session.execute(
                update(JobItemRow)
                .where(
                    JobItemRow.job_id == job_id,
                    JobItemRow.seq == outcome.seq,
                    JobItemRow.status == QUEUED,
                )
                .values(status=status, result=outcome.result, error=outcome.error)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) == 1:
                if status == DONE:
                    done += 1
                else:
                    failed += 1
        if done or failed:
            self.session.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(done=JobRow.done + done, failed=JobRow.failed + failed)
                .execution_options(synchronize_session=False)
            )
        return True

    def finish(
        self,
        job_id: str,
        *,
        owner: str,
        now: dt.datetime,
        status: str,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """Mark the job done or failed and drop the lease (only by its holder)."""
        outcome = self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == RUNNING)
            .values(
                status=status,
                result=result,
                error=error,
                lease_owner=None,
                lease_expires_at=None,
                finished_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(outcome) == 1

    def release(self, job_id: str, *, owner: str, now: dt.datetime) -> bool:
        """Give the job back (a worker shutting down): claimable at once, progress kept."""
        outcome = self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == RUNNING)
            .values(status=QUEUED, lease_owner=None, lease_expires_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(outcome) == 1
