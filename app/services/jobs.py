"""Batch jobs: what a turn of work is, the two runners that schedule turns, and the service the
API, the CLI and the web pages call (submit, get, list, cancel). docs/jobs.md tells the story.

Our tables (``job``, ``job_item``) are the source of truth for progress and results; a task
engine only decides *who runs what, when*:

* a job's items are cut into chunks (``chunk_size``) and chunk ``c`` belongs to lane
  ``c % lanes``; one organisation's lanes run in parallel on different workers;
* a **turn** (:meth:`JobExecutor.run_turn`) of ``(organisation, lane)`` takes that lane's next
  chunk of the organisation's oldest active job, processes it outside any transaction (the slow
  part), records the results in one short transaction (each item once: ``jobs_repository``), and
  goes on for about ``turn_seconds``; a job whose items are all recorded is finished (the
  handler combines the results) by whoever records its last chunk;
* after its turn, a lane with work left is deferred again, to the back of the queue: every
  organisation's waiting lanes come first (fair turns, whatever the size of a batch).

Runners (:class:`JobRunner`), chosen by :func:`make_runner` from the settings' database URL:

* PostgreSQL — :class:`ProcrastinateRunner`: turns are Procrastinate tasks
  (``app/adapters/tasks/procrastinate.py``: LISTEN/NOTIFY, a lock and a queueing lock per lane,
  retries, heartbeats); any number of ``passerelle worker`` processes on any machines run them,
  and the API process runs one too unless ``jobs.worker_in_api`` is off;
* SQLite (the embedded default, ``make run``) — :class:`InProcessRunner`: the same turns, queued
  in memory and run on one thread of the API process; no other server.

A process that dies mid-turn loses only the chunk in flight, whose items are still ``queued``: the
next turn of the lane (after a restart, or Procrastinate's stalled-job sweep) does them. Nothing
done is redone, and an item computed twice is recorded once.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db.jobs_repository import (
    ACTIVE,
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    STATUSES,
    ItemOutcome,
    JobRepository,
    utc,
)
from app.adapters.db.models_jobs import JobItemRow, JobRow
from app.adapters.db.tenancy import bind_organisation
from app.core.errors import Conflict, DomainError, InvalidInput, NotFound
from app.settings import JobSettings, Settings

log = logging.getLogger(__name__)

__all__ = [
    "CANCELLED",
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "STATUSES",
    "InProcessRunner",
    "ItemOutcome",
    "JobExecutor",
    "JobHandler",
    "JobNotCancellable",
    "JobNotFound",
    "JobRunner",
    "JobService",
    "JobView",
    "ProcrastinateRunner",
    "RetryLater",
    "WorkItem",
    "job_json",
    "make_runner",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JobNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job has id {job_id!r}.")
        self.field = "job_id"


class JobNotCancellable(Conflict):
    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(
            f"Job {job_id} is {status}: only a queued or running job can be cancelled."
        )
        self.field = "job_id"


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


class RetryLater(Exception):
    """A turn failed for a reason that may pass; the runner tries the lane again later."""


# --- the turn: the one algorithm both runners run ----------------------------------------------


class JobExecutor:
    """Runs turns of ``(organisation, lane)`` over the job tables, for the kinds it has handlers
    for. Thread-safe for turns of different lanes; the runners never run one lane twice at
    once (Procrastinate's lane lock; the in-process runner's single thread)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        handlers: Sequence[JobHandler],
        *,
        turn_seconds: float = 2.0,
        max_attempts: int = 3,
        clock: Callable[[], dt.datetime] = utcnow,
        on_progress: Progress | None = None,
        contexts: int = 4,
    ) -> None:
        self.factory = factory
        self.handlers = {h.kind: h for h in handlers}
        self.kinds = list(self.handlers)
        self.turn_seconds = turn_seconds
        self.max_attempts = max_attempts
        self.clock = clock
        self.on_progress = on_progress
        self.stopping = threading.Event()
        # prepared contexts (e.g. a programme and its index) per job, for the turns to come
        self._contexts: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self._contexts_max = contexts
        self._contexts_lock = threading.Lock()

    def _session(self, organisation: str) -> Session:
        session = self.factory()
        bind_organisation(session, organisation)  # the job's organisation, for every repository
        return session

    # --- what there is to do ------------------------------------------------------------------

    def lanes_with_work(self, organisation: str) -> list[int]:
        with self._session(organisation) as session:
            return JobRepository(session).lanes_with_work(self.kinds)

    def targets(self) -> list[tuple[str, int]]:
        """Every (organisation, lane) with work: what a runner queues after a restart."""
        with self.factory() as session:
            organisations = JobRepository(session, "-").organisations_with_work(self.kinds)
        return [(o, lane) for o in organisations for lane in self.lanes_with_work(o)]

    # --- one turn ----------------------------------------------------------------------------

    def _context(self, organisation: str, job: JobView) -> Any:
        with self._contexts_lock:
            if job.id in self._contexts:
                self._contexts.move_to_end(job.id)
                return self._contexts[job.id]
        with self._session(organisation) as session:
            context = self.handlers[job.kind].prepare(session, job)
        with self._contexts_lock:
            self._contexts[job.id] = context
            while len(self._contexts) > self._contexts_max:
                self._contexts.popitem(last=False)
        return context

    def _forget(self, job_id: str) -> None:
        with self._contexts_lock:
            self._contexts.pop(job_id, None)

    def run_turn(
        self,
        organisation: str,
        lane: int,
        *,
        max_chunks: int | None = None,
        job_id: str | None = None,
    ) -> bool:
        """One turn of the lane: chunks until ``turn_seconds`` have passed (at least one), the
        lane has nothing left, ``max_chunks`` are recorded, or the executor is stopping.
        Returns whether the lane has work left. ``job_id`` restricts the turn to one job (the
        CLI's local run). Raises :class:`RetryLater` for a transient failure."""
        started = time.monotonic()
        chunks = items_done = 0

        def ended(more: bool) -> bool:
            if chunks:
                log.info(
                    "turn %s/%d: %d items in %d chunks, %.3f s",
                    organisation,
                    lane,
                    items_done,
                    chunks,
                    time.monotonic() - started,
                )
            return more

        while True:
            with self._session(organisation) as session:
                repo = JobRepository(session)
                chunk = repo.next_chunk(lane, self.kinds, job_id=job_id)
                if chunk is None:
                    return ended(False)
                view = _view(chunk.job)
                items = [_item(i) for i in chunk.items]
                if chunk.job.status == QUEUED:
                    repo.start(view.id, now=self.clock())
                    session.commit()
            try:
                self._work(organisation, view, items)
            except Exception as exc:  # not a domain error: it may pass (a dropped connection)
                self._failed_attempt(organisation, view, exc)
            chunks += 1
            items_done += len(items)
            if self.stopping.is_set() or (max_chunks is not None and chunks >= max_chunks):
                return ended(True)
            if time.monotonic() - started >= self.turn_seconds:
                return ended(True)  # to the back of the queue (the next turn may find nothing)

    def _work(self, organisation: str, view: JobView, items: list[WorkItem]) -> None:
        handler = self.handlers[view.kind]
        try:
            context = self._context(organisation, view)
            if items:
                outcomes = handler.process(context, view, items)
                with self._session(organisation) as session:
                    repo = JobRepository(session)
                    if not repo.record(view.id, outcomes, now=self.clock()):
                        session.rollback()  # cancelled (or finished) meanwhile: nothing recorded
                        self._forget(view.id)
                        return
                    session.commit()
                    row = repo.get(view.id)
                    assert row is not None
                    finished, total = row.done + row.failed, row.total
                if self.on_progress is not None:
                    self.on_progress(view.id, finished, total)
                if finished < total:
                    return
            with self._session(organisation) as session:
                result = handler.finalize(session, context, view, job_items(session, view.id))
                if JobRepository(session).finish(
                    view.id, now=self.clock(), status=DONE, result=result
                ):
                    log.info("job %s (%s): done, %d items", view.id, view.kind, view.total)
                session.commit()
            self._forget(view.id)
        except DomainError as exc:
            # The programme is gone, the input is refused: a retry will not help.
            log.error("job %s failed: %s", view.id, exc.message)
            self._finish_failed(organisation, view.id, exc.message)

    def _failed_attempt(self, organisation: str, view: JobView, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        self._forget(view.id)
        with self._session(organisation) as session:
            attempts = JobRepository(session).failed_attempt(view.id, now=self.clock())
            session.commit()
        if attempts > self.max_attempts:
            log.error("job %s failed after %d attempts: %s", view.id, attempts - 1, message)
            self._finish_failed(organisation, view.id, message)
            return
        log.warning("job %s: attempt %d failed (%s); will retry", view.id, attempts - 1, message)
        raise RetryLater(message) from exc

    def _finish_failed(self, organisation: str, job_id: str, message: str) -> None:
        self._forget(job_id)
        with self._session(organisation) as session:
            JobRepository(session).finish(job_id, now=self.clock(), status=FAILED, error=message)
            session.commit()

    def drain(self, organisation: str, job_id: str) -> None:
        """Run one job to its end in this process, lane after lane (the CLI's local run)."""
        with self._session(organisation) as session:
            row = JobRepository(session).get(job_id)
            lanes = row.lanes if row is not None else 0
        busy = True
        while busy:
            busy = False
            for lane in range(lanes):
                busy = self.run_turn(organisation, lane, job_id=job_id) or busy


# --- runners -------------------------------------------------------------------------------------


class JobRunner(Protocol):
    """What schedules turns: Procrastinate (PostgreSQL) or a thread (SQLite)."""

    @property
    def name(self) -> str: ...

    def submitted(self, organisation: str) -> None:
        """The organisation has a new (committed) job: make sure its lanes are queued."""
        ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 30.0) -> None: ...


