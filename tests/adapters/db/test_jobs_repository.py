"""The job tables on SQLite and PostgreSQL: migration up/down (with Procrastinate's schema on
PostgreSQL, the same as the installed package's), idempotent creation, each lane's next chunk,
no item counted twice, nothing recorded into a job that is no longer active, cancel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.jobs_repository import (
    CANCELLED,
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
QUEUE_TABLES = {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events"}
T0 = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
KINDS = ["articulation"]


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _create(
    factory: sessionmaker[Session],
    content: str = "h1",
    n: int = 5,
    chunk: int = 2,
    lanes: int = 2,
    now: dt.datetime = T0,
) -> str:
    with session_scope(factory) as session:
        job, created = JobRepository(session).create(
            kind="articulation",
            target="prog-1",
            content_hash=content,
            params={"p": 1},
            inputs=[{"course": i} for i in range(n)],
            now=now,
            chunk_size=chunk,
            lanes=lanes,
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
        postgres = engine.dialect.name == "postgresql"
        assert (set(inspect(engine).get_table_names()) >= QUEUE_TABLES) is postgres
        migrate.downgrade(database_url, "0014_module_description")
        assert not QUEUE_TABLES & set(inspect(engine).get_table_names())
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
        assert [i.seq for i in repo.items(first, status=QUEUED, limit=3)] == [0, 1, 2]
        assert utc(job.created_at) == T0
        assert (job.chunk_size, job.lanes) == (2, 2)


def test_the_vendored_procrastinate_schema_is_the_installed_packages() -> None:
    """Migration 0015 applies a copy of Procrastinate's schema; a Procrastinate with another
    schema needs a new migration (migrations/sql/README.md)."""
    from importlib.resources import files

    from app.settings import PROJECT_ROOT

    vendored = (PROJECT_ROOT / "migrations" / "sql" / "procrastinate-3.10.0.sql").read_text()
    installed = files("procrastinate").joinpath("sql", "schema.sql").read_text()
    assert vendored == installed


def test_each_lane_takes_its_chunks_of_the_oldest_job_first(
    factory: sessionmaker[Session],
) -> None:
    first = _create(factory, "a", n=5)  # chunks [0,1] [2,3] [4]: lanes 0, 1, 0
    second = _create(factory, "b", n=3, now=T0 + dt.timedelta(seconds=1))
    with session_scope(factory) as session:
        repo = JobRepository(session)
        assert repo.lanes_with_work(KINDS) == [0, 1]
        assert repo.lanes_with_work(["other"]) == []
        chunk = repo.next_chunk(0, KINDS)
        assert chunk is not None and chunk.job.id == first and chunk.number == 0
        assert [i.seq for i in chunk.items] == [0, 1]
        one = repo.next_chunk(1, KINDS)
        assert one is not None and [i.seq for i in one.items] == [2, 3]
        only = repo.next_chunk(0, KINDS, job_id=second)
        assert only is not None and only.job.id == second
        assert repo.next_chunk(5, KINDS) is None
        assert repo.record(first, [ItemOutcome(0, {"r": 0}), ItemOutcome(1, {"r": 1})], now=T0)
        chunk = repo.next_chunk(0, KINDS)
        assert chunk is not None and (chunk.number, [i.seq for i in chunk.items]) == (2, [4])
    # another organisation sees none of it
    with session_scope(factory) as session:
        assert JobRepository(session, "other").lanes_with_work(KINDS) == []
        assert JobRepository(session, "other").next_chunk(0, KINDS) is None
        assert JobRepository(session, "-").organisations_with_work(KINDS) == ["default"]


def test_a_job_with_every_item_recorded_is_lane_zeros_to_finish(
    factory: sessionmaker[Session],
) -> None:
    job_id = _create(factory, n=2, chunk=1, lanes=2)
    with session_scope(factory) as session:
        repo = JobRepository(session)
        repo.start(job_id, now=T0)
        assert repo.record(job_id, [ItemOutcome(0, {"r": 0}), ItemOutcome(1, {"r": 1})], now=T0)
    with session_scope(factory) as session:
        repo = JobRepository(session)
        assert repo.lanes_with_work(KINDS) == [0]  # nothing queued, but not finished either
        chunk = repo.next_chunk(0, KINDS)
        assert chunk is not None and (chunk.job.id, chunk.items) == (job_id, [])
        assert repo.next_chunk(1, KINDS) is None
        assert repo.finish(job_id, now=T0, status=DONE, result={"all": True})
        assert not repo.finish(job_id, now=T0, status=DONE)  # one winner
        assert repo.lanes_with_work(KINDS) == []


def test_record_counts_each_item_once_and_finish(factory: sessionmaker[Session]) -> None:
    job_id = _create(factory, n=4)
    with session_scope(factory) as session:
        JobRepository(session).start(job_id, now=T0)
    outcomes = [ItemOutcome(0, {"r": 0}), ItemOutcome(1, error="bad input")]
    with session_scope(factory) as session:
        assert JobRepository(session).record(job_id, outcomes, now=T0)
    with session_scope(factory) as session:
        # Recording the same items again (a chunk computed twice) changes nothing.
        assert JobRepository(session).record(job_id, outcomes, now=T0)
    with session_scope(factory) as session:
        repo = JobRepository(session)
        job = repo.get(job_id)
        assert job is not None and (job.status, job.done, job.failed) == (RUNNING, 1, 1)
        assert job.attempts == 1
        items = repo.items(job_id)
        assert [(i.seq, i.status, i.result, i.error) for i in items[:2]] == [
            (0, DONE, {"r": 0}, None),
            (1, FAILED, None, "bad input"),
        ]
        assert [i.seq for i in repo.items(job_id, status=QUEUED)] == [2, 3]
        assert repo.finish(job_id, now=T0, status=DONE, result={"all": True})
    with session_scope(factory) as session:
        repo = JobRepository(session)
        job = repo.get(job_id)
        assert job is not None
        assert (job.status, job.result) == (DONE, {"all": True})
        assert utc(job.finished_at) == T0
        # A finished job takes no more results, and is nobody's work.
        assert not repo.record(job_id, [ItemOutcome(2, {"r": 2})], now=T0)
        assert repo.count(job_id, QUEUED) == 2
        assert repo.next_chunk(0, KINDS) is None


def test_cancel_only_an_active_job_of_ones_own(factory: sessionmaker[Session]) -> None:
    job_id = _create(factory)
    with session_scope(factory) as session:
        assert not JobRepository(session, "other").cancel(job_id, now=T0)
        assert JobRepository(session).cancel(job_id, now=T0)
        assert not JobRepository(session).cancel(job_id, now=T0)
    with session_scope(factory) as session:
        repo = JobRepository(session)
        job = repo.get(job_id)
        assert job is not None and job.status == CANCELLED and utc(job.finished_at) == T0
        assert not repo.record(job_id, [ItemOutcome(0, {"r": 0})], now=T0)
        assert repo.lanes_with_work(KINDS) == []
        assert [j.id for j in repo.list(status=CANCELLED)] == [job_id]


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
