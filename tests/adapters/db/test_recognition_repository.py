"""Decision records on SQLite and PostgreSQL: append-only, hash-chained, tampering detected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.adapters.db import migrate
from app.adapters.db.recognition_repository import NewRecord, RecognitionRepository
from app.adapters.db.session import make_engine, make_sessionmaker


def _new(outcome: str = "full", title: str = "Data analysis") -> NewRecord:
    return NewRecord(
        input_hash="a" * 64,
        data_release="b" * 64,
        model_id="fake",
        policy_version="test",
        purpose="credit_transfer",
        outcome=outcome,
        target_framework="IE-NFQ",
        qualification_id="q1",
        credential_id=None,
        credential_title=title,
        credential_eqf=6,
        confidence=0.81,
        payload={"findings": [{"element": "level", "score": 0.5}], "é": "ü"},
    )


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        yield s
    engine.dispose()


def test_records_chain_and_verify(session: Session) -> None:
    repo = RecognitionRepository(session)
    first = repo.append(_new())
    second = repo.append(_new("partial"))
    session.commit()
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.record_hash
    assert repo.verify(first.id).valid
    assert repo.verify(second.id).valid
    assert repo.verify_all().valid


def test_reviews_append_to_the_history(session: Session) -> None:
    repo = RecognitionRepository(session)
    record = repo.append(_new())
    r1 = repo.add_review(
        record.id,
        action="confirm",
        outcome="full",
        reviewer="A. Officer",
        reason="agreed",
        payload={},
    )
    r2 = repo.add_review(
        record.id,
        action="amend",
        outcome="partial",
        reviewer="B. Head",
        reason="module M2 not covered",
        payload={"modules": ["M1"]},
    )
    session.commit()
    assert [r.seq for r in repo.reviews(record.id)] == [1, 2]
    assert r1.prev_hash == record.record_hash and r2.prev_hash == r1.review_hash
    check = repo.verify(record.id)
    assert check.valid and check.checked == 3


def test_the_database_refuses_updates_and_deletes(session: Session) -> None:
    repo = RecognitionRepository(session)
    record = repo.append(_new())
    session.commit()
    for statement in (
        "UPDATE recognition_record SET outcome = 'refusal'",
        "DELETE FROM recognition_record",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert repo.get(record.id).outcome == "full"


def _tamper(session: Session, statement: str) -> None:
    """Bypass the append-only triggers, as an attacker with database access could."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE recognition_record DISABLE TRIGGER USER"))
        session.execute(text("ALTER TABLE recognition_review DISABLE TRIGGER USER"))
    else:
        for name in ("recognition_record_no_update", "recognition_review_no_update"):
            session.execute(text(f"DROP TRIGGER {name}"))
    session.execute(text(statement))
    session.commit()


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE recognition_record SET outcome = 'refusal' WHERE seq = 1", "record 1: content"),
        ("UPDATE recognition_record SET confidence = 0.99 WHERE seq = 1", "record 1: content"),
        ("UPDATE recognition_review SET reason = 'changed' WHERE seq = 1", "review 1: content"),
    ],
)
def test_tampering_is_detected(session: Session, statement: str, expected: str) -> None:
    repo = RecognitionRepository(session)
    record = repo.append(_new())
    repo.append(_new("partial"))
    repo.add_review(
        record.id, action="confirm", outcome="full", reviewer="A", reason="ok", payload={}
    )
    session.commit()
    assert repo.verify(record.id).valid
    _tamper(session, statement)
    session.expire_all()
    check = repo.verify(record.id)
    assert not check.valid
    assert any(p.startswith(expected) for p in check.problems)
    assert not repo.verify_all().valid or "review" in expected


def test_rewriting_a_record_and_its_hash_breaks_the_next_link(session: Session) -> None:
    from app.core.records import link_hash

    repo = RecognitionRepository(session)
    first = repo.append(_new())
    second = repo.append(_new("partial"))
    session.commit()
    from app.adapters.db.recognition_repository import _hashed_content

    content = _hashed_content(first)
    content["outcome"] = "refusal"
    forged = link_hash(first.prev_hash, content)
    _tamper(
        session,
        "UPDATE recognition_record SET outcome = 'refusal', "
        f"record_hash = '{forged}' WHERE seq = 1",
    )
    session.expire_all()
    assert repo.verify(first.id).problems == ("record 2 does not point at this record's hash",)
    assert not repo.verify(second.id).valid
