"""Declarations issued from footprint studies (battery, CBAM): immutable, audited.

Revision ID: 0024_footprint_declarations
Revises: 0023_declarations
Create Date: 2026-12-04

Written by hand to match ``lingtan.store.models.FootprintDeclaration``. No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_footprint_declarations"
down_revision: str | Sequence[str] | None = "0023_declarations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "footprint_declaration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("study_id", sa.String(100), nullable=False),
        sa.Column("study_name", sa.String(300), nullable=False),
        sa.Column("study_sha256", sa.String(64), nullable=False),
        sa.Column("source_file", sa.String(300), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("figures_sha256", sa.String(64), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_footprint_declaration_facility_id", "footprint_declaration", ["facility_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_footprint_declaration_facility_id", table_name="footprint_declaration")
    op.drop_table("footprint_declaration")
