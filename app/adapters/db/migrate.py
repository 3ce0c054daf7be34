"""Run Alembic migrations from code (start-up, CLI, tests).

Alembic (with Mako and Pygments behind it) costs about 11 MB of resident memory and 0.4 s of
import in a process that, once migrated, never needs it again. So start-up first reads the
database's revisions with one query and compares them with :data:`SCHEMA_HEADS`; Alembic is
imported only when there is something to apply. A test checks that :data:`SCHEMA_HEADS` is what
Alembic computes from ``migrations/``, so adding a migration without updating it fails CI.

Several processes may start at once (API replicas, workers, the fleet's migration job): on
PostgreSQL every upgrade or downgrade runs under a session advisory lock
(:func:`migration_lock`), so one applies the migrations while the others wait and then find
nothing left to do. SQLite serialises writers itself (one file, one process in practice).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

#: The head revision(s) of ``migrations/`` (sorted); update with every new migration.
SCHEMA_HEADS: tuple[str, ...] = ("0016_web_sessions",)
_VERSION_TABLE = "alembic_version"
#: The key of the PostgreSQL advisory lock held while migrating ("passerel" in ASCII, as int64).
MIGRATION_LOCK_KEY = 0x7061737365726571


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the migration lock on ``url`` (PostgreSQL: ``pg_advisory_lock``; others: nothing).

    The lock lives on its own connection, so Alembic's connection (and its transaction) is not
    affected; it is released when the block ends, or by the server if the process dies.
    """
    if make_url(url).get_backend_name() != "postgresql":
        yield
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply migrations up to ``revision`` (all heads by default: feature branches may fork)."""
    from alembic import command

    with migration_lock(url):
        command.upgrade(alembic_config(url), revision)


def upgrade_if_needed(engine: Engine, url: str) -> bool:
    """Apply every migration unless the database is already at :data:`SCHEMA_HEADS`.

    Returns whether Alembic ran.
    """
    if current_revisions(engine) == SCHEMA_HEADS:
        return False
    upgrade(url)
    return True


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    with migration_lock(url):
        command.downgrade(alembic_config(url), revision)


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at, sorted (empty for a database never migrated)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(_VERSION_TABLE):
            return ()
        rows = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalars()
        return tuple(sorted(str(r) for r in rows))


def head_revisions(url: str) -> tuple[str, ...]:
    """The head revisions Alembic computes from ``migrations/`` (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory.from_config(alembic_config(url)).get_heads()))
