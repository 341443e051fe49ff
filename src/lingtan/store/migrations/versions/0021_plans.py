"""Stored plans of green energy at the source (规划方案), with their inputs.

Revision ID: 0021_plans
Revises: 0019_evaluations
Create Date: 2026-12-04

Written by hand to match ``lingtan.store.models.StoredPlan``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_plans"
down_revision: str | Sequence[str] | None = "0019_evaluations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("problem_file", sa.Text(), nullable=False),
        sa.Column("problem_text", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("tariff", sa.JSON(), nullable=False),
        sa.Column("metered", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("series", sa.JSON(), nullable=False),
        sa.Column("solver", sa.String(100), nullable=False),
        sa.Column("lingtan_version", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_plan_facility_id", "plan", ["facility_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_facility_id", table_name="plan")
    op.drop_table("plan")
