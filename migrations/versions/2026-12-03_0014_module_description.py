"""Catalogue modules keep their description or aims as published (issue 11, course-level matching).

Revision ID: 0014_module_description
Revises: 0013_merge_trust
Create Date: 2026-12-03

A nullable text column: modules imported before it have none, and their programmes' content
hashes are unchanged (a module without a description serialises as before).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_module_description"
down_revision: str | Sequence[str] | None = "0013_merge_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no table rebuild on SQLite).
    op.add_column("module", sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("module") as batch:
        batch.drop_column("description")
