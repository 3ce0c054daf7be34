"""The job worker on SQLite and PostgreSQL: a job interrupted mid-way and resumed by another
worker without redoing finished items, a worker that lost its lease writing nothing, failures,
idempotent submission, and the articulation handler giving the same results resumed or not."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.jobs_repository import DONE, FAILED, QUEUED, JobRepository
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.adapters.embeddings.hashing import HashingEmbedder
from app.core.errors import InvalidInput
from app.reference.credit_systems import load_credit_systems
from app.services.articulation import ArticulationService, IncomingCourse, results_csv
from app.services.jobs import ItemOutcome, JobView, JobWorker, WorkItem, get_job
from app.services.registry import Registry
from app.services.transfer import Aligner, TransferContext
from app.settings import PROJECT_ROOT, Settings

T0 = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)
SAMPLES = PROJECT_ROOT / "samples" / "catalogue"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


class Doubler:
    """A toy job kind: each item's result is twice its input; records what it processed."""

    kind = "double"

    def __init__(self, on_process: Callable[[list[int]], None] | None = None) -> None:
        self.processed: list[int] = []
        self.prepared = 0
        self.on_process = on_process

    def prepare(self, session: Session, job: JobView) -> dict[str, Any]:
        self.prepared += 1
        return {"factor": 2}

    def process(
        self, context: dict[str, Any], job: JobView, items: Sequence[WorkItem]
    ) -> list[ItemOutcome]:
        seqs = [i.seq for i in items]
        self.processed.extend(seqs)
        if self.on_process is not None:
            self.on_process(seqs)
        return [
            ItemOutcome(i.seq, error="negative")
            if i.input["n"] < 0
            else ItemOutcome(i.seq, {"value": i.input["n"] * context["factor"]})
            for i in items
        ]

    def finalize(
        self, session: Session, context: Any, job: JobView, items: Sequence[WorkItem]
    ) -> dict[str, Any]:
        return {"sum": sum(i.result["value"] for i in items if i.result)}


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _submit(factory: sessionmaker[Session], values: Sequence[int], content: str = "c") -> str:
    with session_scope(factory) as session:
        job, _ = JobRepository(session).create(
            kind="double",
            target="t",
            content_hash=content,
            params={},
            inputs=[{"n": v} for v in values],
            now=T0,
        )
        return job.id


def _job(factory: sessionmaker[Session], job_id: str) -> Any:
    with session_scope(factory) as session:
        return get_job(session, job_id)


def test_interrupted_job_resumes_without_redoing_finished_items(
    factory: sessionmaker[Session],
) -> None:
    job_id = _submit(factory, range(10))
    clock = Clock()
    first = Doubler()
    a = JobWorker(factory, [first], owner="A", lease=LEASE, chunk_size=3, clock=clock)
    # Worker A records two chunks, then "dies": it neither finishes nor releases the job.
    assert a.run_once(max_chunks=2) == job_id
    job = _job(factory, job_id)
    assert (job.status, job.done, job.lease_owner) == ("running", 6, "A")
    second = Doubler()
    b = JobWorker(factory, [second], owner="B", lease=LEASE, chunk_size=3, clock=clock)
    assert b.run_once() is None  # A's lease still runs
    clock.advance(LEASE + dt.timedelta(seconds=1))
    assert b.run_once() == job_id
    assert first.processed == [0, 1, 2, 3, 4, 5]
    assert second.processed == [6, 7, 8, 9]  # nothing done by A is done again
    job = _job(factory, job_id)
    assert (job.status, job.done, job.failed, job.attempts) == (DONE, 10, 0, 2)
    assert job.result == {"sum": 90}
    assert job.lease_owner is None


def test_a_worker_that_lost_its_lease_records_nothing(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, range(6))
    clock = Clock()
    takeover = Doubler()
    b = JobWorker(factory, [takeover], owner="B", lease=LEASE, chunk_size=3, clock=clock)

    def stall(seqs: list[int]) -> None:
        # While A computes its first chunk it stalls past its lease, and B takes the job over
        # and finishes it.
        if not takeover.processed:
            clock.advance(LEASE * 2)
            assert b.run_once() == job_id

    slow = Doubler(on_process=stall)
    a = JobWorker(factory, [slow], owner="A", lease=LEASE, chunk_size=3, clock=clock)
    assert a.run_once() == job_id
    assert slow.processed == [0, 1, 2]
    assert takeover.processed == [0, 1, 2, 3, 4, 5]
    job = _job(factory, job_id)
    assert (job.status, job.done) == (DONE, 6)  # A's late chunk was not counted twice
    assert job.result == {"sum": 30}


