"""Batches of live readings the store refused for good, set aside with their reason.

Revision ID: 0012_ingest_dead_letter
Revises: 0011_facility_data_version
Create Date: 2026-12-02

Written by hand to match ``lingtan.store.models.IngestDeadLetter``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_ingest_dead_letter"
down_revision: str | Sequence[str] | None = "0011_facility_data_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_dead_letter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_code", sa.String(64), nullable=False, index=True),
        sa.Column("facility_id", sa.Integer(), nullable=True, index=True),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_message", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("readings_count", sa.Integer(), nullable=False),
        sa.Column("first_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("readings", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ingest_dead_letter")
