"""The problem file of ``lingtan plan size``: YAML naming a load CSV, an EPW weather file,
the grid's prices, the technologies with their costs, and the yearly rules.

This module reads files (the YAML, the CSVs, the weather file, a TOU calendar) and hands
:mod:`lingtan.planning.sizing` plain arrays. Every problem found is collected and the whole file
refused with :class:`lingtan.errors.InputError`, each problem naming the file, the field or row,
the value and the rule; docs/planning.md documents every field.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from lingtan.errors import InputError, InputProblem, one_of, unreadable
from lingtan.i18n import DEFAULT_TIME_ZONE, Message
from lingtan.planning.finance import Asset
from lingtan.planning.sizing import (
    HOURS_PER_YEAR,
    Battery,
    FuelBoiler,
    Heat,
    Instrument,
    SizingProblem,
)
from lingtan.yamlinput import parse_yaml, read_yaml_file

__all__ = ["FIELDS", "MeteredSeries", "Plan", "read_problem_file", "series_sha256", "step_of"]

#: Every field of the problem file, per section (``None``: top level); docs/planning.md lists
#: them all (tests/test_planning.py checks).
FIELDS: dict[str | None, tuple[str, ...]] = {
    None: (
        "name",
        "note",
        "load",
        "weather",
        "finance",
        "grid",
        "pv",
        "wind",
        "battery",
        "heat",
        "heat_pump",
        "electric_boiler",
        "heat_storage",
        "boiler",
        "green_power",
        "gec",
        "constraints",
    ),
    "load": ("file", "time_zone", "node", "facility", "year", "step_minutes"),
    "weather": ("file",),
    "finance": ("discount_rate",),
    "grid": (
        "calendar",
        "calendar_file",
        "prices_cny_per_kwh",
        "price_file",
        "export_price_cny_per_kwh",
        "export_cap_kw",
        "import_cap_kw",
        "emission_factor_tco2_per_mwh",
        "demand_charge_cny_per_kw_month",
        "capacity_charge_cny_per_kva_month",
        "capacity_kva",
    ),
    "pv": (
        "capex_cny_per_kw",
        "om_cny_per_kw_per_year",
        "lifetime_years",
        "max_kw",
        "tilt_deg",
        "azimuth_deg",
        "albedo",
        "gamma_pdc_per_c",
        "dc_ac_ratio",
        "inverter_efficiency",
        "losses_pct",
        "degradation_pct_per_year",
        "mount",
        "meter_node",
        "meter_kwp",
    ),
    "battery": (
        "energy_capex_cny_per_kwh",
        "power_capex_cny_per_kw",
        "energy_om_cny_per_kwh_per_year",
        "power_om_cny_per_kw_per_year",
        "lifetime_years",
        "charge_efficiency",
        "discharge_efficiency",
        "soc_min",
        "soc_max",
        "throughput_cost_cny_per_kwh",
        "hours",
        "max_kwh",
        "max_kw",
    ),
    "wind": (
        "capex_cny_per_kw",
        "om_cny_per_kw_per_year",
        "lifetime_years",
        "max_kw",
        "power_curve_file",
        "rated_kw",
        "hub_height_m",
        "measurement_height_m",
        "roughness_length_m",
        "hellman_exponent",
        "speed_file",
    ),
    "heat": ("file",),
    "heat_pump": (
        "capex_cny_per_kw",
        "om_cny_per_kw_per_year",
        "lifetime_years",
        "max_kw",
        "carnot_efficiency",
        "sink_temp_c",
        "source_temp_c",
        "max_cop",
    ),
    "electric_boiler": (
        "capex_cny_per_kw",
        "om_cny_per_kw_per_year",
        "lifetime_years",
        "max_kw",
        "efficiency",
    ),
    "heat_storage": (
        "capex_cny_per_kwh",
        "om_cny_per_kwh_per_year",
        "lifetime_years",
        "max_kwh",
        "loss_pct_per_h",
    ),
    "boiler": ("fuel", "factor_set", "efficiency", "fuel_price_cny_per_unit", "max_kw"),
    "green_power": ("premium_cny_per_mwh", "max_mwh"),
    "gec": ("price_cny_per_mwh", "max_mwh"),
    "constraints": (
        "min_renewable_share",
        "max_emissions_tco2e",
        "min_self_consumption_share",
        "max_export_share",
    ),
}

_MOUNTS = (
    "open_rack_glass_polymer",
    "open_rack_glass_glass",
    "close_mount_glass_glass",
    "insulated_back_glass_polymer",
)
_WEATHER_RANGES = {  # EPW column: (low, high) of a physical value; 9999 etc. mark "missing"
    "ghi": (0.0, 1500.0),
    "dni": (0.0, 1500.0),
    "dhi": (0.0, 1000.0),
    "temp_air": (-70.0, 70.0),
    "wind_speed": (0.0, 40.0),
}


@dataclass
class MeteredSeries:
    """A node's energy per step from the metering tree (``load.node``, ``pv.meter_node``), as
    :mod:`lingtan.services.planning` reads it from the store.

    ``report`` says where it comes from and how good it is: the node, the meters, the
    intervals, the estimated intervals and their energy [kWh].
    """

    starts: np.ndarray  # step starts, datetime64[s] UTC
    step_h: float
    energy_kwh: np.ndarray
    report: dict[str, Any]


#: Reads a node's series: called with the keywords ``field`` (to name in errors), ``node``,
#: ``facility`` (None: the only one), ``year``, ``step_minutes`` (15 or 60) and ``kind``
#: (``load``: the node's consumption, or ``generation``); raises
#: :class:`~lingtan.errors.InputError`.
MeteredReader = Callable[..., MeteredSeries]


@dataclass
class Plan:
    """A problem file read: the arrays of the LP and what the report names.

    ``inputs`` holds, per input, the SHA-256 of what was read: each file named (by its field)
    and the load series itself (``load_series``), so a stored plan can tell whether its inputs
    have changed; ``metered`` the reports of the series read from the metering tree.
    """

    problem: SizingProblem
    name: str
    origin: str
    starts: np.ndarray  # step starts, datetime64[s] UTC
    sources: dict[str, str]
    inputs: dict[str, str] = field(default_factory=dict)
    metered: dict[str, dict[str, Any]] = field(default_factory=dict)
    time_zone: str = DEFAULT_TIME_ZONE


def series_sha256(values: np.ndarray) -> str:
    """The SHA-256 of a series as little-endian float64: the same numbers, the same hash."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()


