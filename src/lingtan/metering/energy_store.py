"""Energy and carbon from the meters in the store: the database side of
:mod:`lingtan.metering.energy`.

It reads the metering tree and the daily totals (:func:`lingtan.metering.rollups.daily_totals`,
local days UTC+08:00), chooses the standard-coal and carbon coefficients from the factor
library, and hands plain data to the pure functions. Budgets are imported here
(``meter_budget``), all or nothing and idempotently.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.accounting.energy import StandardCoal
from lingtan.catalog import UnknownRegionError, resolve_region
from lingtan.errors import InputError, InputProblem
from lingtan.factors import FactorLibrary, shipped_library
from lingtan.i18n import Message
from lingtan.imports.tables import column_label, match_columns, read_tables
from lingtan.metering import rollups
from lingtan.metering.alerts import (
    Alert,
    balance_alerts,
    budget_alerts,
    gap_alerts,
    quality_alerts,
)
from lingtan.metering.energy import (
    INTERVALS_PER_DAY,
    BalanceRow,
    BudgetRow,
    CarbonFactor,
    Coefficient,
    DailyTotals,
    ForecastRow,
    MeterInfo,
    MeterPeriod,
    NodeInfo,
    NodeTotal,
    balance,
    budget_check,
    budget_forecast,
    carbon_factor,
    combine_intervals,
    energy_flow,
    expand_virtual,
    intensity,
    node_energy,
    node_totals,
    period_totals,
    tce_coefficient,
    virtual_daily,
)
from lingtan.metering.intervals import Quality
from lingtan.metering.store import (
    ROLLUP_UTC_OFFSET_MIN,
    FacilityRef,
    facility_id,
    facility_label,
    local_midnight,
    stored_intervals,
)
from lingtan.metering.tou import calendar_for, shipped_calendars, tou_split
from lingtan.store import audit
from lingtan.store.models import (
    Facility,
    Meter,
    MeterBudget,
    MeterDay,
    MeterNode,
    Product,
    ProductionRecord,
)
from lingtan.units import conversion_factor

__all__ = [
    "BUDGET_COLUMNS",
    "FacilityEnergy",
    "alert_list",
    "budget_forecast_rows",
    "budget_rows",
    "import_budgets",
    "intensity_rows",
    "interval_carbon",
    "last_metered_day",
    "load_energy",
    "month_span",
    "node_tou",
]

BUDGET_COLUMNS = {
    "node": ("node", "node_code", "节点", "节点编号"),
    "month": ("month", "月份"),
    "energy_tce": ("energy_tce", "energy budget", "能耗预算", "能源预算"),
    "carbon_tco2": ("carbon_tco2", "carbon budget", "碳排放预算", "碳预算"),
}


def month_span(year: int, month: int | None = None) -> tuple[date, date]:
    """The local days ``[start, end)`` of a year or of one month of it."""
    if month is None:
        return date(year, 1, 1), date(year + 1, 1, 1)
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last) + timedelta(days=1)


@dataclass
class FacilityEnergy:
    """A facility's tree, meters, coefficients and daily totals over ``[start, end)``."""

    facility: Facility
    start: date
    end: date
    nodes: dict[str, NodeInfo]
    meters: dict[str, MeterInfo]
    expanded: dict[str, dict[str, float]]
    tce: dict[str, Coefficient]
    carbon: dict[str, CarbonFactor]
    daily: DailyTotals

    def periods(self, period: str) -> dict[str, dict[str, MeterPeriod]]:
        """Meter figures per ``day``, ``month`` or ``year``."""
        return period_totals(self.daily, self.meters, period)

    def totals(self, values: dict[str, MeterPeriod]) -> dict[tuple[str, str], NodeTotal]:
        return node_totals(self.nodes, self.meters, values, self.tce, self.carbon, self.expanded)

    def roots(self) -> list[str]:
        return sorted(code for code, node in self.nodes.items() if node.parent is None)

    def facility_total(
        self, totals: dict[tuple[str, str], NodeTotal]
    ) -> tuple[float | None, float | None, list[str]]:
        """The facility's energy [tce] and carbon [tCO2]: the sum over the root nodes."""
        tce: float | None = 0.0
        tco2: float | None = 0.0
        notes: list[str] = []
        for root in self.roots():
            a, b, n = node_energy(root, self.nodes, self.meters, totals)
            tce = None if tce is None or a is None else tce + a
            tco2 = None if tco2 is None or b is None else tco2 + b
            notes += n
        return tce, tco2, notes

    def period_summaries(self, period: str) -> list[dict[str, Any]]:
        """Per ``day``, ``month`` or ``year``: the facility's energy [tce], carbon [tCO2], the
        notes on them and every node's totals (as ``lingtan energy totals`` shows them)."""
        summaries = []
        for key, values in self.periods(period).items():
            totals = self.totals(values)
            tce, tco2, notes = self.facility_total(totals)
            summaries.append(
                {
                    "period": key,
                    "facility_energy_tce": tce,
                    "facility_carbon_tco2": tco2,
                    "notes": notes,
                    "nodes": [t.as_dict() for _, t in sorted(totals.items())],
                }
            )
        return summaries

    def balance_rows(self, period: str, threshold_pct: float) -> list[BalanceRow]:
        """Per ``day``, ``month`` or ``year``: the balance of every node with its own meters
        against its metered children (:func:`lingtan.metering.energy.balance`)."""
        return [
            row
            for key, values in self.periods(period).items()
            for row in balance(key, self.nodes, self.totals(values), threshold_pct=threshold_pct)
        ]

    def children(self, node: str) -> list[str]:
        """The codes of a node's children, sorted."""
        return sorted(code for code, info in self.nodes.items() if info.parent == node)

    def ancestors(self, node: str) -> list[str]:
        """The codes from the root down to the node's parent."""
        path: list[str] = []
        parent = self.nodes[node].parent
        while parent is not None and parent not in path:
            path.insert(0, parent)
            parent = self.nodes[parent].parent
        return path

    def subtree(self, node: str) -> list[str]:
        """The node and every node below it."""
        found = [node]
        for code in found:
            found += [c for c in self.children(code) if c not in found]
        return found

    def node_periods(self, node: str, period: str) -> list[dict[str, Any]]:
        """Per ``day``, ``month`` or ``year``: a node's energy [tce] and carbon [tCO2] over all
        energy types (:func:`lingtan.metering.energy.node_energy`), the notes on them and its
        totals per energy type."""
        rows = []
        for key, values in self.periods(period).items():
            totals = self.totals(values)
            tce, tco2, notes = node_energy(node, self.nodes, self.meters, totals)
            types = [t.as_dict() for (code, _), t in sorted(totals.items()) if code == node]
            rows.append(
                {
                    "period": key,
                    "energy_tce": tce,
                    "carbon_tco2": tco2,
                    "notes": notes,
                    "types": types,
                }
            )
        return rows

    def node_meters(self, node: str, energy_type: str, kind: str = "load") -> dict[str, float]:
        """The physical meters of a node's total of *energy_type* with their coefficients
        (a virtual meter's by its formula): ``kind`` ``load`` the meters its total sums (its
        own, or its children's), ``generation`` its own generation meters. Empty when it has
        none."""
        if kind == "generation":
            codes = [
                code
                for code, meter in sorted(self.meters.items())
                if meter.node == node and meter.energy_type == energy_type
                and meter.flow == "generation"
            ]  # fmt: skip
        else:
            whole = self.totals({code: self.meter_total(code) for code in self.meters})
            total = whole.get((node, energy_type))
            codes = [] if total is None else total.meters
        coefs: dict[str, float] = {}
        for code in codes:
            for physical, coef in self.expanded.get(code, {code: 1.0}).items():
                coefs[physical] = coefs.get(physical, 0.0) + coef
        return coefs

    def meter_total(self, code: str) -> MeterPeriod:
        """A meter's energy [meter unit], estimated part and missing intervals over the span."""
        return _whole(self.daily, code)

    def meter_figures(self, code: str) -> dict[str, Any]:
        """A meter over the span: energy and its estimated part [meter unit], missing
        intervals, days, and the energy in tce and tCO2 by its coefficients (None without)."""
        total = self.meter_total(code)
        tce, co2 = self.tce[code].value, self.carbon[code].value
        return {
            "meter": code,
            "unit": self.meters[code].unit,
            "energy": total.energy,
            "estimated": total.estimated,
            "missing_intervals": total.missing,
            "days": total.days,
            "energy_tce": None if tce is None else total.energy * tce,
            "carbon_tco2": None if co2 is None else total.energy * co2,
        }

    def flow(self) -> dict[str, Any]:
        """Energy-flow (Sankey) data of the whole span."""
        values = {code: self.meter_total(code) for code in self.meters}
        return energy_flow(self.nodes, self.meters, values, self.tce, self.totals(values))

    def factors(self) -> dict[str, dict[str, Any]]:
        """The coefficients used, per meter: provenance for every figure."""
        return {
            code: {"tce": self.tce[code].as_dict(), "carbon": self.carbon[code].as_dict()}
            for code in sorted(self.meters)
        }


