"""Bills of materials of product footprints: one row per material of a product and period.

Revision ID: 0015_footprint
Revises: 0014_equipment
Create Date: 2026-12-03

Written by hand to match ``lingtan.store.models.BomLine``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_footprint"
down_revision: str | Sequence[str] | None = "0014_equipment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bom_line",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("material", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("transport_mode", sa.String(40), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("product_id", "period_start", "period_end", "kind", "material"),
    )
    op.create_index("ix_bom_line_product_id", "bom_line", ["product_id"])


def downgrade() -> None:
    op.drop_index("ix_bom_line_product_id", table_name="bom_line")
    op.drop_table("bom_line")
