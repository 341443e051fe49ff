"""Energy-saving measures (节能措施) and the daily outdoor temperature of a facility.

Revision ID: 0018_measures
Revises: 0017_ledger
Create Date: 2026-12-03

Written by hand to match ``lingtan.store.models.EfficiencyMeasure`` and
``lingtan.store.models.OutdoorTemperature``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_measures"
down_revision: str | Sequence[str] | None = "0017_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "efficiency_measure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("meter_node.id"), nullable=True),
        sa.Column("equipment_code", sa.String(100), nullable=True),
        sa.Column("energy_type", sa.String(30), nullable=False),
        sa.Column("saved_per_year", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("investment_cny", sa.Float(), nullable=True),
        sa.Column("cost_saved_cny_per_year", sa.Float(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("baseline_start", sa.Date(), nullable=True),
        sa.Column("baseline_end", sa.Date(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_index("ix_efficiency_measure_node_id", "efficiency_measure", ["node_id"])
    op.create_table(
        "outdoor_temperature",
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("temperature_c", sa.Float(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("outdoor_temperature")
    op.drop_index("ix_efficiency_measure_node_id", table_name="efficiency_measure")
    op.drop_table("efficiency_measure")
