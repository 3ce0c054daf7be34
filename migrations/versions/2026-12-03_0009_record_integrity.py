"""Decision records that survive a database administrator, and personal data kept apart.

- PostgreSQL: the append-only triggers also refuse TRUNCATE, and every one of them is
  ``ENABLE ALWAYS``, so ``SET session_replication_role = replica`` no longer skips them.
- SQLite: ``INSERT OR REPLACE`` / ``REPLACE INTO`` deletes the row it collides with without
  firing DELETE triggers (unless ``recursive_triggers`` is on), so a BEFORE INSERT trigger now
  refuses any row that would collide with a stored one.
- ``recognition_record.subject_commitment``: a salted commitment to the learner's identity, the
  only trace of the learner in the hashed content; ``recognition_subject`` holds the identity and
  the salt, one row per record, and is the one place erasure (GDPR Art. 17) touches.

What a superuser can still do (disable or drop the triggers) is caught by signed checkpoints
kept outside the database; see docs/recognition.md, "Threat model".

Revision ID: 0009_record_integrity
Revises: 0008_merge_jobs
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_record_integrity"
down_revision: str | Sequence[str] | None = "0008_merge_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("recognition_record", "recognition_review")
# What a new row must not collide with (SQLite); ``rowid`` covers an explicit rowid in REPLACE.
_COLLISIONS = {
    "recognition_record": "rowid = NEW.rowid OR id = NEW.id OR seq = NEW.seq "
    "OR record_hash = NEW.record_hash",
    "recognition_review": "id = NEW.id OR (record_id = NEW.record_id AND seq = NEW.seq) "
    "OR review_hash = NEW.review_hash",
}


def upgrade() -> None:
    op.add_column("recognition_record", sa.Column("subject_commitment", sa.String(64)))
    op.create_table(
        "recognition_subject",
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("credential_id", sa.String(64)),
        sa.Column("salt", sa.String(64)),
        sa.Column("subject", sa.JSON()),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("erased_at", sa.String(40)),
        sa.Column("erasure_reason", sa.String(40)),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_recognition_subject")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["recognition_record.id"],
            name=op.f("fk_recognition_subject_record_id_recognition_record"),
        ),
    )
    op.create_index(
        op.f("ix_recognition_subject_credential_id"), "recognition_subject", ["credential_id"]
    )
    op.create_index(
        op.f("ix_recognition_subject_created_at"), "recognition_subject", ["created_at"]
    )

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION passerelle_append_only()"
            )
            for trigger in (f"{table}_append_only", f"{table}_no_truncate"):
                op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")
    elif dialect == "sqlite":
        for table, collision in _COLLISIONS.items():
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {collision}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: no row replaces another'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    elif dialect == "sqlite":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
    op.drop_index(op.f("ix_recognition_subject_created_at"), table_name="recognition_subject")
    op.drop_index(op.f("ix_recognition_subject_credential_id"), table_name="recognition_subject")
    op.drop_table("recognition_subject")
    # Plain ALTER TABLE on both (SQLite >= 3.35): a batch copy of the table would drop its triggers.
    op.execute("ALTER TABLE recognition_record DROP COLUMN subject_commitment")
