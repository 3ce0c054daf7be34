"""Alembic environment: the URL comes from the caller (config attribute) or from settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.adapters.db import (
    models,  # noqa: F401  (registers the registry tables)
    models_catalogue,  # noqa: F401  (registers the catalogue tables)
    models_credentials,  # noqa: F401  (registers the credential table)
    models_esco,  # noqa: F401  (registers the ESCO tables)
    models_identity,  # noqa: F401  (registers organisations, API keys, the access log)
    models_jobs,  # noqa: F401  (registers the batch job tables)
    models_recognition,  # noqa: F401  (registers the record tables)
)
from app.adapters.db.base import Base
from app.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from app.adapters.db.session import make_engine

    url = config.attributes.get("url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table (create, copy, drop, rename); with foreign keys on,
            # dropping the old table would cascade to the rows that reference it (Alembic docs,
            # "Dealing with Referencing Foreign Keys"). The pragma only works outside a
            # transaction, which is why it is set here, before the migrations begin one.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        _run(conn)
        conn.commit()
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=get_settings().database_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
