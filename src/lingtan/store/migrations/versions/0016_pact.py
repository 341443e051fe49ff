"""PACT exchange: published footprints, host clients and their tokens, suppliers, the
footprints pulled from them, and events.

Revision ID: 0016_pact
Revises: 0014_equipment
Create Date: 2026-12-03

Written by hand to match ``lingtan.store.models`` (PactFootprint, PactClient,
PactAccessToken, PactRemote, PactReceivedFootprint, PactEvent). No rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_pact"
down_revision: str | Sequence[str] | None = "0014_equipment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _organization() -> sa.Column:
    return sa.Column(
        "organization_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=False
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pact_footprint",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organization(),
        sa.Column("pf_id", sa.String(36), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        _at("validity_start"),
        _at("validity_end"),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _at("created_at"),
    )
    op.create_index("ix_pact_footprint_organization_id", "pact_footprint", ["organization_id"])
    op.create_table(
        "pact_client",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organization(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _at("created_at"),
        _at("revoked_at", nullable=True),
    )
    op.create_index("ix_pact_client_organization_id", "pact_client", ["organization_id"])
    op.create_table(
        "pact_access_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("pact_client.id"), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        _at("created_at"),
        _at("expires_at"),
    )
    op.create_index("ix_pact_access_token_client_id", "pact_access_token", ["client_id"])
    op.create_table(
        "pact_remote",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organization(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("auth_base_url", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("api_version", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _at("created_at"),
        _at("pulled_at", nullable=True),
        sa.UniqueConstraint("organization_id", "name"),
    )
    op.create_index("ix_pact_remote_organization_id", "pact_remote", ["organization_id"])
    op.create_table(
        "pact_received_footprint",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organization(),
        sa.Column("remote_id", sa.Integer(), sa.ForeignKey("pact_remote.id"), nullable=True),
        sa.Column("pf_id", sa.String(36), nullable=False),
        sa.Column("spec_version", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("product_name", sa.String(200), nullable=False),
        sa.Column("declared_unit", sa.String(30), nullable=False),
        sa.Column("pcf_excluding_biogenic_kgco2e", sa.Float(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("received_from", sa.Text(), nullable=False),
        _at("received_at"),
        sa.UniqueConstraint("organization_id", "pf_id"),
    )
    op.create_index(
        "ix_pact_received_footprint_organization_id",
        "pact_received_footprint",
        ["organization_id"],
    )
    op.create_index(
        "ix_pact_received_footprint_remote_id", "pact_received_footprint", ["remote_id"]
    )
    op.create_table(
        "pact_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        _organization(),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("pact_client.id"), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        _at("at"),
    )
    op.create_index("ix_pact_event_organization_received", "pact_event", ["organization_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_pact_event_organization_received", table_name="pact_event")
    op.drop_table("pact_event")
    op.drop_index("ix_pact_received_footprint_remote_id", table_name="pact_received_footprint")
    op.drop_index(
        "ix_pact_received_footprint_organization_id", table_name="pact_received_footprint"
    )
    op.drop_table("pact_received_footprint")
    op.drop_index("ix_pact_remote_organization_id", table_name="pact_remote")
    op.drop_table("pact_remote")
    op.drop_index("ix_pact_access_token_client_id", table_name="pact_access_token")
    op.drop_table("pact_access_token")
    op.drop_index("ix_pact_client_organization_id", table_name="pact_client")
    op.drop_table("pact_client")
    op.drop_index("ix_pact_footprint_organization_id", table_name="pact_footprint")
    op.drop_table("pact_footprint")
