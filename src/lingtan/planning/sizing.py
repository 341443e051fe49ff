"""Sizing and dispatch of PV and a battery as one linear programme (linopy + HiGHS).

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
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lingtan.i18n import Message
from lingtan.planning.finance import Asset

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
    """

    energy: Asset
    power: Asset
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min: float = 0.0
    soc_max: float = 1.0
    throughput_cost_cny_per_kwh: float = 0.0
    hours: float | None = None


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
    export_price_cny_per_kwh : numpy.ndarray or None
        Price paid for export per step [CNY/kWh]; None: export forbidden (no reverse flow).
    export_cap_kw : float or None
        Export limit [kW].
    grid_import_cap_kw : float or None
        Grid-connection limit on import [kW].
    grid_factor_tco2_per_mwh : float
        Emission factor of grid electricity [tCO2/MWh].
    min_renewable_share : float or None
        Yearly share of consumption not imported from the grid [1].
    max_emissions_tco2e : float or None
        Yearly cap on the emissions of grid import [tCO2e/year].
    min_self_consumption_share : float or None
        Yearly share of available PV generation used on site [1] (650号: 0.6).
    max_export_share : float or None
        Yearly export as a share of available PV generation [1] (77号: 0.2).
    """

    load_kw: np.ndarray
    step_h: float
    import_price_cny_per_kwh: np.ndarray
    discount_rate: float
    pv_cf: np.ndarray | None = None
    pv: Asset | None = None
    battery: Battery | None = None
    export_price_cny_per_kwh: np.ndarray | None = None
    export_cap_kw: float | None = None
    grid_import_cap_kw: float | None = None
    grid_factor_tco2_per_mwh: float = 0.0
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


@dataclass(frozen=True)
class Violation:
    """A yearly rule the optimum misses: which, what it asks, what is reached, by how much.

    Attributes
    ----------
    rule : str
        ``min_renewable_share``, ``max_emissions_tco2e``, ``min_self_consumption_share`` or
        ``grid_import_cap_kw``.
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


