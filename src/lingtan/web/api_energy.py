"""The metering and energy part of the REST API (``/api/v1``): the metering tree, readings and
15-minute intervals, daily and monthly totals, energy in tce and carbon, balance, energy flow,
budgets, intensity, time-of-use split, data completeness, and file imports.

Every figure comes from :mod:`lingtan.metering` (the functions behind ``lingtan meters``,
``lingtan energy`` and ``lingtan tou``); nothing is computed here. Days are local days
(UTC+08:00), as for the command line. Reads that use the daily totals first recompute the stale
ones (:func:`lingtan.metering.rollups.refresh`) in a short transaction of their own, so a
figure never lags behind the readings stored.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.load import import_file
from lingtan.metering import rollups
from lingtan.metering.energy import BALANCE_THRESHOLD_PCT, INTERVALS_PER_DAY
from lingtan.metering.energy_store import (
    FacilityEnergy,
    import_budgets,
    intensity_rows,
    interval_carbon,
    load_energy,
    month_span,
)
from lingtan.metering.files import import_readings_file
from lingtan.metering.intervals import INTERVAL_S, Quality
from lingtan.metering.store import ROLLUP_UTC_OFFSET_MIN, meter_readings, stored_intervals
from lingtan.metering.tou import calendar_for, shipped_calendars, tou_split
from lingtan.services.cost import budget_rows_with_cost
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Facility, Meter, MeterDayStale, MeterNode
from lingtan.store.versions import DataVersion, data_version
from lingtan.web.admission import watch
from lingtan.web.api import _QUERY, _UPLOAD, Limit, Offset, _sniff
from lingtan.web.deps import SAFE_METHODS, ApiError, Db, User, facility
from lingtan.web.kept import kept

__all__ = ["MAX_DAYS", "MAX_READING_SPAN", "router"]

router = APIRouter(prefix="/api/v1")

#: The longest span of readings or intervals one request may ask for.
MAX_READING_SPAN = timedelta(days=31)
#: The longest span of daily figures one request may ask for [days].
MAX_DAYS = 366
_LOCAL = timedelta(minutes=ROLLUP_UTC_OFFSET_MIN)
#: Files a meter, budget or activity import accepts.
_TABLE_FILES = (".csv", ".xlsx")

Year = Annotated[int, Query(ge=2000, le=2100, description="Year (local days, UTC+08:00).")]
Month = Annotated[int | None, Query(ge=1, le=12, description="Only this month.")]
PeriodKind = Annotated[
    Literal["day", "month", "year"], Query(description="Figures per day, month or year.")
]
SpanStart = Annotated[AwareDatetime, Query(description="Span start, with its UTC offset.")]
SpanEnd = Annotated[AwareDatetime, Query(description="Span end (excluded), with its offset.")]
FirstDay = Annotated[date, Query(description="First local day.")]
LastDay = Annotated[date, Query(description="Last local day, inclusive.")]


# --- response models ------------------------------------------------------------------------


class NodeOut(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None = Field(description="Code of the parent node; None for a root.")


class MeterOut(BaseModel):
    code: str
    name: str
    energy_type: str
    unit: str
    kind: str = Field(description="cumulative or interval.")
    flow: str = Field(description="supply, generation, export, output or use.")
    node: str | None
    multiplier: float
    rollover_at: float | None = Field(description="Register value that rolls over [unit].")
    virtual_formula: str | None


class MeterTree(BaseModel):
    facility: str
    nodes: list[NodeOut]
    meters: list[MeterOut]


class ReadingOut(BaseModel):
    ts: datetime = Field(description="Reading time [UTC].")
    value: float = Field(description="As read [meter unit, before the multiplier].")


class ReadingPage(BaseModel):
    meter: str
    unit: str
    items: list[ReadingOut]
    total: int
    limit: int
    offset: int


class IntervalOut(BaseModel):
    start: datetime = Field(description="Interval start [UTC]; it lasts 15 minutes.")
    energy: float | None = Field(
        description="[meter unit, after the multiplier]; None if not known."
    )
    quality: str = Field(description="measured, stuck, rollover, replacement, estimated, ...")


class IntervalPage(BaseModel):
    meter: str
    unit: str
    quality_counts: dict[str, int] = Field(description="Intervals of the whole span per flag.")
    items: list[IntervalOut]
    total: int
    limit: int
    offset: int


class NodePeriodOut(BaseModel):
    node: str
    energy_type: str
    flow: str
    unit: str
    period: date = Field(description="Local day, or the first day of the month.")
    energy: float = Field(description="Measured + estimated, the node's own meters [unit].")
    estimated: float = Field(description="The estimated part of energy [unit].")
    measured_intervals: int
    estimated_intervals: int
    missing_intervals: int
    meter_days: int = Field(description="Meter-days with a daily total.")


class NodePeriodPage(BaseModel):
    facility: str
    items: list[NodePeriodOut]
    total: int
    limit: int
    offset: int


class NodeTotalOut(BaseModel):
    node: str
    energy_type: str
    energy: float | None = Field(description="[unit]; None where quantities cannot be added.")
    unit: str
    energy_tce: float | None = Field(description="[tce]")
    carbon_tco2: float | None = Field(description="[tCO2]")
    estimated: float
    missing_intervals: int
    basis: str = Field(description="own meters, or children.")
    meters: list[str]
    generation: float
    export: float
    output: float
    output_tce: float | None
    notes: list[str]


class PeriodTotals(BaseModel):
    period: str
    facility_energy_tce: float | None
    facility_carbon_tco2: float | None
    notes: list[str]
    nodes: list[NodeTotalOut]


class EnergyTotals(BaseModel):
    facility: str
    periods: list[PeriodTotals]
    factors: dict[str, dict[str, Any]] = Field(description="tce and carbon coefficient per meter.")


class BalanceOut(BaseModel):
    period: str
    node: str
    energy_type: str
    unit: str
    parent: float
    children: float
    loss: float
    loss_pct: float | None
    status: str = Field(description="ok, loss, children exceed parent, or incomplete.")
    missing_intervals: int
    child_nodes: list[str]


class Balance(BaseModel):
    facility: str
    threshold_pct: float
    rows: list[BalanceOut]


class FlowNode(BaseModel):
    id: str
    label: str
    stage: str


class FlowLink(BaseModel):
    source: int = Field(description="Index into nodes.")
    target: int = Field(description="Index into nodes.")
    value_tce: float
    energy_type: str


class EnergyFlow(BaseModel):
    facility: str
    nodes: list[FlowNode]
    links: list[FlowLink]
    notes: list[str]


class BudgetOut(BaseModel):
    node: str
    month: str
    energy_tce: float | None
    budget_tce: float | None
    energy_used_pct: float | None
    carbon_tco2: float | None
    budget_tco2: float | None
    carbon_used_pct: float | None
    over_budget: list[str]
    cost_cny: float | None = Field(description="Actual cost [CNY]; None without a tariff.")


class Budgets(BaseModel):
    facility: str
    rows: list[BudgetOut]
    factors: dict[str, dict[str, Any]] = Field(description="tce and carbon coefficient per meter.")


class IntensityOut(BaseModel):
    month: str
    product: str
    production: float
    unit: str
    energy_tce: float | None
    carbon_tco2: float | None
    tce_per_unit: float | None
    tco2_per_unit: float | None
    notes: list[str]


class Intensity(BaseModel):
    facility: str
    rows: list[IntensityOut]
    factors: dict[str, dict[str, Any]] = Field(description="tce and carbon coefficient per meter.")


class CarbonIntervals(BaseModel):
    meter: str
    unit: str
    start_utc: list[str]
    energy: list[float | None]
    estimated: list[bool]
    quality: list[str]
    carbon_tco2: list[float | None]
    factor: dict[str, Any] = Field(description="The carbon factor with its provenance.")


class TouPeriod(BaseModel):
    label: str
    label_zh: str
    energy: float
    energy_estimated: float
    intervals: int
    missing_intervals: int


class TouSplitOut(BaseModel):
    facility: str
    meter: str
    month: str
    calendar_id: str
    calendar_status: str
    unit: str
    periods: list[TouPeriod]


class CompletenessOut(BaseModel):
    meter: str
    day: date
    measured_intervals: int
    estimated_intervals: int
    missing_intervals: int
    completeness_pct: float = Field(description="measured / 96 x 100 [%].")


class CompletenessPage(BaseModel):
    facility: str
    items: list[CompletenessOut]
    total: int
    limit: int
    offset: int


class MeterFileImport(BaseModel):
    import_id: int
    layout: str
    rows_read: int
    added: int
    unchanged: int
    conflicts: int
    days_refreshed: int


class BudgetImport(BaseModel):
    rows_read: int
    changed: int


class ActivityImport(BaseModel):
    batch_id: int
    facility: str
    rows_read: int
    added: dict[str, int]
    unchanged: dict[str, int]


# --- helpers --------------------------------------------------------------------------------


@contextmanager
def _current(request: Request, session: Session, site: Facility) -> Iterator[Session]:
    """A read-only session in which the facility's daily totals are up to date.

    When the request's session sees no stale day, it is that session. Otherwise the stale
    days are recomputed first in a short write transaction of their own (as the command line
    does) and the figures are read in a new read-only transaction that sees them: concurrent
    reads never queue behind each other, and a request holds a second database connection
    only while there is something to recompute.
    """
    stale = session.scalar(
        select(exists().where(MeterDayStale.meter_id == Meter.id, Meter.facility_id == site.id))
    )
    if not stale:
        yield session
        return
    engine = request.app.state.engine
    with session_scope(engine) as writer:
        rollups.refresh(writer, site.id)
    with session_scope(engine, read_only=True) as current:
        yield current


def _meter(session: Session, site: Facility, code: str) -> Meter:
    found = session.scalars(
        select(Meter).where(Meter.facility_id == site.id, Meter.code == code)
    ).first()
    if found is None:
        raise ApiError(404, Message("no such meter"))
    return found


def _span(start: datetime, end: datetime, *, grid: bool = False) -> None:
    problems = []
    if end <= start:
        problems.append(
            InputProblem(_QUERY, "end", end.isoformat(), Message("must be after start"))
        )
    elif end - start > MAX_READING_SPAN:
        problems.append(
            InputProblem(
                _QUERY,
                "end",
                end.isoformat(),
                Message("at most %(days)d days after start", days=MAX_READING_SPAN.days),
            )
        )
    if grid:
        for name, value in (("start", start), ("end", end)):
            if int(value.timestamp()) % INTERVAL_S or value.microsecond:
                problems.append(
                    InputProblem(_QUERY, name, value.isoformat(), Message("on the 15-minute grid"))
                )
    if problems:
        raise InputError(problems)


def _days(first: date, last: date) -> tuple[date, date]:
    """Local days ``[first, last + 1)``, checked."""
    if last < first:
        raise InputError(InputProblem(_QUERY, "end", last.isoformat(), Message("is before start")))
    if (last - first).days + 1 > MAX_DAYS:
        rule = Message("at most %(days)d days", days=MAX_DAYS)
        raise InputError(InputProblem(_QUERY, "end", last.isoformat(), rule))
    if last == date.max:
        raise InputError(
            InputProblem(_QUERY, "end", last.isoformat(), Message("before 9999-12-31"))
        )
    return first, last + timedelta(days=1)


def _paged(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    return {
        "items": items[offset : offset + limit],
        "total": len(items),
        "limit": limit,
        "offset": offset,
    }


def _utc(seconds: np.ndarray) -> list[datetime]:
    return [
        datetime.fromtimestamp(int(s), UTC)
        for s in seconds.astype("datetime64[s]").astype(np.int64)
    ]


@contextmanager
def _uploaded(request: Request, upload: UploadFile, kinds: tuple[str, ...]) -> Iterator[Path]:
    """The upload as a file of its own name in a temporary folder: refused (413) above the
    application's limit, (422) when empty, of another kind, or when its content is not what
    its extension says."""
    limit = request.app.state.max_upload_bytes
    content = upload.file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, Message("the file is larger than %(limit)s bytes", limit=limit))
    name = PurePath(upload.filename or "upload").name[:200] or "upload"
    if PurePath(name).suffix.lower() not in kinds:
        raise InputError(
            InputProblem(
                _UPLOAD,
                "file",
                name,
                Message("not an accepted kind of file (%(kinds)s)", kinds=", ".join(kinds)),
            )
        )
    if not content:
        raise InputError(InputProblem(_UPLOAD, "file", name, Message("is empty")))
    _sniff(name, content)
    with tempfile.TemporaryDirectory(prefix="lingtan-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        yield path


def fresh_version(request: Request, session: Session, site: Facility) -> DataVersion:
    """The facility's data version once its stale daily totals are recomputed."""
    with _current(request, session, site) as current:
        return data_version(current, site.id)


