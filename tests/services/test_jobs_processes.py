"""Workers as real processes (``tests/services/jobs_worker_proc.py``): two Procrastinate workers
share one job on PostgreSQL, and a worker killed with SIGKILL mid-job loses nothing and records
nothing twice once another one takes over (PostgreSQL: Procrastinate's heartbeats and stalled-job
sweep; SQLite: the in-process runner's start-up sweep)."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.jobs_repository import DONE, JobRepository
from app.adapters.db.session import make_engine, make_sessionmaker
from app.adapters.db.tenancy import bind_organisation
from app.services.jobs import JobService, get_job, make_runner, utcnow
from app.settings import PROJECT_ROOT, JobSettings, Settings
from tests.conftest import _backend_url
from tests.services.jobs_worker_proc import KIND, TEST_JOBS, SlowDoubler

ORG = "default"


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _submit(url: str, factory: sessionmaker[Session], n: int, chunk: int, lanes: int) -> str:
    settings = Settings(database_url=url, jobs=TEST_JOBS)
    runner = make_runner(settings, factory, [SlowDoubler("/dev/null", 0)], worker=False)

    def create(session: Session) -> tuple[dict[str, Any], bool]:
        job, created = JobRepository(session).create(
            kind=KIND,
            target="t",
            content_hash=f"{n}",
            params={},
            inputs=[{"n": v} for v in range(n)],
            now=utcnow(),
        )
        return {"id": job.id, "status": job.status}, created

    try:
        job, _ = JobService(factory, runner, JobSettings(chunk_size=chunk, lanes=lanes)).submit(
            ORG, create
        )
    finally:
        runner.stop()
    return str(job["id"])


def _worker(url: str, log: Path, delay: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.services.jobs_worker_proc", url, str(log), str(delay)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _state(factory: sessionmaker[Session], job_id: str) -> tuple[str, int]:
    with factory() as session:
        bind_organisation(session, ORG)
        job = get_job(session, job_id)
        return job.status, job.done


def _wait(factory: sessionmaker[Session], job_id: str, done: int, timeout: float = 90) -> None:
    """Until at least ``done`` items are recorded."""
    deadline = time.monotonic() + timeout
    while _state(factory, job_id)[1] < done:
        assert time.monotonic() < deadline, f"job {job_id}: {_state(factory, job_id)}"
        time.sleep(0.05)


def _wait_done(factory: sessionmaker[Session], job_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while _state(factory, job_id)[0] != DONE:
        assert time.monotonic() < deadline, f"job {job_id}: {_state(factory, job_id)}"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _computed(log: Path) -> list[tuple[int, int]]:
    rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [(int(pid), int(seq)) for pid, seq in rows]


def _recorded(factory: sessionmaker[Session], job_id: str) -> dict[int, Any]:
    with factory() as session:
        bind_organisation(session, ORG)
        return {i.seq: i.result for i in JobRepository(session).items(job_id) if i.status == DONE}


@pytest.mark.postgres
def test_two_worker_processes_share_one_job(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # several worker processes: PostgreSQL only (SQLite runs one in-process runner)
    database_url = _backend_url("postgres", tmp_path_factory, "twoworkers")
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    log = tmp_path / "computed.log"
    workers = [_worker(database_url, log, 0.05) for _ in range(2)]
    try:
        # Both workers registered with Procrastinate before the job exists, so neither can
        # finish it alone while the other is still starting.
        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as conn:
                live = conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar()
            if live == 2:
                break
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        job_id = _submit(database_url, factory, n=40, chunk=2, lanes=2)
        _wait_done(factory, job_id)
    finally:
        for w in workers:
            _stop(w)
        engine.dispose()
    computed = _computed(log)
    assert {pid for pid, _ in computed} == {w.pid for w in workers}  # both did some of it
    assert sorted(seq for _, seq in computed) == list(range(40))  # each item computed once
    assert _recorded(factory, job_id) == {n: {"value": 2 * n} for n in range(40)}
    with factory() as session:
        bind_organisation(session, ORG)
        assert get_job(session, job_id).result == {"sum": 2 * sum(range(40))}


def test_kill_9_mid_job_loses_nothing_and_records_nothing_twice(
    tmp_path: Path, database_url: str, factory: sessionmaker[Session]
) -> None:
    n, chunk, lanes = 30, 3, 2
    job_id = _submit(database_url, factory, n=n, chunk=chunk, lanes=lanes)
    log = tmp_path / "computed.log"
    first = _worker(database_url, log, 0.05)
    try:
        _wait(factory, job_id, done=2 * chunk)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    recorded_before = set(_recorded(factory, job_id))
    assert 0 < len(recorded_before) < n  # killed mid-job
    second = _worker(database_url, log, 0.01)
    try:
        _wait_done(factory, job_id)
    finally:
        _stop(second)

    # 0 lost: every item recorded, with its own result; the job's counters agree.
    assert _recorded(factory, job_id) == {s: {"value": 2 * s} for s in range(n)}
    with factory() as session:
        bind_organisation(session, ORG)
        job = get_job(session, job_id)
        assert (job.status, job.done, job.failed) == (DONE, n, 0)
        assert job.result == {"sum": 2 * sum(range(n))}
    # 0 duplicated: nothing recorded before the kill was computed again; only the chunks in
    # flight at the kill (at most one per lane) were computed twice, and recorded once.
    computed = _computed(log)
    by_second = {seq for pid, seq in computed if pid == second.pid}
    assert by_second and not by_second & recorded_before
    twice = [seq for seq, times in collections.Counter(s for _, s in computed).items() if times > 1]
    assert len(twice) <= lanes * chunk
