"""Energy-saving measures (节能措施): their figures, the standby-load rule and the measures file.

Pure functions on plain data (no store, no I/O): the service layer
(:mod:`lingtan.services.efficiency_measures`) gives them the meters' intervals, the
replacement estimates and the factors.

* :func:`measure_figures` turns a yearly saving of one energy type into tce, tCO2, CNY and the
  simple payback, with coefficients the caller takes from the factor library;
* :func:`standby_saving` is the rule that finds a standby (base) load from 15-minute intervals
  and a node's working hours;
* :func:`read_measures_text` reads a file of measures a user enters, all or nothing.

The standby rule (no threshold of its own)
    The intervals outside the working hours are grouped into *blocks*: each run of
    consecutive non-working intervals (a night, a weekend, a holiday). A block counts when
    all its intervals are known. Its mean power ``P_b`` [kW] is its energy over its hours. The
    lowest mean of all counted blocks, ``P_low``, is the standby the node has itself shown it
    can reach in the year. The estimated saving is what the node drew above that level outside
    its working hours: ``Σ_b (P_b − P_low) · h_b`` [kWh], over the counted blocks, scaled to
    the year by the share of non-working intervals that were counted. No standard gives a
    standby limit for a factory node; this estimate uses the node's own data only, and says
    so.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from lingtan.errors import InputError, InputProblem, Problems
from lingtan.i18n import N_, Message

__all__ = [
    "KINDS",
    "MEASURE_COLUMNS",
    "ORIGINS",
    "STATUSES",
    "TRANSITIONS",
    "MeasureFigures",
    "Standby",
    "WorkingHours",
    "measure_figures",
    "parse_working_hours",
    "rank_measures",
    "read_measures_text",
    "standby_saving",
]

#: Kinds of measure. The equipment families are those whose grades lingtan judges
#: (GB 18613, GB 20052, GB 19153 …); the others are the usual headings of an energy-saving
#: diagnosis (节能诊断). Their mapping onto the MIIT diagnosis' own headings is unverified.
KINDS = (
    "equipment_renewal",
    "standby_load",
    "compressed_air_leaks",
    "system_optimisation",
    "waste_heat_recovery",
    "process_improvement",
    "energy_management",
    "other",
)
#: Found (by a rule or a diagnosis), planned (decided, budgeted) or done (in operation).
STATUSES = ("found", "planned", "done")
#: The status changes a user may make, and the only ones (the workflow, no regulation): a found
#: measure is planned (decided, budgeted), a planned one done (in operation, with the date) or
#: sent back to found (the decision withdrawn); a done one back to planned (a correction: not
#: in operation after all). Every other change, the same status included, is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "found": ("planned",),
    "planned": ("done", "found"),
    "done": ("planned",),
}
#: ``found`` by a rule of lingtan from the data, or ``entered`` by a user.
ORIGINS = ("found", "entered")
#: Energy types a measure may save (those with a standard-coal and a carbon coefficient).
ENERGY_TYPES = ("electricity", "natural_gas", "diesel", "steam", "hot_water")

#: The columns of a measures file, in their order in the template.
MEASURE_COLUMNS = (
    "id",
    "kind",
    "title",
    "node",
    "equipment",
    "status",
    "energy_type",
    "saved_per_year",
    "unit",
    "investment_cny",
    "cost_saved_cny_per_year",
    "basis",
    "done_on",
    "baseline_start",
    "baseline_end",
)
_REQUIRED = ("id", "kind", "energy_type", "saved_per_year", "unit")
_HOURS_PER_INTERVAL = 0.25


@dataclass(frozen=True, slots=True)
class MeasureFigures:
    """A measure's yearly saving in every unit (None where a coefficient is missing)."""

    saved_per_year: float
    unit: str
    energy_saved_tce_per_year: float | None
    emissions_saved_tco2_per_year: float | None
    cost_saved_cny_per_year: float | None
    investment_cny: float | None
    payback_years: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "saved_per_year": self.saved_per_year,
            "unit": self.unit,
            "energy_saved_tce_per_year": self.energy_saved_tce_per_year,
            "emissions_saved_tco2_per_year": self.emissions_saved_tco2_per_year,
            "cost_saved_cny_per_year": self.cost_saved_cny_per_year,
            "investment_cny": self.investment_cny,
            "payback_years": self.payback_years,
        }


