"""Sizing and dispatch of PV, wind, a battery, heat pumps, electric boilers and heat storage
as one linear programme (linopy + HiGHS).

Decisions: the PV size ``pv_kw`` [kWp], the battery's energy ``battery_kwh`` and power
``battery_kw``, and for every step the PV output used, grid import and export, battery charge,
discharge and state of charge. The objective is the annualised cost [CNY/year]: each size times
its annualised cost (:mod:`lingtan.planning.finance`), plus the year's grid energy at the step's
price, less the export revenue, plus the battery's throughput cost.

For every step t of length Δt [h] (year weight w = 8760 h / (T Δt): the series stands for a
year):

* balance: ``used_t + import_t + discharge_t = load_t + charge_t``, where ``used_t`` is the
  PV used on site;
* PV: ``used_t + export_t ≤ cf_t · pv_kw`` (what is neither used nor exported is curtailed):
  export is PV surplus, capped at ``export_cap_kw``, or forbidden;
* battery: ``soc_t = soc_{t-1} + Δt (η_c charge_t − discharge_t / η_d)``, cyclic
  (``soc_{-1} = soc_{T-1}``); ``soc_min · battery_kwh ≤ soc_t ≤ soc_max · battery_kwh``;
  ``charge_t, discharge_t ≤ battery_kw``; optionally ``battery_kwh = hours · battery_kw``;
* optional yearly rules: renewable share of consumption (``Σ import ≤ (1 − share) Σ load``),
  an emissions cap on grid import (``w Σ import Δt · factor ≤ cap``), the share of available
  PV generation used on site (绿电直连, 发改能源〔2025〕650号: ≥ 60 %), the share of it
  exported (≤ 20 %, 工信厅联节〔2025〕77号), a grid-connection limit on import [kW].

Wind is a second source like PV (its own used and exported output). With a heat load, the
heat balance of every step is ``COP_t · hp_t + η_eb · eb_t + dis_t − ch_t + boiler_t =
heat_t``, the heat pumps' and electric boilers' input ``hp_t + eb_t`` joins the load of the
electricity balance, heat storage keeps ``(1 − loss)^Δt`` of its energy per step, and the
existing boiler's fuel is priced and emits per kWh of heat over its efficiency. A demand
charge adds a peak variable per month (``import_t ≤ peak_month``); green power and GECs are
yearly amounts ≤ the year's import that count as renewable and take their MWh off the
market-based emissions the cap applies to.

A yearly rule or the grid limit that cannot be met is not "infeasible": each has a slack priced
at :data:`PENALTY_CNY_PER_KWH` (per kWh short, or per kWh of grid energy over the emissions cap),
and a solution with a slack above zero is returned with the rule and the amount missed
(:attr:`SizingResult.violations`).

References
----------
.. [1] T. Brown, J. Hörsch, D. Schlachtberger, "PyPSA: Python for Power System Analysis",
   Journal of Open Research Software 6(1), 4, 2018 (the same formulation of extendable
   generators and storage units).
.. [2] 国家发展改革委 国家能源局《关于有序推动绿电直连发展有关事项的通知》(发改能源〔2025〕650号).
.. [3] 工业和信息化部等《工业绿色微电网建设与应用指南(2026—2030年)》(工信厅联节〔2025〕77号).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lingtan.i18n import Message
from lingtan.planning.finance import Asset

_log = logging.getLogger(__name__)

__all__ = [
    "HOURS_PER_YEAR",
    "PENALTY_CNY_PER_KWH",
    "Battery",
    "SizingProblem",
    "SizingResult",
    "Violation",
    "build_model",
    "solve_sizing",
]

HOURS_PER_YEAR = 8760.0
#: The price of a kWh by which a yearly rule is missed [CNY/kWh]: far above any price or
#: annualised cost of a kWh, so a slack is used only where the rule cannot be met.
PENALTY_CNY_PER_KWH = 1.0e4
#: The price of a tonne over the emissions cap [CNY/tCO2e]: PENALTY_CNY_PER_KWH at
#: 1 tCO2e/MWh.
PENALTY_CNY_PER_TCO2E = 1.0e7


@dataclass(frozen=True)
class Battery:
    """A battery to size: costs of energy and power, efficiencies and limits.

    Attributes
    ----------
    energy : Asset
        Cost per kWh of energy capacity.
    power : Asset
        Cost per kW of charge/discharge power (the converter).
    charge_efficiency, discharge_efficiency : float
        [1], in (0, 1].
    soc_min, soc_max : float
        State-of-charge limits as shares of the energy capacity [1], 0 ≤ min < max ≤ 1.
    throughput_cost_cny_per_kwh : float
        Wear cost per kWh discharged [CNY/kWh].
    hours : float or None
        A fixed energy-to-power ratio [h] (``battery_kwh = hours · battery_kw``); None: both
        sized freely.
    initial_soc_kwh : float or None
        Energy stored before the first step [kWh], and the least stored after the last (a
        dispatch of a day or two); None: cyclic (the year ends where it began).
    """

    energy: Asset
    power: Asset
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min: float = 0.0
    soc_max: float = 1.0
    throughput_cost_cny_per_kwh: float = 0.0
    hours: float | None = None
    initial_soc_kwh: float | None = None


@dataclass(frozen=True)
class FuelBoiler:
    """The existing gas or coal boiler that electric heat would replace.

    Attributes
    ----------
    efficiency : float
        Heat out per fuel energy in (net calorific value) [1], in (0, 1].
    fuel_price_cny_per_kwh : float
        Fuel price per kWh of its net calorific value [CNY/kWh].
    fuel_factor_tco2_per_kwh : float
        CO2 per kWh of fuel burned [tCO2/kWh] (NCV × carbon content × oxidation × 44/12 of the
        accounting core, :func:`lingtan.accounting.formulas.combustion_co2`).
    max_kw : float or None
        Its heat output in the plan at most [kW] (0: retired); doing nothing, it serves the
        whole heat load.
    """

    efficiency: float
    fuel_price_cny_per_kwh: float
    fuel_factor_tco2_per_kwh: float
    max_kw: float | None = None


@dataclass(frozen=True)
class Heat:
    """A heat load and the technologies that may serve it.

    Attributes
    ----------
    load_kw : numpy.ndarray
        Mean heat demand of each step [kW thermal].
    boiler : FuelBoiler
        The existing boiler (the do-nothing case).
    heat_pump : Asset or None
        Cost per kW of *electric input* of a heat pump.
    cop : numpy.ndarray or None
        The heat pump's COP per step [1] (:func:`lingtan.planning.heat.carnot_cop`).
    electric_boiler : Asset or None
        Cost per kW of electric input.
    electric_boiler_efficiency : float
        [1], in (0, 1].
    storage : Asset or None
        Cost per kWh of heat stored.
    storage_loss_per_h : float
        Share of the stored heat lost each hour [1/h].
    """

    load_kw: np.ndarray
    boiler: FuelBoiler
    heat_pump: Asset | None = None
    cop: np.ndarray | None = None
    electric_boiler: Asset | None = None
    electric_boiler_efficiency: float = 1.0
    storage: Asset | None = None
    storage_loss_per_h: float = 0.0


@dataclass(frozen=True)
class Instrument:
    """Green electricity bought as a contract: green power trading (绿电交易) or GECs (绿证).

    Attributes
    ----------
    price_cny_per_mwh : float
        For a green power contract: the environmental premium (绿色电力环境价值) paid on top of
        the energy, which is bought at the step's price; for GECs: the price of a certificate
        (1 GEC = 1 MWh, 发改能源〔2023〕1044号) [CNY/MWh].
    max_mwh : float or None
        At most this much a year [MWh/year].
    """

    price_cny_per_mwh: float
    max_mwh: float | None = None


@dataclass(frozen=True)
class SizingProblem:
    """A sizing problem on arrays: one value per step.

    Attributes
    ----------
    load_kw : numpy.ndarray
        Mean load of each step [kW].
    step_h : float
        [h].
    import_price_cny_per_kwh : numpy.ndarray
        Grid energy price per step [CNY/kWh].
    discount_rate : float
        [1/year].
    pv_cf : numpy.ndarray or None
        PV capacity factor per step [kW/kWp] (:func:`lingtan.planning.pv.pv_capacity_factor`);
        None: no PV.
    pv : Asset or None
        Cost per kWp; ``max_units`` is the roof limit [kWp].
    battery : Battery or None
    wind_cf : numpy.ndarray or None
        Wind capacity factor per step [kW/kW rated]
        (:func:`lingtan.planning.wind.wind_capacity_factor`).
    wind : Asset or None
        Cost per kW of rated wind power.
    heat : Heat or None
    export_price_cny_per_kwh : numpy.ndarray or None
        Price paid for export per step [CNY/kWh]; None: export forbidden (no reverse flow).
    export_cap_kw : float or None
        Export limit [kW].
    grid_import_cap_kw : float or None
        Grid-connection limit on import [kW].
    grid_factor_tco2_per_mwh : float
        Emission factor of grid electricity [tCO2/MWh].
    demand_charge_cny_per_kw_month : float or None
        The demand charge (基本电费 by maximum demand, 需量电价) per kW of each month's highest
        import [CNY/(kW·month)].
    month_of_step : numpy.ndarray or None
        The month (any integer label) of each step, with the demand charge.
    capacity_charge_cny_per_year : float
        The demand charge by capacity (基本电费 by transformer kVA, 容量电价): the same with
        and without the plan [CNY/year].
    green_power, gec : Instrument or None
        Green power contracts and GECs to buy.
    min_renewable_share : float or None
        Yearly share of electricity consumption that is renewable [1].
    max_emissions_tco2e : float or None
        Yearly cap on the market-based emissions of grid electricity and boiler fuel
        [tCO2e/year].
    min_self_consumption_share : float or None
        Yearly share of available PV and wind generation used on site [1] (650号: 0.6).
    max_export_share : float or None
        Yearly export as a share of available PV and wind generation [1] (77号: 0.2).
    """

    load_kw: np.ndarray
    step_h: float
    import_price_cny_per_kwh: np.ndarray
    discount_rate: float
    pv_cf: np.ndarray | None = None
    pv: Asset | None = None
    battery: Battery | None = None
    wind_cf: np.ndarray | None = None
    wind: Asset | None = None
    heat: Heat | None = None
    export_price_cny_per_kwh: np.ndarray | None = None
    export_cap_kw: float | None = None
    grid_import_cap_kw: float | None = None
    grid_factor_tco2_per_mwh: float = 0.0
    demand_charge_cny_per_kw_month: float | None = None
    month_of_step: np.ndarray | None = None
    capacity_charge_cny_per_year: float = 0.0
    green_power: Instrument | None = None
    gec: Instrument | None = None
    min_renewable_share: float | None = None
    max_emissions_tco2e: float | None = None
    min_self_consumption_share: float | None = None
    max_export_share: float | None = None

    @property
    def steps(self) -> int:
        return len(self.load_kw)

    @property
    def year_weight(self) -> float:
        """How many times the series stands in a year [1]."""
        return HOURS_PER_YEAR / (self.steps * self.step_h)

    @property
    def months_weight(self) -> float:
        """How many months a month of the series stands for [1]: 12 over the months in it."""
        if self.month_of_step is None:
            return 0.0
        return 12.0 / len(np.unique(self.month_of_step))

    def has(self, name: str) -> bool:
        """Whether a technology is in the problem: ``pv``, ``wind``, ``battery``,
        ``heat_pump``, ``electric_boiler``, ``thermal_storage``."""
        h = self.heat
        return {
            "pv": self.pv is not None and self.pv_cf is not None,
            "wind": self.wind is not None and self.wind_cf is not None,
            "battery": self.battery is not None,
            "heat_pump": h is not None and h.heat_pump is not None and h.cop is not None,
            "electric_boiler": h is not None and h.electric_boiler is not None,
            "thermal_storage": h is not None and h.storage is not None,
        }[name]

    def assets(self) -> dict[str, Asset]:
        """The cost of every size decision of the problem, by the size's name."""
        found: dict[str, Asset] = {}
        if self.has("pv"):
            found["pv_kw"] = self.pv
        if self.has("wind"):
            found["wind_kw"] = self.wind
        if (b := self.battery) is not None:
            found["battery_kwh"], found["battery_kw"] = b.energy, b.power
        if self.has("heat_pump"):
            found["heat_pump_kw"] = self.heat.heat_pump
        if self.has("electric_boiler"):
            found["electric_boiler_kw"] = self.heat.electric_boiler
        if self.has("thermal_storage"):
            found["thermal_storage_kwh"] = self.heat.storage
        return found


