"""Report jobs: inventory reports written in the background, known to every server process.

Revision ID: 0008_report_jobs
Revises: 0007_targets
Create Date: 2026-11-24

Written by hand to match ``lingtan.store.models``. The files themselves are kept in the
reports folder beside the evidence folder, one sub-folder per job.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_report_jobs"
down_revision: str | Sequence[str] | None = "0007_targets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_job",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("inventory_id", sa.Integer(), sa.ForeignKey("inventory.id"), nullable=False),
        sa.Column("langs", sa.JSON(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("tasks_done", sa.Integer(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alive_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("report_job")
