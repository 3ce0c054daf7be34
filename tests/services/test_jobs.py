"""Batch jobs on SQLite and PostgreSQL, through the turns both runners run: a job cut short and
resumed without redoing finished items, a chunk computed twice but recorded once, lanes taking
disjoint chunks, failures and retries, cancel, list, fair turns between organisations, the
in-process runner's thread, and the articulation handler giving the same results resumed or not.
(Procrastinate's workers in separate processes, and kill -9: ``test_jobs_processes.py``.)"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.jobs_repository import DONE, FAILED, QUEUED, JobRepository
from app.adapters.db.session import make_engine, make_sessionmaker
from app.adapters.db.tenancy import bind_organisation
from app.adapters.embeddings.hashing import HashingEmbedder
from app.core.errors import InvalidInput
from app.reference.credit_systems import load_credit_systems
from app.services.articulation import ArticulationService, IncomingCourse, results_csv
from app.services.jobs import (
    CANCELLED,
    InProcessRunner,
    ItemOutcome,
    JobExecutor,
    JobNotCancellable,
    JobNotFound,
    JobService,
    JobView,
    RetryLater,
    WorkItem,
    get_job,
)
from app.services.registry import Registry
from app.services.transfer import Aligner, TransferContext
from app.settings import PROJECT_ROOT, JobSettings, Settings

SAMPLES = PROJECT_ROOT / "samples" / "catalogue"
ORG = "default"


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


def _submit(
    factory: sessionmaker[Session],
    values: Sequence[int],
    content: str = "c",
    *,
    organisation: str = ORG,
    chunk_size: int = 3,
    lanes: int = 1,
    runner: Any = None,
) -> str:
    def create(session: Session) -> tuple[dict[str, Any], bool]:
        job, created = JobRepository(session).create(
            kind="double",
            target="t",
            content_hash=content,
            params={},
            inputs=[{"n": v} for v in values],
            now=time_now(),
        )
        return {"id": job.id, "status": job.status}, created

    shape = JobSettings(chunk_size=chunk_size, lanes=lanes)
    job, _ = JobService(factory, runner, shape).submit(organisation, create)
    return str(job["id"])


def time_now() -> Any:
    from app.services.jobs import utcnow

    return utcnow()


def _job(factory: sessionmaker[Session], job_id: str, organisation: str = ORG) -> Any:
    with factory() as session:
        bind_organisation(session, organisation)
        return get_job(session, job_id)


def _executor(factory: sessionmaker[Session], handler: Any, **options: Any) -> JobExecutor:
    options.setdefault("turn_seconds", 60.0)
    return JobExecutor(factory, [handler], **options)


def test_a_turn_cut_short_resumes_without_redoing_finished_items(
    factory: sessionmaker[Session],
) -> None:
    job_id = _submit(factory, range(10))
    first = Doubler()
    # The first process records two chunks, then stops (as if it died between chunks).
    assert _executor(factory, first).run_turn(ORG, 0, max_chunks=2) is True
    job = _job(factory, job_id)
    assert (job.status, job.done, job.attempts) == ("running", 6, 1)
    second = Doubler()
    assert _executor(factory, second).run_turn(ORG, 0) is False  # nothing left after this turn
    assert first.processed == [0, 1, 2, 3, 4, 5]
    assert second.processed == [6, 7, 8, 9]  # nothing done before is done again
    job = _job(factory, job_id)
    assert (job.status, job.done, job.failed) == (DONE, 10, 0)
    assert job.result == {"sum": 90}


def test_a_chunk_computed_twice_is_recorded_once(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, range(6))
    takeover = Doubler()

    def meanwhile(seqs: list[int]) -> None:
        # While A computes its first chunk, B (a second worker, or a CLI run beside a worker)
        # runs the whole job.
        if not takeover.processed:
            _executor(factory, takeover).run_turn(ORG, 0)

    slow = Doubler(on_process=meanwhile)
    _executor(factory, slow).run_turn(ORG, 0)
    assert slow.processed == [0, 1, 2]
    assert takeover.processed == [0, 1, 2, 3, 4, 5]
    job = _job(factory, job_id)
    assert (job.status, job.done) == (DONE, 6)  # A's late chunk was not counted twice
    assert job.result == {"sum": 30}


def test_lanes_take_disjoint_chunks(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, range(10), chunk_size=2, lanes=2)
    with factory() as session:
        bind_organisation(session, ORG)
        assert JobRepository(session).lanes_with_work(["double"]) == [0, 1]
    zero, one = Doubler(), Doubler()
    assert _executor(factory, zero).run_turn(ORG, 0) is False
    assert zero.processed == [0, 1, 4, 5, 8, 9]  # chunks 0, 2, 4
    assert _job(factory, job_id).status == "running"
    assert _executor(factory, one).run_turn(ORG, 1) is False
    assert one.processed == [2, 3, 6, 7]  # chunks 1, 3: the lane that ends the job finishes it
    job = _job(factory, job_id)
    assert (job.status, job.done, job.result) == (DONE, 10, {"sum": 90})


def test_bad_items_fail_alone_and_the_job_completes(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, [1, -1, 2])
    _executor(factory, Doubler()).run_turn(ORG, 0)
    job = _job(factory, job_id)
    assert (job.status, job.done, job.failed, job.result) == (DONE, 2, 1, {"sum": 6})
    with factory() as session:
        bind_organisation(session, ORG)
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
    broken = Broken(InvalidInput("x", "the programme is gone"))
    assert _executor(factory, broken).run_turn(ORG, 0) is False
    job = _job(factory, job_id)
    assert (job.status, job.error) == (FAILED, "the programme is gone")


def test_other_errors_are_retried_then_fail(factory: sessionmaker[Session]) -> None:
    job_id = _submit(factory, [1])
    executor = _executor(factory, Broken(ConnectionError("flaky")), max_attempts=2)
    with pytest.raises(RetryLater, match="flaky"):  # the runner tries the lane again later
        executor.run_turn(ORG, 0)
    job = _job(factory, job_id)
    assert (job.status, job.attempts, job.error) == ("running", 2, None)
    assert executor.run_turn(ORG, 0) is False  # the second failure is the last
    job = _job(factory, job_id)
    assert job.status == FAILED
    assert "ConnectionError: flaky" in (job.error or "")


def test_cancel_stops_the_job_between_chunks_and_keeps_what_was_done(
    factory: sessionmaker[Session],
) -> None:
    job_id = _submit(factory, range(9))
    service = JobService(factory, None)

    def cancel_during_second_chunk(seqs: list[int]) -> None:
        if seqs[0] == 3:
            with factory() as session:
                bind_organisation(session, ORG)
                assert service.cancel(session, job_id)["status"] == CANCELLED
                session.commit()

    handler = Doubler(on_process=cancel_during_second_chunk)
    assert _executor(factory, handler).run_turn(ORG, 0) is False
    assert handler.processed == [0, 1, 2, 3, 4, 5]  # the chunk in flight is dropped, no more
    job = _job(factory, job_id)
    assert (job.status, job.done, job.result) == (CANCELLED, 3, None)
    assert job.finished_at is not None
    with factory() as session:
        bind_organisation(session, ORG)
        assert [i.status for i in JobRepository(session).items(job_id)][:4] == [
            DONE,
            DONE,
            DONE,
            QUEUED,
        ]
        with pytest.raises(JobNotCancellable, match="cancelled"):
            service.cancel(session, job_id)
    with factory() as session:  # another organisation cannot see it, nor cancel it
        bind_organisation(session, "other")
        with pytest.raises(JobNotFound):
            service.cancel(session, job_id)


def test_list_is_scoped_newest_first_and_filters(factory: sessionmaker[Session]) -> None:
    from app.adapters.db.models_identity import OrganisationRow

    with factory() as session:
        session.add(OrganisationRow(id="other", name="Other", created_at=time_now()))
        session.commit()
    a = _submit(factory, [1], "a")
    b = _submit(factory, [2], "b")
    _submit(factory, [3], "c", organisation="other")
    _executor(factory, Doubler()).run_turn(ORG, 0, job_id=a)
    service = JobService(factory, None)
    with factory() as session:
        bind_organisation(session, ORG)
        assert [j["id"] for j in service.list(session)] == [b, a]
        assert [j["id"] for j in service.list(session, status="done")] == [a]
        assert [j["id"] for j in service.list(session, status="queued")] == [b]
        assert service.list(session, kind="articulation") == []
        with pytest.raises(InvalidInput, match="status"):
            service.list(session, status="sleeping")


def test_organisations_take_turns(factory: sessionmaker[Session]) -> None:
    """A small batch of one organisation behind a big one of another finishes after one turn of
    the big one, not after all of it (the in-process runner's queue; Procrastinate's is FIFO the
    same way)."""
    from app.adapters.db.models_identity import OrganisationRow

    with factory() as session:
        session.add(OrganisationRow(id="small", name="Small", created_at=time_now()))
        session.commit()
    order: list[int] = []
    handler = Doubler(on_process=lambda seqs: order.append(len(seqs)))
    executor = _executor(factory, handler, turn_seconds=0.0)  # one chunk per turn
    runner = InProcessRunner(executor)
    big = _submit(factory, range(30), "big", runner=runner)
    small = _submit(factory, [1, 2], "small", organisation="small", runner=runner)
    assert runner.run_pending() > 10
    assert order[:2] == [3, 2]  # one chunk of the big job, then the whole small one
    assert (_job(factory, big).status, _job(factory, small, "small").status) == (DONE, DONE)


def test_in_process_runner_thread_runs_submitted_jobs_and_resumes_after_restart(
    factory: sessionmaker[Session],
) -> None:
    # A job left half done by a process that died is found by the next runner's sweep.
    left = _submit(factory, range(9), "left")
    _executor(factory, Doubler()).run_turn(ORG, 0, max_chunks=1)
    runner = InProcessRunner(_executor(factory, Doubler()), poll_seconds=0.05)
    runner.start()
    try:
        fresh = _submit(factory, range(5), "fresh", runner=runner)
        deadline = time.monotonic() + 30
        while {_job(factory, left).status, _job(factory, fresh).status} != {DONE}:
            assert time.monotonic() < deadline, "the runner did not finish the jobs"
            time.sleep(0.02)
    finally:
        runner.stop()
    assert _job(factory, left).result == {"sum": 72}
    assert _job(factory, fresh).result == {"sum": 20}


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
    with factory() as session:
        bind_organisation(session, ORG)
        [stored] = service.catalogue.store(session, service.catalogue.read_file(path))
        session.commit()
        return stored.id


def _incoming(
    factory: sessionmaker[Session], pid: str, service: ArticulationService
) -> list[IncomingCourse]:
    with factory() as session:
        bind_organisation(session, ORG)
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
    service = JobService(factory, None, JobSettings(chunk_size=2, lanes=2))
    job, created = service.submit(ORG, lambda s: articulation.submit(s, pid, incoming))
    assert created and job["status"] == "queued"
    again, created = service.submit(ORG, lambda s: articulation.submit(s, pid, incoming))
    assert (again["id"], created) == (job["id"], False)  # idempotent re-submission

    first = _executor(factory, articulation.handler())
    assert first.run_turn(ORG, 1, max_chunks=1) is True
    with factory() as session:
        bind_organisation(session, ORG)
        partial = articulation.results(session, job["id"])
    assert partial["complete"] is False
    assert partial["summary"]["courses_processed"] == 2
    second = _executor(factory, articulation.handler())
    second.drain(ORG, job["id"])
    with factory() as session:
        bind_organisation(session, ORG)
        resumed = articulation.results(session, job["id"])
    assert resumed["job"]["status"] == "done" and resumed["complete"] is True
    assert resumed["job"]["progress"] == {
        "done": len(incoming),
        "failed": 0,
        "total": len(incoming),
        "percent": 100.0,
    }

    # The same courses articulated at once give the same proposals.
    with factory() as session:
        bind_organisation(session, ORG)
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
