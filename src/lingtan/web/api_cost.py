"""Energy cost over the REST API (``/api/v1``): a facility's tariff (read, import) and the cost
of its metered energy per node, energy type, month and TOU period.

The figures are :func:`lingtan.services.cost.cost_by`'s, the tariff
:func:`lingtan.services.cost.tariff_runs`' (the functions behind ``lingtan energy cost`` and
``lingtan tariff show``); nothing is computed here. Days are local days (UTC+08:00).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lingtan.i18n import Message
from lingtan.metering.energy_store import FacilityEnergy, month_span
from lingtan.services.cost import cost_by, import_tariffs, tariff_runs
from lingtan.web.api_energy import _TABLE_FILES, Month, Upload, Year, _energy_read, _uploaded
from lingtan.web.deps import ApiError, Db, User, facility

__all__ = ["energy_cost", "router"]

router = APIRouter(prefix="/api/v1")


class TariffRun(BaseModel):
    energy_type: str
    component: str = Field(description="energy, demand (CNY/kW·month) or capacity.")
    period: str = Field(description="TOU label (peak, flat, valley ...) or all.")
    month_from: str = Field(description="YYYY-MM")
    month_to: str = Field(description="YYYY-MM, inclusive.")
    price_cny_per_unit: float = Field(description="[CNY/unit]")
    unit: str = Field(description="The unit priced: kWh, m3, GJ ...; kW or kVA per month.")
    capacity_kva: float | None = Field(description="Capacity charged [kVA] (capacity only).")
    calendar_id: str
    status: str = Field(description="user, official, unverified or sample.")
    document: str
    url: str
    note: str
    source_file: str


class TariffOut(BaseModel):
    facility: str
    prices: list[TariffRun]


class TariffImport(BaseModel):
    prices_read: int
    changed: int


class CostMonth(BaseModel):
    month: str
    cost_cny: float = Field(description="[CNY], priced energy only.")
    by_energy_type_cny: dict[str, float] = Field(description="[CNY] per energy type.")


class CostRow(BaseModel):
    node: str
    energy_type: str
    month: str
    energy: float = Field(description="[unit], known intervals, estimated ones included.")
    estimated: float = Field(description="The estimated part of energy [unit].")
    unit: str
    energy_cost_cny: float
    basic_cost_cny: float = Field(description="Demand or capacity charge [CNY].")
    cost_cny: float | None = Field(description="[CNY]; None when nothing in it has a price.")
    estimated_cost_cny: float = Field(description="The cost of the estimated energy [CNY].")
    unpriced: bool = Field(description="Some of the energy has no price (see notes).")


class CostNode(BaseModel):
    node: str
    energy_type: str
    energy: float = Field(description="[unit] over the span.")
    unit: str
    cost_cny: float | None = Field(description="[CNY]; None when nothing in it has a price.")
    basic_cost_cny: float
    estimated_cost_cny: float
    unpriced: bool


class CostPeriodTotal(BaseModel):
    period: str
    energy: float = Field(description="[unit] over the span.")
    unit: str
    cost_cny: float | None = Field(description="[CNY]; None when nothing in it has a price.")
    mean_price_cny_per_unit: float | None = Field(description="cost / energy [CNY/unit].")
    unpriced: bool


class CostPeriod(BaseModel):
    month: str
    period: str
    energy: float = Field(description="[unit]")
    unit: str
    cost_cny: float | None = Field(description="[CNY]; None when it has no price.")
    price_cny_per_unit: float | None
    estimated_cost_cny: float
    unpriced: bool


class Unpriced(BaseModel):
    energy_type: str
    month: str
    period: str
    reason: str = Field(description="no price, or unit (the meter's unit does not convert).")


class CostSource(BaseModel):
    status: str
    document: str
    url: str
    note: str


class EnergyCost(BaseModel):
    facility: str
    start: str = Field(description="First local day.")
    end: str = Field(description="Last local day, inclusive.")
    node: str | None = Field(description="The node asked for; None: the facility (root nodes).")
    has_tariff: bool
    cost_cny: float = Field(description="[CNY] of the node (or the facility) over the span.")
    months: list[CostMonth]
    nodes: list[CostNode] = Field(description="Per node and energy type over the span.")
    rows: list[CostRow] = Field(description="Per node, energy type and month.")
    period_totals: list[CostPeriodTotal] = Field(description="Electricity per TOU period.")
    periods: list[CostPeriod] = Field(description="Electricity per month and TOU period.")
    notes: list[str]
    unpriced: list[Unpriced] = Field(description="The charges without a cost, once each.")
    sources: list[CostSource] = Field(description="The sources of the prices used.")


@router.get("/facilities/{code}/tariffs", response_model=TariffOut, tags=["cost"])
def tariff(session: Db, who: User, code: str) -> dict[str, Any]:
    """The facility's tariff: runs of months with the same price and source
    (``lingtan tariff show``)."""
    site = facility(session, who, code)
    return {"facility": site.code, "prices": tariff_runs(session, site)}


@router.post(
    "/facilities/{code}/tariffs", response_model=TariffImport, status_code=201, tags=["cost"]
)
def import_tariff_file(
    request: Request, session: Db, who: User, code: str, file: Upload
) -> dict[str, Any]:
    """Import a tariff file (.csv or .xlsx), all or nothing; its months replace the stored
    prices of the same energy type and component (``lingtan tariff import``)."""
    site = facility(session, who, code, write=True)
    with _uploaded(request, file, _TABLE_FILES) as path:
        read, changed = import_tariffs(session, site, path, actor=who.name)
    return {"prices_read": read, "changed": changed}


@router.get("/facilities/{code}/energy/cost", response_model=EnergyCost, tags=["cost"])
def energy_cost(
    request: Request,
    session: Db,
    who: User,
    code: str,
    year: Year,
    month: Month = None,
    node: Annotated[str | None, Query(description="Only this node (code).")] = None,
) -> dict[str, Any]:
    """Energy cost [CNY] per node, energy type and month, and per TOU period, under the stored
    tariff (``lingtan energy cost``)."""

    def read(current: Session, data: FacilityEnergy) -> dict[str, Any]:
        if node is not None and node not in data.nodes:
            raise ApiError(404, Message("no such node"))
        found = cost_by(current, data.facility, data.start, data.end, energy=data)
        return found.as_dict(node)

    return _energy_read(request, session, who, code, month_span(year, month), ("cost", node), read)
