"""Batch jobs whose whole state is in the database, and the worker that runs them.

A job is submitted once (``submit``: idempotent on its content), then any worker process may
claim it. The worker:

1. claims a queued job, or a running one whose lease expired (its worker died);
2. lets the job's :class:`JobHandler` prepare (load the target, index it);
3. takes the next ``chunk_size`` items still ``queued``, processes them *outside* any
   transaction (the slow part), then in one short transaction records their results, adds them
   to the progress counters and renews its lease — only if it still holds the lease; once the
   job has had its time slice (``fair_slice``) and another organisation has a job waiting, it
   gives the job back (progress kept) and claims again: organisations take turns;
4. when no item is left, lets the handler combine the results and marks the job done.

So a restart loses at most the chunk in flight: the next worker claims the job when the lease
expires (at once, if the stopping worker released it) and continues with the items still queued;
items already done are never redone. A worker that lost its lease (it stalled past the expiry and
another took over) finds out at its next write and stops without writing anything.

The worker runs on one background thread per process (started by the API's lifespan, or by the
CLI for a local run). Inference inside a handler goes through the outcome engine's single
inference thread like every other model call.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db.jobs_repository import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    ItemOutcome,
    JobRepository,
    utc,
)
from app.adapters.db.models_jobs import JobItemRow, JobRow
from app.adapters.db.tenancy import bind_organisation
from app.core.errors import DomainError, NotFound

log = logging.getLogger(__name__)

__all__ = [
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "ItemOutcome",
    "JobHandler",
    "JobNotFound",
    "JobView",
    "JobWorker",
    "WorkItem",
    "job_json",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JobNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job has id {job_id!r}.")
        self.field = "id"


@dataclass(frozen=True, slots=True)
class JobView:
    """What a handler needs to know about its job."""

    id: str
    kind: str
    target: str
    params: Mapping[str, Any]
    total: int


@dataclass(frozen=True, slots=True)
class WorkItem:
    seq: int
    input: Mapping[str, Any]
    result: Mapping[str, Any] | None = None
    error: str | None = None
    status: str = QUEUED


class JobHandler(Protocol):
    """One kind of job: how to prepare, process a chunk, and combine the results."""

    @property
    def kind(self) -> str: ...

    def prepare(self, session: Session, job: JobView) -> Any:
        """Load what the items need (e.g. the target programme and its index)."""
        ...

    def process(self, context: Any, job: JobView, items: Sequence[WorkItem]) -> list[ItemOutcome]:
        """Results of a chunk of items; a bad item gets an ``error``, the others go on."""
        ...

    def finalize(
        self, session: Session, context: Any, job: JobView, items: Sequence[WorkItem]
    ) -> dict[str, Any]:
        """The job's combined result, from every item (done or failed)."""
        ...


def _view(row: JobRow) -> JobView:
    return JobView(row.id, row.kind, row.target, dict(row.params), row.total)


def _item(row: JobItemRow) -> WorkItem:
    return WorkItem(row.seq, row.input, row.result, row.error, row.status)


def job_json(row: JobRow) -> dict[str, Any]:
    """A job as ``GET /v1/jobs/{id}`` shows it."""
    finished = row.done + row.failed
    return {
        "id": row.id,
        "kind": row.kind,
        "target": row.target,
        "status": row.status,
        "progress": {
            "done": row.done,
            "failed": row.failed,
            "total": row.total,
            "percent": round(100.0 * finished / row.total, 1) if row.total else 100.0,
        },
        "attempts": row.attempts,
        "error": row.error,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
        "lease_expires_at": _iso(row.lease_expires_at) if row.status == RUNNING else None,
        "content_hash": row.content_hash,
        "params": row.params,
    }


def _iso(value: dt.datetime | None) -> str | None:
    aware = utc(value)
    return aware.isoformat(timespec="seconds") if aware is not None else None


def get_job(session: Session, job_id: str) -> JobRow:
    row = JobRepository(session).get(job_id[:64])
    if row is None:
        raise JobNotFound(job_id[:64])
    return row


def job_items(session: Session, job_id: str) -> list[WorkItem]:
    return [_item(r) for r in JobRepository(session).items(job_id)]


Progress = Callable[[str, int, int], None]  # job id, items finished, total


