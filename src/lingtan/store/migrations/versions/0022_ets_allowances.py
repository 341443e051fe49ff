"""National ETS allowances (全国碳排放权交易市场 配额) in the carbon-asset ledger and the monthly
volumes of green power trading contracts.

Revision ID: 0022_ets_allowances
Revises: 0021_plans
Create Date: 2026-12-04

Written by hand to match ``lingtan.store.models.CarbonAsset`` (``channel``,
``price_cny_per_unit``, ``registry_account``), ``LedgerEntry`` (``compliance_year``) and
``ContractMonth``. Existing rows get empty texts and no price or compliance year.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_ets_allowances"
down_revision: str | Sequence[str] | None = "0021_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "carbon_asset",
        sa.Column("channel", sa.String(20), nullable=False, server_default=""),
    )
    op.add_column("carbon_asset", sa.Column("price_cny_per_unit", sa.Float(), nullable=True))
    op.add_column(
        "carbon_asset",
        sa.Column("registry_account", sa.String(100), nullable=False, server_default=""),
    )
    op.add_column("ledger_entry", sa.Column("compliance_year", sa.Integer(), nullable=True))
    op.create_table(
        "contract_month",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("carbon_asset.id"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("contracted_mwh", sa.Float(), nullable=False),
        sa.Column("settled_mwh", sa.Float(), nullable=True),
        sa.Column("certificates", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("asset_id", "month"),
    )
    op.create_index("ix_contract_month_asset_id", "contract_month", ["asset_id"])


def downgrade() -> None:
    op.drop_index("ix_contract_month_asset_id", table_name="contract_month")
    op.drop_table("contract_month")
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_column("compliance_year")
    with op.batch_alter_table("carbon_asset") as batch:
        batch.drop_column("registry_account")
        batch.drop_column("price_cny_per_unit")
        batch.drop_column("channel")
