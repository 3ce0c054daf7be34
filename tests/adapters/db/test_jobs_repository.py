"""The job tables on SQLite and PostgreSQL: migration up/down, idempotent creation, claiming
with a lease (and taking over an expired one), writes only by the lease holder, no item counted
twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.jobs_repository import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    ItemOutcome,
    JobRepository,
    utc,
)
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope

JOB_TABLES = {"job", "job_item"}
T0 = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _create(factory: sessionmaker[Session], content: str = "h1", n: int = 5) -> str:
    with session_scope(factory) as session:
        job, created = JobRepository(session).create(
            kind="articulation",
            target="prog-1",
            content_hash=content,
            params={"p": 1},
            inputs=[{"course": i} for i in range(n)],
            now=T0,
        )
        assert created
        return job.id


def test_migration_up_down_up_and_models_agree(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.adapters.db.base import Base

    migrate.upgrade(database_url)
    engine: Engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= JOB_TABLES
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [d for d in diffs if JOB_TABLES & set(str(d).split("'"))]
        assert ours == []
        migrate.downgrade(database_url, "0001_registry")
        assert not JOB_TABLES & set(inspect(engine).get_table_names())
        migrate.upgrade(database_url)
        assert set(inspect(engine).get_table_names()) >= JOB_TABLES
    finally:
        engine.dispose()


def test_create_is_idempotent_per_kind_target_and_content(
    factory: sessionmaker[Session],
) -> None:
    first = _create(factory)
    with session_scope(factory) as session:
        repo = JobRepository(session)
        again, created = repo.create(
            kind="articulation",
            target="prog-1",
            content_hash="h1",
            params={},
            inputs=[{"other": True}],
            now=T0,
        )
        assert (again.id, created) == (first, False)
        other, created = repo.create(
            kind="articulation", target="prog-2", content_hash="h1", params={}, inputs=[], now=T0
        )
        assert created and other.id != first
        job = repo.get(first)
        assert job is not None
        assert (job.status, job.total, job.done, job.failed) == (QUEUED, 5, 0, 0)
        assert [i.seq for i in repo.pending(first, 3)] == [0, 1, 2]
        assert utc(job.created_at) == T0


def test_claim_lease_and_take_over_after_expiry(factory: sessionmaker[Session]) -> None:
    job_id = _create(factory)
    with session_scope(factory) as session:
        job = JobRepository(session).claim(owner="A", kinds=["articulation"], now=T0, lease=LEASE)
        assert job is not None and job.id == job_id
        assert (job.status, job.lease_owner, job.attempts) == (RUNNING, "A", 1)
        assert utc(job.lease_expires_at) == T0 + LEASE
    with session_scope(factory) as session:
        repo = JobRepository(session)
        # Held by A: nobody else gets it before the lease expires, nor another kind's worker.
        assert (
            repo.claim(owner="B", kinds=["articulation"], now=T0 + LEASE / 2, lease=LEASE) is None
        )
        assert repo.claim(owner="B", kinds=["other"], now=T0 + 2 * LEASE, lease=LEASE) is None
    later = T0 + LEASE + dt.timedelta(seconds=1)
    with session_scope(factory) as session:
        job = JobRepository(session).claim(
            owner="B", kinds=["articulation"], now=later, lease=LEASE
        )
        assert job is not None and job.lease_owner == "B" and job.attempts == 2
        assert utc(job.started_at) == T0  # the first start is kept
    with session_scope(factory) as session:
        repo = JobRepository(session)
        # A lost the lease: it can neither renew nor record nor finish.
        assert not repo.renew(job_id, owner="A", now=later, lease=LEASE)
        assert not repo.record(
            job_id, [ItemOutcome(0, {"r": 0})], owner="A", now=later, lease=LEASE
        )
        assert not repo.finish(job_id, owner="A", now=later, status=DONE)
    with session_scope(factory) as session:
        repo = JobRepository(session)
        assert repo.count(job_id, DONE) == 0
        assert repo.renew(job_id, owner="B", now=later, lease=LEASE)


def test_claim_a_given_job(factory: sessionmaker[Session]) -> None:
    first = _create(factory, "a")
    second = _create(factory, "b")
    with session_scope(factory) as session:
        job = JobRepository(session).claim(
            owner="A", kinds=["articulation"], now=T0, lease=LEASE, job_id=second
        )
        assert job is not None and job.id == second
    with session_scope(factory) as session:
        job = JobRepository(session).claim(owner="A", kinds=["articulation"], now=T0, lease=LEASE)
        assert job is not None and job.id == first


def test_record_counts_each_item_once_and_finish(factory: sessionmaker[Session]) -> None:
    job_id = _create(factory, n=4)
    with session_scope(factory) as session:
        JobRepository(session).claim(owner="A", kinds=["articulation"], now=T0, lease=LEASE)
    outcomes = [ItemOutcome(0, {"r": 0}), ItemOutcome(1, error="bad input")]
    with session_scope(factory) as session:
        assert JobRepository(session).record(job_id, outcomes, owner="A", now=T0, lease=LEASE)
    with session_scope(factory) as session:
        # Recording the same items again (a worker that re-read them) changes nothing.
        assert JobRepository(session).record(job_id, outcomes, owner="A", now=T0, lease=LEASE)
    with session_scope(factory) as session:
        repo = JobRepository(session)
        job = repo.get(job_id)
        assert job is not None and (job.done, job.failed) == (1, 1)
        items = repo.items(job_id)
        assert [(i.seq, i.status, i.result, i.error) for i in items[:2]] == [
            (0, DONE, {"r": 0}, None),
            (1, FAILED, None, "bad input"),
        ]
        assert [i.seq for i in repo.pending(job_id, 10)] == [2, 3]
        assert repo.finish(job_id, owner="A", now=T0, status=DONE, result={"all": True})
    with session_scope(factory) as session:
        job = JobRepository(session).get(job_id)
        assert job is not None
        assert (job.status, job.result, job.lease_owner) == (DONE, {"all": True}, None)
        assert utc(job.finished_at) == T0
        # A finished job is never claimed again.
        assert (
            JobRepository(session).claim(
                owner="B", kinds=["articulation"], now=T0 + 10 * LEASE, lease=LEASE
            )
            is None
        )


def test_release_gives_the_job_back_at_once(factory: sessionmaker[Session]) -> None:
    job_id = _create(factory)
    with session_scope(factory) as session:
        JobRepository(session).claim(owner="A", kinds=["articulation"], now=T0, lease=LEASE)
    with session_scope(factory) as session:
        assert JobRepository(session).release(job_id, owner="A", now=T0)
    with session_scope(factory) as session:
        job = JobRepository(session).claim(owner="B", kinds=["articulation"], now=T0, lease=LEASE)
        assert job is not None and job.lease_owner == "B"


def test_listing_newest_first(factory: sessionmaker[Session]) -> None:
    first = _create(factory, "a")
    with session_scope(factory) as session:
        second, _ = JobRepository(session).create(
            kind="articulation",
            target="prog-1",
            content_hash="b",
            params={},
            inputs=[],
            now=T0 + dt.timedelta(minutes=1),
        )
        second_id = second.id
    with session_scope(factory) as session:
        assert [j.id for j in JobRepository(session).list()] == [second_id, first]
        assert JobRepository(session).list(kind="other") == []