class JobWorker:
    """Claims jobs of the kinds it has handlers for and runs them, chunk by chunk.

    ``run_once`` is the whole algorithm for one job (tests and the CLI call it directly);
    ``start`` runs it in a loop on a daemon thread until ``stop``.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        handlers: Sequence[JobHandler],
        *,
        owner: str | None = None,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        chunk_size: int = 25,
        fair_slice: dt.timedelta = dt.timedelta(seconds=2),
        poll_interval: float = 1.0,
        max_attempts: int = 3,
        clock: Callable[[], dt.datetime] = utcnow,
        on_progress: Progress | None = None,
    ) -> None:
        self.factory = factory
        self.handlers = {h.kind: h for h in handlers}
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.chunk_size = max(1, chunk_size)
        # Fair scheduling between organisations: after ``fair_slice`` on one job, the worker
        # gives it back between two chunks if another organisation has a job waiting; the next
        # claim takes the organisation served least recently (JobRepository.claim).
        self.fair_slice = fair_slice
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.clock = clock
        self.on_progress = on_progress
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one job -------------------------------------------------------------------------

    def claim(self, job_id: str | None = None) -> JobRow | None:
        with self.factory() as session:
            job = JobRepository(session).claim(
                owner=self.owner,
                kinds=list(self.handlers),
                now=self.clock(),
                lease=self.lease,
                job_id=job_id,
            )
            session.commit()
            return job

    def run_once(self, *, max_chunks: int | None = None, job_id: str | None = None) -> str | None:
        """Claim one job (``job_id``, or the oldest claimable) and work on it until it is
        finished, the lease is lost, the worker is stopped, or ``max_chunks`` chunks are
        recorded (then the lease is simply left to expire, as if the process had died).
        Returns the job's id, or None if none was free.
        """
        row = self.claim(job_id)
        if row is None:
            return None
        job = _view(row)
        handler = self.handlers[job.kind]
        organisation = row.organisation_id

        def scoped() -> Session:
            # The job's own organisation, for every repository the handler uses (tenancy).
            session = self.factory()
            bind_organisation(session, organisation)
            return session

        try:
            with scoped() as session:
                context = handler.prepare(session, job)
            chunks = 0
            slice_started = self.clock()
            while True:
                if self._stop.is_set():
                    self._release(job.id)
                    return job.id
                with scoped() as session:
                    batch = [
                        _item(r) for r in JobRepository(session).pending(job.id, self.chunk_size)
                    ]
                if not batch:
                    break
                outcomes = handler.process(context, job, batch)
                with scoped() as session:
                    repo = JobRepository(session)
                    if not repo.record(
                        job.id, outcomes, owner=self.owner, now=self.clock(), lease=self.lease
                    ):
                        session.rollback()
                        log.warning("job %s: lease lost to another worker; stopping", job.id)
                        return job.id
                    session.commit()
                    current = repo.get(job.id)
                    if current is not None and self.on_progress is not None:
                        self.on_progress(job.id, current.done + current.failed, current.total)
                chunks += 1
                if max_chunks is not None and chunks >= max_chunks:
                    return job.id
                if self._turn_is_over(organisation, slice_started):
                    self._release(job.id)
                    log.info(
                        "job %s: given back between chunks, another organisation waits", job.id
                    )
                    return job.id
            with scoped() as session:
                items = job_items(session, job.id)
                result = handler.finalize(session, context, job, items)
                JobRepository(session).finish(
                    job.id, owner=self.owner, now=self.clock(), status=DONE, result=result
                )
                session.commit()
            log.info("job %s (%s): done, %d items", job.id, job.kind, job.total)
        except Exception as exc:  # a job must never take the worker thread down with it
            self._failed(job.id, row.attempts, exc)
        return job.id

    def _turn_is_over(self, organisation: str, slice_started: dt.datetime) -> bool:
        now = self.clock()
        if now - slice_started < self.fair_slice:
            return False
        with self.factory() as session:
            return JobRepository(session).waiting_elsewhere(
                organisation, kinds=list(self.handlers), now=now
            )

    def _release(self, job_id: str) -> None:
        with self.factory() as session:
            JobRepository(session).release(job_id, owner=self.owner, now=self.clock())
            session.commit()

    def _failed(self, job_id: str, attempts: int, exc: Exception) -> None:
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        # A domain error (the qualification is gone, the input is refused) will not get better
        # with a retry; anything else may be transient (a dropped connection) and is retried.
        final = isinstance(exc, DomainError) or attempts >= self.max_attempts
        if final:
            log.error(
                "job %s failed: %s", job_id, message, exc_info=not isinstance(exc, DomainError)
            )
        else:
            log.warning("job %s: attempt %d failed (%s); will retry", job_id, attempts, message)
        try:
            with self.factory() as session:
                repo = JobRepository(session)
                if final:
                    repo.finish(
                        job_id, owner=self.owner, now=self.clock(), status=FAILED, error=message
                    )
                else:
                    repo.release(job_id, owner=self.owner, now=self.clock())
                session.commit()
        except Exception:  # pragma: no cover - the database itself is gone; the lease expires
            log.exception("job %s: could not record the failure", job_id)

    # --- the background loop ---------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="job-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A job was submitted: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the chunk in flight, give the job back, and end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # the database may be briefly unreachable: keep polling
                log.exception("job worker: claim failed")
                worked = None
            if worked is None and not self._stop.is_set():
                self._wake.wait(self.poll_interval)
                self._wake.clear()
