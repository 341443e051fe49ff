"""Initial schema: the system of record of issue 3 (factory data platform).

Revision ID: 0001_initial
Revises:
Create Date: 2026-05-09

Written by hand to match ``lingtan.store.models`` as of this revision (the test
``tests/test_store_migrations.py`` compares the migrated schema with the models). Tables are
created parents first so that foreign keys always point to an existing table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "organization",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        _created_at(),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "facility",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=False
        ),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(40), nullable=False),
        sa.Column("industry_code", sa.String(20), nullable=True),
        sa.Column("industry_name", sa.String(200), nullable=True),
        sa.Column("boundary", sa.Text(), nullable=True),
        _created_at(),
        sa.UniqueConstraint("organization_id", "code"),
    )
    op.create_table(
        "production_unit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("production_unit.id"), nullable=True),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column(
            "production_unit_id",
            sa.Integer(),
            sa.ForeignKey("production_unit.id"),
            nullable=True,
        ),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        _created_at(),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        _created_at(),
    )
    op.create_table(
        "activity_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("source.id"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("quality_note", sa.Text(), nullable=True),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        _created_at(),
        sa.UniqueConstraint("source_id", "period_start", "period_end"),
    )
    op.create_index("ix_activity_record_source_id", "activity_record", ["source_id"])
    op.create_table(
        "evidence",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        _created_at(),
    )
    op.create_table(
        "activity_evidence",
        sa.Column(
            "activity_id",
            sa.Integer(),
            sa.ForeignKey("activity_record.id"),
            primary_key=True,
        ),
        sa.Column(
            "evidence_sha256",
            sa.String(64),
            sa.ForeignKey("evidence.sha256"),
            primary_key=True,
        ),
    )
    op.create_table(
        "instrument",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("serial", sa.String(200), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column(
            "evidence_sha256", sa.String(64), sa.ForeignKey("evidence.sha256"), nullable=True
        ),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_table(
        "production_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.UniqueConstraint("product_id", "period_start", "period_end"),
    )
    op.create_index("ix_production_record_product_id", "production_record", ["product_id"])
    op.create_table(
        "custom_factor_set",
        sa.Column("set_id", sa.String(100), primary_key=True),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("family", sa.String(40), nullable=False),
        sa.Column("csv_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _created_at(),
    )
    op.create_table(
        "inventory",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("engine_version", sa.String(100), nullable=False),
        sa.Column("factor_sets", sa.JSON(), nullable=False),
        sa.Column("input_document", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.Column("result_sha256", sa.String(64), nullable=False),
        sa.Column("total_tco2e", sa.Float(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey("inventory.id"), nullable=True),
        sa.Column("restatement_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        _created_at(),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_inventory_facility_id", "inventory", ["facility_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("entity_key", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("hash"),
    )


def downgrade() -> None:
    # Children before parents.
    op.drop_table("audit_entry")
    op.drop_index("ix_inventory_facility_id", table_name="inventory")
    op.drop_table("inventory")
    op.drop_table("custom_factor_set")
    op.drop_index("ix_production_record_product_id", table_name="production_record")
    op.drop_table("production_record")
    op.drop_table("product")
    op.drop_table("instrument")
    op.drop_table("activity_evidence")
    op.drop_table("evidence")
    op.drop_index("ix_activity_record_source_id", table_name="activity_record")
    op.drop_table("activity_record")
    op.drop_table("import_batch")
    op.drop_table("source")
    op.drop_table("production_unit")
    op.drop_table("facility")
    op.drop_table("organization")
