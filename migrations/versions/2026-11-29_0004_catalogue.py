"""Qualification and programme catalogue: programmes, their modules and module outcomes.

Revision ID: 0004_catalogue
Revises: 0001_registry
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_catalogue"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("code", sa.String(100)),
        sa.Column("award", sa.String(500)),
        sa.Column("institution_name", sa.Text(), nullable=False),
        sa.Column("institution_country", sa.String(2)),
        sa.Column("framework", sa.String(40)),
        sa.Column("level_code", sa.String(40)),
        sa.Column("eqf_level", sa.Integer()),
        sa.Column("credits_value", sa.Float()),
        sa.Column("credits_system", sa.String(20)),
        sa.Column("isced_f", sa.String(4)),
        sa.Column("language", sa.String(35)),
        sa.Column("url", sa.Text()),
        sa.Column("cost_amount", sa.Numeric(14, 2, asdecimal=False)),
        sa.Column("cost_currency", sa.String(3)),
        sa.Column("cost_note", sa.Text()),
        sa.Column("notes", sa.Text()),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_release_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_programme_content_hash")),
        sa.ForeignKeyConstraint(
            ["data_release_id"],
            ["data_release.id"],
            name=op.f("fk_programme_data_release_id_data_release"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(op.f("ix_programme_created_at"), "programme", ["created_at"])
    op.create_index(op.f("ix_programme_eqf_level"), "programme", ["eqf_level"])
    op.create_index(op.f("ix_programme_data_release_id"), "programme", ["data_release_id"])
    op.create_index(
        "ix_programme_framework_level_code", "programme", ["framework", "level_code"]
    )

    op.create_table(
        "module",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("code_key", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("credits_value", sa.Float()),
        sa.Column("credits_system", sa.String(20)),
        sa.Column("framework", sa.String(40)),
        sa.Column("level_code", sa.String(40)),
        sa.Column("cycle", sa.String(10)),
        sa.Column("year", sa.Integer()),
        sa.Column("semester", sa.String(100)),
        sa.Column("status", sa.String(12)),
        sa.Column("isced_f", sa.String(4)),
        sa.Column("language", sa.String(35)),
        sa.Column("url", sa.Text()),
        sa.Column("cost_amount", sa.Numeric(14, 2, asdecimal=False)),
        sa.Column("cost_currency", sa.String(3)),
        sa.Column("cost_note", sa.Text()),
        sa.Column("prerequisites", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_module_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "programme_id", "position", name=op.f("uq_module_programme_id_position")
        ),
        sa.UniqueConstraint(
            "programme_id", "code_key", name=op.f("uq_module_programme_id_code_key")
        ),
    )
    op.create_index(op.f("ix_module_programme_id"), "module", ["programme_id"])

    op.create_table(
        "module_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_outcome")),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["module.id"],
            name=op.f("fk_module_outcome_module_id_module"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "module_id", "position", name=op.f("uq_module_outcome_module_id_position")
        ),
    )
    op.create_index(op.f("ix_module_outcome_module_id"), "module_outcome", ["module_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_module_outcome_module_id"), table_name="module_outcome")
    op.drop_table("module_outcome")
    op.drop_index(op.f("ix_module_programme_id"), table_name="module")
    op.drop_table("module")
    op.drop_index("ix_programme_framework_level_code", table_name="programme")
    op.drop_index(op.f("ix_programme_data_release_id"), table_name="programme")
    op.drop_index(op.f("ix_programme_eqf_level"), table_name="programme")
    op.drop_index(op.f("ix_programme_created_at"), table_name="programme")
    op.drop_table("programme")
