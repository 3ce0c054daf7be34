"""Recognition decision records and reviews: append-only (triggers refuse UPDATE and DELETE).

Revision ID: 0005_recognition
Revises: 0001_registry
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_recognition"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("recognition_record", "recognition_review")


def upgrade() -> None:
    op.create_table(
        "recognition_record",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("data_release", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(120)),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("target_framework", sa.String(40), nullable=False),
        sa.Column("qualification_id", sa.String(64)),
        sa.Column("credential_id", sa.String(64)),
        sa.Column("credential_title", sa.Text()),
        sa.Column("credential_eqf", sa.Integer()),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_record")),
        sa.UniqueConstraint("seq", name=op.f("uq_recognition_record_seq")),
        sa.UniqueConstraint("record_hash", name=op.f("uq_recognition_record_record_hash")),
    )
    for column in (
        "input_hash",
        "purpose",
        "outcome",
        "target_framework",
        "qualification_id",
        "credential_id",
    ):
        op.create_index(op.f(f"ix_recognition_record_{column}"), "recognition_record", [column])
    op.create_table(
        "recognition_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("review_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_review")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["recognition_record.id"],
            name=op.f("fk_recognition_review_record_id_recognition_record"),
        ),
        sa.UniqueConstraint("record_id", "seq", name=op.f("uq_recognition_review_record_id")),
        sa.UniqueConstraint("review_hash", name=op.f("uq_recognition_review_review_hash")),
    )
    op.create_index(op.f("ix_recognition_review_record_id"), "recognition_review", ["record_id"])

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION passerelle_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION passerelle_append_only()"
            )
    elif dialect == "sqlite":
        for table in TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS passerelle_append_only()")
    elif dialect == "sqlite":
        for table in TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_index(op.f("ix_recognition_review_record_id"), table_name="recognition_review")
    op.drop_table("recognition_review")
    for column in (
        "input_hash",
        "purpose",
        "outcome",
        "target_framework",
        "qualification_id",
        "credential_id",
    ):
        op.drop_index(op.f(f"ix_recognition_record_{column}"), table_name="recognition_record")
    op.drop_table("recognition_record")