@dataclass(frozen=True)
class Violation:
    """A yearly rule the optimum misses: which, what it asks, what is reached, by how much.

    Attributes
    ----------
    rule : str
        ``min_renewable_share``, ``max_emissions_tco2e``, ``min_self_consumption_share``,
        ``grid_import_cap_kw`` or ``heat_load``.
    required, achieved, shortfall : float
        In ``unit``.
    unit : str
    message : Message
    """

    rule: str
    required: float
    achieved: float
    shortfall: float
    unit: str
    message: Message

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "required": self.required,
            "achieved": self.achieved,
            "shortfall": self.shortfall,
            "unit": self.unit,
            "message": str(self.message),
        }


#: The sizes of a result, by name: those of technologies not in the problem are 0.
SIZES = (
    "pv_kw",
    "wind_kw",
    "battery_kwh",
    "battery_kw",
    "heat_pump_kw",
    "electric_boiler_kw",
    "thermal_storage_kwh",
)


@dataclass
class SizingResult:
    """The optimum: sizes, the year's balance and costs, and the dispatch per step.

    Energy totals are per year [MWh/year]; shares [1]; costs [CNY/year] except ``capex_cny``.
    """

    objective_cny_per_year: float
    pv_kw: float
    wind_kw: float
    battery_kwh: float
    battery_kw: float
    heat_pump_kw: float
    electric_boiler_kw: float
    thermal_storage_kwh: float
    load_mwh: float
    electricity_use_mwh: float
    pv_available_mwh: float
    pv_generation_mwh: float
    pv_curtailed_mwh: float
    wind_available_mwh: float
    wind_generation_mwh: float
    grid_import_mwh: float
    grid_export_mwh: float
    peak_import_kw: float
    battery_charge_mwh: float
    battery_discharge_mwh: float
    heat_load_mwh: float
    heat_pump_heat_mwh: float
    electric_boiler_heat_mwh: float
    boiler_heat_mwh: float
    boiler_fuel_mwh: float
    green_power_mwh: float
    gec_mwh: float
    self_consumption: float | None
    self_consumption_of_available: float | None
    self_sufficiency: float
    renewable_share: float
    emissions_tco2e: float
    emissions_market_tco2e: float
    cost_cny_per_year: dict[str, float]
    capex_cny: float
    grid_only_cost_cny_per_year: float
    do_nothing_cost_cny_per_year: float
    savings_cny_per_year: float
    operating_saving_cny_per_year: float
    horizon_years: int
    npv_cny: float
    irr: float | None
    simple_payback_years: float | None
    discounted_payback_years: float | None
    cash_flows_cny: list[float]
    violations: list[Violation]
    solve_s: float
    build_s: float
    variables: int
    constraints: int
    solver_status: str = "ok"
    solver_termination: str = "optimal"
    dispatch: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``lingtan plan size`` (without the dispatch)."""
        skip = {"dispatch", "violations"}
        data = {k: v for k, v in self.__dict__.items() if k not in skip}
        data["feasible"] = self.feasible
        data["violations"] = [v.as_dict() for v in self.violations]
        return data


def _linopy():
    import linopy  # the solver stack, imported only by a plan

    return linopy


def build_model(problem: SizingProblem):
    """The linopy model of *problem* (not solved); see the module's docstring.

    Returns
    -------
    linopy.Model
    """
    import pandas as pd
    import xarray as xr

    _check(problem)
    linopy = _linopy()
    m = linopy.Model(force_dim_names=True)
    n, dt, w = problem.steps, problem.step_h, problem.year_weight
    steps = pd.RangeIndex(n, name="step")
    r = problem.discount_rate

    def size(name: str, asset: Asset):
        upper = np.inf if asset.max_units is None else asset.max_units
        return m.add_variables(lower=asset.min_units, upper=upper, name=name)

    def series(values) -> xr.DataArray:
        return xr.DataArray(np.asarray(values, float), coords=[steps])

    def flow(name: str, upper: float | None = None):
        return m.add_variables(
            lower=0, upper=np.inf if upper is None else upper, coords=[steps], name=name
        )

    load = series(problem.load_kw)
    price = series(problem.import_price_cny_per_kwh)
    imp = flow("grid_import_kw", problem.grid_import_cap_kw)
    cost = (w * dt * price * imp).sum()
    supply = imp  # electricity into the site's bus, less what it takes besides the load
    electric_heat = 0  # electricity into heat pumps and electric boilers [kW]
    generated = 0  # PV and wind output [kW]
    available = 0  # the series' available PV and wind energy [kWh], a linear expression
    renewable = False
    techs = [t for t in ("pv", "wind") if problem.has(t)]
    exporting = bool(techs) and problem.export_price_cny_per_kwh is not None
    # each source's output split into used on site and exported (so that export is surplus
    # of PV and wind without a row of its own): used_t + export_t ≤ cf_t · size
    export = 0
    single_cap = problem.export_cap_kw if len(techs) == 1 else None
    for tech in techs:
        renewable = True
        asset = getattr(problem, tech)
        cap = size(f"{tech}_kw", asset)
        used = flow(f"{tech}_used_kw")
        out = used
        if exporting:
            sold = flow(f"{tech}_export_kw", single_cap)
            out = used + sold
            export = export + sold
        cf_values = getattr(problem, f"{tech}_cf")
        m.add_constraints(out - series(cf_values) * cap <= 0, name=f"{tech}_available")
        generated = generated + used
        available = available + float(np.sum(cf_values) * dt) * cap
        cost = cost + asset.annualised_cny_per_unit_per_year(r) * cap
    if renewable:
        supply = supply + generated  # the PV and wind used on site
        used_kwh = dt * generated.sum()
        if exporting:
            if problem.export_cap_kw is not None and len(techs) > 1:
                m.add_constraints(export <= problem.export_cap_kw, name="export_cap")
            eprice = series(problem.export_price_cny_per_kwh)
            cost = cost - (w * dt * eprice * export).sum()
            if problem.max_export_share is not None:
                m.add_constraints(
                    dt * export.sum() - problem.max_export_share * available <= 0,
                    name="max_export_share",
                )
        if problem.min_self_consumption_share is not None:
            short = m.add_variables(lower=0, name="slack_min_self_consumption_share")
            m.add_constraints(
                used_kwh + short - problem.min_self_consumption_share * available >= 0,
                name="min_self_consumption_share",
            )
            cost = cost + w * PENALTY_CNY_PER_KWH * short
    if (b := problem.battery) is not None:
        e_kwh = size("battery_kwh", b.energy)
        p_kw = size("battery_kw", b.power)
        ch, dis = flow("charge_kw"), flow("discharge_kw")
        soc = flow("soc_kwh")
        m.add_constraints(ch - p_kw <= 0, name="charge_max")
        m.add_constraints(dis - p_kw <= 0, name="discharge_max")
        m.add_constraints(soc - b.soc_max * e_kwh <= 0, name="soc_max")
        if b.soc_min > 0:
            m.add_constraints(soc - b.soc_min * e_kwh >= 0, name="soc_min")
        moved = -dt * b.charge_efficiency * ch + (dt / b.discharge_efficiency) * dis
        if b.initial_soc_kwh is None:
            m.add_constraints(soc - soc.roll(step=1) + moved == 0, name="soc_balance")
        else:
            first = np.zeros(n)
            first[0] = b.initial_soc_kwh
            before = soc.shift(step=1).fillna(0)  # no energy before the first step but the initial
            m.add_constraints(soc - before + moved == series(first), name="soc_balance")
            m.add_constraints(soc.isel(step=-1) >= b.initial_soc_kwh, name="soc_final")
        if b.hours is not None:
            m.add_constraints(e_kwh - b.hours * p_kw == 0, name="battery_hours")
        supply = supply + dis - ch
        cost = cost + b.energy.annualised_cny_per_unit_per_year(r) * e_kwh
        cost = cost + b.power.annualised_cny_per_unit_per_year(r) * p_kw
        if b.throughput_cost_cny_per_kwh:
            cost = cost + (w * dt * b.throughput_cost_cny_per_kwh) * dis.sum()
    fuel_kw = None
    if (h := problem.heat) is not None:
        heat_supply = 0
        if problem.has("heat_pump"):
            hp_kw = size("heat_pump_kw", h.heat_pump)
            hp_el = flow("heat_pump_electricity_kw")
            m.add_constraints(hp_el - hp_kw <= 0, name="heat_pump_max")
            heat_supply = heat_supply + series(h.cop) * hp_el
            electric_heat = electric_heat + hp_el
            cost = cost + h.heat_pump.annualised_cny_per_unit_per_year(r) * hp_kw
        if problem.has("electric_boiler"):
            eb_kw = size("electric_boiler_kw", h.electric_boiler)
            eb_el = flow("electric_boiler_electricity_kw")
            m.add_constraints(eb_el - eb_kw <= 0, name="electric_boiler_max")
            heat_supply = heat_supply + h.electric_boiler_efficiency * eb_el
            electric_heat = electric_heat + eb_el
            cost = cost + h.electric_boiler.annualised_cny_per_unit_per_year(r) * eb_kw
        if problem.has("thermal_storage"):
            ts_kwh = size("thermal_storage_kwh", h.storage)
            ts_ch, ts_dis, ts_soc = (
                flow("heat_charge_kw"),
                flow("heat_discharge_kw"),
                flow("heat_soc_kwh"),
            )
            m.add_constraints(ts_soc - ts_kwh <= 0, name="heat_soc_max")
            keep = (1.0 - h.storage_loss_per_h) ** dt
            m.add_constraints(
                ts_soc - keep * ts_soc.roll(step=1) - dt * ts_ch + dt * ts_dis == 0,
                name="heat_soc_balance",
            )
            heat_supply = heat_supply + ts_dis - ts_ch
            cost = cost + h.storage.annualised_cny_per_unit_per_year(r) * ts_kwh
        fuel_kw = flow("boiler_heat_kw", h.boiler.max_kw)
        per_heat = h.boiler.fuel_price_cny_per_kwh / h.boiler.efficiency
        cost = cost + (w * dt * per_heat) * fuel_kw.sum()
        heat_supply = heat_supply + fuel_kw
        if h.boiler.max_kw is not None:  # the boiler limited: heat may be missing
            unserved_heat = flow("slack_unserved_heat_kw")
            heat_supply = heat_supply + unserved_heat
            cost = cost + (w * dt * PENALTY_CNY_PER_KWH) * unserved_heat.sum()
        m.add_constraints(heat_supply == series(h.load_kw), name="heat_balance")
        supply = supply - electric_heat
    if problem.grid_import_cap_kw is not None:
        unserved = flow("slack_unserved_kw")
        supply = supply + unserved
        cost = cost + (w * dt * PENALTY_CNY_PER_KWH) * unserved.sum()
    m.add_constraints(supply == load, name="balance")
    if problem.demand_charge_cny_per_kw_month and problem.month_of_step is not None:
        months = np.asarray(problem.month_of_step)
        labels = np.unique(months)
        peak = m.add_variables(
            lower=0, coords=[pd.Index(range(labels.size), name="month")], name="peak_import_kw"
        )
        for k, label in enumerate(labels):
            chosen = np.flatnonzero(months == label)
            m.add_constraints(
                imp.isel(step=chosen) - peak.isel(month=k) <= 0, name=f"peak_import_{k}"
            )
        cost = cost + problem.demand_charge_cny_per_kw_month * problem.months_weight * peak.sum()
    contracted = 0  # green power and GECs [kWh/year]
    for name in ("green_power", "gec"):
        if (instrument := getattr(problem, name)) is None:
            continue
        upper = np.inf if instrument.max_mwh is None else 1000.0 * instrument.max_mwh
        bought = m.add_variables(lower=0, upper=upper, name=f"{name}_kwh")
        contracted = contracted + bought
        cost = cost + instrument.price_cny_per_mwh / 1000.0 * bought
    imported_kwh = w * dt * imp.sum()  # a year [kWh]
    if problem.green_power is not None or problem.gec is not None:
        # instruments cover purchased electricity only, at most all of it (the accounting
        # core's rule)
        m.add_constraints(contracted - imported_kwh <= 0, name="instruments_within_import")
    if problem.min_renewable_share is not None:
        short = m.add_variables(lower=0, name="slack_min_renewable_share")  # kWh/year
        use_kwh = w * dt * load.sum()
        if not isinstance(electric_heat, int):
            use_kwh = use_kwh + w * dt * electric_heat.sum()
        m.add_constraints(
            imported_kwh - contracted - short - (1.0 - problem.min_renewable_share) * use_kwh <= 0,
            name="min_renewable_share",
        )
        cost = cost + PENALTY_CNY_PER_KWH * short
    if problem.max_emissions_tco2e is not None:
        factor = problem.grid_factor_tco2_per_mwh / 1000.0  # tCO2/kWh
        emitted = factor * (imported_kwh - contracted)
        if fuel_kw is not None:
            boiler = problem.heat.boiler
            emitted = emitted + w * dt * boiler.fuel_factor_tco2_per_kwh / boiler.efficiency * (
                fuel_kw.sum()
            )
        over = m.add_variables(lower=0, name="slack_max_emissions_tco2e")
        m.add_constraints(emitted - over <= problem.max_emissions_tco2e, name="max_emissions")
        cost = cost + PENALTY_CNY_PER_TCO2E * over
    m.add_objective(cost)
    return m


def _check(problem: SizingProblem) -> None:
    """Refuse arrays and parameters the LP cannot mean (the problem file refuses them first,
    naming the field; this guards the functions called directly)."""
    n = problem.steps
    per_step = {
        "import_price_cny_per_kwh": problem.import_price_cny_per_kwh,
        "pv_cf": problem.pv_cf,
        "wind_cf": problem.wind_cf,
        "export_price_cny_per_kwh": problem.export_price_cny_per_kwh,
        "month_of_step": problem.month_of_step,
    }
    if (h := problem.heat) is not None:
        per_step |= {"heat.load_kw": h.load_kw, "heat.cop": h.cop}
    for name, values in per_step.items():
        if values is not None and np.shape(values) != (n,):
            raise ValueError(f"{name} has {np.size(values)} values, not one per step ({n})")
    if h is not None:
        if h.cop is not None and not np.all(np.isfinite(h.cop) & (h.cop > 0)):
            raise ValueError("heat.cop must be finite and > 0 at every step")
        for name, value in (
            ("heat.boiler.efficiency", h.boiler.efficiency),
            ("heat.electric_boiler_efficiency", h.electric_boiler_efficiency),
        ):
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1], not {value}")
        if not 0 <= h.storage_loss_per_h < 1:
            raise ValueError("heat.storage_loss_per_h must be in [0, 1)")
    b = problem.battery
    if b is not None and not (0 < b.charge_efficiency <= 1 and 0 < b.discharge_efficiency <= 1):
        raise ValueError("battery efficiencies must be in (0, 1]")
    for name, asset in problem.assets().items():
        if asset.capex_cny_per_unit < 0 or asset.om_cny_per_unit_per_year < 0:
            raise ValueError(f"the costs of {name} must not be negative")


def solve_sizing(
    problem: SizingProblem, *, threads: int | None = None, highs_options: dict | None = None
) -> SizingResult:
    """Size and dispatch *problem* with HiGHS and report the optimum.

    HiGHS runs its dual simplex on up to 8,760 steps and its interior-point method with
    crossover (an exact vertex) on more, and on a problem with a heat load and no yearly rule:
    on the year at quarter hours the interior point is about 6 times faster, on the hourly
    year with yearly rules about half as fast, on the hourly year with a heat pump about
    1.5 times faster (docs/benchmarks.md).

    Parameters
    ----------
    problem : SizingProblem
    threads : int, optional
        HiGHS threads (default: HiGHS's choice).
    highs_options : dict, optional
        HiGHS options that replace lingtan's (e.g. ``{"solver": "simplex"}``).

    Returns
    -------
    SizingResult
        ``violations`` lists each yearly rule the optimum misses and by how much; empty when
        every rule is met.

    Raises
    ------
    RuntimeError
        When HiGHS returns no optimum (a numerical failure; every rule has its slack, so the
        problem itself is always feasible).
    """
    started = time.perf_counter()
    m = build_model(problem)
    built = time.perf_counter()
    # measured (docs/benchmarks.md): the dual simplex is the faster up to a year of hours of
    # PV and battery, above all with yearly rules (their dense rows slow the interior point
    # twofold); with a heat load and no yearly rule, and on longer series, the interior point
    yearly = (
        problem.min_renewable_share,
        problem.max_emissions_tco2e,
        problem.min_self_consumption_share,
        problem.max_export_share,
    )
    heat_only = problem.heat is not None and all(rule is None for rule in yearly)
    solver = "simplex" if problem.steps <= HOURS_PER_YEAR and not heat_only else "ipm"
    options: dict[str, Any] = {"output_flag": False, "solver": solver, "run_crossover": "on"}
    if threads is not None:
        options["threads"] = threads
    options.update(highs_options or {})
    with _solver_quiet():  # HiGHS prints its banner on C's stdout before any option is set
        status, condition = m.solve(solver_name="highs", io_api="direct", **options)
    solved = time.perf_counter()
    if status != "ok":
        raise RuntimeError(f"HiGHS found no optimum: {status}, {condition}")
    result = _result(problem, m, build_s=built - started, solve_s=solved - built)
    result.solver_status, result.solver_termination = str(status), str(condition)
    return result


@contextlib.contextmanager
def _solver_quiet() -> Iterator[None]:
    """File descriptor 1 into a temporary file for a while: the banner ``highspy.Highs()``
    writes on C's stdout when it is made (before ``output_flag`` can be set) neither mixes
    with the JSON a command prints nor shows on the demo's console. What was written is kept
    in the log at debug level."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, AttributeError, ValueError):  # no real stdout (embedded, captured)
        yield
        return
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            said = sink.read().decode("utf-8", "replace").strip()
            if said:
                _log.debug("HiGHS: %s", said)


def _value(m, name: str) -> np.ndarray | float:
    if name not in m.variables:
        return 0.0
    values = m.variables[name].solution.values
    return float(values) if values.ndim == 0 else np.asarray(values, float)


def _result(problem: SizingProblem, m, *, build_s: float, solve_s: float) -> SizingResult:
    from lingtan.planning.finance import (
        internal_rate_of_return,
        net_present_value,
        payback_years,
        project_cash_flows_cny,
    )

    n, dt, w = problem.steps, problem.step_h, problem.year_weight
    zero = np.zeros(n)
    r = problem.discount_rate

    def step_values(name: str) -> np.ndarray:
        v = _value(m, name)
        return v if isinstance(v, np.ndarray) else zero

    def scalar(name: str) -> float:
        return float(np.ravel(_value(m, name))[0])

    def year_mwh(values: np.ndarray) -> float:
        return float(w * dt * np.sum(values) / 1000.0)

    sizes = {name: scalar(name) for name in SIZES}
    d = {
        key: step_values(key)
        for key in (
            "grid_import_kw", "pv_used_kw", "wind_used_kw", "pv_export_kw", "wind_export_kw",
            "charge_kw",
            "discharge_kw", "soc_kwh", "heat_pump_electricity_kw",
            "electric_boiler_electricity_kw", "heat_charge_kw", "heat_discharge_kw",
            "heat_soc_kwh", "boiler_heat_kw", "slack_unserved_kw", "slack_unserved_heat_kw",
        )
    }  # fmt: skip
    imp = d["grid_import_kw"]
    export = d["pv_export_kw"] + d["wind_export_kw"]
    d["pv_generation_kw"] = d["pv_used_kw"] + d["pv_export_kw"]
    d["wind_generation_kw"] = d["wind_used_kw"] + d["wind_export_kw"]
    generated = d["pv_generation_kw"] + d["wind_generation_kw"]
    electric_heat = d["heat_pump_electricity_kw"] + d["electric_boiler_electricity_kw"]
    load_mwh = year_mwh(problem.load_kw)
    use_mwh = load_mwh + year_mwh(electric_heat)
    pv_avail = year_mwh(problem.pv_cf) * sizes["pv_kw"] if problem.has("pv") else 0.0
    wind_avail = year_mwh(problem.wind_cf) * sizes["wind_kw"] if problem.has("wind") else 0.0
    available_mwh = pv_avail + wind_avail
    generation_mwh = year_mwh(generated)
    import_mwh, export_mwh = year_mwh(imp), year_mwh(export)
    green_mwh = scalar("green_power_kwh") / 1000.0
    gec_mwh = scalar("gec_kwh") / 1000.0
    price = np.asarray(problem.import_price_cny_per_kwh, float)
    assets = problem.assets()
    costs = {"grid_energy": float(w * dt * np.dot(price, imp))}
    # the annualised cost of each technology: capex × CRF + fixed O&M
    tech_cost = {
        "pv_kw": "pv", "wind_kw": "wind", "battery_kwh": "battery_energy",
        "battery_kw": "battery_power", "heat_pump_kw": "heat_pump",
        "electric_boiler_kw": "electric_boiler", "thermal_storage_kwh": "thermal_storage",
    }  # fmt: skip
    for name, asset in assets.items():
        costs[tech_cost[name]] = asset.annualised_cny_per_unit_per_year(r) * sizes[name]
    if problem.export_price_cny_per_kwh is not None and (problem.has("pv") or problem.has("wind")):
        eprice = np.asarray(problem.export_price_cny_per_kwh, float)
        costs["export_revenue"] = -float(w * dt * np.dot(eprice, export))
    if (b := problem.battery) is not None:
        costs["battery_throughput"] = float(
            w * dt * b.throughput_cost_cny_per_kwh * d["discharge_kw"].sum()
        )
    demand = _demand_charge(problem, imp)
    if demand is not None:
        costs["demand_charge"] = demand
    if problem.capacity_charge_cny_per_year:
        costs["capacity_charge"] = problem.capacity_charge_cny_per_year
    fuel_mwh = 0.0
    boiler_factor = 0.0
    if (h := problem.heat) is not None:
        fuel_mwh = year_mwh(d["boiler_heat_kw"]) / h.boiler.efficiency
        costs["fuel"] = fuel_mwh * 1000.0 * h.boiler.fuel_price_cny_per_kwh
        boiler_factor = h.boiler.fuel_factor_tco2_per_kwh * 1000.0  # tCO2/MWh of fuel
    if problem.green_power is not None:
        costs["green_power"] = green_mwh * problem.green_power.price_cny_per_mwh
    if problem.gec is not None:
        costs["gec"] = gec_mwh * problem.gec.price_cny_per_mwh
    violations = _violations(problem, m, use_mwh, available_mwh, d)
    # the capacity charge is the same whatever the plan: a constant outside the LP
    objective = float(m.objective.value) + problem.capacity_charge_cny_per_year
    penalties = objective - sum(costs.values())
    if abs(penalties) > 1e-6 * max(1.0, abs(objective)):
        costs["penalties"] = penalties
    capex = {name: asset.capex_cny_per_unit * sizes[name] for name, asset in assets.items()}
    om = sum(asset.om_cny_per_unit_per_year * sizes[name] for name, asset in assets.items())
    technology = set(tech_cost.values()) | {"penalties"}
    operating = sum(v for k, v in costs.items() if k not in technology) + om
    grid_only = float(w * dt * np.dot(price, problem.load_kw))
    grid_only += _demand_charge(problem, np.asarray(problem.load_kw, float)) or 0.0
    grid_only += problem.capacity_charge_cny_per_year
    do_nothing = grid_only
    if h is not None:
        do_nothing += (
            year_mwh(h.load_kw) * 1000.0 * h.boiler.fuel_price_cny_per_kwh / (h.boiler.efficiency)
        )
    saving = do_nothing - operating
    lifetimes = {name: asset.lifetime_years for name, asset in assets.items()}
    built = {name: value for name, value in capex.items() if value > 0}
    horizon = math.ceil(max((lifetimes[k] for k in built), default=1.0))
    flows = project_cash_flows_cny(
        capex_cny=built, lifetime_years=lifetimes, yearly_saving_cny=saving, horizon_years=horizon
    )
    covered = max(0.0, 1.0 - import_mwh / use_mwh) if use_mwh > 0 else 0.0
    non_renewable = max(0.0, import_mwh - green_mwh - gec_mwh)
    factor = problem.grid_factor_tco2_per_mwh
    fuel_t = fuel_mwh * boiler_factor
    pv_gen = d["pv_generation_kw"]
    return SizingResult(
        objective_cny_per_year=objective,
        **sizes,
        load_mwh=load_mwh,
        electricity_use_mwh=use_mwh,
        pv_available_mwh=pv_avail,
        pv_generation_mwh=year_mwh(pv_gen),
        pv_curtailed_mwh=max(0.0, pv_avail - year_mwh(pv_gen)),
        wind_available_mwh=wind_avail,
        wind_generation_mwh=year_mwh(d["wind_generation_kw"]),
        grid_import_mwh=import_mwh,
        grid_export_mwh=export_mwh,
        peak_import_kw=float(imp.max(initial=0.0)),
        battery_charge_mwh=year_mwh(d["charge_kw"]),
        battery_discharge_mwh=year_mwh(d["discharge_kw"]),
        heat_load_mwh=year_mwh(h.load_kw) if h is not None else 0.0,
        heat_pump_heat_mwh=year_mwh(d["heat_pump_electricity_kw"] * h.cop)
        if h is not None and problem.has("heat_pump")
        else 0.0,
        electric_boiler_heat_mwh=year_mwh(d["electric_boiler_electricity_kw"])
        * (h.electric_boiler_efficiency if h is not None else 1.0),
        boiler_heat_mwh=year_mwh(d["boiler_heat_kw"]),
        boiler_fuel_mwh=fuel_mwh,
        green_power_mwh=green_mwh,
        gec_mwh=gec_mwh,
        self_consumption=(generation_mwh - export_mwh) / generation_mwh
        if generation_mwh > 0
        else None,
        self_consumption_of_available=(generation_mwh - export_mwh) / available_mwh
        if available_mwh > 0
        else None,
        self_sufficiency=covered,
        renewable_share=max(0.0, 1.0 - non_renewable / use_mwh) if use_mwh > 0 else 0.0,
        emissions_tco2e=import_mwh * factor + fuel_t,
        emissions_market_tco2e=non_renewable * factor + fuel_t,
        cost_cny_per_year=costs,
        capex_cny=sum(capex.values()),
        grid_only_cost_cny_per_year=grid_only,
        do_nothing_cost_cny_per_year=do_nothing,
        savings_cny_per_year=do_nothing - objective,
        operating_saving_cny_per_year=saving,
        horizon_years=horizon,
        npv_cny=net_present_value(rate=r, cash_flows_cny=flows),
        irr=internal_rate_of_return(flows),
        simple_payback_years=payback_years(cash_flows_cny=flows),
        discounted_payback_years=payback_years(cash_flows_cny=flows, rate=r),
        cash_flows_cny=flows.tolist(),
        violations=violations,
        solve_s=solve_s,
        build_s=build_s,
        variables=int(m.nvars),
        constraints=int(m.ncons),
        dispatch={
            "load_kw": np.asarray(problem.load_kw, float),
            "pv_kw": pv_gen,
            "pv_used_kw": d["pv_used_kw"],
            "wind_kw": d["wind_generation_kw"],
            "wind_used_kw": d["wind_used_kw"],
            "grid_import_kw": imp,
            "export_kw": export,
            "charge_kw": d["charge_kw"],
            "discharge_kw": d["discharge_kw"],
            "soc_kwh": d["soc_kwh"],
            "heat_load_kw": np.asarray(h.load_kw, float) if h is not None else zero,
            "heat_pump_electricity_kw": d["heat_pump_electricity_kw"],
            "heat_pump_heat_kw": d["heat_pump_electricity_kw"] * h.cop
            if h is not None and problem.has("heat_pump")
            else zero,
            "electric_boiler_electricity_kw": d["electric_boiler_electricity_kw"],
            "boiler_heat_kw": d["boiler_heat_kw"],
            "heat_charge_kw": d["heat_charge_kw"],
            "heat_discharge_kw": d["heat_discharge_kw"],
            "heat_soc_kwh": d["heat_soc_kwh"],
        },
    )


def _demand_charge(problem: SizingProblem, import_kw: np.ndarray) -> float | None:
    """The demand charge of a series of import [CNY/year]: the price times each month's
    highest import, each month of the series standing for 12 / months-in-series months."""
    if not problem.demand_charge_cny_per_kw_month or problem.month_of_step is None:
        return None
    months = np.asarray(problem.month_of_step)
    peaks = [float(import_kw[months == label].max()) for label in np.unique(months)]
    return problem.demand_charge_cny_per_kw_month * problem.months_weight * math.fsum(peaks)


_TOLERANCE_KWH = 1e-3


def _pct(share: float) -> str:
    return format(share, ".1%")


def _num(value: float, digits: int = 1) -> str:
    return format(value, f",.{digits}f")


def _violations(
    problem: SizingProblem, m, load_mwh: float, available_mwh: float, d: dict[str, np.ndarray]
) -> list[Violation]:
    w, dt = problem.year_weight, problem.step_h
    unserved = d["slack_unserved_kw"]
    found: list[Violation] = []
    short = float(_value(m, "slack_min_renewable_share")) / 1000.0  # MWh/year
    if problem.min_renewable_share is not None and short > _TOLERANCE_KWH / 1000 and load_mwh:
        need = problem.min_renewable_share
        found.append(
            Violation(
                "min_renewable_share",
                need,
                need - short / load_mwh,
                short / load_mwh,
                "1",
                Message(
                    "the renewable share of %(required)s cannot be met: at most %(achieved)s "
                    "is reached, %(shortfall_mwh)s MWh a year short",
                    required=_pct(need),
                    achieved=_pct(need - short / load_mwh),
                    shortfall_mwh=_num(short),
                ),
            )
        )
    over_t = float(_value(m, "slack_max_emissions_tco2e"))
    if problem.max_emissions_tco2e is not None and over_t > 1e-6:
        cap = problem.max_emissions_tco2e
        found.append(
            Violation(
                "max_emissions_tco2e",
                cap,
                cap + over_t,
                over_t,
                "tCO2e",
                Message(
                    "the emissions cap of %(required)s tCO2e a year cannot be met: at least "
                    "%(achieved)s tCO2e, %(shortfall)s tCO2e over",
                    required=_num(cap),
                    achieved=_num(cap + over_t),
                    shortfall=_num(over_t),
                ),
            )
        )
    short = float(_value(m, "slack_min_self_consumption_share")) * w / 1000.0
    share = problem.min_self_consumption_share
    if share is not None and short > _TOLERANCE_KWH / 1000 and available_mwh > 0:
        found.append(
            Violation(
                "min_self_consumption_share",
                share,
                share - short / available_mwh,
                short / available_mwh,
                "1",
                Message(
                    "the share of PV generation used on site of %(required)s cannot be met: "
                    "%(achieved)s, %(shortfall_mwh)s MWh a year short",
                    required=_pct(share),
                    achieved=_pct(share - short / available_mwh),
                    shortfall_mwh=_num(short),
                ),
            )
        )
    if problem.grid_import_cap_kw is not None and float(unserved.max(initial=0)) > 1e-6:
        missing_mwh = float(w * dt * unserved.sum() / 1000.0)
        peak = float(unserved.max())
        found.append(
            Violation(
                "grid_import_cap_kw",
                problem.grid_import_cap_kw,
                problem.grid_import_cap_kw + peak,
                peak,
                "kW",
                Message(
                    "the load cannot be served within the grid connection of %(cap)s kW: up "
                    "to %(peak)s kW and %(missing)s MWh a year are missing",
                    cap=_num(problem.grid_import_cap_kw, 0),
                    peak=_num(peak),
                    missing=_num(missing_mwh),
                ),
            )
        )
    cold = d["slack_unserved_heat_kw"]
    if problem.heat is not None and float(cold.max(initial=0)) > 1e-6:
        peak = float(cold.max())
        found.append(
            Violation(
                "heat_load",
                float(np.max(problem.heat.load_kw)),
                float(np.max(problem.heat.load_kw)) - peak,
                peak,
                "kW",
                Message(
                    "the heat load cannot be served within the size limits: up to %(peak)s kW "
                    "and %(missing)s MWh a year of heat are missing",
                    peak=_num(peak),
                    missing=_num(float(w * dt * cold.sum() / 1000.0)),
                ),
            )
        )
    return found
