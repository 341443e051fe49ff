"""One successor per audit entry: a unique constraint on audit_entry.prev_hash.

Revision ID: 0003_audit_chain_unique
Revises: 0002_activity_params
Create Date: 2026-11-24

Two writers that both read the same chain head would append two entries with the same
``prev_hash`` and fork the chain. The advisory lock (PostgreSQL) and BEGIN IMMEDIATE (SQLite)
prevent that for lingtan's own writers; the constraint makes the database refuse a fork from
any writer. An existing log that already forked cannot take the constraint: the upgrade then
fails and leaves the database as it was (run ``lingtan audit verify``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_audit_chain_unique"
down_revision: str | Sequence[str] | None = "0002_activity_params"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.create_unique_constraint("uq_audit_entry_prev_hash", ["prev_hash"])


def downgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint("uq_audit_entry_prev_hash", type_="unique")
