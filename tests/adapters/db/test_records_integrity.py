"""Decision records against a database administrator, on SQLite and PostgreSQL (issue 12).

Each attack is performed the way someone with the database's credentials could: raw SQL, with
the append-only triggers disabled or dropped first. The chain alone cannot notice a rewrite
that rehashes everything after the edit, the newest record deleted, or the last review deleted
(the first test shows it); a signed checkpoint kept outside the database does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.models_recognition import RecognitionSubjectRow
from app.adapters.db.recognition_repository import (
    RecognitionRepository,
    _hashed_content,
    _review_content,
)
from app.adapters.db.session import make_engine, make_sessionmaker
from app.core.records import StaleVersion, key_id, link_hash
from app.services import records
from tests.adapters.db.test_recognition_repository import _new

LEARNER = {
    "id": "urn:epass:person:1",
    "name": "Ana Andromeda",
    "given_name": "Ana",
    "family_name": "Andromeda",
    "identifiers": [{"value": "LA-234218", "scheme": "national ID (IT)"}],
}


def tenant_sessions(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions bound to the default organisation where the tree has tenancy (records are
    read per organisation; the chain and its checks are one for the whole database)."""
    try:
        from app.adapters.db.tenancy import bind_organisation
    except ImportError:  # a tree without organisations
        return factory

    class Bound(sessionmaker):  # type: ignore[type-arg]
        def __call__(self, **kw: object) -> Session:
            session = super().__call__(**kw)
            bind_organisation(session, "default")
            return session

    return Bound(bind=factory.kw["bind"], expire_on_commit=False)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield tenant_sessions(make_sessionmaker(engine))
    engine.dispose()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _record(session: Session, outcome: str = "full", *, learner: bool = False) -> str:
    from dataclasses import replace

    new = replace(_new(outcome), subject=LEARNER) if learner else _new(outcome)
    return RecognitionRepository(session).append(new).id


def _as_dba(session: Session, *statements: str) -> None:
    """Run ``statements`` as a database administrator would: triggers out of the way first."""
    if session.get_bind().dialect.name == "postgresql":
        for table in ("recognition_record", "recognition_review"):
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
    else:
        names = session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'recog%'")
        ).all()
        for name in names:
            session.execute(text(f'DROP TRIGGER "{name}"'))
    for statement in statements:
        session.execute(text(statement))
    session.commit()


def _checkpoint(session: Session, key: Ed25519PrivateKey) -> dict:  # type: ignore[type-arg]
    document = records.create_checkpoint(session, key)
    session.commit()
    return document


def _report(session: Session, documents: list, key: Ed25519PrivateKey) -> records.ChainReport:  # type: ignore[type-arg]
    session.expire_all()
    keys = {key_id(key.public_key()): key.public_key()}
    return records.verify_chain_with_checkpoints(session, documents, keys)


# --- triggers ---------------------------------------------------------------------------------


