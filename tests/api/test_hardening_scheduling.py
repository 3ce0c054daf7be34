"""Fair scheduling of batch jobs between organisations (issue 12, item 7), on SQLite and
PostgreSQL: one organisation's long job no longer makes every other organisation wait for it.

The worker gives its job back between chunks once it has had its time slice and another
organisation has a job waiting, and a claim takes the job of the organisation served least
recently. With a single organisation nothing changes: a job runs to the end in one claim."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.identity_repository import IdentityRepository
from app.adapters.db.jobs_repository import DONE, JobRepository
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.services.jobs import ItemOutcome, JobView, JobWorker, WorkItem

T0 = dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)
_SUBMITTED = itertools.count(1)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=10)  # time moves with every look
        return self.now


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
        )
        return job.id


def _drain(worker: JobWorker) -> None:
    for _ in range(100):
        if worker.run_once() is None:
            return
    raise AssertionError("the worker never ran out of work")


def _worker(factory: sessionmaker[Session], handler: Recorder, **options: Any) -> JobWorker:
    return JobWorker(
        factory, [handler], owner="W", lease=LEASE, chunk_size=3, clock=Clock(), **options
    )


def test_a_small_job_is_not_stuck_behind_another_organisations_long_job(
    factory: sessionmaker[Session],
) -> None:
    big = _submit(factory, "org-a", 12, "big")  # submitted first: four chunks
    small = _submit(factory, "org-b", 3, "small")  # one chunk
    handler = Recorder()
    _drain(_worker(factory, handler, fair_slice=dt.timedelta(0)))
    # org-a's job gets its slice (one chunk), then org-b's turn, then org-a finishes
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
    _drain(_worker(factory, handler, fair_slice=dt.timedelta(0)))
    assert handler.chunks == [a, b, c, a, b, c, a, b]


def test_one_organisation_alone_runs_its_job_in_one_claim(factory: sessionmaker[Session]) -> None:
    first = _submit(factory, "org-a", 9, "one")
    second = _submit(factory, "org-a", 3, "two")
    handler = Recorder()
    _drain(_worker(factory, handler, fair_slice=dt.timedelta(0)))
    assert handler.chunks == [first, first, first, second]  # oldest first, not interleaved
    assert handler.prepared == 2  # never given back, never prepared again


def test_a_job_keeps_the_worker_for_its_time_slice(factory: sessionmaker[Session]) -> None:
    big = _submit(factory, "org-a", 12, "big")
    small = _submit(factory, "org-b", 3, "small")
    handler = Recorder()
    # the clock moves 10 ms per look: a one-hour slice is never used up here
    _drain(_worker(factory, handler, fair_slice=dt.timedelta(hours=1)))
    assert handler.chunks == [big, big, big, big, small]
