"""Imported micro-credentials: normalised form, original document, completeness, warnings.

Revision ID: 0003_credentials
Revises: 0001_registry
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_credentials"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_format", sa.String(16), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("credential", sa.JSON(), nullable=False),
        sa.Column("original", sa.JSON()),
        sa.Column("original_text", sa.Text()),
        sa.Column("completeness", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_release_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_credential_content_hash")),
        sa.ForeignKeyConstraint(
            ["data_release_id"],
            ["data_release.id"],
            name=op.f("fk_credential_data_release_id_data_release"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(op.f("ix_credential_created_at"), "credential", ["created_at"])
    op.create_index(op.f("ix_credential_data_release_id"), "credential", ["data_release_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_credential_data_release_id"), table_name="credential")
    op.drop_index(op.f("ix_credential_created_at"), table_name="credential")
    op.drop_table("credential")
