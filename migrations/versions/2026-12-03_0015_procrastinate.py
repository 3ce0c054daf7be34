"""Batch jobs on Procrastinate (issue 15): its schema on PostgreSQL; chunks and lanes on ``job``.

Revision ID: 0015_procrastinate
Revises: 0014_module_description
Create Date: 2026-12-03

* PostgreSQL: the Procrastinate 3.10.0 schema (tables ``procrastinate_*``, their functions,
  triggers and LISTEN/NOTIFY channels), from ``migrations/sql/procrastinate-3.10.0.sql`` (copied
  unchanged from the package; README there). SQLite has no Procrastinate: jobs run on a thread.
* Both: ``job`` loses its lease (Procrastinate's locks and worker heartbeats replace it) and
  gains ``chunk_size`` and ``lanes`` (how its items are cut for parallel workers), and an index
  on (organisation, status) for the workers' "what is left for this organisation".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0015_procrastinate"
down_revision: str | Sequence[str] | None = "0014_module_description"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).resolve().parent.parent / "sql" / "procrastinate-3.10.0.sql"

_DROP_PROCRASTINATE = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE p.proname LIKE 'procrastinate\\_%' AND n.nspname = current_schema()
    LOOP
        EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _run_script(sql: str) -> None:
    """Several statements, with ``%`` in them: through the driver, without parameters (psycopg
    then sends the text as it is)."""
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def upgrade() -> None:
    if _postgresql():
        _run_script(SCHEMA.read_text(encoding="utf-8"))
    op.drop_index("ix_job_status_lease_expires_at", table_name="job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("lease_owner")
        batch.drop_column("lease_expires_at")
        batch.add_column(sa.Column("chunk_size", sa.Integer(), server_default="25", nullable=False))
        batch.add_column(sa.Column("lanes", sa.Integer(), server_default="2", nullable=False))
    op.create_index("ix_job_organisation_id_status", "job", ["organisation_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_job_organisation_id_status", table_name="job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("lanes")
        batch.drop_column("chunk_size")
        batch.add_column(sa.Column("lease_owner", sa.String(64)))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True)))
    op.create_index("ix_job_status_lease_expires_at", "job", ["status", "lease_expires_at"])
    if _postgresql():
        _run_script(_DROP_PROCRASTINATE)
