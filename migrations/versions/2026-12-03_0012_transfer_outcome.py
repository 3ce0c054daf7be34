"""Recognition outcomes up to 32 characters: ``insufficient_information`` (issue 10) has 24.

Revision ID: 0012_transfer_outcome
Revises: 0009_record_integrity
Create Date: 2026-12-03

After 0009 (it owns the recognition tables' triggers). Only PostgreSQL enforces a VARCHAR
length; on SQLite widening would mean rebuilding the append-only tables (and their triggers)
for nothing, so it is skipped there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_transfer_outcome"
down_revision: str | Sequence[str] | None = "0009_record_integrity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("recognition_record", "outcome"), ("recognition_review", "outcome"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.String(20), existing_nullable=False)
