"""Declarations for the zero-carbon-factory evaluation (声明), with their evidence.

Revision ID: 0023_declarations
Revises: 0022_ets_allowances
Create Date: 2026-12-04

Written by hand to match ``lingtan.store.models.Declaration``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_declarations"
down_revision: str | Sequence[str] | None = "0022_ets_allowances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "declaration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("fact", sa.String(100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("declared_by", sa.String(200), nullable=False),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_declaration_facility_period", "declaration", ["facility_id", "period"])
    op.create_index("ix_declaration_evidence_id", "declaration", ["evidence_id"])


def downgrade() -> None:
    op.drop_index("ix_declaration_evidence_id", table_name="declaration")
    op.drop_index("ix_declaration_facility_period", table_name="declaration")
    op.drop_table("declaration")