def test_bad_items_fail_alone_and_the_job_completes(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, [1, -1, 2])
    JobWorker(factory, [Doubler()], owner="A", clock=Clock()).run_once()
    job = _job(factory, job_id)
    assert (job.status, job.done, job.failed, job.result) == (DONE, 2, 1, {"sum": 6})
    with session_scope(factory) as session:
        items = JobRepository(session).items(job_id)
        assert [(i.status, i.error) for i in items] == [
            (DONE, None),
            (FAILED, "negative"),
            (DONE, None),
        ]


class Broken(Doubler):
    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def prepare(self, session: Session, job: JobView) -> dict[str, Any]:
        raise self.exc


def test_a_domain_error_fails_the_job_at_once(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, [1])
    JobWorker(
        factory, [Broken(InvalidInput("x", "the programme is gone"))], clock=Clock()
    ).run_once()
    job = _job(factory, job_id)
    assert (job.status, job.error) == (FAILED, "the programme is gone")


def test_other_errors_are_retried_then_fail(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, [1])
    worker = JobWorker(factory, [Broken(ConnectionError("flaky"))], clock=Clock(), max_attempts=2)
    worker.run_once()
    job = _job(factory, job_id)
    assert (job.status, job.attempts, job.error) == (QUEUED, 1, None)  # released for a retry
    worker.run_once()
    job = _job(factory, job_id)
    assert (job.status, job.attempts) == (FAILED, 2)
    assert "ConnectionError: flaky" in (job.error or "")


def test_a_stopping_worker_gives_the_job_back(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, range(4))
    clock = Clock()
    a = JobWorker(factory, [Doubler()], owner="A", chunk_size=2, clock=clock)
    a._stop.set()  # as if stop() had been called while the job was claimed
    assert a.run_once() == job_id
    job = _job(factory, job_id)
    assert (job.status, job.lease_owner, job.done) == (QUEUED, None, 0)
    # Another worker takes it at once, without waiting for a lease to expire.
    assert JobWorker(factory, [Doubler()], owner="B", clock=clock).run_once() == job_id
    assert _job(factory, job_id).status == DONE


def test_background_thread_runs_submitted_jobs(factory: sessionmaker[Session]) -> None:
    worker = JobWorker(factory, [Doubler()], poll_interval=0.05)
    worker.start()
    try:
        job_id = _submit(factory, range(5))
        worker.wake()
        deadline = time.monotonic() + 30
        while _job(factory, job_id).status != DONE:
            assert time.monotonic() < deadline, "the worker did not finish the job"
            time.sleep(0.02)
    finally:
        worker.stop()
    assert _job(factory, job_id).result == {"sum": 20}


# --- the articulation job kind ---------------------------------------------------------------


@pytest.fixture
def articulation(registry: Registry) -> ArticulationService:
    systems = load_credit_systems(PROJECT_ROOT / "mappings" / "credit_systems.yaml")
    embedder = HashingEmbedder(128)
    aligner = Aligner(embedder, embedder.model_id, embedder.model_version)
    context = TransferContext.build(Settings(), registry, systems, aligner=aligner)
    return ArticulationService(context)


def _programme(factory: sessionmaker[Session], service: ArticulationService) -> str:
    path = SAMPLES / "uppsala-msc-computer-science-selection.json"
    with session_scope(factory) as session:
        [stored] = service.catalogue.store(session, service.catalogue.read_file(path))
        return stored.id


