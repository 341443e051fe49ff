"""Tariffs: a facility's prices per energy type, component, TOU period and month.

Revision ID: 0009_tariffs
Revises: 0008_report_jobs
Create Date: 2026-12-01

Written by hand to match ``lingtan.store.models.TariffPrice``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_tariffs"
down_revision: str | Sequence[str] | None = "0008_report_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tariff_price",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("energy_type", sa.String(30), nullable=False),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("price_cny_per_unit", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("capacity_kva", sa.Float(), nullable=True),
        sa.Column("calendar_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source_file", sa.String(200), nullable=False),
        sa.UniqueConstraint("facility_id", "energy_type", "component", "period", "month"),
    )


def downgrade() -> None:
    op.drop_table("tariff_price")
