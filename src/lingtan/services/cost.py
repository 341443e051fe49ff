"""Energy cost: a facility's tariffs in the store, and the cost of its metered energy.

:func:`import_tariffs` loads a tariff file (:func:`lingtan.cost.tariffs.read_tariff_file`) all
or nothing, with an audit entry; :func:`cost_by` prices the meters' checked 15-minute
intervals (electricity: per TOU period of the calendar the month's prices are by, and the
maximum demand of each supply meter) and daily totals (other energy types, priced for the
whole day) and gives the cost of every node of the metering tree, energy type, month, component
and period (:class:`FacilityCost`). Everything is computed by :mod:`lingtan.cost.charges`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.catalog import UnknownRegionError, resolve_region
from lingtan.cost.charges import (
    CostLine,
    Usage,
    capacity_lines,
    combine_usage,
    demand_lines,
    energy_lines,
    interval_usage,
    max_demand_kw,
    node_lines,
    period_labels,
    total_cny,
)
from lingtan.cost.tariffs import PERIOD_ALL, Price, Tariff, month_range, read_tariff_file
from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.metering.energy_store import FacilityEnergy, budget_rows, load_energy
from lingtan.metering.intervals import Quality
from lingtan.metering.store import ROLLUP_UTC_OFFSET_MIN, local_midnight, stored_intervals
from lingtan.metering.tou import LABELS, shipped_calendars
from lingtan.store import audit
from lingtan.store.models import Facility, TariffPrice
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "FacilityCost",
    "budget_rows_with_cost",
    "cost_by",
    "import_tariffs",
    "report_cost",
    "stored_tariff",
    "tariff_runs",
]

#: TOU periods highest price first, then the whole day.
_PERIOD_ORDER = [*LABELS, PERIOD_ALL]
_FIELDS = ("price_cny_per_unit", "unit", "capacity_kva", "calendar_id", "status", "document",
           "url", "note")  # fmt: skip


def _region(facility: Facility) -> str:
    try:
        return resolve_region(facility.region).code
    except UnknownRegionError as error:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility.code),
                "region",
                facility.region,
                error.message,
            )
        ) from None


def _month_text(day: date) -> str:
    return f"{day:%Y-%m}"


def _key_text(p: TariffPrice | Price) -> str:
    month = p.month if isinstance(p, Price) else _month_text(p.month)
    return f"{p.energy_type} {p.component} {p.period} {month}"


def _record(p: TariffPrice | Price) -> dict[str, Any]:
    return {name: getattr(p, name) for name in _FIELDS}


def import_tariffs(
    session: Session, facility: Facility, path: str | Path, *, actor: str
) -> tuple[int, int]:
    """Import a tariff file into ``facility``'s tariff, all or nothing.

    The months of the file replace the stored prices of the same energy type and component in
    those months (a month priced by TOU period in the store and for the whole day in the file
    keeps only the file's price), so importing the same file again changes nothing. The prices
    added, changed or removed go to the audit log as one entry by ``actor`` (``tariff``, keyed
    by the facility's id; before and after per price, and the file's name).

    Returns
    -------
    (int, int)
        Prices read (one per month and period), prices added, changed or removed.

    Raises
    ------
    InputError
        Every problem of the file (file, row, column, value, rule); nothing is written.
    """
    prices = read_tariff_file(path, region=_region(facility))
    name = Path(path).name
    covered = {(p.energy_type, p.component, p.month) for p in prices}
    stored = session.scalars(
        sa.select(TariffPrice).where(TariffPrice.facility_id == facility.id)
    ).all()
    by_key = {_key_text(s): s for s in stored}
    wanted = {_key_text(p): p for p in prices}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for s in stored:
        key = _key_text(s)
        if (s.energy_type, s.component, _month_text(s.month)) in covered and key not in wanted:
            before[key] = _record(s)
            session.delete(s)
    for key, p in wanted.items():
        row = by_key.get(key)
        if row is not None and _record(row) == _record(p):
            continue
        if row is None:
            row = TariffPrice(
                facility_id=facility.id,
                energy_type=p.energy_type,
                component=p.component,
                period=p.period,
                month=date(int(p.month[:4]), int(p.month[5:]), 1),
            )
            session.add(row)
        else:
            before[key] = _record(row)
        for field in _FIELDS:
            setattr(row, field, getattr(p, field))
        row.source_file = name
        after[key] = _record(p)
    session.flush()
    if before or after:
        audit.record(
            session,
            actor=actor,
            action="import",
            entity="tariff",
            entity_key=str(facility.id),
            before={"prices": before} if before else None,
            after={"file": name, "prices": after},
        )
    return len(prices), len(set(before) | set(after))


def stored_tariff(session: Session, facility: Facility) -> Tariff:
    """The facility's tariff as stored."""
    rows = session.scalars(sa.select(TariffPrice).where(TariffPrice.facility_id == facility.id))
    return Tariff(
        Price(r.energy_type, r.component, r.period, _month_text(r.month),
              **{f: getattr(r, f) for f in _FIELDS}, where=r.source_file)
        for r in rows
    )  # fmt: skip


def tariff_runs(session: Session, facility: Facility) -> list[dict[str, Any]]:
    """The stored prices as runs of consecutive months with the same price and source, in the
    order energy type, component, period, month (what ``lingtan tariff show`` prints)."""
    prices = sorted(
        stored_tariff(session, facility).prices.values(),
        key=lambda p: (p.energy_type, p.component, p.period, p.month),
    )
    runs: list[dict[str, Any]] = []
    for p in prices:
        last = runs[-1] if runs else None
        same = last is not None and (
            (last["energy_type"], last["component"], last["period"])
            == (p.energy_type, p.component, p.period)
            and {f: last[f] for f in _FIELDS} == _record(p)
            and month_range(last["month_to"], p.month)[1:2] == [p.month]
        )
        if same:
            assert last is not None
            last["month_to"] = p.month
            continue
        runs.append({"energy_type": p.energy_type, "component": p.component,
                     "period": p.period, "month_from": p.month, "month_to": p.month,
                     **_record(p), "source_file": p.where})  # fmt: skip
    return runs


# --- cost -------------------------------------------------------------------------------------


@dataclass
class FacilityCost:
    """The cost of a facility's metered energy over local days ``[start, end)``.

    Attributes
    ----------
    lines : dict
        ``{(node, energy type): [CostLine]}``: every charge of the node's energy (energy per
        month and period, demand and capacity charges).
    units : dict
        ``{(node, energy type): unit}`` of the node's energy, as ``lingtan energy totals``
        shows it.
    roots : list of str
        The root nodes: the facility's cost is theirs.
    order : list of str
        The nodes in tree order (each root, then its children depth first, by code).
    priced : bool
        Whether the facility has a tariff at all.
    """

    facility: str
    start: date
    end: date
    lines: dict[tuple[str, str], list[CostLine]]
    units: dict[tuple[str, str], str]
    roots: list[str]
    priced: bool
    order: list[str]

    def _sorted(self) -> list[tuple[tuple[str, str], list[CostLine]]]:
        place = {code: i for i, code in enumerate(self.order)}
        return sorted(self.lines.items(), key=lambda item: (place[item[0][0]], item[0][1]))

    def select(
        self,
        *,
        node: str | None = None,
        energy_type: str | None = None,
        month: str | None = None,
        component: str | None = None,
    ) -> list[CostLine]:
        """The lines of one node (default: the root nodes, i.e. the facility), optionally of one
        energy type, month and component."""
        nodes = [node] if node is not None else self.roots
        return [
            line
            for (n, t), lines in sorted(self.lines.items())
            if n in nodes and energy_type in (None, t)
            for line in lines
            if month in (None, line.month) and component in (None, line.component)
        ]

    def total_cny(self, **where: str | None) -> float:
        """Cost [CNY] of the lines :meth:`select` picks."""
        return total_cny(self.select(**where))

    def notes(self, node: str | None = None) -> list[str]:
        """Why some energy has no cost (no price, a unit that does not convert), once each."""
        return list(dict.fromkeys(line.note for line in self.select(node=node) if line.note))

    def unpriced(self, node: str | None = None) -> list[dict[str, Any]]:
        """The charges without a cost, once each: energy type, month, period and the reason
        (``no price``, or ``unit``: the meter's unit does not convert to the priced one)."""
        seen: dict[tuple[str, ...], dict[str, Any]] = {}
        for line in self.select(node=node):
            if line.cost_cny is None:
                reason = "no price" if line.price is None else "unit"
                key = (line.energy_type, line.month, line.period, reason)
                seen.setdefault(key, dict(zip(("energy_type", "month", "period", "reason"), key,
                                              strict=True)))  # fmt: skip
        return list(seen.values())

    def rows(self, node: str | None = None) -> list[dict[str, Any]]:
        """Per node, energy type and month: energy [unit] and its estimated part, cost of the
        energy, basic charge and total [CNY], estimated cost [CNY]. All nodes when ``node`` is
        None."""
        out = []
        for (n, energy_type), lines in self._sorted():
            if node is not None and n != node:
                continue
            unit = self.units[n, energy_type]
            months: dict[str, list[CostLine]] = defaultdict(list)
            for line in lines:
                months[line.month].append(line)
            for month, mine in sorted(months.items()):
                energy = [x for x in mine if x.component == "energy"]
                out.append(
                    {
                        "node": n,
                        "energy_type": energy_type,
                        "month": month,
                        "energy": _in_unit(energy, unit, "quantity"),
                        "estimated": _in_unit(energy, unit, "estimated"),
                        "unit": unit,
                        "energy_cost_cny": total_cny(energy),
                        "basic_cost_cny": total_cny(x for x in mine if x.component != "energy"),
                        "cost_cny": _priced(mine),
                        "estimated_cost_cny": sum(x.estimated_cost_cny or 0.0 for x in energy),
                        "unpriced": any(x.cost_cny is None for x in mine),
                    }
                )
        return out

    def node_summary(self, node: str | None = None) -> list[dict[str, Any]]:
        """Per node (all, or ``node``) and energy type over the whole span: energy [unit] and
        cost [CNY]."""
        out = []
        for (n, energy_type), lines in self._sorted():
            energy = [x for x in lines if x.component == "energy"]
            if not lines or node not in (None, n):
                continue
            unit = self.units[n, energy_type]
            out.append({"node": n, "energy_type": energy_type,
                        "energy": _in_unit(energy, unit, "quantity"), "unit": unit,
                        "cost_cny": _priced(lines),
                        "basic_cost_cny": total_cny(x for x in lines if x.component != "energy"),
                        "estimated_cost_cny": sum(x.estimated_cost_cny or 0.0 for x in energy),
                        "unpriced": any(x.cost_cny is None for x in lines)})  # fmt: skip
        return out

    def periods(self, node: str | None = None) -> list[dict[str, Any]]:
        """Electricity of the node (default: the facility) per month and TOU period: energy
        [kWh or the meter unit], its cost [CNY] and the mean price [CNY/unit]."""
        groups: dict[tuple[str, str], list[CostLine]] = defaultdict(list)
        for line in self.select(node=node, energy_type="electricity", component="energy"):
            groups[line.month, line.period].append(line)
        out = []
        for (month, period), lines in sorted(
            groups.items(), key=lambda g: (g[0][0], _PERIOD_ORDER.index(g[0][1]))
        ):
            energy = sum(x.quantity for x in lines)
            cost = _priced(lines)
            out.append({"month": month, "period": period, "energy": energy,
                        "unit": lines[0].quantity_unit, "cost_cny": cost,
                        "price_cny_per_unit": lines[0].price_cny_per_unit,
                        "estimated_cost_cny": sum(x.estimated_cost_cny or 0.0 for x in lines),
                        "unpriced": any(x.cost_cny is None for x in lines)})  # fmt: skip
        return out

    def period_summary(self, node: str | None = None) -> list[dict[str, Any]]:
        """Electricity of the node (default: the facility) per TOU period over the whole span,
        highest price first: energy, cost [CNY] and mean price [CNY/unit]."""
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.periods(node):
            groups[row["period"]].append(row)
        out = []
        for period in sorted(groups, key=_PERIOD_ORDER.index):
            rows = groups[period]
            energy = sum(r["energy"] for r in rows)
            known = [r["cost_cny"] for r in rows if r["cost_cny"] is not None]
            cost = sum(known) if known else None
            mean = cost / energy if energy and cost is not None else None
            out.append({"period": period, "energy": energy, "unit": rows[0]["unit"],
                        "cost_cny": cost, "mean_price_cny_per_unit": mean,
                        "unpriced": any(r["unpriced"] for r in rows)})  # fmt: skip
        return out

    def months(self, node: str | None = None) -> list[dict[str, Any]]:
        """The cost of the node (default: the facility) per month and energy type [CNY]."""
        groups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for line in self.select(node=node):
            if line.cost_cny is not None:
                groups[line.month][line.energy_type] += line.cost_cny
            else:
                groups[line.month].setdefault(line.energy_type, 0.0)
        return [
            {
                "month": m,
                "cost_cny": sum(by.values()),
                "by_energy_type_cny": dict(sorted(by.items())),
            }
            for m, by in sorted(groups.items())
        ]

    def sources(self) -> list[dict[str, Any]]:
        """The sources of the prices used, once each."""
        seen: dict[tuple[str, ...], dict[str, Any]] = {}
        for line in self.select():
            if line.price is not None:
                p = line.price
                seen.setdefault((p.status, p.document, p.url, p.note),
                                {"status": p.status, "document": p.document, "url": p.url,
                                 "note": p.note})  # fmt: skip
        return list(seen.values())

    def as_dict(self, node: str | None = None) -> dict[str, Any]:
        return {
            "facility": self.facility,
            "start": self.start.isoformat(),
            "end": (self.end - timedelta(days=1)).isoformat(),
            "node": node,
            "has_tariff": self.priced,
            "cost_cny": self.total_cny(node=node),
            "months": self.months(node),
            "nodes": self.node_summary(node),
            "rows": self.rows(node),
            "period_totals": self.period_summary(node),
            "periods": self.periods(node),
            "notes": self.notes(node),
            "unpriced": self.unpriced(node),
            "sources": self.sources(),
        }


def _priced(lines: list[CostLine]) -> float | None:
    """The cost of the priced lines [CNY]; None when none of them has a price."""
    return total_cny(lines) if any(x.cost_cny is not None for x in lines) else None


def _in_unit(lines: list[CostLine], unit: str, name: str) -> float:
    total = 0.0
    for line in lines:
        try:
            total += getattr(line, name) * conversion_factor(line.quantity_unit, unit)
        except UnitError:
            continue
    return total


def cost_by(
    session: Session,
    facility: Facility,
    start: date,
    end: date,
    *,
    energy: FacilityEnergy | None = None,
) -> FacilityCost:
    """The cost of ``facility``'s metered energy over local days ``[start, end)``.

    Electricity meters are priced interval by interval: each 15-minute interval takes the TOU
    period of the calendar the month's prices are by (:func:`lingtan.cost.charges.
    period_labels`), supply meters add the demand charge of their maximum demand; other energy
    types are priced per month from the daily totals. A virtual meter's usage is the
    combination of its physical meters'. Nodes take the lines of the meters their energy is
    the sum of; the capacity charge goes to the first root node that buys electricity.

    Parameters
    ----------
    energy
        :func:`lingtan.metering.energy_store.load_energy` of the same span, when the caller
        has it (its daily totals must be current); read here otherwise (without refreshing).
    """
    if energy is None:
        energy = load_energy(session, facility, start, end, refresh=False)
    tariff = stored_tariff(session, facility)
    months = month_range(_month_text(start), _month_text(end - timedelta(days=1)))
    by_id = {c.calendar_id: c for c in shipped_calendars()}
    calendars = {m: by_id.get(tariff.calendar_of(m)) for m in months}
    span = {"start": local_midnight(start), "end": local_midnight(end)}
    usage: dict[str, dict[tuple[str, str], Usage]] = {}
    meter_lines: dict[str, list[CostLine]] = {}
    for code, meter in sorted(energy.meters.items()):
        if meter.energy_type != "electricity" or meter.formula:
            continue
        iv = stored_intervals(session, facility, code, **span)
        labels = period_labels(iv.start, calendars, ROLLUP_UTC_OFFSET_MIN)
        estimated = iv.quality == Quality.ESTIMATED
        usage[code] = interval_usage(iv.start, iv.energy, estimated, labels, ROLLUP_UTC_OFFSET_MIN)
        if meter.flow == "supply" and tariff:
            demand = max_demand_kw(iv.start, iv.energy, meter.unit, ROLLUP_UTC_OFFSET_MIN)
            meter_lines[code] = demand_lines(demand, tariff)
    for code, coefs in energy.expanded.items():
        if energy.meters[code].energy_type == "electricity":
            usage[code] = combine_usage(coefs, usage)
    for month, values in energy.periods("month").items():
        for code, value in values.items():
            if energy.meters[code].energy_type != "electricity":
                usage.setdefault(code, {})[month, PERIOD_ALL] = Usage(
                    value.energy, value.estimated, value.missing
                )
    for code, mine in usage.items():
        meter = energy.meters[code]
        lines = energy_lines(mine, energy_type=meter.energy_type, unit=meter.unit, tariff=tariff)
        meter_lines[code] = lines + meter_lines.get(code, [])
    # the meters a node's energy is the sum of do not change over the span
    whole = {code: v for year in energy.periods("year").values() for code, v in year.items()}
    totals = energy.totals(whole)
    roots = energy.roots()
    buyer = next((r for r in roots if (r, "electricity") in totals), None)
    extra = {(buyer, "electricity"): capacity_lines(months, tariff)} if buyer else {}
    lines = node_lines(totals, meter_lines, extra)
    units = {key: total.unit for key, total in totals.items()}
    return FacilityCost(
        facility.code, start, end, lines, units, roots, bool(tariff), _tree_order(energy.nodes)
    )


def _tree_order(nodes: dict[str, Any]) -> list[str]:
    children: dict[str | None, list[str]] = defaultdict(list)
    for code in sorted(nodes):
        children[nodes[code].parent].append(code)
    order: list[str] = []

    def walk(parent: str | None) -> None:
        for code in children[parent]:
            order.append(code)
            walk(code)

    walk(None)
    return order


def budget_rows_with_cost(
    session: Session, energy: FacilityEnergy, cost: FacilityCost | None = None
) -> list[dict[str, Any]]:
    """:func:`lingtan.metering.energy_store.budget_rows` with the actual cost of each node and
    month [CNY] beside its energy and carbon (None where the facility has no tariff)."""
    if cost is None:
        cost = cost_by(session, energy.facility, energy.start, energy.end, energy=energy)
    rows = []
    for row in budget_rows(session, energy):
        lines = cost.select(node=row.node, month=row.month)
        priced = cost.priced and bool(lines)
        rows.append({**row.as_dict(), "cost_cny": total_cny(lines) if priced else None})
    return rows


def report_cost(session: Session, facility: Facility, first: date, last: date) -> dict | None:
    """The energy cost of local days ``first`` to ``last`` as the GB/T 32150 report shows it
    (:attr:`lingtan.reports.data.ReportData.energy_cost`), or None when the facility has no
    tariff or no metered energy."""
    if not stored_tariff(session, facility):
        return None
    found = cost_by(session, facility, first, last + timedelta(days=1))
    if not found.select():
        return None
    facts = found.as_dict()
    return {
        "start": facts["start"],
        "end": facts["end"],
        "cost_cny": facts["cost_cny"],
        "by_energy_type": [n for n in facts["nodes"] if n["node"] in found.roots],
        "periods": facts["period_totals"],
        "months": facts["months"],
        "sources": facts["sources"],
        "notes": facts["notes"],
    }