def measure_figures(
    *,
    saved_per_year: float,
    unit: str,
    tce_per_unit: float | None,
    tco2_per_unit: float | None,
    price_cny_per_unit: float | None = None,
    cost_saved_cny_per_year: float | None = None,
    investment_cny: float | None = None,
) -> MeasureFigures:
    """A measure's yearly saving in tce, tCO2 and CNY, and its simple payback.

    Parameters
    ----------
    saved_per_year : float
        Energy saved a year [``unit``].
    tce_per_unit : float, optional
        Standard coal per unit [tce/unit] (GB/T 2589: electricity 0.1229 kgce/kWh at the
        equivalent value).
    tco2_per_unit : float, optional
        CO2 per unit [tCO2/unit] (electricity: the grid factor; fuels: FC × NCV × CC × OF × 44/12).
    price_cny_per_unit : float, optional
        Price of the energy [CNY/unit], used when ``cost_saved_cny_per_year`` is not given.
    cost_saved_cny_per_year : float, optional
        The money saved a year as the user estimated it [CNY/a]: it wins over the price.
    investment_cny : float, optional
        The measure's cost [CNY].

    Returns
    -------
    MeasureFigures
        Payback [a] = investment / CNY saved a year; None without both or with no money saved.

    References
    ----------
    GB/T 2589-2020 (standard coal); GB/T 32150-2015 (emissions of fuels and purchased
    electricity).
    """
    tce = saved_per_year * tce_per_unit if tce_per_unit is not None else None
    tco2 = saved_per_year * tco2_per_unit if tco2_per_unit is not None else None
    cny = cost_saved_cny_per_year
    if cny is None and price_cny_per_unit is not None:
        cny = saved_per_year * price_cny_per_unit
    payback = investment_cny / cny if investment_cny is not None and cny and cny > 0 else None
    return MeasureFigures(saved_per_year, unit, tce, tco2, cny, investment_cny, payback)


def rank_measures(measures: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Measures by simple payback, shortest first; those without one after, by tCO2 saved
    (most first), then by code."""

    def key(m: Mapping[str, Any]) -> tuple[int, float, float, str]:
        payback = m.get("payback_years")
        tco2 = m.get("emissions_saved_tco2_per_year") or 0.0
        return (payback is None, payback if payback is not None else 0.0, -tco2, m["code"])

    return sorted(measures, key=key)


# --- the standby rule -------------------------------------------------------------------------

_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_PART = re.compile(
    r"^\s*(?P<d1>[a-z]{3})(?:\s*-\s*(?P<d2>[a-z]{3}))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})\s*$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Working hours as (weekday, start minute, end minute) spans, Monday = 0, local time."""

    text: str
    spans: tuple[tuple[int, int, int], ...]

    def mask(self, local_starts: np.ndarray) -> np.ndarray:
        """True for the intervals (their local start, datetime64) inside the working hours."""
        minutes = (local_starts - local_starts.astype("datetime64[D]")).astype("timedelta64[m]")
        minute = minutes.astype(int)
        weekday = (local_starts.astype("datetime64[D]").astype(int) + 3) % 7  # 1970-01-01: Thu
        out = np.zeros(local_starts.shape, bool)
        for day, first, last in self.spans:
            out |= (weekday == day) & (minute >= first) & (minute < last)
        return out


def parse_working_hours(text: str, *, where: str | Message = "working hours") -> WorkingHours:
    """``Mon-Fri 08:00-18:00; Sat 08:00-12:00`` as :class:`WorkingHours`.

    Raises
    ------
    InputError
        A part that is not ``Day[-Day] HH:MM-HH:MM``, an unknown day, a time past 24:00 or an
        end not after its start.
    """
    spans: list[tuple[int, int, int]] = []
    rule = Message(N_("must be 'Day[-Day] HH:MM-HH:MM' parts separated by ';', e.g. "
                      "'Mon-Fri 08:00-18:00; Sat 08:00-12:00'"))  # fmt: skip
    for part in (p for p in text.split(";") if p.strip()):
        found = _PART.match(part)
        if (
            not found
            or found["d1"].lower() not in _DAYS
            or (found["d2"] and found["d2"].lower() not in _DAYS)
        ):
            raise InputError(InputProblem(str(where), "working_hours", part.strip(), rule))
        first = int(found["h1"]) * 60 + int(found["m1"])
        last = int(found["h2"]) * 60 + int(found["m2"])
        if int(found["m1"]) > 59 or int(found["m2"]) > 59 or last > 24 * 60 or last <= first:
            raise InputError(InputProblem(str(where), "working_hours", part.strip(), rule))
        d1 = _DAYS[found["d1"].lower()]
        d2 = _DAYS[found["d2"].lower()] if found["d2"] else d1
        days = range(d1, d2 + 1) if d2 >= d1 else [*range(d1, 7), *range(0, d2 + 1)]
        spans += [(day, first, last) for day in days]
    if not spans:
        raise InputError(InputProblem(str(where), "working_hours", text, rule))
    return WorkingHours(text.strip(), tuple(spans))


@dataclass(frozen=True, slots=True)
class Standby:
    """What :func:`standby_saving` found.

    Attributes
    ----------
    saved_kwh_per_year : float
        The estimated saving [kWh/a] (see the module's rule).
    standby_kwh : float
        Energy of the counted non-working blocks [kWh].
    lowest_kw : float
        ``P_low``: the lowest block mean [kW].
    mean_standby_kw, mean_working_kw : float
        Mean power outside and inside the working hours [kW] (known intervals).
    blocks, blocks_counted : int
        Non-working blocks, and those with every interval known.
    coverage : float
        Share of non-working intervals in counted blocks [-] (the scaling to the year).
    """

    saved_kwh_per_year: float
    standby_kwh: float
    lowest_kw: float
    mean_standby_kw: float
    mean_working_kw: float
    blocks: int
    blocks_counted: int
    coverage: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "saved_kwh_per_year": self.saved_kwh_per_year,
            "standby_kwh": self.standby_kwh,
            "lowest_kw": self.lowest_kw,
            "mean_standby_kw": self.mean_standby_kw,
            "mean_working_kw": self.mean_working_kw,
            "blocks": self.blocks,
            "blocks_counted": self.blocks_counted,
            "coverage": self.coverage,
        }


