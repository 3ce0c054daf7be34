"""ESCO taxonomy: snapshots, concepts, skill groups / ISCED-F fields, broader links.

Revision ID: 0002_esco
Revises: 0001_registry
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_esco"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _release_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["release_id"],
        ["esco_release.id"],
        name=op.f(f"fk_{table}_release_id_esco_release"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "esco_release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.String(20), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("concept_count", sa.Integer(), nullable=False),
        sa.Column("group_count", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esco_release")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_esco_release_content_hash")),
    )
    op.create_table(
        "esco_concept",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(200), nullable=False),
        sa.Column("skill_type", sa.String(20)),
        sa.Column("reuse_level", sa.String(30)),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("alt_labels", sa.JSON(), nullable=False),
        sa.Column("hidden_labels", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("isced_f", sa.JSON(), nullable=False),
        sa.Column("collections", sa.JSON(), nullable=False),
        sa.Column("hierarchy_code", sa.String(20)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esco_concept")),
        _release_fk("esco_concept"),
        sa.UniqueConstraint("release_id", "uri", name=op.f("uq_esco_concept_release_id_uri")),
    )
    op.create_index(op.f("ix_esco_concept_release_id"), "esco_concept", ["release_id"])
    op.create_table(
        "esco_group",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("code", sa.String(20)),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("alt_labels", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scope_note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esco_group")),
        _release_fk("esco_group"),
        sa.UniqueConstraint("release_id", "uri", name=op.f("uq_esco_group_release_id_uri")),
    )
    op.create_index(op.f("ix_esco_group_release_id"), "esco_group", ["release_id"])
    op.create_table(
        "esco_broader",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("narrower_uri", sa.String(200), nullable=False),
        sa.Column("broader_uri", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esco_broader")),
        _release_fk("esco_broader"),
        sa.UniqueConstraint(
            "release_id",
            "narrower_uri",
            "broader_uri",
            name=op.f("uq_esco_broader_release_id_narrower_uri_broader_uri"),
        ),
    )
    op.create_index(op.f("ix_esco_broader_release_id"), "esco_broader", ["release_id"])
    op.create_index(op.f("ix_esco_broader_broader_uri"), "esco_broader", ["broader_uri"])


def downgrade() -> None:
    op.drop_index(op.f("ix_esco_broader_broader_uri"), table_name="esco_broader")
    op.drop_index(op.f("ix_esco_broader_release_id"), table_name="esco_broader")
    op.drop_table("esco_broader")
    op.drop_index(op.f("ix_esco_group_release_id"), table_name="esco_group")
    op.drop_table("esco_group")
    op.drop_index(op.f("ix_esco_concept_release_id"), table_name="esco_concept")
    op.drop_table("esco_concept")
    op.drop_table("esco_release")
