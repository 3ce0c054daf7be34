"""Fair scheduling of batch jobs between organisations (issue 12, item 7; issue 15), on SQLite
(the in-process runner) and PostgreSQL (Procrastinate, a worker thread): one organisation's long
job does not make every other organisation wait for it.

A lane's turn lasts ``turn_seconds``; then, if it has work left, it is deferred again behind
every other waiting turn (Procrastinate fetches the oldest first; the in-process queue is FIFO
too), so organisations take turns. With a single organisation nothing changes: its jobs run
oldest first, each prepared once."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.identity_repository import IdentityRepository
from app.adapters.db.jobs_repository import DONE, JobRepository
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.services.jobs import (
    InProcessRunner,
    ItemOutcome,
    JobExecutor,
    JobView,
    ProcrastinateRunner,
    WorkItem,
)
from app.settings import JobSettings, Settings

T0 = dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC)
_SUBMITTED = itertools.count(1)


class Recorder:
    """A toy job kind that records which job each chunk belonged to."""

    kind = "record"

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.prepared = 0

    def prepare(self, session: Session, job: JobView) -> None:
        self.prepared += 1

    def process(self, context: Any, job: JobView, items: Sequence[WorkItem]) -> list[ItemOutcome]:
        self.chunks.append(job.id)
        return [ItemOutcome(i.seq, {"n": i.input["n"]}) for i in items]

    def finalize(
        self, session: Session, context: Any, job: JobView, items: Sequence[WorkItem]
    ) -> dict[str, Any]:
        return {"items": len(items)}


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        made = make_sessionmaker(engine)
        with session_scope(made) as session:
            for organisation in ("org-a", "org-b", "org-c"):
                IdentityRepository(session).create_organisation(organisation, organisation)
        yield made
    finally:
        engine.dispose()


def _submit(factory: sessionmaker[Session], organisation: str, n: int, tag: str) -> str:
    with session_scope(factory) as session:
        job, _ = JobRepository(session, organisation).create(
            kind="record",
            target="t",
            content_hash=tag,
            params={},
            inputs=[{"n": i} for i in range(n)],
            now=T0 + dt.timedelta(seconds=next(_SUBMITTED)),  # submission order is created_at
            chunk_size=3,
            lanes=1,
        )
        return job.id


def _run(
    factory: sessionmaker[Session],
    handler: Recorder,
    submissions: Sequence[tuple[str, str]],
    *,
    turn_seconds: float,
) -> None:
    """Queue the organisations' turns in submission order, then run them all, with the runner
    of the database: Procrastinate on PostgreSQL, the in-process runner on SQLite."""
    url = str(factory.kw["bind"].url.render_as_string(hide_password=False))
    executor = JobExecutor(factory, [handler], turn_seconds=turn_seconds)
    if url.startswith("postgresql"):
        jobs = JobSettings(poll_seconds=0.2, heartbeat_seconds=0.5, stalled_seconds=5)
        runner = ProcrastinateRunner(executor, Settings(database_url=url, jobs=jobs), worker=True)
        for organisation, _ in submissions:
            runner.submitted(organisation)
        runner.start()
        try:
            deadline = time.monotonic() + 60
            while not _all_done(factory, submissions):
                assert time.monotonic() < deadline, "the worker did not finish the jobs"
                time.sleep(0.05)
        finally:
            runner.stop()
    else:
        local = InProcessRunner(executor)
        for organisation, _ in submissions:
            local.submitted(organisation)
        local.run_pending()
        assert _all_done(factory, submissions)


def _all_done(factory: sessionmaker[Session], submissions: Sequence[tuple[str, str]]) -> bool:
    with session_scope(factory) as session:
        for organisation, job_id in submissions:
            job = JobRepository(session, organisation).get(job_id)
            if job is None or job.status != DONE:
                return False
    return True


def test_a_small_job_is_not_stuck_behind_another_organisations_long_job(
    factory: sessionmaker[Session],
) -> None:
    big = _submit(factory, "org-a", 12, "big")  # submitted first: four chunks
    small = _submit(factory, "org-b", 3, "small")  # one chunk
    handler = Recorder()
    _run(factory, handler, [("org-a", big), ("org-b", small)], turn_seconds=0)
    # org-a's job gets its turn (one chunk), then org-b's, then org-a finishes
    assert handler.chunks == [big, small, big, big, big]
    with session_scope(factory) as session:
        for organisation, job_id, total in (("org-a", big, 12), ("org-b", small, 3)):
            job = JobRepository(session, organisation).get(job_id)
            assert job is not None
            assert (job.status, job.done, job.result) == (DONE, total, {"items": total})


def test_three_organisations_take_turns(factory: sessionmaker[Session]) -> None:
    a = _submit(factory, "org-a", 9, "a")
    b = _submit(factory, "org-b", 9, "b")
    c = _submit(factory, "org-c", 6, "c")
    handler = Recorder()
    _run(factory, handler, [("org-a", a), ("org-b", b), ("org-c", c)], turn_seconds=0)
    assert handler.chunks == [a, b, c, a, b, c, a, b]


def test_one_organisation_alone_runs_its_jobs_oldest_first(
    factory: sessionmaker[Session],
) -> None:
    first = _submit(factory, "org-a", 9, "one")
    second = _submit(factory, "org-a", 3, "two")
    handler = Recorder()
    _run(factory, handler, [("org-a", first), ("org-a", second)], turn_seconds=0)
    assert handler.chunks == [first, first, first, second]  # oldest first, not interleaved
    assert handler.prepared == 2  # each prepared once, over several turns


def test_a_job_keeps_the_worker_for_its_turn(factory: sessionmaker[Session]) -> None:
    big = _submit(factory, "org-a", 12, "big")
    small = _submit(factory, "org-b", 3, "small")
    handler = Recorder()
    _run(factory, handler, [("org-a", big), ("org-b", small)], turn_seconds=3600)
    assert handler.chunks == [big, big, big, big, small]
