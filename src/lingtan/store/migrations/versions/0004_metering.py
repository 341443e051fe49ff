"""Metering: the metering tree, meters, raw readings and reading conflicts (issue 4).

Revision ID: 0004_metering
Revises: 0003_audit_chain_unique
Create Date: 2026-11-24

Written by hand to match ``lingtan.store.models``. ``meter_reading`` is one row per reading
keyed by ``(meter_id, ts)``; on SQLite it is a ``WITHOUT ROWID`` table, so the readings are
stored once, clustered by meter and time, instead of in a rowid table plus an index.
Only new tables: no batch mode is needed on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_metering"
down_revision: str | Sequence[str] | None = "0003_audit_chain_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meter_node",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("meter_node.id"), nullable=True),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_table(
        "meter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("meter_node.id"), nullable=True),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("energy_type", sa.String(30), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("multiplier", sa.Float(), nullable=False),
        sa.Column("rollover_at", sa.Float(), nullable=True),
        sa.Column("virtual_formula", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_index("ix_meter_node_id", "meter", ["node_id"])
    op.create_table(
        "meter_reading",
        sa.Column("meter_id", sa.Integer(), sa.ForeignKey("meter.id"), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "ts"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "meter_reading_conflict",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meter_id", sa.Integer(), sa.ForeignKey("meter.id"), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("stored_value", sa.Float(), nullable=False),
        sa.Column("new_value", sa.Float(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("origin", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_meter_reading_conflict_meter_ts", "meter_reading_conflict", ["meter_id", "ts"]
    )


def downgrade() -> None:
    op.drop_index("ix_meter_reading_conflict_meter_ts", "meter_reading_conflict")
    op.drop_table("meter_reading_conflict")
    op.drop_table("meter_reading")
    op.drop_index("ix_meter_node_id", "meter")
    op.drop_table("meter")
    op.drop_table("meter_node")
