"""Workspace sessions in the database, so every API replica knows them (issue 14 on the fleet
of issue 15).

Revision ID: 0016_web_sessions
Revises: 0015_procrastinate
Create Date: 2026-12-03

The cookie holds a random id; the table keys the session by the id's SHA-256, so a copy of the
table signs nobody in. Rows end by expiry (idle or absolute limit) or sign-out.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_web_sessions"
down_revision: str | Sequence[str] | None = "0015_procrastinate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("organisation_id", sa.String(63), nullable=False),
        sa.Column("principal_id", sa.String(200), nullable=False),
        sa.Column("principal_kind", sa.String(20), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organisation_name", sa.Text(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("key_prefix", sa.String(8)),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_web_session")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_web_session_organisation_id_organisation"),
        ),
    )
    op.create_index(op.f("ix_web_session_last_seen"), "web_session", ["last_seen"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_session_last_seen"), table_name="web_session")
    op.drop_table("web_session")
