"""Tenancy in the repositories, on SQLite and PostgreSQL (issue 12): every repository of
organisation data reads and writes one organisation only, refuses to run without one, and the
same content stored by two organisations is two rows neither can see from the other side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.catalogue_repository import CatalogueRepository
from app.adapters.db.credential_repository import CredentialRepository, NewCredential
from app.adapters.db.identity_repository import IdentityRepository
from app.adapters.db.jobs_repository import JobRepository
from app.adapters.db.models_credentials import CredentialRow
from app.adapters.db.recognition_repository import RecognitionRepository
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.adapters.db.tenancy import (
    MissingOrganisation,
    bind_organisation,
    set_process_organisation,
)
from app.core.catalogue import content_hash
from app.core.errors import NotFound
from tests.adapters.db.test_catalogue_repository import programme
from tests.adapters.db.test_recognition_repository import _new, _tamper

A, B = "uni-a", "uni-b"
T0 = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    made = make_sessionmaker(engine)
    with session_scope(made) as session:
        identity = IdentityRepository(session)
        identity.create_organisation(A, "University A")
        identity.create_organisation(B, "University B")
    set_process_organisation(None)  # nothing implicit: each test names its organisation
    try:
        yield made
    finally:
        engine.dispose()


def _credential(hash_: str = "c" * 64) -> NewCredential:
    return NewCredential(
        content_hash=hash_,
        source_format="plain",
        title="Databases",
        credential={"title": "Databases", "learner": {"name": "R. Example"}},
        original={"title": "Databases"},
        original_text=None,
        completeness={"complete": False},
        warnings=[],
        data_release_id=None,
    )


def test_a_repository_without_an_organisation_refuses(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        for build in (CredentialRepository, CatalogueRepository):
            with pytest.raises(MissingOrganisation):
                build(session)
        with pytest.raises(MissingOrganisation):
            JobRepository(session).get("x")
        with pytest.raises(MissingOrganisation):
            RecognitionRepository(session).get("x")
        bind_organisation(session, A)
        assert CredentialRepository(session).organisation == A
        with pytest.raises(MissingOrganisation, match="already bound"):
            bind_organisation(session, B)  # one unit of work never serves two organisations


def test_the_database_refuses_a_row_without_an_organisation(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        new = _credential()
        session.add(
            CredentialRow(
                id="no-org",
                content_hash=new.content_hash,
                source_format="plain",
                credential={},
                completeness={},
                warnings=[],
                created_at=T0,
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()


def test_credentials_are_per_organisation(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        a_row, a_new = CredentialRepository(session, A).add(_credential())
        b_row, b_new = CredentialRepository(session, B).add(_credential())  # same content
        again, again_new = CredentialRepository(session, A).add(_credential())
    assert a_new and b_new and not again_new
    assert a_row.id != b_row.id and again.id == a_row.id
    with factory() as session:
        a, b = CredentialRepository(session, A), CredentialRepository(session, B)
        assert a.get(b_row.id) is None and b.get(a_row.id) is None
        assert a.get(a_row.id) is not None
        assert [r.id for r in a.page(limit=10, offset=0)[0]] == [a_row.id]
        assert b.page(limit=10, offset=0)[1] == 1


def test_catalogue_is_per_organisation(factory: sessionmaker[Session]) -> None:
    p = programme()
    with session_scope(factory) as session:
        a_id, _ = CatalogueRepository(session, A).add(p, content_hash=content_hash(p))
        b_id, created = CatalogueRepository(session, B).add(p, content_hash=content_hash(p))
    assert created and a_id != b_id
    with session_scope(factory) as session:
        a = CatalogueRepository(session, A)
        assert a.get(b_id) is None and a.get(a_id) is not None
        assert a.outcome_ids(b_id) == {} and a.outcome_ids(a_id)
        assert [s.id for s in a.search(q="data analytics")[0]] == [a_id]
        assert a.count() == 1
        assert a.delete(b_id) is False  # not theirs to delete
    with factory() as session:
        assert CatalogueRepository(session, B).get(b_id) is not None


def test_records_and_precedents_are_per_organisation(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        record = RecognitionRepository(session, A).append(_new())
        record_id = record.id
        assert record.organisation_id == A
    with session_scope(factory) as session:
        a, b = RecognitionRepository(session, A), RecognitionRepository(session, B)
        assert a.get(record_id).id == record_id
        with pytest.raises(NotFound):
            b.get(record_id)
        assert b.list()[1] == 0 and a.list()[1] == 1
        assert not b.candidates_for_precedent(target_framework="IE-NFQ", qualification_id="q1")
        assert a.candidates_for_precedent(target_framework="IE-NFQ", qualification_id="q1")


def test_jobs_are_per_organisation(factory: sessionmaker[Session]) -> None:
    def create(organisation: str) -> tuple[str, bool]:
        with session_scope(factory) as session:
            job, created = JobRepository(session, organisation).create(
                kind="articulation",
                target="prog-1",
                content_hash="h1",
                params={},
                inputs=[{"course": 1}],
                now=T0,
            )
            return job.id, created

    a_job, a_created = create(A)
    b_job, b_created = create(B)  # the same submission from another organisation
    assert a_created and b_created and a_job != b_job
    with factory() as session:
        assert JobRepository(session, A).get(b_job) is None
        assert [j.id for j in JobRepository(session, B).list()] == [b_job]
        # a worker's sweep finds every organisation's work; each turn then sees one's own
        assert JobRepository(session, "-").organisations_with_work(["articulation"]) == sorted(
            [A, B]
        )
        chunk = JobRepository(session, A).next_chunk(0, ["articulation"])
        assert chunk is not None and chunk.job.id == a_job


@pytest.mark.parametrize(
    ("statement", "reader"),
    [
        ("UPDATE recognition_record SET organisation_id = 'uni-b'", B),
        ("UPDATE recognition_record SET created_by = 'oidc:someone-else'", A),
        ("UPDATE recognition_record SET created_by = NULL", A),
    ],
)
def test_moving_a_record_or_changing_its_creator_breaks_its_hash(
    factory: sessionmaker[Session], statement: str, reader: str
) -> None:
    with session_scope(factory) as session:
        record_id = (
            RecognitionRepository(session, A).append(replace(_new(), created_by="oidc:eve")).id
        )
    with factory() as session:
        assert RecognitionRepository(session, A).verify(record_id).valid
        _tamper(session, statement)
    with factory() as session:
        check = RecognitionRepository(session, reader).verify(record_id)
        assert not check.valid and "content" in " ".join(check.problems)


def test_rows_from_before_tenancy_belong_to_the_default_organisation(database_url: str) -> None:
    migrate.upgrade(database_url, "0008_merge_jobs")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO credential (id, content_hash, source_format, title, credential, "
                    "completeness, warnings, created_at) VALUES ('old-1', :h, 'plain', 'Old', "
                    "'{}', '{}', '[]', :t)"
                ),
                {"h": "d" * 64, "t": T0},
            )
            conn.execute(
                text(
                    "INSERT INTO job (id, kind, target, content_hash, status, total, done, failed, "
                    "params, attempts, created_at, updated_at) VALUES ('job-1', 'articulation', "
                    "'p', 'h', 'done', 0, 0, 0, '{}', 0, :t, :t)"
                ),
                {"t": T0},
            )
        migrate.upgrade(database_url)
        factory = make_sessionmaker(engine)
        with factory() as session:
            assert CredentialRepository(session, "default").get("old-1") is not None
            assert JobRepository(session, "default").get("job-1") is not None
        with session_scope(factory) as session:
            IdentityRepository(session).create_organisation(A, "A")
        with factory() as session:
            assert CredentialRepository(session, A).get("old-1") is None
    finally:
        engine.dispose()
