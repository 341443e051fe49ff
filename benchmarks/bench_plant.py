"""The plant the metering benchmarks measure: organization Bench, facility ``F`` in Jiangsu."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.models import Facility, Organization


def bench_store(
    path: Path, nodes: Sequence[NodeDefinition], meters: Sequence[MeterDefinition]
) -> sa.Engine:
    """A migrated SQLite database at ``path`` with facility ``F`` and these nodes and meters."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_scope(engine) as session:
        org = Organization(name="Bench")
        session.add(org)
        session.flush()
        session.add(Facility(organization_id=org.id, code="F", name="Bench", region="CN-JS"))
        session.flush()
        define_meters(session, "F", nodes, meters, actor="benchmark")
    return engine
