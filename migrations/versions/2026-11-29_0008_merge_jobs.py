"""Merge the batch-job branch into the capabilities.

Revision ID: 0008_merge_jobs
Revises: 0006_jobs, 0007_merge_capabilities
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008_merge_jobs"
down_revision: str | Sequence[str] | None = ("0006_jobs", "0007_merge_capabilities")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
