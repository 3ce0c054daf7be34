"""Framework registry: data releases, frameworks, levels, level edges, qualification types.

Revision ID: 0001_registry
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_registry"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column("app_version", sa.String(40), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_release")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_data_release_content_hash")),
    )
    op.create_table(
        "framework",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.String(40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("acronym", sa.String(40)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("jurisdictions", sa.JSON(), nullable=False),
        sa.Column("uris", sa.JSON(), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.Column("eqf_referenced", sa.Boolean(), nullable=False),
        sa.Column("referencing_date", sa.String(10)),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework")),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["data_release.id"],
            name=op.f("fk_framework_release_id_data_release"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "release_id", "framework_id", name=op.f("uq_framework_release_id_framework_id")
        ),
    )
    op.create_index(op.f("ix_framework_release_id"), "framework", ["release_id"])
    op.create_table(
        "framework_level",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("framework_pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("uris", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.Column("descriptors", sa.JSON()),
        sa.Column("qualification_types", sa.JSON(), nullable=False),
        sa.Column("credit_range", sa.JSON()),
        sa.Column("not_referenced", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_level")),
        sa.ForeignKeyConstraint(
            ["framework_pk"],
            ["framework.id"],
            name=op.f("fk_framework_level_framework_pk_framework"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("framework_pk", "code", name=op.f("uq_framework_level_framework_pk_code")),
    )
    op.create_index(op.f("ix_framework_level_framework_pk"), "framework_level", ["framework_pk"])
    op.create_table(
        "level_edge",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source_framework", sa.String(40), nullable=False),
        sa.Column("source_code", sa.String(40), nullable=False),
        sa.Column("target_framework", sa.String(40), nullable=False),
        sa.Column("target_code", sa.String(40), nullable=False),
        sa.Column("match_type", sa.String(10), nullable=False),
        sa.Column("confidence_class", sa.String(10), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("basis", sa.Text()),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level_edge")),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["data_release.id"],
            name=op.f("fk_level_edge_release_id_data_release"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(op.f("ix_level_edge_release_id"), "level_edge", ["release_id"])
    op.create_table(
        "qualification_type",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("jurisdiction", sa.String(20), nullable=False),
        sa.Column("framework_id", sa.String(40)),
        sa.Column("level_code", sa.String(40)),
        sa.Column("eqf_level", sa.Integer()),
        sa.Column("is_example", sa.Boolean(), nullable=False),
        sa.Column("source", sa.JSON()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification_type")),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["data_release.id"],
            name=op.f("fk_qualification_type_release_id_data_release"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(op.f("ix_qualification_type_release_id"), "qualification_type", ["release_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_qualification_type_release_id"), table_name="qualification_type")
    op.drop_table("qualification_type")
    op.drop_index(op.f("ix_level_edge_release_id"), table_name="level_edge")
    op.drop_table("level_edge")
    op.drop_index(op.f("ix_framework_level_framework_pk"), table_name="framework_level")
    op.drop_table("framework_level")
    op.drop_index(op.f("ix_framework_release_id"), table_name="framework")
    op.drop_table("framework")
    op.drop_table("data_release")
