"""A data version per facility: what the web keeps (energy pages and figures) is kept by it.

Revision ID: 0011_facility_data_version
Revises: 0010_facility_time_zone
Create Date: 2026-12-02

Written by hand to match ``lingtan.store.models``. No rows: a facility without one is at
version 0 until its metered data first change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_facility_data_version"
down_revision: str | Sequence[str] | None = "0010_facility_time_zone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility_data_version",
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("facility_data_version")
