"""Merge the capability branches (ESCO, credentials, catalogue, recognition records).

Revision ID: 0007_merge_capabilities
Revises: 0002_esco, 0003_credentials, 0004_catalogue, 0005_recognition
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007_merge_capabilities"
down_revision: str | Sequence[str] | None = (
    "0002_esco",
    "0003_credentials",
    "0004_catalogue",
    "0005_recognition",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