def standby_saving(energy_kwh: Any, working: Any) -> Standby | None:
    """The standby (base) load of a node outside its working hours and what it could save.

    Parameters
    ----------
    energy_kwh : array_like
        The node's electricity per 15-minute interval of one year [kWh], NaN where unknown.
    working : array_like of bool
        True for the intervals inside the working hours (:meth:`WorkingHours.mask`).

    Returns
    -------
    Standby or None
        None when no non-working block is complete, or no working interval is known.

    Notes
    -----
    ``Σ_b (P_b − P_low) · h_b`` over the counted blocks, divided by the share of
    non-working intervals in them (the year's estimate); ``P_b`` = block energy / block hours.
    """
    energy = np.asarray(energy_kwh, dtype=float)
    work = np.asarray(working, dtype=bool)
    if energy.shape != work.shape:
        raise ValueError("energy and working hours must have one value per interval")
    idle = ~work
    if not idle.any():
        return None
    edges = np.diff(np.concatenate(([0], idle.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    known = ~np.isnan(energy)
    running = np.concatenate(([0.0], np.cumsum(np.where(known, energy, 0.0))))
    known_running = np.concatenate(([0], np.cumsum(known)))
    sums = running[ends] - running[starts]
    counts = known_running[ends] - known_running[starts]
    lengths = ends - starts
    complete = counts == lengths
    if not complete.any() or not (work & known).any():
        return None
    hours = lengths[complete] * _HOURS_PER_INTERVAL
    mean_kw = sums[complete] / hours
    lowest = float(mean_kw.min())
    above = float(np.sum((mean_kw - lowest) * hours))
    coverage = float(lengths[complete].sum() / idle.sum())
    working_kw = float(energy[work & known].sum() / ((work & known).sum() * _HOURS_PER_INTERVAL))
    idle_known = idle & known
    standby_kw = float(energy[idle_known].sum() / (idle_known.sum() * _HOURS_PER_INTERVAL))
    return Standby(
        saved_kwh_per_year=above / coverage,
        standby_kwh=float(sums[complete].sum()),
        lowest_kw=lowest,
        mean_standby_kw=standby_kw,
        mean_working_kw=working_kw,
        blocks=int(starts.size),
        blocks_counted=int(complete.sum()),
        coverage=coverage,
    )


# --- the measures file --------------------------------------------------------------------------


def _number(
    raw: str, at: Message, column: str, problems: Problems, *, positive: bool = False
) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        problems.append(InputProblem(at, column, raw, Message(N_("must be a number"))))
        return None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        rule = N_("must be a number above 0") if positive else N_("must not be negative")
        problems.append(InputProblem(at, column, raw, Message(rule)))
        return None
    return value


def _day(raw: str, at: Message, column: str, problems: Problems) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(InputProblem(at, column, raw, Message(N_("must be a date YYYY-MM-DD"))))
        return None


def _choice(raw: str, at: Message, column: str, choices: Sequence[str], problems: Problems) -> None:
    if raw not in choices:
        rule = Message(N_("must be one of %(choices)s"), choices=", ".join(choices))
        problems.append(InputProblem(at, column, raw, rule))


def read_measures_text(text: str, where: str) -> list[dict[str, Any]]:
    """Read a measures file (CSV, a header row, any column order), all or nothing.

    Columns: see :data:`MEASURE_COLUMNS`; ``id``, ``kind``, ``energy_type``, ``saved_per_year``
    (> 0) and ``unit`` are required; ``status`` defaults to ``planned``; dates are ISO; a done
    measure needs ``done_on``; ``baseline_start`` and ``baseline_end`` go together, the end
    after the start, and need a ``node``. Columns it does not know are refused (a misspelt
    one would otherwise be lost). Codes starting ``renewal:`` or ``standby:`` belong to the
    rules and are refused.

    Raises
    ------
    InputError
        Every problem (file, row, column, value, rule).
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    problems = Problems()
    for column in header:
        if column not in MEASURE_COLUMNS:
            rule = Message(N_("not a column of a measures file (%(columns)s)"),
                           columns=", ".join(MEASURE_COLUMNS))  # fmt: skip
            problems.append(InputProblem(where, column, column, rule))
    for column in _REQUIRED:
        if column not in header:
            problems.append(InputProblem(where, column, None, Message(N_("a required column"))))
    if problems:
        raise InputError(problems, origin=where)
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, raw_row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw_row.items() if k is not None}
        if None in raw_row or any(v is None for v in raw_row.values()):
            at = Message(N_("%(file)s row %(row)d"), file=where, row=number)
            rule = Message(N_("has more or fewer cells than the header"))
            problems.append(InputProblem(at, "row", number, rule))
            continue
        if not any(row.values()):
            continue
        at = Message(N_("%(file)s row %(row)d"), file=where, row=number)
        for column in _REQUIRED:
            if not row.get(column):
                problems.append(InputProblem(at, column, None, Message(N_("a required value"))))
        code = row.get("id", "")
        if code:
            if code.startswith(("renewal:", "standby:")):
                rule = Message(N_("codes starting renewal: or standby: are the rules' own"))
                problems.append(InputProblem(at, "id", code, rule))
            if code in seen:
                rule = Message(N_("the same id as row %(row)d"), row=seen[code])
                problems.append(InputProblem(at, "id", code, rule))
            seen[code] = number
        if row.get("kind"):
            _choice(row["kind"], at, "kind", KINDS, problems)
        status = row.get("status") or "planned"
        _choice(status, at, "status", STATUSES, problems)
        if row.get("energy_type"):
            _choice(row["energy_type"], at, "energy_type", ENERGY_TYPES, problems)
        saved = None
        if row.get("saved_per_year"):
            saved = _number(row["saved_per_year"], at, "saved_per_year", problems, positive=True)
        item: dict[str, Any] = {
            "code": code,
            "row": number,
            "kind": row.get("kind", ""),
            "title": row.get("title", ""),
            "node": row.get("node") or None,
            "equipment": row.get("equipment") or None,
            "status": status,
            "energy_type": row.get("energy_type", ""),
            "saved_per_year": saved,
            "unit": row.get("unit", ""),
            "basis": row.get("basis", ""),
        }
        for column in ("investment_cny", "cost_saved_cny_per_year"):
            item[column] = _number(row[column], at, column, problems) if row.get(column) else None
        for column in ("done_on", "baseline_start", "baseline_end"):
            item[column] = _day(row[column], at, column, problems) if row.get(column) else None
        if status == "done" and not row.get("done_on"):
            rule = Message(N_("a done measure needs the date it was done"))
            problems.append(InputProblem(at, "done_on", None, rule))
        start, end = item["baseline_start"], item["baseline_end"]
        if bool(row.get("baseline_start")) != bool(row.get("baseline_end")):
            rule = Message(N_("baseline_start and baseline_end go together"))
            missing = "baseline_end" if row.get("baseline_start") else "baseline_start"
            problems.append(InputProblem(at, missing, None, rule))
        elif start and end:
            if end <= start:
                rule = Message(N_("must be after baseline_start"))
                problems.append(InputProblem(at, "baseline_end", row["baseline_end"], rule))
            if not item["node"]:
                rule = Message(N_("a baseline needs the node whose meter it is fitted on"))
                problems.append(InputProblem(at, "node", None, rule))
        out.append(item)
    if problems:
        raise InputError(problems, origin=where)
    return out
