"""The equipment register: one row per item of a facility's register (设备台账).

Revision ID: 0014_equipment
Revises: 0013_evidence_per_organization
Create Date: 2026-12-03

Written by hand to match ``lingtan.store.models.Equipment``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_equipment"
down_revision: str | Sequence[str] | None = "0013_evidence_per_organization"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("equipment_type", sa.String(30), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("meter_node.id"), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("replacement_cost_cny", sa.Float(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_index("ix_equipment_node_id", "equipment", ["node_id"])


def downgrade() -> None:
    op.drop_index("ix_equipment_node_id", table_name="equipment")
    op.drop_table("equipment")
