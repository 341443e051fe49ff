"""The inventory's energy against the meters' over the REST API:
``GET /api/v1/facilities/{code}/energy/reconciliation``.

The figures are :func:`lingtan.services.reconciliation.energy_reconciliation`'s, read with the
facility's daily totals brought up to date first, as the other energy figures are.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lingtan.i18n import Message
from lingtan.services.reconciliation import energy_reconciliation
from lingtan.web.api_energy import Month, Year, kept_read
from lingtan.web.deps import ApiError, Db, User, facility

__all__ = ["Reconciliation", "router"]

router = APIRouter(prefix="/api/v1")


class ReconciledInventory(BaseModel):
    id: int
    status: str
    period_start: str
    period_end: str
    energy_tce: float
    total_location_tco2e: float = Field(description="Scope 1 + Scope 2 location-based.")
    electricity_tce_basis: str = Field(description="equivalent (当量值) or equal_value (等价值).")


class CauseOut(BaseModel):
    cause: str = Field(
        description="not_metered, onsite_generation, not_in_inventory, meter_missing, "
        "inventory_estimate, coefficients or metering."
    )
    energy_tce: float
    carbon_tco2e: float
    months: list[str] = Field([], description="YYYY-MM of the months this cause covers.")


class MonthOut(BaseModel):
    month: str
    invoice_tce: float
    meter_tce: float
    difference_tce: float
    cause: str
    invoice_estimate: bool
    missing_intervals: int


class Figures(BaseModel):
    """Both sides and their difference: energy [tce] and carbon (inventory tCO2e, meters
    tCO2)."""

    invoice_tce: float
    meter_tce: float
    difference_tce: float
    invoice_tco2e: float
    meter_tco2: float
    difference_tco2e: float


class RowOut(Figures):
    energy_type: str
    unit: str | None = Field(description="Unit of the quantities.")
    invoice_quantity: float | None
    meter_quantity: float | None
    metered_apart_quantity: float | None = Field(
        description="Metered, not in the meters' total: on-site generation less export."
    )
    causes: list[CauseOut]
    months: list[MonthOut]


class Coefficient(BaseModel):
    unit: str
    tce_per_unit: float
    tco2_per_unit: float


class Reconciliation(Figures):
    """The inventory (invoices) against the meters per energy type; each row's causes add up
    to its difference."""

    facility: str
    year: int
    month: str | None
    inventory: ReconciledInventory
    meters_electricity_tce_basis: str
    coefficients: dict[str, Coefficient] = Field(description="The meters' coefficients.")
    rows: list[RowOut]
    causes: list[CauseOut]


@router.get(
    "/facilities/{code}/energy/reconciliation", response_model=Reconciliation, tags=["energy"]
)
def reconciliation(
    request: Request, session: Db, who: User, code: str, year: Year, month: Month = None
) -> dict[str, Any]:
    """Energy [tce] and carbon from the inventory that stands for the year against the
    meters', per energy type and month, with the causes of every difference."""
    site = facility(session, who, code)
    found = kept_read(
        request,
        session,
        site,
        ("reconciliation", year, month),
        lambda current: energy_reconciliation(current, site, year, month),
    )
    if found is None:
        raise ApiError(404, Message("no inventory or no meters for this year"))
    return {"facility": site.code, "year": year, **found}