def kept_read(
    request: Request,
    session: Session,
    site: Facility,
    key: Hashable,
    compute: Callable[[Session], Any],
) -> Any:
    """``compute(current)`` in a session where the facility's daily totals are up to date,
    kept per ``key``, facility and data version (:mod:`lingtan.web.kept`) for requests that
    only read. A kept result is shared: callers never change it."""
    with _current(request, session, site) as current:
        if request.method not in SAFE_METHODS:  # its own writes may yet be rolled back
            return compute(current)
        full = (key, site.id, data_version(current, site.id))
        results = kept(request.app, "energy")
        found = results.get(full)
        if found is None:
            watch(request).check()
            found = compute(current)
            results.put(full, found)
        return found


def _energy_read(
    request: Request,
    session: Session,
    who: Any,
    code: str,
    span: tuple[date, date],
    key: Hashable,
    read: Callable[[Session, FacilityEnergy], dict[str, Any]],
) -> dict[str, Any]:
    """``read`` of the facility's energy over local days ``span`` (:func:`load_energy`),
    kept by :func:`kept_read` under ``key`` (what ``read`` is and its parameters) and span."""
    site = facility(session, who, code)

    def compute(current: Session) -> dict[str, Any]:
        return read(current, load_energy(current, site, *span, refresh=False))

    return kept_read(request, session, site, (key, span), compute)


