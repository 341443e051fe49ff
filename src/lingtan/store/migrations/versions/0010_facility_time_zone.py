"""The facility's time zone: times on its screens and in its reports are shown in it.

Revision ID: 0010_facility_time_zone
Revises: 0009_tariffs
Create Date: 2026-12-01

Written by hand to match ``lingtan.store.models``. Existing facilities get Asia/Shanghai.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_facility_time_zone"
down_revision: str | Sequence[str] | None = "0009_tariffs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("facility") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(64), nullable=False, server_default="Asia/Shanghai")
        )


def downgrade() -> None:
    with op.batch_alter_table("facility") as batch:
        batch.drop_column("time_zone")
