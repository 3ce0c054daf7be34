"""Migrations under a lock: concurrent upgrades on PostgreSQL wait for each other (issue 15)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.adapters.db import migrate
from app.adapters.db.session import make_engine
from app.settings import PROJECT_ROOT
from tests.conftest import _worker, make_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> str:
    return make_postgres_database(f"passerelle_test_miglock_{_worker()}")


def test_an_upgrade_waits_while_another_process_holds_the_lock(pg_url: str) -> None:
    holder = create_engine(pg_url, poolclass=NullPool)
    engine = make_engine(pg_url)
    try:
        with holder.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": migrate.MIGRATION_LOCK_KEY})
            done = threading.Event()
            worker = threading.Thread(target=lambda: (migrate.upgrade(pg_url), done.set()))
            worker.start()
            time.sleep(1.5)
            # Held elsewhere: the upgrade has not started (no version table yet).
            assert not done.is_set()
            assert migrate.current_revisions(engine) == ()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": migrate.MIGRATION_LOCK_KEY})
        worker.join(timeout=120)
        assert done.is_set()
        assert migrate.current_revisions(engine) == migrate.head_revisions(pg_url)
    finally:
        engine.dispose()
        holder.dispose()


def test_two_concurrent_upgrades_both_succeed(pg_url: str) -> None:
    script = f"from app.adapters.db import migrate; migrate.upgrade({pg_url!r}); print('ok')"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in results]
    engine = make_engine(pg_url)
    try:
        assert migrate.current_revisions(engine) == migrate.head_revisions(pg_url)
        with engine.connect() as conn:
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                    " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
                )
            ).scalar_one()
        assert held == 0  # released by both
    finally:
        engine.dispose()


def test_sqlite_upgrade_takes_no_lock(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/p.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        assert migrate.current_revisions(engine) == migrate.head_revisions(url)
    finally:
        engine.dispose()