def _whole(daily: DailyTotals, code: str) -> MeterPeriod:
    return MeterPeriod(
        float(daily.energy[code].sum()),
        float(daily.estimated[code].sum()),
        int(daily.missing[code].sum()),
        len(daily.days),
    )


def load_energy(
    session: Session,
    facility_code: FacilityRef,
    start: date,
    end: date,
    *,
    library: FactorLibrary | None = None,
    refresh: bool = True,
) -> FacilityEnergy:
    """Read a facility's metering tree and daily totals over local days ``[start, end)``.

    Parameters
    ----------
    refresh
        Recompute stale daily totals first (:func:`lingtan.metering.rollups.refresh`); needs a
        write session.
    library
        Factor library (default: the shipped one); standard coal by GB/T 2589 (electricity
        at its equivalent value), carbon by the inventory engine's selection rule for the
        facility's region and the year ``end`` falls in.
    """
    fid = facility_id(session, facility_code)
    facility = session.get(Facility, fid)
    assert facility is not None
    if refresh:
        rollups.refresh(session, fid)
    library = library or shipped_library()
    node_rows = session.scalars(sa.select(MeterNode).where(MeterNode.facility_id == fid)).all()
    by_id = {n.id: n.code for n in node_rows}
    nodes = {
        n.code: NodeInfo(n.code, by_id.get(n.parent_id) if n.parent_id else None, n.level, n.name)
        for n in node_rows
    }
    rows = session.scalars(sa.select(Meter).where(Meter.facility_id == fid)).all()
    meters = {
        m.code: MeterInfo(
            m.code,
            m.energy_type,
            m.unit,
            by_id.get(m.node_id) if m.node_id else None,
            m.flow,
            m.virtual_formula,
        )
        for m in rows
    }
    expanded = expand_virtual(meters)
    try:
        region = resolve_region(facility.region).code
    except UnknownRegionError as error:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility.code),
                "region",
                facility.region,
                error.message,
            )
        ) from None
    year = (end - timedelta(days=1)).year
    coal = StandardCoal.from_library(library)
    made = {m.energy_type for m in meters.values() if m.flow == "output"}
    tce = {code: tce_coefficient(m, coal) for code, m in meters.items()}
    # one engine run per kind of meter, not per meter
    kinds: dict[tuple[str, str, str, bool], CarbonFactor] = {}
    carbon = {}
    for code, m in meters.items():
        # what a supply meter buys (park steam) carries its factor even where the same type
        # is also made on site (the boilers' steam, whose carbon is in their gas)
        key = (m.energy_type, m.unit, m.flow, m.energy_type in made and m.flow != "supply")
        if key not in kinds:
            kinds[key] = carbon_factor(
                m, region=region, year=year, library=library, made_on_site=key[3]
            )
        carbon[code] = kinds[key]
    daily = _daily(session, fid, {m.code: m.id for m in rows if not m.virtual_formula}, start, end)
    for code, coefs in expanded.items():
        daily.energy[code], daily.estimated[code], daily.missing[code] = virtual_daily(coefs, daily)
    return FacilityEnergy(facility, start, end, nodes, meters, expanded, tce, carbon, daily)


