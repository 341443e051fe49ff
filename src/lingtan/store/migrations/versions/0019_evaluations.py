"""Stored zero-carbon-factory evaluations: immutable snapshots tied to a locked inventory.

Revision ID: 0019_evaluations
Revises: 0018_measures
Create Date: 2026-12-04

Written by hand to match ``lingtan.store.models.EvaluationSnapshot``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_evaluations"
down_revision: str | Sequence[str] | None = "0018_measures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(100), nullable=False),
        sa.Column("rule_set_origin", sa.String(20), nullable=False),
        sa.Column("rule_set_sha256", sa.String(64), nullable=False),
        sa.Column("rule_set", sa.JSON(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), sa.ForeignKey("inventory.id"), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("result_sha256", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_evaluation_snapshot_facility_period", "evaluation_snapshot", ["facility_id", "period"]
    )
    op.create_index("ix_evaluation_snapshot_inventory_id", "evaluation_snapshot", ["inventory_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_snapshot_inventory_id", table_name="evaluation_snapshot")
    op.drop_index("ix_evaluation_snapshot_facility_period", table_name="evaluation_snapshot")
    op.drop_table("evaluation_snapshot")
