"""Identity and tenancy: organisations, API keys, the personal-data access log, and an
``organisation_id`` on every table of organisation data (issue 12).

Rows written before this revision belong to the organisation ``default``, created here. Content
identity becomes per organisation (``(organisation_id, content_hash)`` unique), so the same
document imported by two organisations is two rows, and neither learns the other holds it.

``recognition_record`` also gets ``created_by`` (the principal that asked for the
recommendation, for the four-eyes rule; NULL for older records). The record tables refuse UPDATE
by trigger and SQLite's batch mode would rebuild them (dropping the triggers), so they get plain
``ADD COLUMN`` s; on SQLite without a foreign key, because SQLite refuses ``ADD COLUMN ...
REFERENCES`` with a non-NULL default while foreign keys are enforced.

Revision ID: 0010_identity
Revises: 0008_merge_jobs
Create Date: 2026-12-03
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_identity"
down_revision: str | Sequence[str] | None = "0008_merge_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT = "default"
# table -> the unique constraint on content that becomes per organisation: (old name, columns)
_CONTENT_UNIQUE: dict[str, tuple[str, list[str]]] = {
    "credential": ("uq_credential_content_hash", ["content_hash"]),
    "programme": ("uq_programme_content_hash", ["content_hash"]),
    "job": ("uq_job_kind_target_content_hash", ["kind", "target", "content_hash"]),
}
_APPEND_ONLY = ("recognition_record",)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _org_column() -> sa.Column[str]:
    return sa.Column(
        "organisation_id", sa.String(63), nullable=False, server_default=sa.text(f"'{DEFAULT}'")
    )


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.String(63), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
    )
    op.bulk_insert(
        sa.table(
            "organisation",
            sa.column("id", sa.String),
            sa.column("name", sa.Text),
            sa.column("created_at", sa.DateTime(timezone=True)),
        ),
        [{"id": DEFAULT, "name": "Default organisation", "created_at": dt.datetime.now(dt.UTC)}],
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(63), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_api_key_organisation_id_organisation"),
        ),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_key_digest")),
    )
    op.create_index(op.f("ix_api_key_organisation_id"), "api_key", ["organisation_id"])
    op.create_table(
        "personal_data_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal_id", sa.String(200), nullable=False),
        sa.Column("organisation_id", sa.String(63), nullable=False),
        sa.Column("record_kind", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_access")),
    )
    for column in ("at", "principal_id", "organisation_id"):
        op.create_index(op.f(f"ix_personal_data_access_{column}"), "personal_data_access", [column])
    op.create_index(
        "ix_personal_data_access_record", "personal_data_access", ["record_kind", "record_id"]
    )

    for table, (old_name, columns) in _CONTENT_UNIQUE.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(_org_column())
            batch.drop_constraint(old_name, type_="unique")
            batch.create_unique_constraint(
                op.f(f"uq_{table}_organisation_id_{columns[-1]}"),
                ["organisation_id", *columns],
            )
            batch.create_foreign_key(
                op.f(f"fk_{table}_organisation_id_organisation"),
                "organisation",
                ["organisation_id"],
                ["id"],
            )
        op.create_index(op.f(f"ix_{table}_organisation_id"), table, ["organisation_id"])

    for table in _APPEND_ONLY:
        op.add_column(table, _org_column())
        op.add_column(table, sa.Column("created_by", sa.String(200)))
        if not _sqlite():
            op.create_foreign_key(
                op.f(f"fk_{table}_organisation_id_organisation"),
                table,
                "organisation",
                ["organisation_id"],
                ["id"],
            )
        op.create_index(op.f(f"ix_{table}_organisation_id"), table, ["organisation_id"])


def downgrade() -> None:
    for table in _APPEND_ONLY:
        op.drop_index(op.f(f"ix_{table}_organisation_id"), table_name=table)
        if not _sqlite():
            op.drop_constraint(
                op.f(f"fk_{table}_organisation_id_organisation"), table, type_="foreignkey"
            )
        # SQLite >= 3.35 drops a column in place, so the append-only triggers survive.
        op.drop_column(table, "created_by")
        op.drop_column(table, "organisation_id")
    for table, (old_name, columns) in _CONTENT_UNIQUE.items():
        op.drop_index(op.f(f"ix_{table}_organisation_id"), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(
                op.f(f"fk_{table}_organisation_id_organisation"), type_="foreignkey"
            )
            batch.drop_constraint(op.f(f"uq_{table}_organisation_id_{columns[-1]}"), type_="unique")
            batch.create_unique_constraint(old_name, columns)
            batch.drop_column("organisation_id")
    op.drop_table("personal_data_access")
    op.drop_index(op.f("ix_api_key_organisation_id"), table_name="api_key")
    op.drop_table("api_key")
    op.drop_table("organisation")
