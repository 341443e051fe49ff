"""A facility's year at a glance over the REST API: ``GET /api/v1/facilities/{code}/overview``.

The figures are :func:`lingtan.services.overview.facility_overview`'s. Dashboards ask for the
overview often, so its answer is kept: per facility and year, and valid for as long as the
audit log's newest entry is the same. Every change to what the overview reads (inventories
computed, locked or restated, activity records imported or corrected, targets set, facility
details) writes an audit entry in the same transaction, so a kept answer is always exactly the
one that would be computed now; a change shows in the next request.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lingtan.services.overview import facility_overview
from lingtan.web.accounts import Principal
from lingtan.web.deps import audit_head, facility, read_in_one_hop
from lingtan.web.kept import kept

__all__ = ["CACHE_ENTRIES", "Overview", "router"]

router = APIRouter(prefix="/api/v1")

#: Overviews kept per application (least recently used ones go first).
CACHE_ENTRIES = 256


class OverviewFacility(BaseModel):
    code: str
    name: str
    region: str


class OverviewInventory(BaseModel):
    id: int
    status: str
    period_start: date
    period_end: date
    result_sha256: str


class Emissions(BaseModel):
    scope1_tco2e: float
    scope2_location_tco2e: float
    scope2_market_tco2e: float
    scope3_tco2e: float
    total_location_tco2e: float
    total_market_tco2e: float


class Renewable(BaseModel):
    purchased_electricity_mwh: float
    renewable_electricity_mwh: float
    share_pct: float | None = Field(description="Renewable share of purchased electricity [%].")


class IntensityFigure(BaseModel):
    denominator: str
    quantity: float
    unit: str
    tco2e_per_unit: float | None = None
    scope1_2_location_tco2e_per_unit: float | None = None
    scope1_2_market_tco2e_per_unit: float | None = None
    tce_per_unit: float | None = None


class TrendMonth(BaseModel):
    month: str = Field(description="YYYY-MM")
    scope1_tco2e: float
    scope2_location_tco2e: float
    scope2_market_tco2e: float
    scope3_tco2e: float
    energy_tce: float


class TargetProgress(BaseModel):
    basis: str = Field(description="location or market (Scope 2 method of the totals).")
    base_year: int
    base_tco2e: float
    target_year: int
    target_tco2e: float
    note: str | None
    actual_tco2e: float
    trajectory_tco2e: float
    on_track: bool
    progress_pct: float | None = Field(description="None for a period shorter than a year.")


class Overview(BaseModel):
    """Year figures from the inventory that stands for the year (None when it has none)."""

    facility: OverviewFacility
    year: int
    inventory: OverviewInventory | None
    emissions: Emissions | None = None
    energy_tce: float | None = Field(None, description="[tce]")
    renewable: Renewable | None = None
    intensities: list[IntensityFigure] = []
    trend: list[TrendMonth] = []
    target: TargetProgress | None = None


@router.get(
    "/facilities/{code}/overview",
    response_model=Overview,
    tags=["facilities"],
    responses={200: {"content": {"application/json": {}}}},
)
async def get_overview(
    request: Request,
    code: str,
    year: Annotated[int, Query(ge=2000, le=2100, description="Calendar year.")],
) -> Response:
    """Emissions by scope (both Scope 2 methods), energy, renewable share, intensities,
    monthly trend and progress to target of one year, from its stored inventory."""

    def answer(session: Session, who: Principal) -> Response:
        # A facility's code and id change only with an audit entry, so under the same newest
        # audit entry a kept overview's facility id is the facility's; the caller's right to
        # read it is checked against that id on every request.
        head = audit_head(request, session)  # as the sign-in check read it
        key = (who.organization_id, code, year, head)
        overviews = kept(request.app, "overviews", CACHE_ENTRIES)
        found = overviews.get(key)
        if found is None or found[0] not in who.readable:
            site = facility(session, who, code)
            body = Overview.model_validate(facility_overview(session, site, year))
            found = (site.id, body.model_dump_json().encode())
            overviews.put(key, found)
        return Response(found[1], media_type="application/json")

    return await read_in_one_hop(request, answer)
