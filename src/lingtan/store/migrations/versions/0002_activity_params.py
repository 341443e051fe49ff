"""Measured parameters per activity record (NCV, steam enthalpy ...): activity_record.params.

Revision ID: 0002_activity_params
Revises: 0001_initial
Create Date: 2026-05-09

A nullable JSON column: existing records keep NULL (no measured parameters; defaults apply).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_activity_params"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activity_record") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity_record") as batch:
        batch.drop_column("params")
