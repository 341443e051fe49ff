"""Data versions: how a kept result knows that what it was computed from has not changed.

A result computed from a facility's data (an energy page, its figures for a period) is kept
with the :func:`data_version` it was computed at, and is good for as long as that version is
the same. The version is the pair

* the facility's counter in ``facility_data_version``, raised by :func:`bump` in the same
  transaction as every change to its metered data: the refresh of its daily totals
  (:func:`lingtan.metering.rollups.refresh`, which every new reading passes through: storing
  readings marks their days stale) and the definition of its meters and nodes;
* the newest audit entry: every other change (activity records, inventories, targets,
  tariffs, budgets, facility details, users) writes one in its own transaction.

Both live in the database, so a change made by any process (another web worker, ``lingtan
ingest``, the command line) shows in the next request of every worker, on SQLite and on
PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.store.models import AuditEntry, FacilityDataVersion

__all__ = ["DataVersion", "bump", "data_version"]

#: (the facility's counter, the newest audit entry's id).
DataVersion = tuple[int, int]

_BUMP = sa.text(
    "INSERT INTO facility_data_version (facility_id, version) VALUES (:f, 1) "
    "ON CONFLICT (facility_id) DO UPDATE SET version = facility_data_version.version + 1"
)


def bump(session: Session | sa.Connection, facility_ids: Iterable[int]) -> None:
    """Raise the data version of these facilities, in the caller's transaction."""
    params = [{"f": fid} for fid in sorted(set(facility_ids))]
    if params:
        session.execute(_BUMP, params)


def data_version(session: Session, facility_id: int) -> DataVersion:
    """The facility's data version as the session sees it."""
    counter = session.scalar(
        sa.select(FacilityDataVersion.version).where(FacilityDataVersion.facility_id == facility_id)
    )
    head = session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    return (counter or 0, head or 0)
