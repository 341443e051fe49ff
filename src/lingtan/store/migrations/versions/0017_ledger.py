"""The carbon-asset ledger: holdings (GECs, green power contracts, credits), their entries
(transfers, retirements, cancellations) and their serial ranges.

Revision ID: 0017_ledger
Revises: 0016_pact
Create Date: 2026-12-03

Written by hand to match ``lingtan.store.models.CarbonAsset``, ``LedgerEntry`` and
``LedgerSerial``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_ledger"
down_revision: str | Sequence[str] | None = "0016_pact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carbon_asset",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=False
        ),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("serial", sa.Text(), nullable=True),
        sa.Column("certificates", sa.Text(), nullable=True),
        sa.Column("issuing_registry", sa.String(200), nullable=False),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("technology", sa.String(40), nullable=False),
        sa.Column("methodology", sa.String(200), nullable=False),
        sa.Column("counterpart", sa.String(200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("acquired_on", sa.Date(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organization_id", "code"),
    )
    op.create_index("ix_carbon_asset_facility_id", "carbon_asset", ["facility_id"])
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("carbon_asset.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("serial", sa.Text(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("claim", sa.String(200), nullable=False),
        sa.Column("counterpart", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ledger_entry_asset_id", "ledger_entry", ["asset_id"])
    op.create_index("ix_ledger_entry_facility_id", "ledger_entry", ["facility_id"])
    op.create_table(
        "ledger_serial",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("carbon_asset.id"), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("ledger_entry.id"), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(200), nullable=False),
        sa.Column("first", sa.BigInteger(), nullable=True),
        sa.Column("last", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_ledger_serial_asset_id", "ledger_serial", ["asset_id"])
    op.create_index("ix_ledger_serial_range", "ledger_serial", ["prefix", "first", "last"])


def downgrade() -> None:
    op.drop_index("ix_ledger_serial_range", table_name="ledger_serial")
    op.drop_index("ix_ledger_serial_asset_id", table_name="ledger_serial")
    op.drop_table("ledger_serial")
    op.drop_index("ix_ledger_entry_facility_id", table_name="ledger_entry")
    op.drop_index("ix_ledger_entry_asset_id", table_name="ledger_entry")
    op.drop_table("ledger_entry")
    op.drop_index("ix_carbon_asset_facility_id", table_name="carbon_asset")
    op.drop_table("carbon_asset")