class _Checker:
    """Collects the problems of one problem file (or of another planning file whose
    ``fields`` are given: the pathway file's)."""

    def __init__(self, origin: str, fields: dict[str | None, tuple[str, ...]] = FIELDS) -> None:
        self.origin = origin
        self.fields = fields
        self.problems: list[InputProblem] = []
        self.files: dict[str, Path] = {}  # the files read, by field

    def add(self, field: str, value: Any, rule: str, where: str | None = None) -> None:
        self.problems.append(InputProblem(where or self.origin, field, value, rule))

    def section(self, data: dict, name: str, *, required: bool = False) -> dict | None:
        value = data.get(name)
        if value is None:
            if required:
                self.add(name, None, Message("is required"))
            return None
        if not isinstance(value, dict):
            self.add(name, value, Message("must be a mapping"))
            return None
        self.known(value, name)
        return value

    def known(self, data: dict, section: str | None) -> None:
        fields = self.fields[section]
        for key in data:
            if key not in fields:
                path = f"{section}.{key}" if section else str(key)
                self.add(
                    path,
                    data[key],
                    Message("unknown field (known: %(fields)s)", fields=", ".join(fields)),
                )

    def number(
        self,
        data: dict | None,
        section: str,
        key: str,
        *,
        default: float | None = None,
        required: bool = False,
        low: float | None = None,
        high: float | None = None,
        above_low: bool = False,
    ) -> float | None:
        path = f"{section}.{key}"
        value = (data or {}).get(key)
        if value is None:
            if required:
                self.add(path, None, Message("is required"))
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, value, Message("must be a number"))
            return default
        number = float(value)
        if not math.isfinite(number):
            self.add(path, value, Message("must be a finite number"))
        elif low == 0 and not above_low and number < 0:
            self.add(path, value, Message("must not be negative"))
        elif low is not None and (number <= low if above_low else number < low):
            if above_low:
                self.add(path, value, Message("must be above %(limit)g", limit=low))
            else:
                self.add(path, value, Message("must be at least %(limit)g", limit=low))
        elif high is not None and number > high:
            self.add(path, value, Message("must be at most %(limit)g", limit=high))
        else:
            return number
        return default


