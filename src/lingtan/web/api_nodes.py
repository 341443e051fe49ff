"""Drill-down, budgets and alerts in the REST API (``/api/v1``): a node of the metering tree
with its totals, trend, time-of-use split, children and meters; a meter's totals over a range
of days; the budgets' straight-line forecast to year end; and the alert list.

Every figure comes from :mod:`lingtan.metering.energy_store` (the functions behind
``lingtan energy``) read through the organization-scoped look-ups of :mod:`lingtan.web.deps`;
nothing is computed here. Days are local days (UTC+08:00).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lingtan.i18n import Message
from lingtan.metering.alerts import ALERT_TYPES, SEVERITIES, select_alerts
from lingtan.metering.energy import BALANCE_THRESHOLD_PCT
from lingtan.metering.energy_store import (
    FacilityEnergy,
    alert_list,
    budget_forecast_rows,
    last_metered_day,
    month_span,
    node_tou,
)
from lingtan.web.api_energy import (
    FirstDay,
    LastDay,
    Month,
    NodeTotalOut,
    TouPeriod,
    Year,
    _days,
    _energy_read,
    metering_tree,
)
from lingtan.web.deps import ApiError, Db, User

__all__ = ["FORECAST_METHOD", "router"]

router = APIRouter(prefix="/api/v1")

AlertType = Literal[ALERT_TYPES]  # type: ignore[valid-type]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
#: How the year-end forecast is made, as the API and the budget page state it.
FORECAST_METHOD = "straight line: actual so far / elapsed days x days in the year"


# --- response models ------------------------------------------------------------------------


class NodeRef(BaseModel):
    code: str
    name: str
    level: str


class Figures(BaseModel):
    energy_tce: float | None = Field(description="[tce]")
    carbon_tco2: float | None = Field(description="[tCO2]")


class NodePeriod(Figures):
    period: str = Field(description="YYYY-MM (a year's trend) or YYYY-MM-DD (a month's).")


class NodeChild(Figures):
    node: str
    name: str
    level: str


class MeterFigures(Figures):
    meter: str
    unit: str
    energy: float = Field(description="Measured + estimated [unit].")
    estimated: float = Field(description="The estimated part of energy [unit].")
    missing_intervals: int
    days: int


class NodeMeter(MeterFigures):
    name: str
    energy_type: str
    flow: str
    virtual: bool


class TouMonth(BaseModel):
    month: str
    calendar_id: str
    calendar_status: str
    unit: str
    periods: list[TouPeriod]


class NodeDetail(Figures):
    """``energy_tce`` and ``carbon_tco2``: all energy types of the node."""

    facility: str
    node: str
    name: str
    level: str
    parent: str | None
    path: list[NodeRef] = Field(description="From the root down to the parent.")
    period: str = Field(description="YYYY or YYYY-MM.")
    notes: list[str]
    types: list[NodeTotalOut]
    trend_period: Literal["month", "day"]
    trend: list[NodePeriod]
    children: list[NodeChild]
    meters: list[NodeMeter] = Field(description="The node's own meters.")
    tou: list[TouMonth] = Field(description="Electricity per time-of-use period and month.")
    tou_problems: list[str] = Field(description="Months without a time-of-use calendar.")


class MeterTotals(MeterFigures):
    facility: str
    start: date
    end: date = Field(description="Last local day, inclusive.")


class ForecastOut(BaseModel):
    node: str
    budget_months: int = Field(description="Months of the year with a budget.")
    budget_tce: float | None = Field(description="The year's budgets summed [tce].")
    energy_tce: float | None = Field(description="Actual through as_of [tce].")
    forecast_tce: float | None = Field(description="Year end, straight line [tce].")
    forecast_tce_pct: float | None = Field(description="forecast / budget x 100 [%].")
    budget_tco2: float | None = Field(description="[tCO2]")
    carbon_tco2: float | None = Field(description="[tCO2]")
    forecast_tco2: float | None = Field(description="[tCO2]")
    forecast_tco2_pct: float | None = Field(description="[%]")


class BudgetForecast(BaseModel):
    facility: str
    year: int
    as_of: date | None = Field(description="The last metered day (local).")
    elapsed_days: int
    days_in_year: int
    method: str
    rows: list[ForecastOut]


class AlertOut(BaseModel):
    type: str = Field(description="balance, budget, data_gap or quality.")
    severity: str = Field(description="high, medium or low.")
    node: str | None
    meter: str | None
    first_day: date
    last_day: date
    detail: str = Field(description="Balance status, budget measure, quality flag, missing.")
    share_pct: float | None = Field(description="Loss [% of parent] or used [% of budget].")
    actual: float | None = Field(description="Loss or actual [unit].")
    limit: float | None = Field(description="Parent or budget [unit].")
    unit: str | None
    intervals: int | None = Field(description="Missing or flagged 15-minute intervals.")


class Alerts(BaseModel):
    facility: str
    first_day: date
    last_day: date
    as_of: date | None = Field(description="The last metered day: no gap is sought after it.")
    threshold_pct: float
    total: int
    counts: dict[str, int] = Field(description="Alerts shown per type.")
    rows: list[AlertOut]


# --- a node of the metering tree ------------------------------------------------------------


def _node_detail(
    data: FacilityEnergy, tree: dict[str, Any], node: str, kind: str
) -> dict[str, Any]:
    names = {n["code"]: n for n in tree["nodes"]}
    meters = {m["code"]: m for m in tree["meters"]}
    info = names[node]
    period = data.node_periods(node, kind)[0]
    trend_kind = "day" if kind == "month" else "month"
    children = []
    for child in data.children(node):
        figures = data.node_periods(child, kind)[0]
        children.append(
            {"node": child, "name": names[child]["name"], "level": names[child]["level"],
             "energy_tce": figures["energy_tce"], "carbon_tco2": figures["carbon_tco2"]}
        )  # fmt: skip
    own = []
    for code in sorted(c for c, m in meters.items() if m["node"] == node):
        m = meters[code]
        own.append(
            {**data.meter_figures(code), "name": m["name"], "energy_type": m["energy_type"],
             "flow": m["flow"], "virtual": bool(m["virtual_formula"])}
        )  # fmt: skip
    return {
        "facility": data.facility.code,
        "node": node,
        "name": info["name"],
        "level": info["level"],
        "parent": info["parent"],
        "path": [
            {"code": c, "name": names[c]["name"], "level": names[c]["level"]}
            for c in data.ancestors(node)
        ],
        "period": period["period"],
        "energy_tce": period["energy_tce"],
        "carbon_tco2": period["carbon_tco2"],
        "notes": period["notes"],
        "types": period["types"],
        "trend_period": trend_kind,
        "trend": [
            {"period": p["period"], "energy_tce": p["energy_tce"], "carbon_tco2": p["carbon_tco2"]}
            for p in data.node_periods(node, trend_kind)
        ],
        "children": children,
        "meters": own,
    }


@router.get("/facilities/{code}/energy/nodes/{node}", response_model=NodeDetail, tags=["energy"])
def energy_node(
    request: Request,
    session: Db,
    who: User,
    code: str,
    node: str,
    year: Year,
    month: Month = None,
) -> dict[str, Any]:
    """A node of the metering tree over a year or a month: its energy in tce and tCO2, per
    energy type, its trend (per month of the year, per day of the month), its children and
    own meters with their figures, and its electricity per time-of-use period."""
    tree = metering_tree(session, who, code)
    if node not in {n["code"] for n in tree["nodes"]}:
        raise ApiError(404, Message("no such node"))

    def read(current: Session, data: FacilityEnergy) -> dict[str, Any]:
        detail = _node_detail(data, tree, node, "month" if month else "year")
        tou, problems = node_tou(
            current, data, node, year, [month] if month else list(range(1, 13))
        )
        return {**detail, "tou": tou, "tou_problems": problems}

    span = month_span(year, month)
    return _energy_read(request, session, who, code, span, ("node", node, month), read)


@router.get("/facilities/{code}/meters/{meter}/totals", response_model=MeterTotals, tags=["energy"])
def meter_totals(
    request: Request,
    session: Db,
    who: User,
    code: str,
    meter: str,
    start: FirstDay,
    end: LastDay,
) -> dict[str, Any]:
    """A meter's (physical or virtual) energy over local days ``start`` to ``end`` (at most
    366), from its daily totals, in its unit, in tce and in tCO2."""
    tree = metering_tree(session, who, code)
    if meter not in {m["code"] for m in tree["meters"]}:
        raise ApiError(404, Message("no such meter"))
    span = _days(start, end)

    def read(_current: Session, data: FacilityEnergy) -> dict[str, Any]:
        return {"facility": data.facility.code, "start": start, "end": end,
                **data.meter_figures(meter)}  # fmt: skip

    return _energy_read(request, session, who, code, span, ("meter", meter), read)


# --- budgets and alerts ---------------------------------------------------------------------


@router.get(
    "/facilities/{code}/energy/budget-forecast", response_model=BudgetForecast, tags=["energy"]
)
def budget_forecast(
    request: Request, session: Db, who: User, code: str, year: Year
) -> dict[str, Any]:
    """Each budgeted node's year: the budgets summed, the actual through the last metered
    day and the year-end forecast by straight line (actual so far / elapsed days x days in
    the year), against the budget when all 12 months have one."""

    def read(current: Session, data: FacilityEnergy) -> dict[str, Any]:
        as_of = last_metered_day(current, data.facility)
        elapsed, days, rows = budget_forecast_rows(current, data, as_of)
        return {"facility": data.facility.code, "year": year, "as_of": as_of,
                "elapsed_days": elapsed, "days_in_year": days, "method": FORECAST_METHOD,
                "rows": [r.as_dict() for r in rows]}  # fmt: skip

    return _energy_read(request, session, who, code, month_span(year), "forecast", read)


@router.get("/facilities/{code}/alerts", response_model=Alerts, tags=["energy"])
def alerts(
    request: Request,
    session: Db,
    who: User,
    code: str,
    year: Year,
    month: Month = None,
    type: Annotated[list[AlertType] | None, Query(description="Only these types.")] = None,
    severity: Annotated[list[Severity] | None, Query(description="Only these.")] = None,
    node: Annotated[str | None, Query(description="Only this node and those below it.")] = None,
    threshold: Annotated[float, Query(ge=0, le=100, description="Balance alert above [%].")] = (
        BALANCE_THRESHOLD_PCT
    ),
) -> dict[str, Any]:
    """Balance losses, budget overruns, data gaps and quality flags of a year or a month,
    computed from the data on request, the most severe first; filtered by type, severity and
    node (with the nodes below it)."""
    if node is not None and node not in {
        n["code"] for n in metering_tree(session, who, code)["nodes"]
    }:
        raise ApiError(404, Message("no such node"))
    first, after = month_span(year, month)

    def read(current: Session, data: FacilityEnergy) -> dict[str, Any]:
        as_of = last_metered_day(current, data.facility)
        found = alert_list(current, data, threshold_pct=threshold, as_of=as_of)
        rows = select_alerts(
            found,
            types=type or (),
            nodes=data.subtree(node) if node else None,
            severities=severity or (),
        )
        counts = {kind: sum(1 for r in rows if r.type == kind) for kind in ALERT_TYPES}
        return {"facility": data.facility.code, "first_day": first,
                "last_day": after - timedelta(days=1), "as_of": as_of,
                "threshold_pct": threshold, "total": len(rows), "counts": counts,
                "rows": [r.as_dict() for r in rows]}  # fmt: skip

    key = ("alerts", tuple(type or ()), tuple(severity or ()), node, threshold)
    return _energy_read(request, session, who, code, (first, after), key, read)
