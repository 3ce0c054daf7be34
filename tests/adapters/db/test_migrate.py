"""Start-up migrates only when the database is behind, without Alembic when it is not."""

from __future__ import annotations

import json
import subprocess
import sys

from app.adapters.db import migrate
from app.adapters.db.session import make_engine
from app.settings import PROJECT_ROOT


def test_schema_heads_are_the_migration_heads(database_url: str) -> None:
    # Fails when a migration is added and SCHEMA_HEADS is not updated with it.
    assert migrate.head_revisions(database_url) == migrate.SCHEMA_HEADS


def test_upgrade_if_needed(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert migrate.current_revisions(engine) == ()
        assert migrate.upgrade_if_needed(engine, database_url) is True
        assert migrate.current_revisions(engine) == migrate.SCHEMA_HEADS
        assert migrate.upgrade_if_needed(engine, database_url) is False
        migrate.downgrade(database_url, "0001_registry")
        assert migrate.current_revisions(engine) == ("0001_registry",)
        assert migrate.upgrade_if_needed(engine, database_url) is True
        assert migrate.current_revisions(engine) == migrate.SCHEMA_HEADS
    finally:
        engine.dispose()


def test_a_migrated_database_starts_without_alembic(database_url: str) -> None:
    migrate.upgrade(database_url)
    script = (
        "import json, sys\n"
        "from app.adapters.db import migrate\n"
        "from app.adapters.db.session import make_engine\n"
        f"engine = make_engine({database_url!r})\n"
        f"ran = migrate.upgrade_if_needed(engine, {database_url!r})\n"
        "print(json.dumps([ran, 'alembic' in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, False]