def test_replace_and_truncate_are_refused(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        rid = _record(session)
        session.commit()
        RecognitionRepository(session).add_review(
            rid, action="confirm", outcome="full", reviewer="A", reason="ok", payload={}
        )
        session.commit()
        if session.get_bind().dialect.name == "sqlite":
            attacks = [
                f"INSERT OR REPLACE INTO recognition_record SELECT * FROM recognition_record "
                f"WHERE id = '{rid}'",
                f"REPLACE INTO recognition_record SELECT * FROM recognition_record "
                f"WHERE id = '{rid}'",
                "INSERT OR REPLACE INTO recognition_review SELECT * FROM recognition_review",
            ]
        else:
            attacks = [
                "TRUNCATE recognition_record CASCADE",
                "TRUNCATE recognition_review",
                # replica mode skips ordinary triggers; ours are ENABLE ALWAYS
                "SET session_replication_role = replica; DELETE FROM recognition_review; "
                "DELETE FROM recognition_record",
                "SET session_replication_role = replica; UPDATE recognition_review "
                "SET reason = 'changed'",
            ]
        for attack in attacks:
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(text(attack))
            session.rollback()
        assert session.scalar(text("SELECT count(*) FROM recognition_record")) == 1
        assert session.scalar(text("SELECT reason FROM recognition_review")) == "ok"


# --- concurrency -----------------------------------------------------------------------------


def test_eight_concurrent_writers_append_without_errors(factory: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer() -> None:
        start.wait()
        for _ in range(5):
            try:
                with factory() as session:
                    _record(session)
                    session.commit()
            except BaseException as exc:  # every failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with factory() as session:
        repo = RecognitionRepository(session)
        check = repo.verify_all()
        assert check.valid and check.checked == 40, check.problems
        assert repo.head_seq() == 40


def test_of_two_concurrent_reviews_of_one_version_exactly_one_is_stored(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        rid = _record(session)
        session.commit()
        version = RecognitionRepository(session).current_version(rid)
    first_appended, outcomes = threading.Event(), {}

    def first() -> None:
        with factory() as session:
            RecognitionRepository(session).add_review(
                rid,
                action="confirm",
                outcome="full",
                reviewer="A",
                reason="ok",
                payload={},
                based_on=version,
            )
            first_appended.set()
            threading.Event().wait(0.3)  # hold the chain lock while the second one arrives
            session.commit()
            outcomes["first"] = "stored"

    def second() -> None:
        first_appended.wait()
        with factory() as session:
            try:
                RecognitionRepository(session).add_review(
                    rid,
                    action="amend",
                    outcome="refusal",
                    reviewer="B",
                    reason="no",
                    payload={},
                    based_on=version,
                )
                session.commit()
                outcomes["second"] = "stored"
            except StaleVersion as exc:
                outcomes["second"] = f"stale, current {exc.current}"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with factory() as session:
        repo = RecognitionRepository(session)
        reviews = repo.reviews(rid)
        assert [r.reviewer for r in reviews] == ["A"]
        assert outcomes == {"first": "stored", "second": f"stale, current {reviews[0].review_hash}"}


# --- attacks the chain alone misses, and the checkpoint catches -----------------------------


def _rehash_after_edit(session: Session) -> None:
    """Edit record 1's outcome, then recompute every hash after it (records and reviews)."""
    repo = RecognitionRepository(session)
    rows = sorted(repo.list(limit=100)[0], key=lambda r: r.seq)
    statements, previous, rehashed = [], rows[0].prev_hash, {}
    for row in rows:
        content = _hashed_content(row)
        if row.seq == 1:
            content["outcome"] = "refusal"
        new_hash = link_hash(previous, content)
        rehashed[row.id] = new_hash
        statements.append(
            f"UPDATE recognition_record SET outcome = '{content['outcome']}', "
            f"prev_hash = '{previous}', record_hash = '{new_hash}' WHERE seq = {row.seq}"
        )
        previous = new_hash
    for record_id, record_hash in rehashed.items():
        previous = record_hash
        for review in repo.reviews(record_id):
            content = _review_content(review)
            new_hash = link_hash(previous, content)
            statements.append(
                f"UPDATE recognition_review SET prev_hash = '{previous}', "
                f"review_hash = '{new_hash}' WHERE id = {review.id}"
            )
            previous = new_hash
    _as_dba(session, *statements)


@pytest.mark.parametrize("attack", ["rehash", "delete_newest", "delete_last_review"])
def test_attacks_pass_the_chain_but_not_the_checkpoint(
    factory: sessionmaker[Session], key: Ed25519PrivateKey, attack: str
) -> None:
    with factory() as session:
        first = _record(session)
        for outcome in ("partial", "refusal", "full"):
            _record(session, outcome)
        RecognitionRepository(session).add_review(
            first, action="confirm", outcome="full", reviewer="A", reason="ok", payload={}
        )
        session.commit()
        document = _checkpoint(session, key)
        clean = _report(session, [document], key)
        assert clean.valid and clean.problems == [] and clean.proves, clean

        if attack == "rehash":
            _rehash_after_edit(session)
        elif attack == "delete_newest":
            _as_dba(session, "DELETE FROM recognition_record WHERE seq = 4")
        else:
            _as_dba(session, "DELETE FROM recognition_review")

        session.expire_all()
        repo = RecognitionRepository(session)
        if attack != "delete_last_review":
            # the chain on its own sees nothing wrong: this is what the checkpoint is for
            assert repo.verify_all().valid
        report = _report(session, [document], key)
        assert not report.valid
        expected = {
            "rehash": "the chain up to it was rewritten",
            "delete_newest": "record 4 (the head at the checkpoint) is missing",
            "delete_last_review": "reviews signed at the checkpoint",
        }[attack]
        assert any(expected in p for p in report.problems), report.problems
        # and the record's own /verify proof says so too
        proof = records.record_proof(
            session, first, [document], {key_id(key.public_key()): key.public_key()}
        )
        assert proof["checkpoint_problems"], proof


def test_what_cannot_be_proved_is_said(
    factory: sessionmaker[Session], key: Ed25519PrivateKey
) -> None:
    with factory() as session:
        before = _record(session)
        session.commit()
        assert any("no signed checkpoint" in c for c in _report(session, [], key).cannot_prove)
        document = _checkpoint(session, key)
        after = _record(session)
        session.commit()
        report = _report(session, [document], key)
        assert report.valid
        assert any("only as trustworthy as the database" in c for c in report.cannot_prove)
        keys = {key_id(key.public_key()): key.public_key()}
        covered = records.record_proof(session, before, [document], keys)
        assert covered["checkpoint"]["head_seq"] == 1 and covered["proves"]
        uncovered = records.record_proof(session, after, [document], keys)
        assert uncovered["checkpoint"] is None
        assert any("after the last checkpoint" in c for c in uncovered["cannot_prove"])


def test_forged_and_unknown_checkpoints_are_refused(
    factory: sessionmaker[Session], key: Ed25519PrivateKey
) -> None:
    with factory() as session:
        _record(session)
        session.commit()
        document = _checkpoint(session, key)
        forged = {**document, "records": {**document["records"], "head_seq": 0}}
        stranger = Ed25519PrivateKey.generate()
        foreign = records.create_checkpoint(session, stranger)
        report = _report(session, [forged, foreign], key)
        assert not report.valid
        assert any("signature does not match" in p for p in report.problems)
        assert any("not trusted" in p for p in report.problems)


def test_a_rotated_key_still_verifies_its_checkpoints(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from app.settings import RecordSettings

    old_path, new_path = tmp_path / "old.pem", tmp_path / "new.pem"
    old = records.generate_signing_key(old_path)
    with factory() as session:
        _record(session)
        session.commit()
        signed_by_old = _checkpoint(session, old)
        records.generate_signing_key(new_path)
        rotated = RecordSettings(
            signing_key=new_path, trusted_public_keys=[records.public_key_path(old_path)]
        )
        new = records.load_signing_key(new_path)
        _record(session)
        session.commit()
        signed_by_new = _checkpoint(session, new)
        report = records.verify_chain_with_checkpoints(
            session, [signed_by_old, signed_by_new], records.trusted_keys(rotated)
        )
        assert report.valid and report.checkpoints == 2, report
        forgotten = records.verify_chain_with_checkpoints(
            session, [signed_by_old], records.trusted_keys(RecordSettings(signing_key=new_path))
        )
        assert any("not trusted" in p for p in forgotten.problems)


# --- personal data ---------------------------------------------------------------------------


def test_the_learner_is_kept_apart_and_erasure_keeps_the_record_verifiable(
    factory: sessionmaker[Session], key: Ed25519PrivateKey
) -> None:
    with factory() as session:
        rid = _record(session, learner=True)
        other = _record(session)
        session.commit()
        document = _checkpoint(session, key)
        stored = (
            session.execute(text("SELECT * FROM recognition_record WHERE id = :id"), {"id": rid})
            .mappings()
            .one()
        )
        flat = " ".join(str(v) for v in stored.values())
        assert "Andromeda" not in flat and "LA-234218" not in flat
        assert stored["subject_commitment"] and len(stored["subject_commitment"]) == 64
        subject = session.get(RecognitionSubjectRow, rid)
        assert subject is not None and subject.subject == LEARNER and subject.salt

        erased = records.erase_personal_data(session, learner="LA-234218")
        session.commit()
        assert erased == [rid]
        session.expire_all()
        subject = session.get(RecognitionSubjectRow, rid)
        assert subject is not None
        assert (subject.subject, subject.salt, subject.erasure_reason) == (None, None, "request")
        remaining = session.execute(text("SELECT * FROM recognition_subject")).mappings().all()
        assert "Andromeda" not in str(remaining)
        report = _report(session, [document], key)
        assert report.valid, report.problems
        assert RecognitionRepository(session).verify(rid).valid
        assert records.erase_personal_data(session, record_id=other) == []


def test_retention_purge_erases_only_what_is_older(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        old = _record(session, learner=True)
        session.commit()
        # age the subject row (it is not append-only): as if written 400 days ago
        session.execute(
            text("UPDATE recognition_subject SET created_at = '2020-01-01T00:00:00+00:00'")
        )
        new = _record(session, learner=True)
        session.commit()
        assert records.purge_expired(session, older_than_days=365) == [old]
        session.commit()
        query = select(RecognitionSubjectRow.record_id, RecognitionSubjectRow.erasure_reason)
        statuses = {row.record_id: row.erasure_reason for row in session.execute(query)}
        assert statuses == {old: "retention", new: None}


def test_erasure_by_learner_reaches_the_stored_credentials(
    factory: sessionmaker[Session],
) -> None:
    import datetime as dt

    from app.adapters.db.models_credentials import CredentialRow

    with factory() as session:
        extra = {"organisation_id": "default"} if hasattr(CredentialRow, "organisation_id") else {}
        credential = CredentialRow(
            id="c-1",
            content_hash="c" * 64,
            source_format="plain",
            title="Data analysis",
            credential={"title": "Data analysis", "learner": LEARNER},
            original={"learner": {"name": "Ana Andromeda"}},
            original_text=None,
            completeness={},
            warnings=[],
            created_at=dt.datetime.now(dt.UTC),
            **extra,
        )
        session.add(credential)
        session.flush()
        from dataclasses import replace

        # the record reads its learner from the stored credential
        rid = RecognitionRepository(session).append(replace(_new(), credential_id="c-1")).id
        unrelated = CredentialRow(
            id="c-2",
            content_hash="d" * 64,
            source_format="plain",
            title="Other",
            credential={"title": "Other", "learner": LEARNER},
            original={"learner": {"name": "Ana Andromeda"}},
            original_text=None,
            completeness={},
            warnings=[],
            created_at=dt.datetime.now(dt.UTC),
            **extra,
        )
        session.add(unrelated)
        session.commit()
        assert session.get(RecognitionSubjectRow, rid).subject == LEARNER  # type: ignore[union-attr]

        assert records.erase_personal_data(session, learner="urn:epass:person:1") == [rid]
        session.commit()
        session.expire_all()
        for row in session.scalars(select(CredentialRow)):
            assert row.credential["learner"] is None and row.original is None
        assert RecognitionRepository(session).verify(rid).valid


def test_a_decision_re_attributed_to_another_learner_is_detected(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        rid = _record(session, learner=True)
        session.commit()
        proof = records.record_proof(session, rid, [], {})
        assert proof["personal_data"]["status"].endswith("matches its commitment")
        assert proof["checkpoint_problems"] == []
        # the subject table is writable (erasure needs it): swap the learner
        other = {**LEARNER, "name": "Someone Else", "identifiers": []}
        session.execute(
            text("UPDATE recognition_subject SET subject = :s WHERE record_id = :id"),
            {"s": json.dumps(other), "id": rid},
        )
        session.commit()
        session.expire_all()
        proof = records.record_proof(session, rid, [], {})
        assert proof["personal_data"] == {"status": "altered"}
        assert any("does not match the commitment" in p for p in proof["checkpoint_problems"])
        session.execute(text("DELETE FROM recognition_subject"))
        session.commit()
        session.expire_all()
        proof = records.record_proof(session, rid, [], {})
        assert proof["personal_data"] == {"status": "missing"}