@dataclass
class SizingResult:
    """The optimum: sizes, the year's balance and costs, and the dispatch per step.

    Energy totals are per year [MWh/year]; shares [1]; costs [CNY/year] except ``capex_cny``.
    """

    objective_cny_per_year: float
    pv_kw: float
    battery_kwh: float
    battery_kw: float
    load_mwh: float
    pv_available_mwh: float
    pv_generation_mwh: float
    pv_curtailed_mwh: float
    grid_import_mwh: float
    grid_export_mwh: float
    battery_charge_mwh: float
    battery_discharge_mwh: float
    self_consumption: float | None
    self_consumption_of_available: float | None
    self_sufficiency: float
    renewable_share: float
    emissions_tco2e: float
    cost_cny_per_year: dict[str, float]
    capex_cny: float
    grid_only_cost_cny_per_year: float
    savings_cny_per_year: float
    simple_payback_years: float | None
    violations: list[Violation]
    solve_s: float
    build_s: float
    variables: int
    constraints: int
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

    linopy = _linopy()
    m = linopy.Model(force_dim_names=True)
    n, dt, w = problem.steps, problem.step_h, problem.year_weight
    steps = pd.RangeIndex(n, name="step")

    def size(name: str, upper: float | None):
        return m.add_variables(lower=0, upper=np.inf if upper is None else upper, name=name)

    def series(values) -> xr.DataArray:
        return xr.DataArray(np.asarray(values, float), coords=[steps])

    load = series(problem.load_kw)
    price = series(problem.import_price_cny_per_kwh)
    load_kwh = float(np.sum(problem.load_kw) * dt)
    cost = 0
    supply = 0
    available = None  # Σ cf·pv_kw·Δt: available PV energy of the series [kWh]
    imp = m.add_variables(
        lower=0, upper=problem.grid_import_cap_kw or np.inf, coords=[steps], name="grid_import_kw"
    )
    supply = supply + imp
    cost = cost + (w * dt * price * imp).sum()
    export = None
    if problem.pv is not None and problem.pv_cf is not None:
        cf = series(problem.pv_cf)
        pv_kw = size("pv_kw", problem.pv.max_units)
        # PV used on site and PV exported: export is PV surplus by construction
        used = m.add_variables(lower=0, coords=[steps], name="pv_used_kw")
        generated = used
        supply = supply + used
        cost = cost + problem.pv.annualised_cny_per_unit_per_year(problem.discount_rate) * pv_kw
        available = float(np.sum(problem.pv_cf) * dt) * pv_kw
        if problem.export_price_cny_per_kwh is not None:
            export = m.add_variables(
                lower=0, upper=problem.export_cap_kw or np.inf, coords=[steps], name="export_kw"
            )
            generated = used + export
            eprice = series(problem.export_price_cny_per_kwh)
            cost = cost - (w * dt * eprice * export).sum()
            if problem.max_export_share is not None:
                m.add_constraints(
                    dt * export.sum() - problem.max_export_share * available <= 0,
                    name="max_export_share",
                )
        m.add_constraints(generated - cf * pv_kw <= 0, name="pv_available")
        if problem.min_self_consumption_share is not None:
            short = m.add_variables(lower=0, name="slack_min_self_consumption_share")
            m.add_constraints(
                dt * used.sum() + short - problem.min_self_consumption_share * available >= 0,
                name="min_self_consumption_share",
            )
            cost = cost + w * PENALTY_CNY_PER_KWH * short
    if (b := problem.battery) is not None:
        e_kwh = size("battery_kwh", b.energy.max_units)
        p_kw = size("battery_kw", b.power.max_units)
        ch = m.add_variables(lower=0, coords=[steps], name="charge_kw")
        dis = m.add_variables(lower=0, coords=[steps], name="discharge_kw")
        soc = m.add_variables(lower=0, coords=[steps], name="soc_kwh")
        m.add_constraints(ch - p_kw <= 0, name="charge_max")
        m.add_constraints(dis - p_kw <= 0, name="discharge_max")
        m.add_constraints(soc - b.soc_max * e_kwh <= 0, name="soc_max")
        if b.soc_min > 0:
            m.add_constraints(soc - b.soc_min * e_kwh >= 0, name="soc_min")
        m.add_constraints(
            soc
            - soc.roll(step=1)
            - dt * b.charge_efficiency * ch
            + (dt / b.discharge_efficiency) * dis
            == 0,
            name="soc_balance",
        )
        if b.hours is not None:
            m.add_constraints(e_kwh - b.hours * p_kw == 0, name="battery_hours")
        supply = supply + dis - ch
        r = problem.discount_rate
        cost = cost + b.energy.annualised_cny_per_unit_per_year(r) * e_kwh
        cost = cost + b.power.annualised_cny_per_unit_per_year(r) * p_kw
        if b.throughput_cost_cny_per_kwh:
            cost = cost + (w * dt * b.throughput_cost_cny_per_kwh) * dis.sum()
    if problem.grid_import_cap_kw is not None:
        unserved = m.add_variables(lower=0, coords=[steps], name="slack_unserved_kw")
        supply = supply + unserved
        cost = cost + (w * dt * PENALTY_CNY_PER_KWH) * unserved.sum()
    m.add_constraints(supply == load, name="balance")
    if problem.min_renewable_share is not None:
        short = m.add_variables(lower=0, name="slack_min_renewable_share")
        m.add_constraints(
            dt * imp.sum() - short <= (1.0 - problem.min_renewable_share) * load_kwh,
            name="min_renewable_share",
        )
        cost = cost + w * PENALTY_CNY_PER_KWH * short
    factor = problem.grid_factor_tco2_per_mwh / 1000.0  # tCO2/kWh
    if problem.max_emissions_tco2e is not None and factor > 0:
        # the slack is in kWh of grid energy a year over the cap, so that it is priced per kWh
        over = m.add_variables(lower=0, name="slack_max_emissions_kwh")
        m.add_constraints(
            w * dt * imp.sum() - over <= problem.max_emissions_tco2e / factor,
            name="max_emissions",
        )
        cost = cost + PENALTY_CNY_PER_KWH * over
    m.add_objective(cost)
    return m


