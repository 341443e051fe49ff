"""Users, sessions and API tokens of the web application.

Revision ID: 0006_users
Revises: 0005_energy
Create Date: 2026-11-24

Written by hand to match ``lingtan.store.models``.

- ``app_user``: people who sign in (argon2 password hash, role, organization).
- ``user_facility``: the facilities a manager, viewer or auditor may see.
- ``user_session``: signed-in browsers, by the SHA-256 of the session id, with a CSRF secret.
- ``api_token``: bearer tokens for gateways and scripts, by SHA-256, one facility and scope.
- ``login_attempt``: failed sign-ins, for throttling.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_users"
down_revision: str | Sequence[str] | None = "0005_energy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at"),
        _time("last_login", nullable=True),
    )
    op.create_table(
        "user_facility",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "facility_id"),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("csrf_secret", sa.String(64), nullable=False),
        _time("created_at"),
        _time("expires_at"),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _time("created_at"),
        _time("expires_at", nullable=True),
        _time("revoked_at", nullable=True),
        _time("last_used_at", nullable=True),
    )
    op.create_index("ix_api_token_facility_id", "api_token", ["facility_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("client", sa.String(100), nullable=False),
        _time("at"),
    )
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])


def downgrade() -> None:
    op.drop_table("login_attempt")
    op.drop_table("api_token")
    op.drop_table("user_session")
    op.drop_table("user_facility")
    op.drop_table("app_user")