def read_problem_file(
    path: str | Path, *, metered: MeteredReader | None = None, text: str | None = None
) -> Plan:
    """Read and check a problem file and the files it names (relative to its folder).

    Parameters
    ----------
    metered
        Reads the series of a node of the metering tree (``load.node``, ``pv.meter_node``);
        without it such a problem file is refused.
    text
        The problem file's text, read instead of the file at *path* (a stored plan's; the
        files it names are still relative to the folder of *path*).

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        Every problem of the file and of the files it names.
    """
    path = Path(path)
    check = _Checker(path.name)
    data = read_yaml_file(path, path.name) if text is None else parse_yaml(text, path.name)
    if not isinstance(data, dict):
        raise InputError(InputProblem(path.name, "file", None, Message("must be a mapping")))
    check.known(data, None)
    folder = path.parent
    names = [name for name in FIELDS[None] if name not in ("name", "note")]
    sections = {
        name: check.section(data, name, required=name in ("load", "finance", "grid"))
        for name in names
    }
    finance, grid = sections["finance"], sections["grid"]
    rate = check.number(finance, "finance", "discount_rate", required=True, low=-0.5, high=1)
    pv, battery = _pv(check, sections["pv"]), _battery(check, sections["battery"])
    wind = _asset(check, sections["wind"], "wind", "kw")
    for name in ("pv", "wind"):
        if sections[name] is not None and sections["weather"] is None:
            if name == "wind" and sections["wind"].get("speed_file") is not None:
                continue
            if name == "pv" and sections["pv"].get("meter_node") is not None:
                continue
            check.add("weather", None, Message("is required with %(field)s", field=name))
    heat_parts = {
        "heat_pump": _asset(check, sections["heat_pump"], "heat_pump", "kw"),
        "electric_boiler": _asset(check, sections["electric_boiler"], "electric_boiler", "kw"),
        "heat_storage": _asset(check, sections["heat_storage"], "heat_storage", "kwh"),
    }
    _heat_sections(check, sections)
    rules = _constraints(check, sections["constraints"])
    export_price = check.number(grid, "grid", "export_price_cny_per_kwh", low=0)
    export_cap = check.number(grid, "grid", "export_cap_kw", low=0)
    import_cap = check.number(grid, "grid", "import_cap_kw", low=0)
    factor = check.number(grid, "grid", "emission_factor_tco2_per_mwh", required=True, low=0)
    demand = check.number(grid, "grid", "demand_charge_cny_per_kw_month", low=0)
    capacity_price = check.number(grid, "grid", "capacity_charge_cny_per_kva_month", low=0)
    capacity_kva = check.number(grid, "grid", "capacity_kva", low=0)
    if (capacity_price is None) != (capacity_kva is None):
        check.add(
            "grid.capacity_kva",
            capacity_kva,
            Message("give both capacity_charge_cny_per_kva_month and capacity_kva"),
        )
    instruments = {
        name: _instrument(check, sections[name], name, price)
        for name, price in (("green_power", "premium_cny_per_mwh"), ("gec", "price_cny_per_mwh"))
    }
    zone = _zone(check, sections["load"])
    starts = step_h = load = None
    reports: dict[str, dict[str, Any]] = {}
    if sections["load"] is not None and sections["load"].get("node") is not None:
        read = _metered(check, metered, sections["load"], "load.node", "load")
        if read is not None:
            starts, step_h, load = read.starts, read.step_h, read.energy_kwh / read.step_h
            reports["load"] = read.report
    elif sections["load"] is not None:
        load_file = _file(check, folder, sections["load"], "load")
        if load_file is not None:
            starts, step_h, load = _read_load(check, load_file, zone)
    prices = None
    if starts is not None and grid is not None:
        prices = _prices(check, folder, grid, starts, zone)
    weather = None
    if sections["weather"] is not None and starts is not None:
        weather_file = _file(check, folder, sections["weather"], "weather")
        if weather_file is not None:
            weather = _weather(check, weather_file, starts)
    cf = wind_cf = None
    if sections["pv"] is not None and sections["pv"].get("meter_node") is not None:
        if (sections["load"] or {}).get("node") is None:
            check.add("pv.meter_node", sections["pv"].get("meter_node"),
                      Message("needs a load from the metering tree (load.node, "
                              "load.year)"))  # fmt: skip
        elif pv is not None and starts is not None and step_h is not None:
            cf = _metered_cf(check, metered, sections, starts, step_h, reports)
    elif weather is not None and pv is not None:
        cf = _pv_cf(weather, pv)
    if sections["wind"] is not None and starts is not None:  # every problem, even without costs
        wind_cf = _wind_cf(check, folder, sections["wind"], weather, starts, zone)
    heat = boiler_source = None
    if sections["heat"] is not None and starts is not None and step_h is not None:
        heat, boiler_source = _heat(check, folder, sections, heat_parts, weather, starts, zone)
    if check.problems:
        raise InputError(check.problems, origin=str(path))
    assert starts is not None and load is not None and prices is not None and step_h is not None
    problem = SizingProblem(
        load_kw=load,
        step_h=step_h,
        import_price_cny_per_kwh=prices,
        discount_rate=float(rate or 0.0),
        pv_cf=cf,
        pv=pv[0] if pv else None,
        battery=battery,
        wind_cf=wind_cf,
        wind=wind,
        heat=heat,
        export_price_cny_per_kwh=None if export_price is None else np.full(len(load), export_price),
        export_cap_kw=export_cap,
        grid_import_cap_kw=import_cap,
        grid_factor_tco2_per_mwh=float(factor or 0.0),
        demand_charge_cny_per_kw_month=demand,
        month_of_step=_months(starts, zone) if demand else None,
        capacity_charge_cny_per_year=12.0 * (capacity_price or 0.0) * (capacity_kva or 0.0),
        **instruments,
        **rules,
    )
    sources = {"load": reports["load"]["source"] if "load" in reports
               else str(sections["load"].get("file"))}  # fmt: skip
    for name in ("weather", "heat"):
        if sections[name] is not None:
            sources[name] = str(sections[name].get("file"))
    if sections["wind"] is not None:
        sources["wind_power_curve"] = str(sections["wind"].get("power_curve_file"))
    if boiler_source is not None:
        sources["boiler_fuel"] = boiler_source
    if "pv" in reports:
        sources["pv_output"] = reports["pv"]["source"]
    inputs = {name: _sha256(target) for name, target in sorted(check.files.items())}
    inputs["load_series"] = series_sha256(load)
    name = str(data.get("name") or path.stem)
    return Plan(problem, name, str(path), starts, sources, inputs, reports, zone.key)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _metered(check: _Checker, metered, load: dict, name: str, kind: str, node=None):
    """The series of a node of the metering tree: ``load.node`` (*node* None) or
    ``pv.meter_node``, over the year and at the steps of the load section."""
    node = load.get("node") if node is None else node
    year, minutes = load.get("year"), load.get("step_minutes", 60)
    before = len(check.problems)
    if not isinstance(node, str) or not node:
        check.add(name, node, Message("must be the code of a node of the metering tree"))
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        check.add("load.year", year, Message("a year from 2000 to 2100 expected"))
    if minutes not in (15, 60):
        check.add("load.step_minutes", minutes, one_of(("15", "60")))
    facility = load.get("facility")
    if facility is not None and not isinstance(facility, str):
        check.add("load.facility", facility, Message("must be a facility code"))
    if len(check.problems) > before:
        return None
    if metered is None:
        check.add(name, node,
                  Message("a series from the metering tree needs the database (lingtan plan "
                          "size)"))  # fmt: skip
        return None
    try:
        return metered(field=name, node=node, facility=facility, year=year,
                       step_minutes=minutes, kind=kind)  # fmt: skip
    except InputError as error:
        check.problems += error.problems
        return None


def _metered_cf(check: _Checker, metered, sections: dict, starts, step_h, reports):
    """PV output per kWp from the generation meters of a node: measured energy per step
    divided by the step and by the kWp the meters measure (``pv.meter_kwp``)."""
    section = sections["pv"]
    kwp = check.number(section, "pv", "meter_kwp", required=True, low=0, above_low=True)
    read = _metered(check, metered, sections["load"], "pv.meter_node", "generation",
                    node=section.get("meter_node"))  # fmt: skip
    if read is None or kwp is None:
        return None
    if read.step_h != step_h or not np.array_equal(read.starts, starts):
        check.add(
            "pv.meter_node",
            section.get("meter_node"),
            Message("its series must have the steps of the load (%(steps)d of %(minutes)g min)",
                    steps=len(starts), minutes=step_h * 60),
        )  # fmt: skip
        return None
    cf = read.energy_kwh / step_h / kwp
    if cf.max() > 1.0:
        first = int(np.argmax(cf))
        check.add(
            "pv.meter_kwp",
            kwp,
            Message(
                "the meters measure %(kw)g kW at %(time)s UTC, above the kWp given",
                kw=round(float(read.energy_kwh[first] / step_h), 1),
                time=str(starts[first]),
            ),
        )
        return None
    reports["pv"] = read.report
    return cf