def _daily(session: Session, fid: int, ids: dict[str, int], start: date, end: date) -> DailyTotals:
    """Physical meters' daily totals as dense arrays; a day without a row: 0, 96 missing."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))
    n = len(days)
    energy = {code: np.zeros(n) for code in ids}
    estimated = {code: np.zeros(n) for code in ids}
    missing = {code: np.full(n, INTERVALS_PER_DAY, np.int64) for code in ids}
    found = rollups.daily_totals(session, fid, start, end)
    codes = {mid: code for code, mid in ids.items()}
    position = (found.day - days[0]).astype(np.int64) if n else found.day
    for mid, i, e, est, miss in zip(
        found.meter_id.tolist(),
        position.tolist(),
        found.energy.tolist(),
        found.estimated.tolist(),
        found.missing_intervals.tolist(),
        strict=True,
    ):
        code = codes.get(mid)
        if code is not None:
            energy[code][i], estimated[code][i], missing[code][i] = e, est, miss
    return DailyTotals(days, energy, estimated, missing)


# --- Carbon per interval ----------------------------------------------------------------------


def interval_carbon(
    session: Session, facility_code: FacilityRef, meter_code: str, start: date, end: date
) -> dict[str, Any]:
    """CO2 of every 15-minute interval of a meter over local days ``[start, end)``.

    A virtual meter's intervals are combined from its physical meters'
    (:func:`lingtan.metering.energy.combine_intervals`): missing where any input is.

    Returns
    -------
    dict
        ``start_utc`` (ISO strings), ``energy`` [meter unit], ``quality`` (labels),
        ``carbon_tco2`` [tCO2] (None where the energy is missing, or where the meter has no
        factor), ``unit`` and ``factor`` (with its provenance).
    """
    energy = load_energy(session, facility_code, start, end, refresh=False)
    meter = energy.meters.get(meter_code)
    if meter is None:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility_label(facility_code)),
                "meter",
                meter_code,
                Message("unknown meter"),
            )
        )
    span = {"start": local_midnight(start), "end": local_midnight(end)}
    coefs = energy.expanded.get(meter_code, {meter_code: 1.0})
    series = {code: stored_intervals(session, facility_code, code, **span) for code in coefs}
    first = next(iter(series.values()))
    values, estimated, quality = combine_intervals(
        coefs,
        {c: s.energy for c, s in series.items()},
        {c: s.quality for c, s in series.items()},
        Quality.ESTIMATED,
    )
    factor = energy.carbon[meter_code]
    carbon = values * factor.value if factor.value is not None else np.full(len(values), np.nan)
    return {
        "meter": meter_code,
        "unit": meter.unit,
        "start_utc": [str(t) + "Z" for t in first.start],
        "energy": [None if np.isnan(v) else v for v in values.tolist()],
        "estimated": estimated.tolist(),
        "quality": [Quality(int(q)).label for q in quality],
        "carbon_tco2": [None if np.isnan(v) else v for v in carbon.tolist()],
        "factor": factor.as_dict(),
    }


# --- Budgets ----------------------------------------------------------------------------------


def _month(cell: Any) -> date:
    if isinstance(cell, datetime | date):
        return date(cell.year, cell.month, 1)
    text = str(cell).strip()
    parsed = datetime.strptime(text, "%Y-%m")
    return date(parsed.year, parsed.month, 1)


@dataclass
class _BudgetRow:
    where: Message
    header: list[str]
    cols: dict[str, int]
    values: list[Any]
    problems: list[InputProblem] = field(default_factory=list)

    def cell(self, key: str) -> Any:
        i = self.cols.get(key)
        return None if i is None or i >= len(self.values) else self.values[i]

    def problem(self, key: str, value: Any, rule: Message) -> InputProblem:
        column = column_label(self.cols[key], self.header[self.cols[key]])
        return InputProblem(self.where, column, value, rule)

    def parse(
        self, nodes: dict[str, int]
    ) -> tuple[tuple[int, date], tuple[float | None, float | None]] | None:
        node = str(self.cell("node") or "").strip()
        if node not in nodes:
            self.problems.append(self.problem("node", node or None, Message("unknown node")))
        try:
            month = _month(self.cell("month"))
        except ValueError:
            self.problems.append(
                self.problem("month", self.cell("month"), Message("YYYY-MM expected"))
            )
            return None
        amounts: list[float | None] = []
        for key in ("energy_tce", "carbon_tco2"):
            raw = self.cell(key)
            if raw is None or str(raw).strip() == "":
                amounts.append(None)
                continue
            try:
                amount = float(str(raw).replace(",", ""))
            except ValueError:
                amount = math.nan
            if not 0 <= amount < math.inf:
                self.problems.append(self.problem(key, raw, Message("a number >= 0 expected")))
            amounts.append(amount)
        if node not in nodes or self.problems:
            return None
        return (nodes[node], month), (amounts[0], amounts[1])


def import_budgets(
    session: Session, facility_code: FacilityRef, path: str | Path, *, actor: str
) -> tuple[int, int]:
    """Import monthly budgets per node from a CSV or XLSX file, all or nothing.

    Columns (English or Chinese headers, matched as the activity imports do): ``node``
    (节点), ``month`` (月份, ``YYYY-MM``), ``energy_tce`` (能耗预算) [tce], ``carbon_tco2``
    (碳排放预算) [tCO2]; one of the two budgets may be empty. Importing again replaces the
    budgets of the same node and month (idempotent). The budgets added or changed go to the
    audit log as one entry by ``actor`` (``meter_budget``, keyed by the facility's id; before
    and after per node and month, and the file's name).

    Returns
    -------
    (int, int)
        Rows read, budgets added or changed.

    Raises
    ------
    InputError
        Naming file, row, column, value and rule for every bad row; nothing is written.
    """
    fid = facility_id(session, facility_code)
    nodes = dict(
        session.execute(
            sa.select(MeterNode.code, MeterNode.id).where(MeterNode.facility_id == fid)
        ).all()
    )
    problems: list[InputProblem] = []
    wanted: dict[tuple[int, date], tuple[float | None, float | None]] = {}
    read = 0
    for table in read_tables(path):
        cols = match_columns(table, BUDGET_COLUMNS, ("node", "month"))
        if "energy_tce" not in cols and "carbon_tco2" not in cols:
            rule = Message(
                "an energy_tce (能耗预算) or carbon_tco2 (碳排放预算) column is required"
            )
            raise InputError(InputProblem(table.origin, "header", ", ".join(table.header), rule))
        for number, values in table.rows:
            read += 1
            where = Message("%(file)s row %(row)d", file=table.origin, row=number)
            row = _BudgetRow(where, table.header, cols, values)
            found = row.parse(nodes)
            problems += row.problems
            if found is None:
                continue
            key, amounts = found
            if key in wanted and wanted[key] != amounts:
                problems.append(
                    row.problem(
                        "month", f"{key[1]:%Y-%m}", Message("another budget of the node above")
                    )
                )
            wanted[key] = amounts
    if problems:
        raise InputError(problems, origin=str(path))
    existing = {
        (b.node_id, b.month): b
        for b in session.scalars(
            sa.select(MeterBudget).where(MeterBudget.node_id.in_(list(nodes.values()) or [-1]))
        )
    }
    code_of = {node_id: code for code, node_id in nodes.items()}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for (node_id, month), (energy_tce, carbon_tco2) in wanted.items():
        budget = existing.get((node_id, month))
        key = f"{code_of[node_id]} {month:%Y-%m}"
        if budget is None:
            budget = MeterBudget(node_id=node_id, month=month)
            session.add(budget)
        elif (budget.energy_tce, budget.carbon_tco2) == (energy_tce, carbon_tco2):
            continue
        else:
            before[key] = {"energy_tce": budget.energy_tce, "carbon_tco2": budget.carbon_tco2}
        budget.energy_tce, budget.carbon_tco2 = energy_tce, carbon_tco2
        after[key] = {"energy_tce": energy_tce, "carbon_tco2": carbon_tco2}
    session.flush()
    if after:
        audit.record(
            session,
            actor=actor,
            action="import",
            entity="meter_budget",
            entity_key=str(fid),
            before={"budgets": before} if before else None,
            after={"file": Path(path).name, "budgets": after},
        )
    return read, len(after)


def _budgets(
    session: Session, energy: FacilityEnergy
) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """``{(node, "YYYY-MM"): (budget [tce], budget [tCO2])}`` of the span of ``energy``."""
    fid, start, end = energy.facility.id, energy.start, energy.end
    rows = session.execute(
        sa.select(
            MeterNode.code, MeterBudget.month, MeterBudget.energy_tce, MeterBudget.carbon_tco2
        )
        .join(MeterNode, MeterNode.id == MeterBudget.node_id)
        .where(MeterNode.facility_id == fid, MeterBudget.month >= start, MeterBudget.month < end)
    ).all()
    return {(node, f"{m:%Y-%m}"): (e, c) for node, m, e, c in rows}


def budget_rows(session: Session, energy: FacilityEnergy) -> list[BudgetRow]:
    """Actual against budget per node and month over the span of ``energy``
    (:func:`load_energy`): every budget of the span, the actual by
    :func:`lingtan.metering.energy.node_energy` of the month."""
    budgets = _budgets(session, energy)
    actual: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    for month, values in energy.periods("month").items():
        totals = energy.totals(values)
        for node, key_month in budgets:
            if key_month == month:
                tce, tco2, _ = node_energy(node, energy.nodes, energy.meters, totals)
                actual[node, month] = (tce, tco2)
    return budget_check(actual, budgets)


# --- Intensity --------------------------------------------------------------------------------


def intensity_rows(session: Session, energy: FacilityEnergy) -> list[dict[str, Any]]:
    """Energy and carbon per unit of product, per month and product, over the span of
    ``energy`` (:func:`load_energy`).

    A production record spanning several months is shared among them by days. The facility's
    whole energy and carbon of the month (:meth:`FacilityEnergy.facility_total`) is divided by
    each product's output: with several products each intensity carries the whole facility.
    """
    fid, start, end = energy.facility.id, energy.start, energy.end
    records = session.execute(
        sa.select(Product.code, Product.unit, ProductionRecord)
        .join(Product, Product.id == ProductionRecord.product_id)
        .where(
            Product.facility_id == fid,
            ProductionRecord.period_end >= start,
            ProductionRecord.period_start < end,
        )
    ).all()
    output: dict[tuple[str, str], float] = {}
    units: dict[str, str] = {}
    for code, unit, record in records:
        units[code] = unit
        length = (record.period_end - record.period_start).days + 1
        day = max(record.period_start, start)
        while day <= record.period_end and day < end:
            key = (f"{day:%Y-%m}", code)
            output[key] = output.get(key, 0.0) + record.quantity / length
            day += timedelta(days=1)
    rows = []
    for month, values in energy.periods("month").items():
        tce, tco2, notes = energy.facility_total(energy.totals(values))
        for product in sorted(units):
            quantity = output.get((month, product), 0.0)
            per_tce, per_tco2 = intensity(tce, tco2, quantity)
            rows.append(
                {
                    "month": month,
                    "product": product,
                    "production": quantity,
                    "unit": units[product],
                    "energy_tce": tce,
                    "carbon_tco2": tco2,
                    "tce_per_unit": per_tce,
                    "tco2_per_unit": per_tco2,
                    "notes": notes,
                }
            )
    return rows


# --- Budget forecast ---------------------------------------------------------------------------


def last_metered_day(session: Session, facility: FacilityRef) -> date | None:
    """The latest local day with a daily total of any of the facility's meters."""
    fid = facility_id(session, facility)
    return session.scalar(
        sa.select(sa.func.max(MeterDay.day)).join(Meter).where(Meter.facility_id == fid)
    )


def budget_forecast_rows(
    session: Session, energy: FacilityEnergy, as_of: date | None
) -> tuple[int, int, list[ForecastRow]]:
    """Year-end forecast of every budgeted node by straight line
    (:func:`lingtan.metering.energy.budget_forecast`).

    ``energy`` spans one calendar year (:func:`load_energy` over :func:`month_span`); the year
    has elapsed through ``as_of`` (the last metered day, :func:`last_metered_day`), at most
    its last day. The actual so far is the node's energy over the whole span, which has no
    figure after ``as_of``.

    Returns
    -------
    (int, int, list of ForecastRow)
        Days elapsed, days in the year and the rows.
    """
    days = (energy.end - energy.start).days
    if as_of is None or as_of < energy.start:
        elapsed = 0
    else:
        elapsed = min((as_of - energy.start).days + 1, days)
    budgets = _budgets(session, energy)
    actual: dict[str, tuple[float | None, float | None]] = {}
    for values in energy.periods("year").values():
        totals = energy.totals(values)
        for node in {key[0] for key in budgets}:
            tce, tco2, _ = node_energy(node, energy.nodes, energy.meters, totals)
            actual[node] = (tce, tco2)
    return elapsed, days, budget_forecast(actual, budgets, elapsed_days=elapsed, days=days)


# --- Alerts ------------------------------------------------------------------------------------


def alert_list(
    session: Session, energy: FacilityEnergy, *, threshold_pct: float, as_of: date | None
) -> list[Alert]:
    """Every alert of the span of ``energy`` (:mod:`lingtan.metering.alerts`): the monthly
    balance of each metered node against its children, the monthly budgets, the days with
    missing intervals of each physical meter and the flags of its checked intervals.

    Days after ``as_of`` (the last metered day, :func:`last_metered_day`) are not checked for
    gaps or flags: no data is expected yet.
    """
    alerts = balance_alerts(energy.balance_rows("month", threshold_pct))
    alerts += budget_alerts(budget_rows(session, energy))
    if as_of is None or as_of < energy.start:
        return alerts
    last = min(as_of, energy.end - timedelta(days=1))
    checked = energy.daily.days <= np.datetime64(last, "D")
    days = energy.daily.days[checked]
    start, end = local_midnight(energy.start), local_midnight(last + timedelta(days=1))
    local = np.timedelta64(ROLLUP_UTC_OFFSET_MIN, "m")
    for code in sorted(energy.meters):
        meter = energy.meters[code]
        if meter.formula:
            continue
        alerts += gap_alerts(code, meter.node, days, energy.daily.missing[code][checked])
        intervals = stored_intervals(session, energy.facility, code, start=start, end=end)
        day_of = (intervals.start + local).astype("datetime64[D]")
        alerts += quality_alerts(code, meter.node, day_of, intervals.quality)
    return alerts


# --- Time of use per node ----------------------------------------------------------------------


def node_tou(
    session: Session, energy: FacilityEnergy, node: str, year: int, months: list[int]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Electricity of a node per time-of-use period and month: the split
    (:func:`lingtan.metering.tou.tou_split`) of every physical meter in the node's electricity
    total, a virtual meter's by its formula's coefficients, summed per period.

    Returns
    -------
    (list of dict, list of str)
        Per month with a calendar in force: ``month``, ``calendar_id``, ``calendar_status``,
        ``unit`` and ``periods`` (as :meth:`lingtan.metering.tou.TouSplit.as_dict`, summed);
        and the months without a calendar, each with the reason.
    """
    whole = energy.totals({code: energy.meter_total(code) for code in energy.meters})
    total = whole.get((node, "electricity"))
    if total is None:
        return [], []
    coefs = energy.node_meters(node, "electricity")
    region = energy.facility.region
    rows, problems = [], []
    for month in months:
        first, after = month_span(year, month)
        try:
            chosen = calendar_for(
                shipped_calendars(), region, first=first, last=after - timedelta(days=1)
            )
        except InputError as error:
            problems += [
                Message("%(month)s: %(reason)s", month=f"{year}-{month:02d}", reason=p.rule)
                for p in error.problems
            ]
            continue
        periods: dict[str, dict[str, Any]] = {}
        for code, coef in sorted(coefs.items()):
            intervals = stored_intervals(
                session, energy.facility, code, start=local_midnight(first),
                end=local_midnight(after),
            )  # fmt: skip
            scale = coef * conversion_factor(intervals.unit, total.unit)
            for p in tou_split(intervals, chosen, ROLLUP_UTC_OFFSET_MIN).as_dict()["periods"]:
                into = periods.setdefault(p["label"], {**p, "energy": 0.0,
                                          "energy_estimated": 0.0, "intervals": 0,
                                          "missing_intervals": 0})  # fmt: skip
                into["energy"] += scale * p["energy"]
                into["energy_estimated"] += scale * p["energy_estimated"]
                into["intervals"] += p["intervals"]
                into["missing_intervals"] += p["missing_intervals"]
        rows.append(
            {
                "month": f"{year:04d}-{month:02d}",
                "calendar_id": chosen.calendar_id,
                "calendar_status": chosen.status,
                "unit": total.unit,
                "periods": list(periods.values()),
            }
        )
    return rows, problems
