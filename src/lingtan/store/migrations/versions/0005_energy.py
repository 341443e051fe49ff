"""Energy from meters: daily rollups, meter flows, budgets, and meter lineage of activity.

Revision ID: 0005_energy
Revises: 0004_metering
Create Date: 2026-11-24

Written by hand to match ``lingtan.store.models``.

- ``meter.flow``: where a meter sits in the energy flow (supply, generation, export, output of
  a conversion, or use), for energy-flow (Sankey) data; existing meters become ``use``.
- ``meter_day``: checked daily totals per meter (local day), derived from the readings and
  kept up to date: ingestion marks the days it touched in ``meter_day_stale``, and a refresh
  recomputes exactly those.
- ``node_day``: the sums of ``meter_day`` per node, energy type, flow, unit and day, kept by the
  same refresh: daily totals of the whole tree for a year in one short read.
- ``meter_budget``: energy and carbon budgets per node and month.
- ``activity_meter``: the meters and the interval span an activity record was produced from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_energy"
down_revision: str | Sequence[str] | None = "0004_metering"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meter", sa.Column("flow", sa.String(20), nullable=False, server_default="use"))
    op.create_table(
        "meter_day",
        sa.Column("meter_id", sa.Integer(), sa.ForeignKey("meter.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("energy", sa.Float(), nullable=False),
        sa.Column("estimated", sa.Float(), nullable=False),
        sa.Column("measured_intervals", sa.Integer(), nullable=False),
        sa.Column("estimated_intervals", sa.Integer(), nullable=False),
        sa.Column("missing_intervals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "meter_day_stale",
        sa.Column("meter_id", sa.Integer(), sa.ForeignKey("meter.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "node_day",
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("meter_node.id"), nullable=False),
        sa.Column("energy_type", sa.String(30), nullable=False),
        sa.Column("flow", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("energy", sa.Float(), nullable=False),
        sa.Column("estimated", sa.Float(), nullable=False),
        sa.Column("measured_intervals", sa.Integer(), nullable=False),
        sa.Column("estimated_intervals", sa.Integer(), nullable=False),
        sa.Column("missing_intervals", sa.Integer(), nullable=False),
        sa.Column("meters", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("facility_id", "day", "node_id", "energy_type", "flow", "unit"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "meter_budget",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("meter_node.id"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("energy_tce", sa.Float(), nullable=True),
        sa.Column("carbon_tco2", sa.Float(), nullable=True),
        sa.UniqueConstraint("node_id", "month"),
    )
    op.create_table(
        "activity_meter",
        sa.Column("activity_id", sa.Integer(), sa.ForeignKey("activity_record.id"), nullable=False),
        sa.Column("meter_id", sa.Integer(), sa.ForeignKey("meter.id"), nullable=False),
        sa.Column("sign", sa.Float(), nullable=False),
        sa.Column("start_ts", sa.BigInteger(), nullable=False),
        sa.Column("end_ts", sa.BigInteger(), nullable=False),
        sa.Column("energy", sa.Float(), nullable=False),
        sa.Column("estimated", sa.Float(), nullable=False),
        sa.Column("missing_intervals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("activity_id", "meter_id"),
    )


def downgrade() -> None:
    op.drop_table("activity_meter")
    op.drop_table("meter_budget")
    op.drop_table("node_day")
    op.drop_table("meter_day_stale")
    op.drop_table("meter_day")
    with op.batch_alter_table("meter") as batch:
        batch.drop_column("flow")