def step_of(plan: Plan, moment: str) -> int:
    """The index of the step of *plan* that starts at *moment* (ISO 8601; without an offset,
    in Asia/Shanghai).

    Raises
    ------
    InputError
        Not a time, or not the start of a step of the load file.
    """
    when = _timestamp(moment, ZoneInfo(DEFAULT_TIME_ZONE))
    if when is not None:
        found = np.flatnonzero(plan.starts == np.datetime64(when.replace(tzinfo=None), "s"))
        if found.size:
            return int(found[0])
    raise InputError(
        InputProblem(
            plan.origin,
            "--start",
            moment,
            Message("not the start of a step of the load file (e.g. 2025-07-01T00:00+08:00)"),
        )
    )


def _file(check: _Checker, folder: Path, section: dict, name: str) -> Path | None:
    value = section.get("file")
    if not isinstance(value, str) or not value:
        check.add(f"{name}.file", value, Message("is required"))
        return None
    target = folder / value
    if not target.is_file():
        check.add(f"{name}.file", value, Message("no such file"))
        return None
    check.files[name] = target
    return target


def _zone(check: _Checker, section: dict | None) -> ZoneInfo:
    name = (section or {}).get("time_zone") or DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        check.add("load.time_zone", name, Message("not a time zone (e.g. Asia/Shanghai)"))
        return ZoneInfo(DEFAULT_TIME_ZONE)


def _pv(check: _Checker, section: dict | None) -> tuple[Asset, dict[str, Any]] | None:
    if section is None:
        return None
    n = check.number
    capex = n(section, "pv", "capex_cny_per_kw", required=True, low=0)
    om = n(section, "pv", "om_cny_per_kw_per_year", default=0.0, low=0)
    life = n(section, "pv", "lifetime_years", required=True, low=0, above_low=True, high=100)
    max_kw = n(section, "pv", "max_kw", low=0)
    options = {
        "surface_tilt_deg": n(
            section, "pv", "tilt_deg", required="meter_node" not in section, low=0, high=90
        ),
        "surface_azimuth_deg": n(section, "pv", "azimuth_deg", default=180.0, low=0, high=360),
        "albedo": n(section, "pv", "albedo", default=0.2, low=0, high=1),
        "gamma_pdc_per_c": n(section, "pv", "gamma_pdc_per_c", default=-0.0037, low=-0.02, high=0),
        "dc_ac_ratio": n(section, "pv", "dc_ac_ratio", default=1.1, low=0.5, high=3),
        "inverter_efficiency": n(
            section, "pv", "inverter_efficiency", default=0.96, low=0, above_low=True, high=1
        ),
        "losses_pct": n(section, "pv", "losses_pct", default=14.08, low=0, high=99),
    }
    degradation = n(section, "pv", "degradation_pct_per_year", default=0.5, low=0, high=10)
    mount = section.get("mount", _MOUNTS[0])
    if mount not in _MOUNTS:
        check.add("pv.mount", mount, one_of(_MOUNTS))
    options["mount"] = mount
    if capex is None or life is None:
        return None
    from lingtan.planning.pv import degradation_factor

    options["degradation"] = degradation_factor(
        degradation_pct_per_year=degradation or 0.0, lifetime_years=max(1, round(life))
    )
    return Asset(capex, life, om or 0.0, max_kw), options


def _battery(check: _Checker, section: dict | None) -> Battery | None:
    if section is None:
        return None
    n = check.number
    e_capex = n(section, "battery", "energy_capex_cny_per_kwh", required=True, low=0)
    p_capex = n(section, "battery", "power_capex_cny_per_kw", default=0.0, low=0)
    e_om = n(section, "battery", "energy_om_cny_per_kwh_per_year", default=0.0, low=0)
    p_om = n(section, "battery", "power_om_cny_per_kw_per_year", default=0.0, low=0)
    life = n(section, "battery", "lifetime_years", required=True, low=0, above_low=True, high=100)
    eff = {
        key: n(section, "battery", key, default=0.95, low=0, above_low=True, high=1)
        for key in ("charge_efficiency", "discharge_efficiency")
    }
    soc_min = n(section, "battery", "soc_min", default=0.0, low=0, high=1)
    soc_max = n(section, "battery", "soc_max", default=1.0, low=0, high=1)
    if soc_min is not None and soc_max is not None and soc_min >= soc_max:
        check.add(
            "battery.soc_min", soc_min, Message("must be below soc_max (%(limit)g)", limit=soc_max)
        )
    throughput = n(section, "battery", "throughput_cost_cny_per_kwh", default=0.0, low=0)
    hours = n(section, "battery", "hours", low=0, above_low=True)
    max_kwh = n(section, "battery", "max_kwh", low=0)
    max_kw = n(section, "battery", "max_kw", low=0)
    if e_capex is None or life is None:
        return None
    return Battery(
        energy=Asset(e_capex, life, e_om or 0.0, max_kwh),
        power=Asset(p_capex or 0.0, life, p_om or 0.0, max_kw),
        charge_efficiency=eff["charge_efficiency"] or 0.95,
        discharge_efficiency=eff["discharge_efficiency"] or 0.95,
        soc_min=soc_min or 0.0,
        soc_max=soc_max if soc_max is not None else 1.0,
        throughput_cost_cny_per_kwh=throughput or 0.0,
        hours=hours,
    )