def _incoming(
    factory: sessionmaker[Session], pid: str, service: ArticulationService
) -> list[IncomingCourse]:
    with session_scope(factory) as session:
        programme = service.catalogue.get(session, pid).programme
    courses = []
    for m in programme.modules:
        for half, outcomes in enumerate((m.learning_outcomes[::2], m.learning_outcomes[1::2])):
            if outcomes:
                courses.append(
                    IncomingCourse(
                        where=f"/courses/{len(courses)}",
                        id=f"{m.code}-{half}",
                        title=f"{m.title} ({half + 1})",
                        outcomes=tuple(outcomes),
                        credits=3,
                        credit_system="ects",
                        level="EQF:7",
                    )
                )
    courses.append(
        IncomingCourse(
            where="/courses/x", id="art", outcomes=("paint portraits in oil",), credits=5
        )
    )
    return courses


def test_articulation_job_interrupted_and_resumed_equals_one_run(
    factory: sessionmaker[Session], articulation: ArticulationService
) -> None:
    pid = _programme(factory, articulation)
    incoming = _incoming(factory, pid, articulation)
    with session_scope(factory) as session:
        job, created = articulation.submit(session, pid, incoming)
    assert created and job["status"] == "queued"
    with session_scope(factory) as session:
        again, created = articulation.submit(session, pid, incoming)
    assert (again["id"], created) == (job["id"], False)  # idempotent re-submission

    clock = Clock()
    a = JobWorker(factory, [articulation.handler()], owner="A", chunk_size=2, clock=clock)
    assert a.run_once(max_chunks=1) == job["id"]
    with session_scope(factory) as session:
        partial = articulation.results(session, job["id"])
    assert partial["complete"] is False
    assert partial["summary"]["courses_processed"] == 2
    clock.advance(LEASE * 3)
    b = JobWorker(factory, [articulation.handler()], owner="B", chunk_size=2, clock=clock)
    assert b.run_once() == job["id"]
    with session_scope(factory) as session:
        resumed = articulation.results(session, job["id"])
    assert resumed["job"]["status"] == "done" and resumed["complete"] is True
    assert resumed["job"]["progress"] == {
        "done": len(incoming),
        "failed": 0,
        "total": len(incoming),
        "percent": 100.0,
    }

    # The same courses articulated at once give the same proposals.
    with session_scope(factory) as session:
        direct = articulation.articulate(session, pid, incoming)
    assert json.loads(json.dumps(direct["modules"])) == resumed["modules"]
    many = [
        p
        for m in resumed["modules"]
        for p in m["proposals"]
        if p["kind"] == "many_to_one" and p["decision"] == "replace"
    ]
    # Each module's outcomes were split across two 3-ECTS courses: together they replace it.
    assert {p["module"] for p in many} >= {"1DL002", "1DL301"}
    art = next(c for c in resumed["courses"] if c["id"] == "art")
    assert art["modules"] == [] and art["status"] == "done"
    csv_text = results_csv(resumed)
    assert csv_text.splitlines()[0].startswith("module_code,module_title")
    assert "many_to_one" in csv_text


def test_articulation_input_problems_are_all_reported(
    factory: sessionmaker[Session], articulation: ArticulationService
) -> None:
    from app.services.articulation import BatchInputError, read_courses_csv

    bad = [
        IncomingCourse("/courses/0", id="a", outcomes=("x",), credits=5, credit_system="zz"),
        IncomingCourse("/courses/1", id="a", outcomes=()),
        IncomingCourse("/courses/2", id="b", outcomes=("x",), level="IE:99"),
        IncomingCourse("/courses/3", id="c", outcomes=("x",), eqf_level=5, level="IE:8"),
    ]
    with pytest.raises(BatchInputError) as caught:
        articulation.normalise(bad)
    pointers = [i["pointer"] for i in caught.value.issues]
    assert pointers == [
        "/courses/0/credit_system",
        "/courses/1/id",
        "/courses/1/learning_outcomes",
        "/courses/2/level",
        "/courses/3/eqf_level",
    ]
    with pytest.raises(BatchInputError) as caught:
        read_courses_csv(b"id,title,credits,learning_outcomes\na,A,five,x\n")
    assert caught.value.issues == [{"row": 2, "column": "credits", "detail": "not a number"}]
    with pytest.raises(BatchInputError, match="unknown column"):
        read_courses_csv(b"id,colour,learning_outcomes\n")
    rows = read_courses_csv("id,learning_outcomes,level\na,write SQL | design schemas,IE:8\n")
    assert rows[0].outcomes == ("write SQL", "design schemas") and rows[0].where == "row 2"
