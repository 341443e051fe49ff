"""Facility targets: the emission target a facility's progress is measured against.

Revision ID: 0007_targets
Revises: 0006_users
Create Date: 2026-11-24

Written by hand to match ``lingtan.store.models``. One current target per facility; earlier
targets stay readable in the audit log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_targets"
down_revision: str | Sequence[str] | None = "0006_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility_target",
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), primary_key=True),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("base_year", sa.Integer(), nullable=False),
        sa.Column("base_tco2e", sa.Float(), nullable=False),
        sa.Column("target_year", sa.Integer(), nullable=False),
        sa.Column("target_tco2e", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("set_by", sa.String(100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("facility_target")
