"""Alternative labels of qualification types (abbreviations, common spellings, other names).

Revision ID: 0011_qualification_labels
Revises: 0008_merge_jobs
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_qualification_labels"
down_revision: str | Sequence[str] | None = "0008_merge_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("qualification_type") as batch:
        batch.add_column(sa.Column("alt_labels", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("qualification_type") as batch:
        batch.drop_column("alt_labels")
