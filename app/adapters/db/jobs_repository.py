"""Every query on ``job`` and ``job_item``: create (idempotent), what is left to do per
organisation and lane, record a chunk's results once, finish, cancel, list.

No query here claims or leases anything: who runs what is the task engine's business
(Procrastinate's locks on PostgreSQL, one thread on SQLite; ``app/services/jobs.py``). What this
module guarantees is that the *recorded* state is right whatever the engine does — if a chunk is
run twice (a worker killed after computing it, a CLI run beside a worker), its items are recorded
and counted once:

* an item's results are written by ``UPDATE job_item … WHERE status = 'queued'``, and only the
  rows that update touched are added to the job's counters, in the same transaction;
* results are written only while the job is active (``queued`` or ``running``): a cancelled,
  failed or finished job takes nothing more;
* a job is finished by ``UPDATE job … WHERE status IN ('queued', 'running')``: one winner.

Chunk ``c`` of a job holds the items with ``seq // chunk_size == c``; it belongs to lane
``c % lanes``. The repository flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters.db.models_jobs import JobItemRow, JobRow
from app.adapters.db.tenancy import organisation_of

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
ACTIVE = (QUEUED, RUNNING)
STATUSES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
DEFAULT_CHUNK_SIZE = 25
DEFAULT_LANES = 2


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


@dataclass(frozen=True, slots=True)
class Chunk:
    """What a lane does next: ``items`` of ``job`` (empty: every item is recorded, the job only
    needs finishing)."""

    job: JobRow
    number: int
    items: list[JobItemRow]


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def _lane_of(seq: Any) -> Any:
    """The lane of an item, in SQL (integer division and modulo agree on SQLite and PostgreSQL
    for the non-negative integers stored here)."""
    return (seq // JobRow.chunk_size) % JobRow.lanes


class JobRepository:
    """Jobs of one organisation (the one given, else the session's — see ``tenancy``) for
    callers and workers alike; ``organisations_with_work`` alone looks across organisations
    (a worker's sweep) and returns only their ids."""

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
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        lanes: int = DEFAULT_LANES,
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
            chunk_size=max(1, chunk_size),
            lanes=max(1, lanes),
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
        row = self.session.get(JobRow, job_id, populate_existing=True)
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

    def count(self, job_id: str, status: str) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(JobItemRow)
                .where(JobItemRow.job_id == job_id, JobItemRow.status == status)
            )
            or 0
        )

    # --- what is left to do --------------------------------------------------------------------

    def _active(self, kinds: Sequence[str]) -> Any:
        return and_(
            JobRow.organisation_id == self.organisation,
            JobRow.status.in_(ACTIVE),
            JobRow.kind.in_(list(kinds)),
        )

    def next_chunk(
        self, lane: int, kinds: Sequence[str], job_id: str | None = None
    ) -> Chunk | None:
        """The lane's next chunk: the oldest active job of the organisation with queued items in
        this lane, and those items of its first such chunk; or an active job with nothing left
        queued at all (it needs finishing; lane 0's work). None: the lane has nothing to do."""
        first = self.session.execute(
            select(JobItemRow.job_id, JobItemRow.seq)
            .join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(
                self._active(kinds),
                *([JobRow.id == job_id] if job_id is not None else []),
                JobItemRow.status == QUEUED,
                _lane_of(JobItemRow.seq) == lane,
            )
            .order_by(JobRow.created_at, JobRow.id, JobItemRow.seq)
            .limit(1)
        ).first()
        if first is not None:
            job = self.session.get(JobRow, first.job_id, populate_existing=True)
            assert job is not None
            number = first.seq // job.chunk_size
            items = list(
                self.session.scalars(
                    select(JobItemRow)
                    .where(
                        JobItemRow.job_id == job.id,
                        JobItemRow.status == QUEUED,
                        JobItemRow.seq >= number * job.chunk_size,
                        JobItemRow.seq < (number + 1) * job.chunk_size,
                    )
                    .order_by(JobItemRow.seq)
                )
            )
            return Chunk(job, number, items)
        if lane != 0:
            return None
        unfinished = self.session.scalar(
            select(JobRow)
            .where(
                self._active(kinds),
                *([JobRow.id == job_id] if job_id is not None else []),
                JobRow.done + JobRow.failed >= JobRow.total,
            )
            .order_by(JobRow.created_at, JobRow.id)
            .limit(1)
        )
        return Chunk(unfinished, -1, []) if unfinished is not None else None

    def lanes_with_work(self, kinds: Sequence[str]) -> list[int]:
        """The lanes of the organisation that have something to do (sorted)."""
        lanes = set(
            self.session.scalars(
                select(_lane_of(JobItemRow.seq))
                .select_from(JobItemRow)
                .join(JobRow, JobRow.id == JobItemRow.job_id)
                .where(self._active(kinds), JobItemRow.status == QUEUED)
                .distinct()
            )
        )
        if 0 not in lanes and self.session.scalar(
            select(JobRow.id)
            .where(self._active(kinds), JobRow.done + JobRow.failed >= JobRow.total)
            .limit(1)
        ):
            lanes.add(0)
        return sorted(int(lane) for lane in lanes)

    def organisations_with_work(self, kinds: Sequence[str]) -> list[str]:
        """Every organisation with an active job of ``kinds`` (a worker's sweep after a crash)."""
        return sorted(
            self.session.scalars(
                select(JobRow.organisation_id)
                .where(JobRow.status.in_(ACTIVE), JobRow.kind.in_(list(kinds)))
                .distinct()
            )
        )

    # --- recording ---------------------------------------------------------------------------

    def start(self, job_id: str, *, now: dt.datetime) -> None:
        """A queued job's first chunk is under way: ``running``, first attempt."""
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == QUEUED)
            .values(status=RUNNING, started_at=now, updated_at=now, attempts=1)
            .execution_options(synchronize_session=False)
        )

    def record(self, job_id: str, outcomes: Sequence[ItemOutcome], *, now: dt.datetime) -> bool:
        """Store a chunk's results, each item once, while the job is active. Returns False (and
        writes nothing) when the job is no longer active (cancelled, failed or finished)."""
        alive = self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(alive) != 1:
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
        now: dt.datetime,
        status: str,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """Mark an active job done or failed (one winner if two workers finish it at once)."""
        outcome = self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
            .values(status=status, result=result, error=error, finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(outcome) == 1

    def failed_attempt(self, job_id: str, *, now: dt.datetime) -> int:
        """Count a failed attempt (a transient error); returns the attempts so far."""
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
            .values(attempts=JobRow.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(self.session.scalar(select(JobRow.attempts).where(JobRow.id == job_id)) or 0)

    def shape(self, job_id: str, *, chunk_size: int, lanes: int) -> None:
        """Set how a job not yet started is cut into chunks and lanes."""
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == QUEUED, JobRow.done + JobRow.failed == 0)
            .values(chunk_size=max(1, chunk_size), lanes=max(1, lanes))
            .execution_options(synchronize_session=False)
        )

    def cancel(self, job_id: str, *, now: dt.datetime) -> bool:
        """Cancel the organisation's active job; False if it is not active (or not theirs)."""
        outcome = self.session.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.organisation_id == self.organisation,
                JobRow.status.in_(ACTIVE),
            )
            .values(status=CANCELLED, finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(outcome) == 1

    # --- listing (last: ``list`` would shadow the builtin in the annotations above) -------

    def list(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[JobRow]:
        """The organisation's jobs, newest first."""
        stmt = select(JobRow).where(JobRow.organisation_id == self.organisation)
        if kind is not None:
            stmt = stmt.where(JobRow.kind == kind)
        if status is not None:
            stmt = stmt.where(JobRow.status == status)
        stmt = stmt.order_by(JobRow.created_at.desc(), JobRow.id).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    def count_jobs(self, *, kind: str | None = None, status: str | None = None) -> int:
        stmt = (
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.organisation_id == self.organisation)
        )
        if kind is not None:
            stmt = stmt.where(JobRow.kind == kind)
        if status is not None:
            stmt = stmt.where(JobRow.status == status)
        return int(self.session.scalar(stmt) or 0)
