"""Batch-job turns on Procrastinate (PostgreSQL: LISTEN/NOTIFY, locks, retries, heartbeats).

One task, ``passerelle.jobs.turn(organisation, lane)``: run one turn of that organisation's lane
(``app/services/jobs.py`` decides what a turn does; this module only knows it is a callable
returning whether the lane has work left). Each deferral carries

* ``queueing_lock = lock = "turn:<organisation>:<lane>"``: at most one turn of a lane waits in
  the queue (deferring it again is a no-op, so submissions, workers and sweeps may all defer
  without counting), and a lane never runs twice at once, on any worker of any machine;
* the queue ``passerelle-jobs``; Procrastinate fetches the oldest job first, and a lane re-defers
  itself at the end of its turn, so it goes behind every other organisation's waiting turn:
  organisations take turns.

A transient failure (:class:`RetryTurn`) is retried by Procrastinate with a growing wait. A worker
that dies (kill -9, a lost machine) stops sending heartbeats; after ``stalled_seconds`` its turn
is *stalled*, and the sweep (at every worker's start, and every ``sweep_cron`` on one worker)
retries it, or fails it if the lane has already been deferred again, then defers every lane that
still has work (``targets``). The items of a turn cut short are still ``queued`` in our tables,
so the next turn of the lane does them: nothing is lost, and nothing is recorded twice.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import procrastinate
from procrastinate import exceptions as pexc
from procrastinate import jobs as pjobs
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

TURN_TASK = "passerelle.jobs.turn"
SWEEP_TASK = "passerelle.jobs.sweep"
QUEUE = "passerelle-jobs"

Turn = Callable[[str, int], bool]  # (organisation, lane) -> the lane has work left
Targets = Callable[[], list[tuple[str, int]]]  # every (organisation, lane) with work


class RetryTurn(Exception):
    """A turn failed for a reason that may pass (a dropped connection): Procrastinate retries it."""


def conninfo(database_url: str) -> str:
    """A libpq connection string from the SQLAlchemy URL of the settings."""
    url = make_url(database_url)
    args: dict[str, Any] = {
        k: v
        for k, v in url.translate_connect_args(database="dbname", username="user").items()
        if v is not None
    }
    args.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    return make_conninfo(**{k: str(v) for k, v in args.items()})


def lock_name(organisation: str, lane: int) -> str:
    return f"turn:{organisation}:{lane}"


class TaskQueue:
    """Defers turns (sync, from any thread: the API, a worker's own turn, the CLI) and runs
    Procrastinate workers (in the foreground: ``passerelle worker``; or on a thread of the API
    process)."""

    def __init__(
        self,
        database_url: str,
        *,
        max_attempts: int = 3,
        poll_seconds: float = 5.0,
        heartbeat_seconds: float = 10.0,
        stalled_seconds: float = 30.0,
        sweep_cron: str = "*/30 * * * * *",
    ) -> None:
        self.conninfo = conninfo(database_url)
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.stalled_seconds = stalled_seconds
        self.sweep_cron = sweep_cron
        self._deferrer: procrastinate.App | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # --- deferring -----------------------------------------------------------------------------

    def _app(self) -> procrastinate.App:
        with self._lock:
            if self._deferrer is None:
                app = procrastinate.App(
                    connector=procrastinate.SyncPsycopgConnector(
                        conninfo=self.conninfo, min_size=1, max_size=4
                    )
                )
                app.open()
                self._deferrer = app
            return self._deferrer

    def defer_turn(self, organisation: str, lane: int) -> bool:
        """Queue a turn of the lane; False if one is already waiting (nothing to do)."""
        name = lock_name(organisation, lane)
        try:
            self._app().configure_task(TURN_TASK, queue=QUEUE, lock=name, queueing_lock=name).defer(
                organisation=organisation, lane=lane
            )
        except pexc.AlreadyEnqueued:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._deferrer is not None:
                self._deferrer.close()
                self._deferrer = None

    # --- what is queued (operators: `passerelle jobs queue`) ---------------------------------

    def waiting(self) -> list[dict[str, Any]]:
        """The turns waiting or running, oldest first."""
        rows = self._app().job_manager.list_jobs(queue=QUEUE, task=TURN_TASK)
        return [
            {
                "id": job.id,
                "status": job.status,
                "organisation": job.task_kwargs.get("organisation"),
                "lane": job.task_kwargs.get("lane"),
                "attempts": job.attempts,
            }
            for job in rows
            if job.status in ("todo", "doing")
        ]

    # --- the worker ------------------------------------------------------------------------------

    def _worker_app(self, turn: Turn, targets: Targets) -> procrastinate.App:
        app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=self.conninfo, min_size=1, max_size=4)
        )
        retry = procrastinate.RetryStrategy(
            max_attempts=self.max_attempts, wait=1, exponential_wait=2, retry_exceptions={RetryTurn}
        )

        @app.task(name=TURN_TASK, queue=QUEUE, retry=retry)
        def run_turn(organisation: str, lane: int) -> None:
            if turn(organisation, lane):
                self.defer_turn(organisation, lane)

        @app.periodic(cron=self.sweep_cron, periodic_id="sweep")
        @app.task(name=SWEEP_TASK, queue=QUEUE, queueing_lock=SWEEP_TASK)
        async def sweep(timestamp: int) -> None:
            await self.sweep(app, targets)

        del run_turn, sweep
        return app

    async def sweep(self, app: procrastinate.App, targets: Targets) -> int:
        """Retry the turns of dead workers and defer every lane with work; returns how many
        stalled turns were found."""
        stalled = list(
            await app.job_manager.get_stalled_jobs(
                task_name=TURN_TASK, seconds_since_heartbeat=self.stalled_seconds
            )
        )
        for job in stalled:
            assert job.id is not None
            try:
                await app.job_manager.retry_job(job)
                log.warning("turn %s of a dead worker (%s): retried", job.id, job.lock)
            except pexc.UniqueViolation:
                # The lane was deferred again before its worker died: that turn will do it.
                await app.job_manager.finish_job_by_id_async(
                    job.id, status=pjobs.Status.FAILED, delete_job=False
                )
                log.warning("turn %s of a dead worker (%s): dropped", job.id, job.lock)
        for organisation, lane in await asyncio.to_thread(targets):
            await asyncio.to_thread(self.defer_turn, organisation, lane)
        return len(stalled)

    async def run_async(
        self,
        turn: Turn,
        targets: Targets,
        *,
        name: str = "passerelle-worker",
        install_signal_handlers: bool = True,
        wait: bool = True,
    ) -> None:
        """Run one Procrastinate worker until stopped (SIGINT/SIGTERM in the foreground), or,
        with ``wait=False``, until the queue is empty."""
        app = self._worker_app(turn, targets)
        async with app.open_async():
            await app.job_manager.prune_stalled_workers(self.stalled_seconds)
            await self.sweep(app, targets)
            await app.run_worker_async(
                queues=[QUEUE],
                name=name,
                concurrency=1,  # turns are CPU-bound and synchronous: scale with processes
                wait=wait,
                listen_notify=True,
                fetch_job_polling_interval=self.poll_seconds,
                abort_job_polling_interval=self.poll_seconds,
                update_heartbeat_interval=self.heartbeat_seconds,
                stalled_worker_timeout=self.stalled_seconds,
                install_signal_handlers=install_signal_handlers,
                delete_jobs="successful",
            )

    def run(self, turn: Turn, targets: Targets, *, name: str = "passerelle-worker") -> None:
        """``passerelle worker``: a worker in the foreground until SIGINT/SIGTERM."""
        asyncio.run(self.run_async(turn, targets, name=name))

    def start_thread(self, turn: Turn, targets: Targets, *, name: str = "api-worker") -> None:
        """A worker on a daemon thread of this process (the API's, when it runs one)."""
        if self._thread is not None:
            return
        ready = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            task = loop.create_task(
                self.run_async(turn, targets, name=name, install_signal_handlers=False)
            )
            self._task = task
            ready.set()
            try:
                loop.run_until_complete(task)
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("job worker thread ended")
            finally:
                loop.close()

        self._thread = threading.Thread(target=main, name="procrastinate-worker", daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop_thread(self, timeout: float = 30.0) -> None:
        thread, loop, task = self._thread, self._loop, self._task
        if thread is None or loop is None or task is None:
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout)
        self._thread = self._loop = self._task = None
