"""The demo factory's web sign-ins: ``lingtan demo`` ends by serving the dashboard with them.

The password is fixed and printed so anyone trying the demo can sign in; it is a demo's
password, known to all: the dashboard is served on 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

from sqlalchemy import select

from lingtan.demo.build import FACILITY
from lingtan.imports.load import facility_by_code
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import AppUser, Organization
from lingtan.web import accounts

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "create_demo_users"]

DEMO_PASSWORD = "lingtan-demo"
#: (user name, role, name shown on screens)
DEMO_USERS = (
    ("demo", "admin", "演示管理员 Demo admin"),
    ("demo-viewer", "viewer", "演示查看者 Demo viewer"),
)


def create_demo_users(url: str) -> list[tuple[str, str]]:
    """Create the demo's users in the database at ``url`` (those missing); ``(name, role)``
    of each. The admin sees the whole organization, the viewer reads the demo facility."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            site = facility_by_code(session, FACILITY)
            organization = session.get(Organization, site.organization_id)
            assert organization is not None
            for name, role, shown in DEMO_USERS:
                if session.scalars(select(AppUser).where(AppUser.username == name)).first():
                    continue
                accounts.create_user(
                    session,
                    name,
                    DEMO_PASSWORD,
                    role=role,
                    organization=organization.name,
                    facilities=() if role == "admin" else (FACILITY,),
                    display_name=shown,
                    actor="demo",
                )
    finally:
        engine.dispose()
    return [(name, role) for name, role, _ in DEMO_USERS]
