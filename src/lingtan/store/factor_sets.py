"""The factor library of a database: the shipped sets plus the custom sets stored in it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.factors import FactorLibrary, read_factor_text, shipped_library
from lingtan.store.models import CustomFactorSet

__all__ = ["library_for"]


def library_for(session: Session) -> FactorLibrary:
    """The shipped factor sets plus the custom sets stored in the database."""
    library = shipped_library()
    custom = session.scalars(select(CustomFactorSet).order_by(CustomFactorSet.set_id)).all()
    sets = [s for row in custom for s in read_factor_text(row.csv_text, f"stored set {row.set_id}")]
    return library.with_sets(sets) if sets else library
