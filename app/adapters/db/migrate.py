"""Run Alembic migrations from code (start-up, CLI, tests).

Alembic (with Mako and Pygments behind it) costs about 11 MB of resident memory and 0.4 s of
import in a process that, once migrated, never needs it again. So start-up first reads the
database's revisions with one query and compares them with :data:`SCHEMA_HEADS`; Alembic is
imported only when there is something to apply. A test checks that :data:`SCHEMA_HEADS` is what
Alembic computes from ``migrations/``, so adding a migration without updating it fails CI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from app.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

#: The head revision(s) of ``migrations/`` (sorted); update with every new migration.
SCHEMA_HEADS: tuple[str, ...] = ("0013_merge_trust",)
_VERSION_TABLE = "alembic_version"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply migrations up to ``revision`` (all heads by default: feature branches may fork)."""
    from alembic import command

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