# --- the metering tree, readings and intervals ----------------------------------------------


@router.get("/facilities/{code}/meters", response_model=MeterTree, tags=["metering"])
def metering_tree(session: Db, who: User, code: str) -> dict[str, Any]:
    """The nodes of the metering tree and the meters of a facility."""
    site = facility(session, who, code)
    nodes = session.scalars(
        select(MeterNode).where(MeterNode.facility_id == site.id).order_by(MeterNode.code)
    ).all()
    codes = {n.id: n.code for n in nodes}
    meters = session.scalars(
        select(Meter).where(Meter.facility_id == site.id).order_by(Meter.code)
    ).all()
    return {
        "facility": site.code,
        "nodes": [
            {"code": n.code, "name": n.name, "level": n.level, "parent": codes.get(n.parent_id)}
            for n in nodes
        ],
        "meters": [
            {
                "code": m.code,
                "name": m.name,
                "energy_type": m.energy_type,
                "unit": m.unit,
                "kind": m.kind,
                "flow": m.flow,
                "node": codes.get(m.node_id),
                "multiplier": m.multiplier,
                "rollover_at": m.rollover_at,
                "virtual_formula": m.virtual_formula,
            }
            for m in meters
        ],
    }


@router.get(
    "/facilities/{code}/meters/{meter}/readings", response_model=ReadingPage, tags=["metering"]
)
def list_readings(
    session: Db,
    who: User,
    code: str,
    meter: str,
    start: SpanStart,
    end: SpanEnd,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    """A meter's stored readings in ``[start, end)`` (at most 31 days), in time order."""
    site = facility(session, who, code)
    found = _meter(session, site, meter)
    _span(start, end)
    ts, values = meter_readings(session, site, found.code, start=start, end=end)
    items = [
        {"ts": t, "value": v}
        for t, v in zip(
            _utc(ts[offset : offset + limit]), values[offset : offset + limit].tolist(), strict=True
        )
    ]
    return {"meter": found.code, "unit": found.unit, "items": items, "total": len(ts),
            "limit": limit, "offset": offset}  # fmt: skip


@router.get(
    "/facilities/{code}/meters/{meter}/intervals", response_model=IntervalPage, tags=["metering"]
)
def list_intervals(
    session: Db,
    who: User,
    code: str,
    meter: str,
    start: SpanStart,
    end: SpanEnd,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Checked 15-minute intervals of a physical meter with their quality flags over
    ``[start, end)`` (on the 15-minute grid, at most 31 days)."""
    site = facility(session, who, code)
    found = _meter(session, site, meter)
    _span(start, end, grid=True)
    intervals = stored_intervals(session, site, found.code, start=start, end=end)
    flags, counts = np.unique(intervals.quality, return_counts=True)
    page = slice(offset, offset + limit)
    energy = intervals.energy[page].tolist()
    items = [
        {"start": t, "energy": None if np.isnan(e) else e, "quality": Quality(int(q)).label}
        for t, e, q in zip(
            _utc(intervals.start[page]), energy, intervals.quality[page], strict=True
        )
    ]
    return {
        "meter": found.code,
        "unit": intervals.unit,
        "quality_counts": {
            Quality(int(f)).label: int(n) for f, n in zip(flags, counts, strict=True)
        },
        "items": items,
        "total": len(intervals.start),
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/facilities/{code}/meters/{meter}/carbon", response_model=CarbonIntervals, tags=["energy"]
)
def meter_carbon(
    session: Db,
    who: User,
    code: str,
    meter: str,
    day: Annotated[date, Query(description="First local day.")],
    days: Annotated[int, Query(ge=1, le=31)] = 1,
) -> dict[str, Any]:
    """CO2 of every 15-minute interval of a meter (physical or virtual): energy x factor,
    with the factor's provenance (``lingtan energy carbon``)."""
    site = facility(session, who, code)
    _meter(session, site, meter)
    return interval_carbon(session, site, meter, day, day + timedelta(days=days))


@router.get("/facilities/{code}/meters/{meter}/tou", response_model=TouSplitOut, tags=["energy"])
def meter_tou(
    session: Db,
    who: User,
    code: str,
    meter: str,
    year: Year,
    month: Annotated[int, Query(ge=1, le=12)],
    applies_to: Annotated[str | None, Query(description="User class, e.g. two_part.")] = None,
    holiday: Annotated[list[date] | None, Query(description="Local holiday dates.")] = None,
) -> dict[str, Any]:
    """Energy of a meter's 15-minute intervals per time-of-use period over one local month,
    by the shipped calendar of the facility's province (``lingtan tou split``)."""
    site = facility(session, who, code)
    found = _meter(session, site, meter)
    first, after = month_span(year, month)
    chosen = calendar_for(
        shipped_calendars(),
        site.region,
        first=first,
        last=after - timedelta(days=1),
        applies_to=applies_to,
    )
    start = datetime.combine(first, datetime.min.time(), UTC) - _LOCAL
    end = datetime.combine(after, datetime.min.time(), UTC) - _LOCAL
    intervals = stored_intervals(session, site, found.code, start=start, end=end)
    split = tou_split(intervals, chosen, ROLLUP_UTC_OFFSET_MIN, holidays=holiday or ())
    return {
        "facility": site.code,
        "meter": found.code,
        "month": f"{year:04d}-{month:02d}",
        "calendar_status": chosen.status,
        **split.as_dict(),
    }


# --- daily and monthly totals, completeness -------------------------------------------------


@router.get("/facilities/{code}/rollups", response_model=NodePeriodPage, tags=["energy"])
def node_rollups(
    request: Request,
    session: Db,
    who: User,
    code: str,
    start: FirstDay,
    end: LastDay,
    period: Annotated[Literal["day", "month"], Query()] = "day",
    node: Annotated[str | None, Query(description="Only this node (code).")] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Daily or monthly totals of the nodes of the metering tree (each node its own meters),
    per energy type, flow and unit, over local days ``start`` to ``end``."""
    site = facility(session, who, code)
    first, after = _days(start, end)
    node_codes = dict(
        session.execute(
            select(MeterNode.id, MeterNode.code).where(MeterNode.facility_id == site.id)
        ).all()
    )
    if node is not None and node not in node_codes.values():
        raise ApiError(404, Message("no such node"))
    read = rollups.tree_daily_totals if period == "day" else rollups.node_monthly_totals
    with _current(request, session, site) as current:
        t = read(current, site.id, first, after)
    names = [name for name in NodePeriodOut.model_fields if name != "node"]
    columns = [t.node_id.tolist()] + [getattr(t, name).tolist() for name in names]
    items = [
        {"node": node_codes[row[0]], **dict(zip(names, row[1:], strict=True))}
        for row in zip(*columns, strict=True)
        if node is None or node_codes[row[0]] == node
    ]
    return {"facility": site.code, **_paged(items, limit, offset)}


@router.get("/facilities/{code}/data-quality", response_model=CompletenessPage, tags=["metering"])
def data_quality(
    request: Request,
    session: Db,
    who: User,
    code: str,
    start: FirstDay,
    end: LastDay,
    meter: Annotated[str | None, Query(description="Only this meter (code).")] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Completeness of every physical meter on every local day: measured, estimated and
    missing 15-minute intervals (a day without a daily total counts 96 missing)."""
    site = facility(session, who, code)
    first, after = _days(start, end)
    physical = {
        m.id: m.code
        for m in session.scalars(
            select(Meter).where(Meter.facility_id == site.id, Meter.virtual_formula.is_(None))
        )
    }
    if meter is not None:
        physical = {i: c for i, c in physical.items() if c == meter}
        if not physical:
            raise ApiError(404, Message("no such physical meter"))
    with _current(request, session, site) as current:
        found = rollups.daily_totals(current, site.id, first, after, list(physical))
    counts = zip(
        found.measured_intervals.tolist(),
        found.estimated_intervals.tolist(),
        found.missing_intervals.tolist(),
        strict=True,
    )
    stored = dict(
        zip(zip(found.meter_id.tolist(), found.day.tolist(), strict=True), counts, strict=True)
    )
    days = [first + timedelta(days=i) for i in range((after - first).days)]
    items = []
    for mid, meter_code in sorted(physical.items(), key=lambda item: item[1]):
        for day in days:
            measured, estimated, missing = stored.get((mid, day), (0, 0, INTERVALS_PER_DAY))
            items.append(
                {
                    "meter": meter_code,
                    "day": day,
                    "measured_intervals": measured,
                    "estimated_intervals": estimated,
                    "missing_intervals": missing,
                    "completeness_pct": measured / INTERVALS_PER_DAY * 100,
                }
            )
    return {"facility": site.code, **_paged(items, limit, offset)}


# --- energy in tce and carbon ---------------------------------------------------------------


@router.get("/facilities/{code}/energy/totals", response_model=EnergyTotals, tags=["energy"])
def energy_totals(
    request: Request,
    session: Db,
    who: User,
    code: str,
    year: Year,
    month: Month = None,
    period: PeriodKind = "month",
) -> dict[str, Any]:
    """Energy of every node per energy type, in its unit, in tce and in tCO2, with the
    coefficients used (``lingtan energy totals``)."""

    def read(_current: Session, data: FacilityEnergy) -> dict[str, Any]:
        periods = data.period_summaries(period)
        return {"facility": data.facility.code, "periods": periods, "factors": data.factors()}

    span = month_span(year, month)
    return _energy_read(request, session, who, code, span, ("totals", period), read)


@router.get("/facilities/{code}/energy/balance", response_model=Balance, tags=["energy"])
def energy_balance(
    request: Request,
    session: Db,
    who: User,
    code: str,
    year: Year,
    month: Month = None,
    period: PeriodKind = "month",
    threshold: Annotated[float, Query(ge=0, le=100, description="Alert above this loss [%].")] = (
        BALANCE_THRESHOLD_PCT
    ),
    alerts_only: Annotated[bool, Query(description="Only rows whose status is not ok.")] = False,
) -> dict[str, Any]:
    """Balance of each node's own meter against its metered children: loss, loss % and
    alerts (``lingtan energy balance``)."""

    def read(_current: Session, data: FacilityEnergy) -> dict[str, Any]:
        rows = [
            row.as_dict()
            for row in data.balance_rows(period, threshold)
            if not alerts_only or row.status != "ok"
        ]
        return {"facility": data.facility.code, "threshold_pct": threshold, "rows": rows}

    key = ("balance", period, threshold, alerts_only)
    return _energy_read(request, session, who, code, month_span(year, month), key, read)


@router.get("/facilities/{code}/energy/flow", response_model=EnergyFlow, tags=["energy"])
def energy_flow(
    request: Request, session: Db, who: User, code: str, year: Year, month: Month = None
) -> dict[str, Any]:
    """Energy-flow (Sankey) data in tce: purchase, conversion, distribution, end use
    (``lingtan energy flow``)."""

    def read(_current: Session, data: FacilityEnergy) -> dict[str, Any]:
        return {"facility": data.facility.code, **data.flow()}

    return _energy_read(request, session, who, code, month_span(year, month), "flow", read)


@router.get("/facilities/{code}/energy/budgets", response_model=Budgets, tags=["energy"])
def energy_budgets(
    request: Request, session: Db, who: User, code: str, year: Year, month: Month = None
) -> dict[str, Any]:
    """Actual against budget per node and month: used % and over-budget alerts, with the
    actual cost [CNY] under the stored tariff (``lingtan energy budget check``)."""

    def read(current: Session, data: FacilityEnergy) -> dict[str, Any]:
        rows = budget_rows_with_cost(current, data)
        return {"facility": data.facility.code, "rows": rows, "factors": data.factors()}

    return _energy_read(request, session, who, code, month_span(year, month), "budgets", read)


@router.get("/facilities/{code}/energy/intensity", response_model=Intensity, tags=["energy"])
def energy_intensity(
    request: Request, session: Db, who: User, code: str, year: Year, month: Month = None
) -> dict[str, Any]:
    """Energy [tce] and carbon [tCO2] per unit of product, per month
    (``lingtan energy intensity``)."""

    def read(current: Session, data: FacilityEnergy) -> dict[str, Any]:
        rows = intensity_rows(current, data)
        return {"facility": data.facility.code, "rows": rows, "factors": data.factors()}

    span = month_span(year, month)
    return _energy_read(request, session, who, code, span, "intensity", read)


# --- imports (managers and admins) ----------------------------------------------------------

Upload = Annotated[UploadFile, File(description="A .csv (UTF-8) or .xlsx file.")]


@router.post(
    "/facilities/{code}/meter-files",
    response_model=MeterFileImport,
    status_code=201,
    tags=["metering"],
)
def import_meter_file(
    request: Request,
    session: Db,
    who: User,
    code: str,
    file: Upload,
    utc_offset_min: Annotated[
        int, Form(ge=-720, le=840, description="Offset of naive timestamps [min east of UTC].")
    ] = ROLLUP_UTC_OFFSET_MIN,
) -> dict[str, Any]:
    """Import a file of meter readings (long or wide layout, as ``lingtan meters import``),
    all or nothing: a bad row refuses the whole file with every problem in the error body."""
    site = facility(session, who, code, write=True)
    with _uploaded(request, file, _TABLE_FILES) as path:
        result = import_readings_file(
            session, site, path, utc_offset_min=utc_offset_min, actor=who.name
        )
    days = rollups.refresh(session, site.id)
    r = result.readings
    return {"import_id": result.import_id, "layout": result.layout, "rows_read": result.rows_read,
            "added": r.added, "unchanged": r.unchanged, "conflicts": r.conflicts,
            "days_refreshed": days}  # fmt: skip


@router.post(
    "/facilities/{code}/energy/budgets",
    response_model=BudgetImport,
    status_code=201,
    tags=["energy"],
)
def import_budget_file(
    request: Request, session: Db, who: User, code: str, file: Upload
) -> dict[str, Any]:
    """Import budgets (node, month YYYY-MM, energy_tce, carbon_tco2), all or nothing; the
    same node and month again replaces it (``lingtan energy budget import``)."""
    site = facility(session, who, code, write=True)
    with _uploaded(request, file, _TABLE_FILES) as path:
        read, changed = import_budgets(session, site, path, actor=who.name)
    return {"rows_read": read, "changed": changed}


@router.post(
    "/facilities/{code}/activity-imports",
    response_model=ActivityImport,
    status_code=201,
    tags=["activity"],
)
def import_activity_file(
    request: Request, session: Db, who: User, code: str, file: Upload
) -> dict[str, Any]:
    """Import an activity workbook or CSV (as ``lingtan import``) into this facility, all or
    nothing. A facility sheet in the file must name this facility."""
    site = facility(session, who, code, write=True)
    with _uploaded(request, file, _TABLE_FILES) as path:
        summary = import_file(
            session,
            path,
            evidence=EvidenceStore(request.app.state.evidence_root),
            actor=who.name,
            facility_code=site.code,
        )
        if summary.facility_code != site.code:
            raise InputError(
                InputProblem(
                    path.name,
                    "facility",
                    summary.facility_code,
                    Message("must be %(code)s", code=site.code),
                )
            )
    return {"batch_id": summary.batch_id, "facility": summary.facility_code,
            "rows_read": summary.rows_read, "added": summary.added,
            "unchanged": summary.unchanged}  # fmt: skip
