"""Merge the identity, qualification-label and record/transfer branches of issue work into one head.

Revision ID: 0013_merge_trust
Revises: 0010_identity, 0011_qualification_labels, 0012_transfer_outcome
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0013_merge_trust"
down_revision: str | Sequence[str] | None = (
    "0010_identity",
    "0011_qualification_labels",
    "0012_transfer_outcome",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