class InProcessRunner:
    """Turns queued in memory and run on one daemon thread (the embedded SQLite default).

    The same fairness as Procrastinate's queue: a lane is queued at most once, and a lane with
    work left after its turn goes to the back. On start, and whenever idle for ``poll_seconds``,
    it looks in the tables for work (a restart after a crash, a job submitted by another process
    on the same file)."""

    name = "in_process"

    def __init__(self, executor: JobExecutor, *, poll_seconds: float = 2.0) -> None:
        self.executor = executor
        self.poll_seconds = poll_seconds
        self._queue: collections.deque[tuple[str, int]] = collections.deque()
        self._queued: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def _enqueue(self, organisation: str, lane: int) -> None:
        with self._lock:
            if (organisation, lane) not in self._queued:
                self._queued.add((organisation, lane))
                self._queue.append((organisation, lane))
        self._wake.set()

    def submitted(self, organisation: str) -> None:
        for lane in self.executor.lanes_with_work(organisation):
            self._enqueue(organisation, lane)

    def sweep(self) -> None:
        for organisation, lane in self.executor.targets():
            self._enqueue(organisation, lane)

    def run_pending(self) -> int:
        """Run queued turns until none is left (tests, and the thread); returns how many ran."""
        ran = 0
        while not self.executor.stopping.is_set():
            with self._lock:
                if not self._queue:
                    return ran
                organisation, lane = self._queue.popleft()
                self._queued.discard((organisation, lane))
            ran += 1
            try:
                more = self.executor.run_turn(organisation, lane)
            except RetryLater:
                more = True
                self.executor.stopping.wait(1.0)
            if more:
                self._enqueue(organisation, lane)
        return ran

    def start(self) -> None:
        if self._thread is not None:
            return
        self.executor.stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the chunk in flight and end the thread (the lane's items stay queued)."""
        self.executor.stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_forever(self) -> None:
        """Run turns in the foreground until Ctrl-C (``passerelle worker`` on SQLite)."""
        self.executor.stopping.clear()
        try:
            self._loop()
        except KeyboardInterrupt:
            self.executor.stopping.set()

    def _loop(self) -> None:
        while not self.executor.stopping.is_set():
            try:
                self.sweep()
                self.run_pending()
            except Exception:  # the database may be briefly unreachable: keep going
                log.exception("job runner: turn failed")
            if not self.executor.stopping.is_set():
                self._wake.wait(self.poll_seconds)
                self._wake.clear()


class ProcrastinateRunner:
    """Turns as Procrastinate tasks on PostgreSQL. ``start`` runs a worker on a thread of this
    process (``worker=True``); ``passerelle worker`` runs :meth:`run_forever` instead."""

    name = "procrastinate"

    def __init__(self, executor: JobExecutor, settings: Settings, *, worker: bool) -> None:
        from app.adapters.tasks.procrastinate import TaskQueue

        jobs = settings.jobs
        self.executor = executor
        self.worker = worker
        self.queue = TaskQueue(
            settings.database_url,
            max_attempts=jobs.max_attempts,
            poll_seconds=jobs.poll_seconds,
            heartbeat_seconds=jobs.heartbeat_seconds,
            stalled_seconds=jobs.stalled_seconds,
            sweep_cron=f"*/{jobs.sweep_seconds} * * * * *",
        )

    def _turn(self, organisation: str, lane: int) -> bool:
        from app.adapters.tasks.procrastinate import RetryTurn

        try:
            return self.executor.run_turn(organisation, lane)
        except RetryLater as exc:
            raise RetryTurn(str(exc)) from exc

    def submitted(self, organisation: str) -> None:
        for lane in self.executor.lanes_with_work(organisation):
            self.queue.defer_turn(organisation, lane)

    def start(self) -> None:
        if self.worker:
            self.executor.stopping.clear()
            self.queue.start_thread(self._turn, self.executor.targets)

    def stop(self, timeout: float = 30.0) -> None:
        self.executor.stopping.set()
        self.queue.stop_thread(timeout)
        self.queue.close()

    def run_forever(self, name: str = "passerelle-worker") -> None:
        """A worker in the foreground until SIGINT/SIGTERM (``passerelle worker``)."""
        self.queue.run(self._turn, self.executor.targets, name=name)

    def waiting(self) -> list[dict[str, Any]]:
        return self.queue.waiting()


def runner_kind(settings: Settings) -> str:
    """``procrastinate`` or ``in_process``, from ``jobs.runner`` and the database URL."""
    if settings.jobs.runner != "auto":
        return settings.jobs.runner
    return "procrastinate" if settings.database_url.startswith("postgresql") else "in_process"


def make_executor(
    factory: sessionmaker[Session],
    handlers: Sequence[JobHandler],
    jobs: JobSettings,
    *,
    on_progress: Progress | None = None,
) -> JobExecutor:
    return JobExecutor(
        factory,
        handlers,
        turn_seconds=jobs.turn_seconds,
        max_attempts=jobs.max_attempts,
        on_progress=on_progress,
    )


def make_runner(
    settings: Settings,
    factory: sessionmaker[Session],
    handlers: Sequence[JobHandler],
    *,
    worker: bool | None = None,
) -> JobRunner:
    """The runner the settings call for; ``worker`` (default ``jobs.worker_in_api``): whether
    this process also runs Procrastinate turns (the in-process runner always does)."""
    executor = make_executor(factory, handlers, settings.jobs)
    if runner_kind(settings) == "procrastinate":
        run_here = settings.jobs.worker_in_api if worker is None else worker
        return ProcrastinateRunner(executor, settings, worker=run_here)
    if not settings.database_url.startswith("sqlite"):
        log.warning("jobs.runner=in_process on %s: one process runs the jobs", "PostgreSQL")
    return InProcessRunner(executor, poll_seconds=min(settings.jobs.poll_seconds, 2.0))


# --- the service -------------------------------------------------------------------------------


class JobService:
    """What callers do with jobs (API routers, CLI, web pages): submit, get, list, cancel.

    Progress and results are read from the tables (``get``; results by the job kind's service,
    e.g. ``ArticulationService.results``); ``runner`` is told about new work."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        runner: JobRunner | None,
        jobs: JobSettings | None = None,
    ) -> None:
        self.factory = factory
        self.runner = runner
        self.settings = jobs or JobSettings()

    def submit(
        self,
        organisation: str,
        create: Callable[[Session], tuple[dict[str, Any], bool]],
    ) -> tuple[dict[str, Any], bool]:
        """Create the job (``create``, e.g. ``lambda s: articulation.submit(s, qid, courses)``)
        in the organisation's session, commit — a 2xx or a printed id means durable — then tell
        the runner. The same content again returns the same job (``created`` False)."""
        with self.factory() as session:
            bind_organisation(session, organisation)
            try:
                job, created = create(session)
                if created:
                    JobRepository(session).shape(
                        job["id"], chunk_size=self.settings.chunk_size, lanes=self.settings.lanes
                    )
            except BaseException:
                session.rollback()
                raise
            session.commit()
        if self.runner is not None and job["status"] in ACTIVE:
            try:
                self.runner.submitted(organisation)
            except Exception:  # the job is stored: a worker's sweep will find it
                log.exception("job %s stored, but the runner could not be told", job["id"])
        return job, created

    def get(self, session: Session, job_id: str) -> dict[str, Any]:
        return job_json(get_job(session, job_id))

    def list(
        self,
        session: Session,
        *,
        status: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The organisation's jobs, newest first."""
        if status is not None and status not in STATUSES:
            raise InvalidInput("status", f"status must be one of {', '.join(STATUSES)}")
        rows = JobRepository(session).list(kind=kind, status=status, limit=limit, offset=offset)
        return [job_json(r) for r in rows]

    def count(self, session: Session, *, status: str | None = None, kind: str | None = None) -> int:
        """How many of the organisation's jobs ``list`` would page through."""
        return JobRepository(session).count_jobs(kind=kind, status=status)

    def cancel(self, session: Session, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job: no chunk is recorded after this commits (the chunk in
        flight is dropped); what was recorded stays readable."""
        row = get_job(session, job_id)
        if not JobRepository(session).cancel(row.id, now=utcnow()):
            current = get_job(session, job_id)
            raise JobNotCancellable(current.id, current.status)
        session.flush()
        return job_json(get_job(session, job_id))