def solve_sizing(
    problem: SizingProblem, *, threads: int | None = None, highs_options: dict | None = None
) -> SizingResult:
    """Size and dispatch *problem* with HiGHS and report the optimum.

    HiGHS runs its dual simplex on up to 8,760 steps and its interior-point method with
    crossover (an exact vertex) on more: on the year at quarter hours the interior point is
    about 6 times faster, on the hourly year with yearly rules about half as fast
    (docs/benchmarks.md).

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
    # measured (docs/benchmarks.md): the dual simplex is the faster up to a year of hours,
    # above all with yearly rules (their dense rows slow the interior point twofold); on
    # longer series the interior point is, by far
    solver = "simplex" if problem.steps <= HOURS_PER_YEAR else "ipm"
    options: dict[str, Any] = {"output_flag": False, "solver": solver, "run_crossover": "on"}
    if threads is not None:
        options["threads"] = threads
    options.update(highs_options or {})
    with _stdout_to_stderr():  # HiGHS prints its banner on C's stdout, not through Python
        status, condition = m.solve(solver_name="highs", io_api="direct", **options)
    solved = time.perf_counter()
    if status != "ok":
        raise RuntimeError(f"HiGHS found no optimum: {status}, {condition}")
    return _result(problem, m, build_s=built - started, solve_s=solved - built)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """File descriptor 1 on 2 for a while, so that a solver's banner does not mix with the
    JSON a command prints."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, AttributeError, ValueError):  # no real stdout (embedded, captured)
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _value(m, name: str) -> np.ndarray | float:
    if name not in m.variables:
        return 0.0
    values = m.variables[name].solution.values
    return float(values) if values.ndim == 0 else np.asarray(values, float)