def _constraints(check: _Checker, section: dict | None) -> dict[str, float | None]:
    n = check.number
    rules = {
        key: n(section, "constraints", key, low=0, high=1)
        for key in ("min_renewable_share", "min_self_consumption_share", "max_export_share")
    }
    rules["max_emissions_tco2e"] = n(section, "constraints", "max_emissions_tco2e", low=0)
    return rules


def _timestamp(text: str, zone: timezone | ZoneInfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _csv(check: _Checker, path: Path, value_fields: tuple[str, ...]):
    """The (row number, timestamp text, value text, field) rows of a two-column CSV."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        check.add("file", str(path), unreadable(exc), where=path.name)
        return None, []
    with handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        field = next((f for f in value_fields if f in header), None)
        if "timestamp" not in header or field is None:
            missing = ["timestamp"] if "timestamp" not in header else []
            missing += [] if field else [" or ".join(value_fields)]
            check.add(
                "header",
                ",".join(header),
                Message("required columns are missing: %(columns)s", columns=", ".join(missing)),
                where=f"{path.name} row 1",
            )
            return None, []
        at, col = header.index("timestamp"), header.index(field)
        rows = [
            (number, row[at] if at < len(row) else "", row[col] if col < len(row) else "")
            for number, row in enumerate(reader, start=2)
            if any(cell.strip() for cell in row)
        ]
    return field, rows


def _values(check: _Checker, path: Path, field: str, rows, zone) -> tuple[list, np.ndarray]:
    moments: list[datetime | None] = []
    values = np.full(len(rows), np.nan)
    for i, (number, stamp, text) in enumerate(rows):
        where = Message("%(file)s row %(row)d", file=path.name, row=number)
        moment = _timestamp(stamp, zone)
        if moment is None:
            check.add(
                "timestamp",
                stamp,
                Message("a time expected, e.g. 2025-01-01T00:00+08:00"),
                where=where,
            )
        moments.append(moment)
        try:
            value = float(text)
        except ValueError:
            check.add(field, text, Message("must be a number"), where=where)
            continue
        if not math.isfinite(value):
            check.add(field, text, Message("must be a finite number"), where=where)
        elif value < 0:
            check.add(field, text, Message("must not be negative"), where=where)
        else:
            values[i] = value
    return moments, values


def _read_load(check: _Checker, path: Path, zone) -> tuple[np.ndarray | None, float | None, Any]:
    field, rows = _csv(check, path, ("load_kw", "energy_kwh"))
    if field is None:
        return None, None, None
    before = len(check.problems)
    moments, values = _values(check, path, field, rows, zone)
    if len(check.problems) > before or len(rows) < 2:
        if len(rows) < 2:
            check.add("rows", len(rows), Message("one year of steps expected"), where=path.name)
        return None, None, None
    step = moments[1] - moments[0]  # type: ignore[operator]
    minutes = step.total_seconds() / 60
    if minutes not in (15, 30, 60):
        check.add(
            "timestamp",
            rows[1][1],
            Message("steps of 15, 30 or 60 minutes expected, not %(minutes)g", minutes=minutes),
            where=Message("%(file)s row %(row)d", file=path.name, row=rows[1][0]),
        )
        return None, None, None
    for (number, stamp, _), previous, moment in zip(
        rows[1:], moments[:-1], moments[1:], strict=True
    ):
        gap = moment - previous  # type: ignore[operator]
        if gap != step:
            where = Message("%(file)s row %(row)d", file=path.name, row=number)
            if gap > step and gap % step == timedelta(0):
                rule = Message(
                    "a gap: %(missing)d steps of %(minutes)g min are missing before this row",
                    missing=gap // step - 1,
                    minutes=minutes,
                )
            else:
                rule = Message("must be %(minutes)g min after the row before", minutes=minutes)
            check.add("timestamp", stamp, rule, where=where)
    step_h = minutes / 60
    expected = round(HOURS_PER_YEAR / step_h)
    if len(rows) != expected:
        check.add(
            "rows",
            len(rows),
            Message(
                "one year of %(expected)d steps of %(minutes)g min expected (365 days)",
                expected=expected,
                minutes=minutes,
            ),
            where=path.name,
        )
    starts = np.array([m.replace(tzinfo=None) for m in moments], dtype="datetime64[s]")  # type: ignore[union-attr]
    load_kw = values / step_h if field == "energy_kwh" else values
    return starts, step_h, load_kw


def _prices(check, folder: Path, grid: dict, starts: np.ndarray, zone):
    by_calendar = grid.get("calendar") is not None or grid.get("calendar_file") is not None
    if by_calendar == (grid.get("price_file") is not None):
        check.add(
            "grid.calendar",
            grid.get("calendar"),
            Message(
                "give either calendar (or calendar_file) with prices_cny_per_kwh, or price_file"
            ),
        )
        return None
    if not by_calendar:
        read = _aligned_series(
            check, folder, "grid.price_file", grid.get("price_file"), ("price_cny_per_kwh",),
            starts, zone,
        )  # fmt: skip
        return None if read is None else read[1]
    from lingtan.metering.tou import read_calendar_file, shipped_calendars, tou_labels

    if grid.get("calendar_file") is not None:
        target = _file(check, folder, {"file": grid.get("calendar_file")}, "grid.calendar_file")
        if target is None:
            return None
        try:
            calendars = read_calendar_file(target)
        except InputError as error:
            check.problems.extend(error.problems)
            return None
    else:
        calendars = shipped_calendars()
    wanted = grid.get("calendar")
    chosen = [c for c in calendars if wanted is None or c.calendar_id == wanted]
    if len(chosen) != 1:
        check.add("grid.calendar", wanted, one_of(c.calendar_id for c in calendars))
        return None
    calendar = chosen[0]
    prices = grid.get("prices_cny_per_kwh")
    if not isinstance(prices, dict):
        check.add("grid.prices_cny_per_kwh", prices, Message("must be a mapping"))
        return None
    from lingtan.metering.tou import LABELS

    names = {**{k: k for k in LABELS}, **{v: k for k, v in LABELS.items()}}
    price_of: dict[str, float] = {}
    for label, value in prices.items():
        path = f"grid.prices_cny_per_kwh.{label}"
        if label not in names:
            check.add(path, value, one_of(LABELS))
            continue
        number = check.number(prices, "grid.prices_cny_per_kwh", label, low=0)
        if number is not None:
            price_of[names[label]] = number
    # the price of a step is that of its first 15 minutes (periods are on the 15-minute grid)
    labels = tou_labels(starts, calendar)
    missing = sorted(set(labels.tolist()) - set(price_of))
    if missing:
        check.add(
            "grid.prices_cny_per_kwh",
            None,
            Message(
                "no price for period %(periods)s of calendar %(calendar)s",
                periods=", ".join(missing),
                calendar=calendar.calendar_id,
            ),
        )
        return None
    lookup = np.vectorize(price_of.__getitem__, otypes=[float])
    return lookup(labels)


def _aligned_series(check, folder: Path, name: str, value, fields, starts, zone):
    """The (value column, values) of a CSV of one row per step of the load, at the load's
    times; None when refused."""
    target = _file(check, folder, {"file": value}, name)
    if target is None:
        return None
    field, rows = _csv(check, target, fields)
    if field is None:
        return None
    before = len(check.problems)
    moments, values = _values(check, target, field, rows, zone)
    if len(rows) != len(starts):
        check.add(
            "rows",
            len(rows),
            Message("as many rows as the load file (%(rows)d)", rows=len(starts)),
            where=target.name,
        )
        return None
    for (number, stamp, _), moment, start in zip(rows, moments, starts, strict=True):
        if moment is not None and np.datetime64(moment.replace(tzinfo=None), "s") != start:
            check.add(
                "timestamp",
                stamp,
                Message("must be the time of the load file's row (%(time)s UTC)", time=str(start)),
                where=Message("%(file)s row %(row)d", file=target.name, row=number),
            )
            break
    if len(check.problems) > before:
        return None
    return field, values


@dataclass
class _Weather:
    """An EPW typical year read and checked, and the hour of it each step of the load takes."""

    frame: Any
    meta: dict
    hour_of_step: np.ndarray

    def at_steps(self, column: str) -> np.ndarray:
        return self.frame[column].to_numpy(float)[self.hour_of_step]


def _weather(check: _Checker, path: Path, starts: np.ndarray) -> _Weather | None:
    from pvlib.iotools import read_epw

    try:
        weather, meta = read_epw(path, coerce_year=2025)
    except OSError as exc:
        check.add("weather.file", path.name, unreadable(exc))
        return None
    except Exception as exc:  # a malformed EPW: pandas' or pvlib's parse error
        check.add(
            "weather.file",
            path.name,
            Message("not an EPW weather file (%(reason)s)", reason=str(exc)[:200]),
        )
        return None
    if len(weather) != HOURS_PER_YEAR:
        check.add(
            "rows", len(weather), Message("a weather year of 8760 hours expected"), where=path.name
        )
        return None
    bad = False
    for column, (low, high) in _WEATHER_RANGES.items():
        values = weather[column].to_numpy(float)
        wrong = np.flatnonzero(~((values >= low) & (values <= high)))
        if wrong.size:
            bad = True
            check.add(
                column,
                float(values[wrong[0]]),
                Message(
                    "outside %(low)g to %(high)g (%(count)d hours; EPW marks missing "
                    "values with 9999 or 99.9)",
                    low=low,
                    high=high,
                    count=wrong.size,
                ),
                where=Message("%(file)s row %(row)d", file=path.name, row=int(wrong[0]) + 9),
            )
    if bad:
        return None
    # each step takes the hour of the typical year with its month, day and hour of day, in
    # the weather file's local time
    offset = np.timedelta64(round(float(meta["TZ"]) * 3600), "s")
    local = starts + offset
    days = local.astype("datetime64[D]")
    years = local.astype("datetime64[Y]")
    day_of_year = (days - years.astype("datetime64[D]")).astype(int)
    hour = ((local - days).astype("timedelta64[h]")).astype(int)
    leap = _is_leap(years.astype(int) + 1970)
    feb29 = leap & (day_of_year == 59)
    if feb29.any():
        first = int(np.flatnonzero(feb29)[0])
        check.add(
            "timestamp",
            str(starts[first]),
            Message("29 February is not in the weather year (365 days)"),
            where=Message("%(file)s row %(row)d", file="load", row=first + 2),
        )
        return None
    day_of_year = np.where(leap & (day_of_year > 59), day_of_year - 1, day_of_year)
    return _Weather(weather, meta, day_of_year * 24 + hour)


def _pv_cf(weather: _Weather, pv) -> np.ndarray:
    import pandas as pd

    from lingtan.planning.pv import pv_capacity_factor

    frame, meta = weather.frame, weather.meta
    cf_hourly = pv_capacity_factor(
        starts=pd.DatetimeIndex(frame.index),
        step_h=1.0,
        ghi_w_per_m2=frame["ghi"].to_numpy(float),
        dni_w_per_m2=frame["dni"].to_numpy(float),
        dhi_w_per_m2=frame["dhi"].to_numpy(float),
        temp_air_c=frame["temp_air"].to_numpy(float),
        wind_speed_m_per_s=frame["wind_speed"].to_numpy(float),
        latitude_deg=float(meta["latitude"]),
        longitude_deg=float(meta["longitude"]),
        altitude_m=float(meta.get("altitude") or 0.0),
        **pv[1],
    )
    return cf_hourly[weather.hour_of_step]


def _asset(check: _Checker, section: dict | None, name: str, unit: str) -> Asset | None:
    """The costs and size limit of a technology sized per kW or per kWh."""
    if section is None:
        return None
    n = check.number
    capex = n(section, name, f"capex_cny_per_{unit}", required=True, low=0)
    om = n(section, name, f"om_cny_per_{unit}_per_year", default=0.0, low=0)
    life = n(section, name, "lifetime_years", required=True, low=0, above_low=True, high=100)
    upper = n(section, name, f"max_{unit}", low=0)
    if capex is None or life is None:
        return None
    return Asset(capex, life, om or 0.0, upper)


def _instrument(check: _Checker, section: dict | None, name: str, price: str):
    if section is None:
        return None
    value = check.number(section, name, price, required=True, low=0)
    most = check.number(section, name, "max_mwh", low=0)
    return None if value is None else Instrument(value, most)


def _months(starts: np.ndarray, zone) -> np.ndarray:
    """The local calendar month of each step (the demand charge is billed by month)."""
    import pandas as pd

    local = pd.DatetimeIndex(starts, tz="UTC").tz_convert(zone)
    return np.asarray(local.year * 100 + local.month)


def _wind_cf(check, folder: Path, section: dict, weather, starts, zone) -> np.ndarray | None:
    from lingtan.planning.wind import hub_height_wind_speed, wind_capacity_factor

    n = check.number
    hub = n(section, "wind", "hub_height_m", required=True, low=0, above_low=True)
    height = n(section, "wind", "measurement_height_m", default=10.0, low=0, above_low=True)
    z0 = n(section, "wind", "roughness_length_m", low=0, above_low=True)
    alpha = n(section, "wind", "hellman_exponent", low=0, above_low=True, high=1)
    rated = n(section, "wind", "rated_kw", low=0, above_low=True)
    if (z0 is None) == (alpha is None):
        check.add(
            "wind.roughness_length_m",
            z0,
            Message("give exactly one of roughness_length_m and hellman_exponent"),
        )
    elif z0 is not None and hub is not None and height is not None and z0 >= min(hub, height):
        check.add(
            "wind.roughness_length_m", z0, Message("must be below the hub and measurement heights")
        )
    curve = _power_curve(check, folder, section.get("power_curve_file"))
    if section.get("speed_file") is not None:
        read = _aligned_series(
            check, folder, "wind.speed_file", section.get("speed_file"), ("wind_speed_m_per_s",),
            starts, zone,
        )  # fmt: skip
        speed = None if read is None else read[1]
    else:
        speed = None if weather is None else weather.at_steps("wind_speed")
    if speed is None or curve is None or hub is None or height is None:
        return None
    if (z0 is None) == (alpha is None) or (z0 is not None and z0 >= min(hub, height)):
        return None
    at_hub = hub_height_wind_speed(
        wind_speed_m_per_s=speed, measurement_height_m=height, hub_height_m=hub,
        roughness_length_m=z0, hellman_exponent=alpha,
    )  # fmt: skip
    return wind_capacity_factor(
        wind_speed_m_per_s=at_hub, curve_wind_speed_m_per_s=curve[0], curve_power_kw=curve[1],
        rated_kw=rated,
    )  # fmt: skip


def _power_curve(check: _Checker, folder: Path, value) -> tuple[np.ndarray, np.ndarray] | None:
    """The turbine's power curve: a CSV of ``wind_speed_m_per_s`` and ``power_kw``."""
    target = _file(check, folder, {"file": value}, "wind.power_curve_file")
    if target is None:
        return None
    try:
        handle = target.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        check.add("file", str(target), unreadable(exc), where=target.name)
        return None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        wanted = ("wind_speed_m_per_s", "power_kw")
        missing = [c for c in wanted if c not in header]
        if missing:
            check.add(
                "header",
                ",".join(header),
                Message("required columns are missing: %(columns)s", columns=", ".join(missing)),
                where=f"{target.name} row 1",
            )
            return None
        at = [header.index(c) for c in wanted]
        rows = [(k, row) for k, row in enumerate(reader, start=2) if any(c.strip() for c in row)]
    before = len(check.problems)
    speeds, power = [], []
    for number, row in rows:
        where = Message("%(file)s row %(row)d", file=target.name, row=number)
        cells = [row[i] if i < len(row) else "" for i in at]
        parsed = []
        for column, cell in zip(wanted, cells, strict=True):
            try:
                value = float(cell)
            except ValueError:
                check.add(column, cell, Message("must be a number"), where=where)
                continue
            if not math.isfinite(value) or value < 0:
                check.add(column, cell, Message("must not be negative"), where=where)
                continue
            parsed.append(value)
        if len(parsed) != 2:
            continue
        if speeds and parsed[0] <= speeds[-1]:
            check.add(
                "wind_speed_m_per_s",
                cells[0],
                Message(
                    "wind speeds must increase from row to row (the row before: %(before)g)",
                    before=speeds[-1],
                ),
                where=where,
            )
        speeds.append(parsed[0])
        power.append(parsed[1])
    if len(check.problems) > before:
        return None
    if len(speeds) < 2 or max(power) <= 0:
        check.add(
            "rows",
            len(speeds),
            Message("a power curve of at least two points with some power above 0 expected"),
            where=target.name,
        )
        return None
    return np.array(speeds), np.array(power)


def _heat_sections(check: _Checker, sections: dict) -> None:
    """The heat technologies need a heat load, and a heat load the boiler it has today."""
    for name in ("heat_pump", "electric_boiler", "heat_storage", "boiler"):
        if sections[name] is not None and sections["heat"] is None:
            check.add("heat", None, Message("is required with %(field)s", field=name))
    if sections["heat"] is not None and sections["boiler"] is None:
        check.add("boiler", None, Message("is required with %(field)s", field="heat"))


def _heat(check, folder: Path, sections: dict, parts: dict, weather, starts, zone):
    """The heat load, the technologies that may serve it and the boiler it has today."""
    from lingtan.accounting.formulas import combustion_co2
    from lingtan.factors import FactorNotFoundError, shipped_library
    from lingtan.planning.heat import carnot_cop
    from lingtan.units import conversion_factor

    n = check.number
    read = _aligned_series(
        check, folder, "heat.file", sections["heat"].get("file"), ("heat_kw", "heat_kwh"), starts,
        zone,
    )  # fmt: skip
    boiler_section = sections["boiler"] or {}
    efficiency = n(boiler_section, "boiler", "efficiency", required=True, low=0, above_low=True,
                   high=1)  # fmt: skip
    price = n(boiler_section, "boiler", "fuel_price_cny_per_unit", required=True, low=0)
    max_kw = n(boiler_section, "boiler", "max_kw", low=0)
    fuel = boiler_section.get("fuel")
    library = shipped_library()
    values: dict[str, Any] = {}
    if sections["boiler"] is not None:
        if not isinstance(fuel, str):
            check.add("boiler.fuel", fuel, Message("is required"))
        else:
            set_id = boiler_section.get("factor_set")
            for parameter in ("ncv", "carbon_content", "oxidation"):
                try:
                    values[parameter] = library.select(
                        "fuel", fuel, parameter, set_id=set_id
                    ).factor
                except FactorNotFoundError as exc:
                    check.add("boiler.fuel", fuel, exc.message)
                    break
    pump = sections["heat_pump"]
    cop = None
    if pump is not None and parts["heat_pump"] is not None:
        eta = n(pump, "heat_pump", "carnot_efficiency", required=True, low=0, above_low=True,
                high=1)  # fmt: skip
        sink = n(pump, "heat_pump", "sink_temp_c", required=True, low=-50, high=200)
        source = pump.get("source_temp_c", "air")
        cap = n(pump, "heat_pump", "max_cop", low=1)
        if source == "air":
            if weather is None:
                needs = Message("is required with %(field)s", field="heat_pump source air")
                check.add("weather", None, needs)
                source_c = None
            else:
                source_c = weather.at_steps("temp_air")
        else:
            source_c = n(pump, "heat_pump", "source_temp_c", low=-50, high=200)
        if eta is not None and sink is not None and source_c is not None:
            lift = sink - np.asarray(source_c, float)
            if cap is None and np.any(lift <= 0):
                first = int(np.flatnonzero(np.atleast_1d(lift) <= 0)[0])
                check.add(
                    "heat_pump.sink_temp_c",
                    sink,
                    Message(
                        "must be above the source temperature at every step (%(source)g °C at "
                        "step %(step)d), or give max_cop",
                        source=float(np.atleast_1d(source_c)[first]),
                        step=first + 1,
                    ),
                )
            else:
                cop = np.broadcast_to(
                    carnot_cop(source_temp_c=source_c, sink_temp_c=sink, carnot_efficiency=eta,
                               max_cop=cap), starts.shape,
                ).copy()  # fmt: skip
    electric = sections["electric_boiler"]
    eb_efficiency = None
    if electric is not None:
        eb_efficiency = n(electric, "electric_boiler", "efficiency", required=True, low=0,
                          above_low=True, high=1)  # fmt: skip
    storage = sections["heat_storage"]
    loss = n(storage, "heat_storage", "loss_pct_per_h", default=0.0, low=0, high=100)
    if (
        read is None
        or efficiency is None
        or price is None
        or len(values) != 3
        or (pump is not None and cop is None)
        or (electric is not None and eb_efficiency is None)
    ):
        return None, None
    step_h = float((starts[1] - starts[0]) / np.timedelta64(1, "h"))
    load_kw = read[1] / step_h if read[0] == "heat_kwh" else read[1]
    ncv = values["ncv"]
    unit = ncv.unit.split("/", 1)[1].strip().strip("()")
    kwh_per_unit = ncv.value * conversion_factor(ncv.unit.split("/", 1)[0].strip(), "kWh")
    carbon = values["carbon_content"]
    carbon_t_per_gj = carbon.value * conversion_factor(carbon.unit, "t/GJ")
    co2_per_unit = combustion_co2(1.0, ncv.value, carbon_t_per_gj, values["oxidation"].value)
    boiler = FuelBoiler(
        efficiency=efficiency,
        fuel_price_cny_per_kwh=price / kwh_per_unit,
        fuel_factor_tco2_per_kwh=co2_per_unit / kwh_per_unit,
        max_kw=max_kw,
    )
    heat = Heat(
        load_kw=load_kw,
        boiler=boiler,
        heat_pump=parts["heat_pump"] if cop is not None else None,
        cop=cop,
        electric_boiler=parts["electric_boiler"],
        electric_boiler_efficiency=eb_efficiency or 1.0,
        storage=parts["heat_storage"],
        storage_loss_per_h=(loss or 0.0) / 100.0,
    )
    statuses = sorted({f.status for f in values.values()})
    source = (
        f"{fuel}: {', '.join(sorted({f.set_id for f in values.values()}))} "
        f"({', '.join(statuses)}); price per {unit}"
    )
    return heat, source


def _is_leap(year: np.ndarray) -> np.ndarray:
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
