"""``passerelle records``: keygen, checkpoint, offline verify, erase, purge — on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.adapters.db import migrate
from app.adapters.db.recognition_repository import RecognitionRepository
from app.adapters.db.session import make_engine, make_sessionmaker
from app.cli import cli
from app.settings import get_settings
from tests.adapters.db.test_recognition_repository import _new
from tests.adapters.db.test_records_integrity import LEARNER, tenant_sessions

runner = CliRunner()


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", database_url)
    monkeypatch.setenv("PASSERELLE_RECORDS__SIGNING_KEY", str(tmp_path / "keys" / "current.pem"))
    monkeypatch.setenv("PASSERELLE_RECORDS__CHECKPOINTS_FILE", str(tmp_path / "checkpoints.jsonl"))
    get_settings.cache_clear()
    migrate.upgrade(database_url)
    yield tmp_path
    get_settings.cache_clear()


def _records(url: str, n: int, *, learner: bool = False) -> list[str]:
    engine = make_engine(url)
    factory = tenant_sessions(make_sessionmaker(engine))
    with factory() as session:
        repo = RecognitionRepository(session)
        ids = [
            repo.append(replace(_new(), subject=LEARNER if learner else None)).id for _ in range(n)
        ]
        session.commit()
    engine.dispose()
    return ids


def _as_dba(url: str, statement: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE recognition_record DISABLE TRIGGER ALL"))
        else:
            for name in (
                conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                .scalars()
                .all()
            ):
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        conn.execute(text(statement))
    engine.dispose()


def test_checkpoint_then_verify_offline_and_detect_a_deleted_newest_record(
    env: Path, database_url: str
) -> None:
    _records(database_url, 3)
    made = runner.invoke(cli, ["records", "checkpoint"])
    assert made.exit_code == 0, made.output
    public = env / "keys" / "current.pub.pem"
    assert public.exists() and (env / "keys" / "current.pem").stat().st_mode & 0o077 == 0
    lines = (env / "checkpoints.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["records"]["head_seq"] == 3

    args = ["records", "verify", "--checkpoints", str(env / "checkpoints.jsonl")]
    ok = runner.invoke(cli, [*args, "--public-key", str(public), "--json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.output)
    assert report["valid"] and report["checkpoints"] == 1 and report["proves"]

    _as_dba(database_url, "DELETE FROM recognition_record WHERE seq = 3")
    tampered = runner.invoke(cli, [*args, "--public-key", str(public)])
    assert tampered.exit_code == 1
    said = " ".join(tampered.output.split())  # rich wraps long lines
    assert "record 3 (the head at the checkpoint) is missing" in said


def test_a_rotated_key_needs_its_public_half(env: Path, database_url: str) -> None:
    _records(database_url, 1)
    assert runner.invoke(cli, ["records", "checkpoint"]).exit_code == 0
    rotated = env / "keys" / "next.pem"
    assert runner.invoke(cli, ["records", "keygen", "--out", str(rotated)]).exit_code == 0
    # a second keygen on the same path is refused: rotation is a new file, never an overwrite
    assert runner.invoke(cli, ["records", "keygen", "--out", str(rotated)]).exit_code == 2
    args = ["records", "verify", "--checkpoints", str(env / "checkpoints.jsonl")]
    only_new = runner.invoke(cli, [*args, "--public-key", str(env / "keys" / "next.pub.pem")])
    assert only_new.exit_code == 1 and "not trusted" in only_new.output
    both = runner.invoke(
        cli,
        [
            *args,
            "--public-key",
            str(env / "keys" / "next.pub.pem"),
            "--public-key",
            str(env / "keys" / "current.pub.pem"),
        ],
    )
    assert both.exit_code == 0, both.output


def test_erase_and_purge(env: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _records(database_url, 2, learner=True)
    erased = runner.invoke(cli, ["records", "erase", "--record", first])
    assert erased.exit_code == 0 and first in erased.output, erased.output
    assert runner.invoke(cli, ["records", "erase", "--record", "nope"]).exit_code == 2
    assert runner.invoke(cli, ["records", "purge"]).exit_code == 2  # no retention configured
    monkeypatch.setenv("PASSERELLE_RECORDS__PERSONAL_DATA_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    kept = runner.invoke(cli, ["records", "purge"])
    assert kept.exit_code == 0 and "behind 0 record(s)" in kept.output, kept.output
    by_learner = runner.invoke(cli, ["records", "erase", "--learner", "urn:epass:person:1"])
    assert by_learner.exit_code == 0 and second in by_learner.output
    assert runner.invoke(cli, ["records", "verify", "--json"]).exit_code == 0