def _result(problem: SizingProblem, m, *, build_s: float, solve_s: float) -> SizingResult:
    n, dt, w = problem.steps, problem.step_h, problem.year_weight
    zero = np.zeros(n)

    def step_values(name: str) -> np.ndarray:
        v = _value(m, name)
        return v if isinstance(v, np.ndarray) else zero

    def year_mwh(values: np.ndarray) -> float:
        return float(w * dt * np.sum(values) / 1000.0)

    pv_kw, e_kwh, p_kw = (
        float(np.ravel(_value(m, k))[0]) for k in ("pv_kw", "battery_kwh", "battery_kw")
    )
    imp, used, export = (step_values(k) for k in ("grid_import_kw", "pv_used_kw", "export_kw"))
    pv = used + export
    ch, dis, soc = (step_values(k) for k in ("charge_kw", "discharge_kw", "soc_kwh"))
    unserved = step_values("slack_unserved_kw")
    load_mwh = year_mwh(problem.load_kw)
    cf = problem.pv_cf if problem.pv_cf is not None and problem.pv is not None else zero
    available_mwh = year_mwh(cf) * pv_kw
    generation_mwh = year_mwh(pv)
    import_mwh, export_mwh = year_mwh(imp), year_mwh(export)
    price = np.asarray(problem.import_price_cny_per_kwh, float)
    r = problem.discount_rate
    costs = {"grid_energy": float(w * dt * np.dot(price, imp))}
    capex = 0.0
    if problem.pv is not None:
        costs["pv"] = problem.pv.annualised_cny_per_unit_per_year(r) * pv_kw
        capex += problem.pv.capex_cny_per_unit * pv_kw
    if problem.export_price_cny_per_kwh is not None:
        eprice = np.asarray(problem.export_price_cny_per_kwh, float)
        costs["export_revenue"] = -float(w * dt * np.dot(eprice, export))
    if (b := problem.battery) is not None:
        costs["battery_energy"] = b.energy.annualised_cny_per_unit_per_year(r) * e_kwh
        costs["battery_power"] = b.power.annualised_cny_per_unit_per_year(r) * p_kw
        costs["battery_throughput"] = float(w * dt * b.throughput_cost_cny_per_kwh * dis.sum())
        capex += b.energy.capex_cny_per_unit * e_kwh + b.power.capex_cny_per_unit * p_kw
    violations = _violations(problem, m, load_mwh, available_mwh, unserved)
    objective = float(m.objective.value)
    penalties = objective - sum(costs.values())
    if abs(penalties) > 1e-6 * max(1.0, abs(objective)):
        costs["penalties"] = penalties
    om = 0.0
    if problem.pv is not None:
        om += problem.pv.om_cny_per_unit_per_year * pv_kw
    if b is not None:
        om += b.energy.om_cny_per_unit_per_year * e_kwh + b.power.om_cny_per_unit_per_year * p_kw
    grid_only = float(w * dt * np.dot(price, problem.load_kw))
    operating = (
        costs["grid_energy"]
        + costs.get("export_revenue", 0.0)
        + costs.get("battery_throughput", 0.0)
        + om
    )
    yearly_saving = grid_only - operating
    payback = capex / yearly_saving if capex > 0 and yearly_saving > 0 else None
    covered = max(0.0, 1.0 - import_mwh / load_mwh) if load_mwh > 0 else 0.0
    factor = problem.grid_factor_tco2_per_mwh
    return SizingResult(
        objective_cny_per_year=objective,
        pv_kw=pv_kw,
        battery_kwh=e_kwh,
        battery_kw=p_kw,
        load_mwh=load_mwh,
        pv_available_mwh=available_mwh,
        pv_generation_mwh=generation_mwh,
        pv_curtailed_mwh=max(0.0, available_mwh - generation_mwh),
        grid_import_mwh=import_mwh,
        grid_export_mwh=export_mwh,
        battery_charge_mwh=year_mwh(ch),
        battery_discharge_mwh=year_mwh(dis),
        self_consumption=(generation_mwh - export_mwh) / generation_mwh
        if generation_mwh > 0
        else None,
        self_consumption_of_available=(generation_mwh - export_mwh) / available_mwh
        if available_mwh > 0
        else None,
        self_sufficiency=covered,
        renewable_share=covered,
        emissions_tco2e=import_mwh * factor,
        cost_cny_per_year=costs,
        capex_cny=capex,
        grid_only_cost_cny_per_year=grid_only,
        savings_cny_per_year=grid_only - objective,
        simple_payback_years=payback,
        violations=violations,
        solve_s=solve_s,
        build_s=build_s,
        variables=int(m.nvars),
        constraints=int(m.ncons),
        dispatch={
            "load_kw": np.asarray(problem.load_kw, float),
            "pv_kw": pv,
            "pv_used_kw": used,
            "grid_import_kw": imp,
            "export_kw": export,
            "charge_kw": ch,
            "discharge_kw": dis,
            "soc_kwh": soc,
        },
    )


_TOLERANCE_KWH = 1e-3


def _pct(share: float) -> str:
    return format(share, ".1%")


def _num(value: float, digits: int = 1) -> str:
    return format(value, f",.{digits}f")


def _violations(
    problem: SizingProblem, m, load_mwh: float, available_mwh: float, unserved: np.ndarray
) -> list[Violation]:
    w, dt = problem.year_weight, problem.step_h
    found: list[Violation] = []
    short = float(_value(m, "slack_min_renewable_share")) * w / 1000.0  # MWh/year
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
    over_kwh = float(_value(m, "slack_max_emissions_kwh"))
    if problem.max_emissions_tco2e is not None and over_kwh > _TOLERANCE_KWH:
        over_t = over_kwh / 1000.0 * problem.grid_factor_tco2_per_mwh
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
    return found
