"""Planning (issue 13): the technology models against hand-worked values, a sizing problem
whose optimum is known in closed form, the same sizing problems built independently in PyPSA,
bad problem files refused, and a rule that cannot be met explained."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.errors import InputError
from lingtan.planning.finance import (
    Asset,
    annualised_cost_cny_per_year,
    capital_recovery_factor,
    net_present_value,
)
from lingtan.planning.problem import FIELDS, read_problem_file
from lingtan.planning.pv import degradation_factor, pv_capacity_factor, pv_losses_pct
from lingtan.planning.sizing import Battery, SizingProblem, solve_sizing
from lingtan.planning.storage import state_of_charge_kwh

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "planning-size.yaml"
DOC = (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")


# --- technologies -----------------------------------------------------------------------------


def test_capital_recovery_factor_by_hand():
    # i (1+i)^n / ((1+i)^n - 1) with i = 6 %, n = 25: 1.06^25 = 4.29187072
    assert capital_recovery_factor(discount_rate=0.06, lifetime_years=25) == pytest.approx(
        0.06 * 4.29187072 / 3.29187072, rel=1e-8
    )
    assert capital_recovery_factor(discount_rate=0.06, lifetime_years=25) == pytest.approx(
        0.078227, abs=1e-6
    )  # the interest tables' 0.07823
    assert capital_recovery_factor(discount_rate=0.0, lifetime_years=20) == 0.05
    # 10 % over 10 years: 0.16275
    assert capital_recovery_factor(discount_rate=0.10, lifetime_years=10) == pytest.approx(
        0.162745, abs=1e-6
    )
    assert annualised_cost_cny_per_year(
        capex_cny=1000.0, om_cny_per_year=15.0, discount_rate=0.10, lifetime_years=10
    ) == pytest.approx(162.745 + 15.0, abs=1e-3)
    assert Asset(3000.0, 25, 40.0).annualised_cny_per_unit_per_year(0.06) == pytest.approx(
        3000 * 0.0782267 + 40, abs=1e-2
    )
    with pytest.raises(ValueError):
        capital_recovery_factor(discount_rate=0.05, lifetime_years=0)


def test_pvwatts_losses_are_the_manuals_14_08_percent():
    # PVWatts V5 manual (NREL/TP-6A20-62641) Table 3: the defaults combine to 14.08 %
    by_hand = 100 * (1 - 0.98 * 0.97 * 1.0 * 0.98 * 0.98 * 0.995 * 0.985 * 0.99 * 1.0 * 0.97)
    assert pv_losses_pct() == pytest.approx(by_hand, rel=1e-12)
    assert round(pv_losses_pct(), 2) == 14.08
    assert pv_losses_pct(soiling_pct=0, shading_pct=0, mismatch_pct=0, wiring_pct=0,
                         connections_pct=0, lid_pct=0, nameplate_rating_pct=0,
                         availability_pct=0, snow_pct=10) == pytest.approx(10.0)  # fmt: skip


def test_degradation_is_the_lifetime_mean():
    assert degradation_factor(degradation_pct_per_year=0.5, lifetime_years=2) == pytest.approx(
        (1 + 0.995) / 2
    )
    assert degradation_factor(degradation_pct_per_year=0.0, lifetime_years=25) == 1.0
    assert degradation_factor(degradation_pct_per_year=1.0, lifetime_years=3) == pytest.approx(
        (1 + 0.99 + 0.99**2) / 3
    )


def _cf(ghi, dni, dhi, temp, wind, **options):
    starts = pd.DatetimeIndex(["2025-06-21 11:00", "2025-06-21 23:00"], tz="Asia/Shanghai")
    return pv_capacity_factor(
        starts=starts,
        step_h=1.0,
        ghi_w_per_m2=np.array([ghi, 0.0]),
        dni_w_per_m2=np.array([dni, 0.0]),
        dhi_w_per_m2=np.array([dhi, 0.0]),
        temp_air_c=np.array([temp, 20.0]),
        wind_speed_m_per_s=np.array([wind, 1.0]),
        latitude_deg=31.30,
        longitude_deg=120.62,
        **options,
    )


def test_pv_capacity_factor_by_hand_on_a_horizontal_array():
    # Flat array, diffuse light only (DNI 0): the plane of array sees E = DHI = 500 W/m2 in any
    # sun position (Hay-Davies: no circumsolar part without beam, isotropic sky dome full).
    cf = _cf(500.0, 0.0, 500.0, 25.0, 1.0, surface_tilt_deg=0.0, losses_pct=14.08)
    e, t_air, ws = 500.0, 25.0, 1.0
    # SAPM, open rack glass/polymer: a = -3.56, b = -0.075, dT = 3 (King et al. 2004)
    t_module = t_air + e * math.exp(-3.56 - 0.075 * ws)
    t_cell = t_module + e / 1000 * 3
    dc = 1.0 * e / 1000 * (1 - 0.0037 * (t_cell - 25)) * (1 - 0.1408)
    # PVWatts inverter: AC rating 1/1.1 kW per kWp, eta_nom 0.96, eta_ref 0.9637
    pdc0 = (1 / 1.1) / 0.96
    zeta = dc / pdc0
    eta = 0.96 / 0.9637 * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
    assert cf[0] == pytest.approx(dc * eta, rel=1e-9)
    assert cf[0] == pytest.approx(0.39056, abs=1e-4)
    assert cf[1] == 0.0  # night


def test_pv_output_is_clipped_at_the_inverter_rating_and_degrades():
    cf = _cf(1200.0, 0.0, 1200.0, 0.0, 5.0, surface_tilt_deg=0.0, dc_ac_ratio=1.5)
    assert cf[0] == pytest.approx(1 / 1.5)
    low = _cf(400.0, 0.0, 400.0, 20.0, 1.0, surface_tilt_deg=0.0)
    worn = _cf(400.0, 0.0, 400.0, 20.0, 1.0, surface_tilt_deg=0.0, degradation=0.9)
    assert worn[0] < 0.9 * low[0] * 1.001 and worn[0] > 0.88 * low[0]  # the inverter's curve


def test_south_facing_tilt_sees_more_beam_at_noon_in_winter():
    starts = pd.DatetimeIndex(["2025-12-21 11:30"], tz="Asia/Shanghai")
    common = dict(starts=starts, step_h=1.0, ghi_w_per_m2=np.array([500.0]),
                  dni_w_per_m2=np.array([700.0]), dhi_w_per_m2=np.array([100.0]),
                  temp_air_c=np.array([5.0]), wind_speed_m_per_s=np.array([2.0]),
                  latitude_deg=31.3, longitude_deg=120.62)  # fmt: skip
    flat = pv_capacity_factor(surface_tilt_deg=0.0, **common)
    south = pv_capacity_factor(surface_tilt_deg=30.0, surface_azimuth_deg=180.0, **common)
    north = pv_capacity_factor(surface_tilt_deg=30.0, surface_azimuth_deg=0.0, **common)
    assert south[0] > flat[0] > north[0]


def test_state_of_charge_by_hand():
    soc = state_of_charge_kwh(charge_kw=np.array([100.0, 0.0, 0.0]),
                              discharge_kw=np.array([0.0, 45.0, 0.0]), step_h=0.5,
                              charge_efficiency=0.9, discharge_efficiency=0.9,
                              initial_kwh=10.0)  # fmt: skip
    assert soc.tolist() == pytest.approx([10 + 45.0, 55.0 - 25.0, 30.0])


# --- the closed-form optimum ------------------------------------------------------------------


def arbitrage(**battery) -> SizingProblem:
    """Two one-hour steps standing for a year (weight 4380): 100 kW of load, 0.30 then 1.00
    CNY/kWh; a battery of 1,000 CNY/kWh and 500 CNY/kW over 10 years at 0 %."""
    return SizingProblem(
        load_kw=np.array([100.0, 100.0]),
        step_h=1.0,
        import_price_cny_per_kwh=np.array([0.30, 1.00]),
        discount_rate=0.0,
        battery=Battery(energy=Asset(1000.0, 10), power=Asset(500.0, 10), **battery),
        grid_factor_tco2_per_mwh=0.5,
    )


def test_a_battery_that_arbitrages_a_price_spread_has_its_hand_computed_optimum():
    eta_c = eta_d = 0.9
    result = solve_sizing(arbitrage(charge_efficiency=eta_c, discharge_efficiency=eta_d))
    # Each kW discharged in the dear hour saves 4380 (1.00 - 0.30/(0.9*0.9)) = 2757.8 CNY a
    # year and costs 100/0.9 (energy) + 50/0.81 (power) = 172.8 CNY a year: the battery
    # covers the whole dear hour, 100 kW. Energy 100/0.9 kWh, power max(100/0.81, 100) kW.
    energy_kwh, power_kw = 100 / eta_d, 100 / (eta_c * eta_d)
    objective = 4380 * 0.30 * (100 + power_kw) + 100 * energy_kwh + 50 * power_kw
    assert result.battery_kwh == pytest.approx(energy_kwh, rel=1e-7)
    assert result.battery_kw == pytest.approx(power_kw, rel=1e-7)
    assert result.objective_cny_per_year == pytest.approx(objective, rel=1e-9)
    assert result.objective_cny_per_year == pytest.approx(310_906.17, abs=0.01)
    assert result.grid_import_mwh == pytest.approx(4380 * (100 + power_kw) / 1000)
    assert result.emissions_tco2e == pytest.approx(result.grid_import_mwh * 0.5)
    assert result.grid_only_cost_cny_per_year == pytest.approx(4380 * 130)
    assert result.capex_cny == pytest.approx(1000 * energy_kwh + 500 * power_kw)
    # the plan's operating cost is its grid energy: payback = capex / (grid only - grid energy)
    saving = 4380 * 130 - 4380 * 0.30 * (100 + power_kw)
    assert result.simple_payback_years == pytest.approx(result.capex_cny / saving)
    assert result.feasible and result.violations == []
    soc = result.dispatch["soc_kwh"]
    assert soc.max() == pytest.approx(energy_kwh)


def test_a_spread_too_small_for_the_losses_builds_no_battery():
    result = solve_sizing(replace(arbitrage(charge_efficiency=0.5, discharge_efficiency=0.5)))
    # a kWh bought at 0.30 gives 0.25 kWh: 1.20 CNY per kWh delivered > 1.00
    assert result.battery_kwh == pytest.approx(0.0, abs=1e-6)
    assert result.objective_cny_per_year == pytest.approx(4380 * 130, rel=1e-9)


def test_pv_sized_by_hand_against_the_roof_limit():
    # one sunny hour (cf 0.8) and one dark hour; PV at 100 CNY/kWp a year saves
    # 4380 * 0.8 * 1.00 = 3504 CNY a year per kWp until it covers the sunny hour (125 kWp)
    problem = SizingProblem(
        load_kw=np.array([100.0, 100.0]),
        step_h=1.0,
        import_price_cny_per_kwh=np.array([1.0, 1.0]),
        discount_rate=0.0,
        pv_cf=np.array([0.8, 0.0]),
        pv=Asset(2000.0, 20),
    )
    assert solve_sizing(problem).pv_kw == pytest.approx(125.0, rel=1e-9)
    roofed = solve_sizing(replace(problem, pv=Asset(2000.0, 20, max_units=50.0)))
    assert roofed.pv_kw == pytest.approx(50.0)
    assert roofed.objective_cny_per_year == pytest.approx(100 * 50 + 4380 * (60 + 100))
    assert roofed.self_consumption == pytest.approx(1.0)
    assert roofed.renewable_share == pytest.approx(40 / 200)


# --- a rule that cannot be met ----------------------------------------------------------------


def test_a_renewable_share_the_roof_cannot_reach_is_explained():
    problem = SizingProblem(
        load_kw=np.array([100.0, 100.0]),
        step_h=1.0,
        import_price_cny_per_kwh=np.array([1.0, 1.0]),
        discount_rate=0.0,
        pv_cf=np.array([0.8, 0.0]),
        pv=Asset(2000.0, 20, max_units=50.0),
        min_renewable_share=0.5,
        max_emissions_tco2e=100.0,
        grid_factor_tco2_per_mwh=0.5,
    )
    result = solve_sizing(problem)
    assert not result.feasible
    rules = {v.rule: v for v in result.violations}
    # the roof gives 40 of 200 kWh: 20 % instead of 50 %, 60 kWh short per 2 h = 262.8 MWh/yr
    share = rules["min_renewable_share"]
    assert share.required == 0.5
    assert share.achieved == pytest.approx(0.2, abs=1e-9)
    assert share.shortfall == pytest.approx(0.3, abs=1e-9)
    assert "262.8 MWh" in share.message and "20.0%" in share.message
    # grid import 160 kWh per 2 h = 700.8 MWh/yr = 350.4 tCO2e against the cap of 100
    cap = rules["max_emissions_tco2e"]
    assert cap.achieved == pytest.approx(350.4, abs=1e-6)
    assert cap.shortfall == pytest.approx(250.4, abs=1e-6)
    assert result.pv_kw == pytest.approx(50.0)
    assert result.emissions_tco2e == pytest.approx(350.4)


def test_a_grid_connection_too_small_is_explained():
    problem = replace(arbitrage(), battery=None, grid_import_cap_kw=80.0)
    result = solve_sizing(problem)
    (violation,) = result.violations
    assert violation.rule == "grid_import_cap_kw"
    assert violation.shortfall == pytest.approx(20.0)
    assert "175.2 MWh" in violation.message  # 20 kW x 2 h x 4380


# --- the independent reference: PyPSA ---------------------------------------------------------


@pytest.fixture(scope="module")
def fortnight() -> SizingProblem:
    """The example's first two weeks (hourly): its load, PV capacity factor and TOU prices."""
    problem = read_problem_file(EXAMPLE).problem
    n = 14 * 24
    return replace(
        problem,
        load_kw=problem.load_kw[:n],
        pv_cf=problem.pv_cf[:n] * 1.6,  # a sunnier fortnight than January's, so PV pays
        import_price_cny_per_kwh=problem.import_price_cny_per_kwh[:n],
        export_price_cny_per_kwh=problem.export_price_cny_per_kwh[:n],
        min_self_consumption_share=None,
        max_export_share=None,
    )


def pypsa_network(problem: SizingProblem, *, storage: str):
    pypsa = pytest.importorskip("pypsa")
    r, n = problem.discount_rate, problem.steps
    net = pypsa.Network()
    net.set_snapshots(pd.RangeIndex(n))
    net.snapshot_weightings["objective"] = 1.0 * problem.year_weight * problem.step_h
    net.snapshot_weightings["stores"] = 1.0 * problem.step_h
    net.snapshot_weightings["generators"] = 1.0 * problem.step_h
    net.add("Bus", "ac")
    net.add("Load", "load", bus="ac", p_set=pd.Series(problem.load_kw, net.snapshots))
    net.add("Generator", "grid", bus="ac", p_nom=1e5,
            marginal_cost=pd.Series(problem.import_price_cny_per_kwh, net.snapshots))  # fmt: skip
    net.add("Generator", "pv", bus="ac", p_nom_extendable=True,
            p_nom_max=problem.pv.max_units or np.inf,
            p_max_pu=pd.Series(problem.pv_cf, net.snapshots),
            capital_cost=problem.pv.annualised_cny_per_unit_per_year(r))  # fmt: skip
    if problem.export_price_cny_per_kwh is not None:
        net.add("Generator", "export", bus="ac", p_nom=problem.export_cap_kw or 1e5,
                p_max_pu=0.0, p_min_pu=-1.0,
                marginal_cost=pd.Series(problem.export_price_cny_per_kwh, net.snapshots))  # fmt: skip
    b = problem.battery
    c_e = b.energy.annualised_cny_per_unit_per_year(r)
    c_p = b.power.annualised_cny_per_unit_per_year(r)
    if storage == "unit":
        net.add("StorageUnit", "battery", bus="ac", p_nom_extendable=True, max_hours=b.hours,
                capital_cost=c_p + b.hours * c_e, efficiency_store=b.charge_efficiency,
                efficiency_dispatch=b.discharge_efficiency, cyclic_state_of_charge=True)  # fmt: skip
    else:
        net.add("Bus", "battery")
        net.add("Store", "battery", bus="battery", e_nom_extendable=True, e_cyclic=True,
                capital_cost=c_e, e_min_pu=b.soc_min, e_max_pu=b.soc_max)  # fmt: skip
        net.add("Link", "charger", bus0="ac", bus1="battery", p_nom_extendable=True,
                efficiency=b.charge_efficiency, capital_cost=c_p)  # fmt: skip
        net.add("Link", "discharger", bus0="battery", bus1="ac", p_nom_extendable=True,
                efficiency=b.discharge_efficiency)  # fmt: skip

    def extra(net, snapshots):
        m = net.model
        gen = m.variables["Generator-p"]
        if problem.export_price_cny_per_kwh is not None:  # export is PV surplus
            m.add_constraints(
                -gen.sel(name="export", drop=True) <= gen.sel(name="pv", drop=True),
                name="export_pv",
            )
        if storage == "store":  # one power rating: charge [AC] and discharge [AC] alike
            p_nom = m.variables["Link-p_nom"]
            m.add_constraints(
                p_nom.sel(name="charger", drop=True)
                - b.discharge_efficiency * p_nom.sel(name="discharger", drop=True)
                == 0,
                name="one_power_rating",
            )

    status, _ = net.optimize(solver_name="highs", extra_functionality=extra)
    assert status == "ok"
    return net


def test_pypsa_store_and_links_give_the_same_optimum(fortnight):
    problem = replace(fortnight, export_price_cny_per_kwh=None)  # no reverse power flow
    ours = solve_sizing(problem)
    net = pypsa_network(problem, storage="store")
    assert ours.pv_kw > 100 and ours.battery_kwh > 100  # both technologies are built
    assert ours.objective_cny_per_year == pytest.approx(net.objective + net.objective_constant,
                                                        rel=1e-6)  # fmt: skip
    assert ours.pv_kw == pytest.approx(net.generators.p_nom_opt["pv"], rel=1e-5)
    assert ours.battery_kwh == pytest.approx(net.stores.e_nom_opt["battery"], rel=1e-5)
    assert ours.battery_kw == pytest.approx(net.links.p_nom_opt["charger"], rel=1e-5)


def test_pypsa_storage_unit_with_export_gives_the_same_optimum(fortnight):
    battery = replace(fortnight.battery, hours=2.0, soc_min=0.0, soc_max=1.0)
    problem = replace(fortnight, battery=battery, export_cap_kw=800.0)
    ours = solve_sizing(problem)
    net = pypsa_network(problem, storage="unit")
    assert ours.grid_export_mwh > 1.0  # the export is used
    assert ours.objective_cny_per_year == pytest.approx(net.objective + net.objective_constant,
                                                        rel=1e-6)  # fmt: skip
    assert ours.pv_kw == pytest.approx(net.generators.p_nom_opt["pv"], rel=1e-5)
    assert ours.battery_kw == pytest.approx(net.storage_units.p_nom_opt["battery"], rel=1e-5)
    assert ours.battery_kwh == pytest.approx(2.0 * ours.battery_kw, rel=1e-9)


# --- the problem file -------------------------------------------------------------------------


def problem_dir(tmp_path: Path, yaml_text: str | None = None, *, load_rows=None) -> Path:
    """A copy of the example (its files beside it) with the YAML or the load replaced."""
    for name in ("planning-size.yaml", "planning-load-synthetic.csv",
                 "planning-weather-synthetic.epw"):  # fmt: skip
        shutil.copy(EXAMPLES / name, tmp_path / name)
    if yaml_text is not None:
        (tmp_path / "planning-size.yaml").write_text(yaml_text, encoding="utf-8")
    if load_rows is not None:
        lines = (EXAMPLES / "planning-load-synthetic.csv").read_text().splitlines()
        (tmp_path / "planning-load-synthetic.csv").write_text("\n".join(load_rows(lines)) + "\n")
    return tmp_path / "planning-size.yaml"


def refused(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_problem_file(path)
    assert caught.value.origin == str(path)
    return [str(problem) for problem in caught.value.problems]


def edited(**changes: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in changes.items():
        old = old.replace("__", " ")
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_the_example_reads_into_a_year_of_hours():
    plan = read_problem_file(EXAMPLE)
    p = plan.problem
    assert p.steps == 8760 and p.step_h == 1.0 and p.year_weight == 1.0
    assert set(np.unique(p.import_price_cny_per_kwh)) == {0.30, 0.65, 1.05}
    # CN-JS-2025-426 in January: peak 14-22, valley 0-6 and 11-13 (local time)
    hours = pd.DatetimeIndex(plan.starts, tz="UTC").tz_convert("Asia/Shanghai").hour[:24]
    price = dict(zip(hours, p.import_price_cny_per_kwh[:24], strict=True))
    assert price[3] == 0.30 and price[12] == 0.30 and price[15] == 1.05 and price[9] == 0.65
    assert p.pv_cf.max() <= 1 / 1.1 + 1e-12 and p.pv_cf[hours.get_loc(2)] == 0.0
    assert 1000 < p.pv_cf.sum() < 1400  # kWh/kWp a year of a site near Suzhou
    assert p.load_kw.sum() / 1000 == pytest.approx(6384.0)


def test_costs_and_efficiencies_out_of_range_are_refused(tmp_path):
    path = problem_dir(tmp_path, edited(**{
        "capex_cny_per_kw: 3000": "capex_cny_per_kw: -3000",
        "charge_efficiency: 0.95": "charge_efficiency: 1.05",
        "soc_min: 0.05": "soc_min: 0.99",
        "tilt_deg: 22": "tilt_deg: 95",
        "discount_rate: 0.06": "discount_rate: high",
    }))  # fmt: skip
    problems = refused(path)
    assert (
        "planning-size.yaml: field 'pv.capex_cny_per_kw' = -3000: must not be negative" in problems
    )
    assert (
        "planning-size.yaml: field 'battery.charge_efficiency' = 1.05: must be at most 1"
        in problems
    )
    assert (
        "planning-size.yaml: field 'battery.soc_min' = 0.99: must be below soc_max (0.95)"
        in problems
    )
    assert "planning-size.yaml: field 'pv.tilt_deg' = 95: must be at most 90" in problems
    assert (
        "planning-size.yaml: field 'finance.discount_rate' = 'high': must be a number" in problems
    )


def test_unknown_fields_missing_sections_and_prices_are_refused(tmp_path):
    text = edited(**{"om_cny_per_kw_per_year: 40": "om_cny_per_kw_year: 40",
                     "    flat: 0.65\n": ""})  # fmt: skip
    text = text.replace("finance:\n  discount_rate: 0.06\n", "")
    problems = refused(problem_dir(tmp_path, text))
    assert any("'pv.om_cny_per_kw_year' = 40: unknown field (known: capex_cny_per_kw" in p
               for p in problems)  # fmt: skip
    assert "planning-size.yaml: field 'finance' = (missing): is required" in problems
    assert ("planning-size.yaml: field 'grid.prices_cny_per_kwh' = (missing): no price for "
            "period flat of calendar CN-JS-2025-426") in problems  # fmt: skip


def test_a_load_with_a_gap_is_refused_naming_the_row(tmp_path):
    path = problem_dir(tmp_path, load_rows=lambda lines: lines[:101] + lines[104:])
    problems = refused(path)
    assert (
        "planning-load-synthetic.csv row 102: field 'timestamp' = '2025-01-05T07:00+08:00': "
        "a gap: 3 steps of 60 min are missing before this row"
    ) in problems
    assert (
        "planning-load-synthetic.csv: field 'rows' = 8757: one year of 8760 steps of 60 min "
        "expected (365 days)"
    ) in problems


def test_a_load_of_the_wrong_length_or_with_bad_values_is_refused(tmp_path):
    def bad(lines):
        lines[5] = lines[5].split(",")[0] + ",-5"
        lines[6] = lines[6].split(",")[0] + ",lots"
        return lines[:-24]

    problems = refused(problem_dir(tmp_path, load_rows=bad))
    assert (
        "planning-load-synthetic.csv row 6: field 'load_kw' = '-5': must not be negative"
        in problems
    )
    assert (
        "planning-load-synthetic.csv row 7: field 'load_kw' = 'lots': must be a number" in problems
    )


def test_a_quarter_hour_load_in_kwh_uses_the_hour_of_the_weather(tmp_path):
    starts = pd.date_range("2025-01-01", periods=35040, freq="15min", tz="Asia/Shanghai")
    text = "timestamp,energy_kwh\n" + "".join(f"{t.isoformat()},250\n" for t in starts)
    path = problem_dir(tmp_path)
    (tmp_path / "planning-load-synthetic.csv").write_text(text)
    p = read_problem_file(path).problem
    hourly = read_problem_file(EXAMPLE).problem
    assert p.steps == 35040 and p.step_h == 0.25
    assert np.all(p.load_kw == 1000.0)  # 250 kWh in 15 minutes
    assert np.array_equal(p.pv_cf, np.repeat(hourly.pv_cf, 4))


def test_a_weather_file_with_missing_values_or_hours_is_refused(tmp_path):
    path = problem_dir(tmp_path)
    epw = (tmp_path / "planning-weather-synthetic.epw").read_text().splitlines()
    fields = epw[8 + 12].split(",")
    fields[13] = "9999"  # GHI of 1 January 12:00-13:00 missing
    epw[8 + 12] = ",".join(fields)
    (tmp_path / "planning-weather-synthetic.epw").write_text("\n".join(epw) + "\n")
    problems = refused(path)
    assert any(p.startswith("planning-weather-synthetic.epw row 21: field 'ghi' = 9999.0: "
                            "outside 0 to 1500") for p in problems)  # fmt: skip
    (tmp_path / "planning-weather-synthetic.epw").write_text("\n".join(epw[:-48]) + "\n")
    problems = refused(path)
    assert ("planning-weather-synthetic.epw: field 'rows' = 8712: a weather year of 8760 hours "
            "expected") in problems  # fmt: skip


def test_a_price_file_must_match_the_load(tmp_path):
    text = edited(**{"  calendar: CN-JS-2025-426\n": "  price_file: prices.csv\n"})
    text = re.sub(r"  prices_cny_per_kwh:\n(    .*\n)+", "", text)
    path = problem_dir(tmp_path, text)
    load = (tmp_path / "planning-load-synthetic.csv").read_text().splitlines()[1:]
    rows = ["timestamp,price_cny_per_kwh"] + [f"{line.split(',')[0]},0.5" for line in load]
    (tmp_path / "prices.csv").write_text("\n".join(rows) + "\n")
    assert np.all(read_problem_file(path).problem.import_price_cny_per_kwh == 0.5)
    rows[10] = "2025-01-01T09:30+08:00,0.5"
    (tmp_path / "prices.csv").write_text("\n".join(rows) + "\n")
    assert (
        "prices.csv row 11: field 'timestamp' = '2025-01-01T09:30+08:00': must be the time "
        "of the load file's row (2025-01-01T01:00:00 UTC)"
    ) in refused(path)


def test_plan_size_json_holds_the_contract():
    result = CliRunner().invoke(main, ["plan", "size", str(EXAMPLE), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("objective_cny_per_year", "pv_kw", "battery_kwh", "battery_kw",
                "grid_import_mwh", "renewable_share", "emissions_tco2e"):  # fmt: skip
        assert isinstance(data[key], float), key
    assert data["feasible"] is True and data["violations"] == []
    assert data["pv_kw"] == pytest.approx(5000.0)  # the roof is the limit
    assert data["emissions_tco2e"] == pytest.approx(data["grid_import_mwh"] * 0.5366)
    assert data["self_consumption_of_available"] >= 0.6 - 1e-9  # 650号
    assert data["grid_export_mwh"] <= 0.2 * data["pv_available_mwh"] + 1e-6  # 77号
    costs = data["cost_cny_per_year"]
    assert sum(costs.values()) == pytest.approx(data["objective_cny_per_year"], rel=1e-9)
    # the finance of the plan against doing nothing (tests/test_planning_sources.py by hand)
    assert data["horizon_years"] == 25 and len(data["cash_flows_cny"]) == 26
    assert data["cash_flows_cny"][0] == pytest.approx(-data["capex_cny"])
    assert data["npv_cny"] == pytest.approx(
        net_present_value(rate=0.06, cash_flows_cny=np.array(data["cash_flows_cny"])), rel=1e-12
    )
    assert 0 < data["simple_payback_years"] < data["discounted_payback_years"] < 25
    assert data["sources"]["load"] == "planning-load-synthetic.csv"


def test_plan_size_explains_a_rule_it_cannot_meet(tmp_path):
    text = edited(**{"max_kw: 5000": "max_kw: 500"})
    text = re.sub(r"battery:\n(  .*\n)+", "", text)
    text = text.replace("constraints:\n", "constraints:\n  min_renewable_share: 0.5\n")
    path = problem_dir(tmp_path, text)
    result = CliRunner().invoke(main, ["plan", "size", str(path)])
    assert result.exit_code == 3
    assert "No plan meets every rule" in result.stderr
    assert re.search(r"the renewable share of 50\.0% cannot be met: at most \d+\.\d% is "
                     r"reached, [\d,.]+ MWh a year short", result.stderr)  # fmt: skip
    assert "pv_kw" in result.stdout and "500.0" in result.stdout
    zh = CliRunner().invoke(main, ["--lang", "zh-CN", "plan", "size", str(path)])
    assert zh.exit_code == 3 and "可再生能源占比" in zh.stderr
    as_json = CliRunner().invoke(main, ["plan", "size", str(path), "--format", "json"])
    data = json.loads(as_json.stdout)
    assert data["feasible"] is False and data["violations"][0]["rule"] == "min_renewable_share"
    assert data["cost_cny_per_year"]["penalties"] > 0
    as_csv = CliRunner().invoke(main, ["plan", "size", str(path), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == 8760 and rows[0]["timestamp"] == "2024-12-31T16:00:00Z"
    total = {key: sum(float(r[key]) for r in rows) for key in rows[0] if key != "timestamp"}
    assert total["grid_import_kw"] / 1000 == pytest.approx(data["grid_import_mwh"])
    assert total["pv_kw"] / 1000 == pytest.approx(data["pv_generation_mwh"])
    assert total["pv_used_kw"] + total["export_kw"] == pytest.approx(total["pv_kw"])
    assert total["pv_used_kw"] + total["grid_import_kw"] == pytest.approx(total["load_kw"])


def test_plan_size_refuses_bad_input_with_status_2(tmp_path):
    path = problem_dir(
        tmp_path, edited(**{"discharge_efficiency: 0.95": "discharge_efficiency: 0"})
    )
    result = CliRunner().invoke(main, ["plan", "size", str(path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert "battery.discharge_efficiency" in result.stderr and "must be above 0" in result.stderr


# --- the documentation ------------------------------------------------------------------------


def test_every_field_and_result_is_documented():
    documented = set(re.findall(r"`([^`\n]+)`", DOC))
    fields = {f for section in FIELDS.values() for f in section} | {s for s in FIELDS if s}
    result = solve_sizing(arbitrage()).as_dict()
    missing = sorted((fields | set(result)) - documented)
    assert not missing, f"undocumented in docs/planning.md: {missing}"


def test_the_documented_example_is_the_shipped_file():
    body = "\n".join(line for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
                     if not line.startswith("#"))  # fmt: skip
    assert body.strip() in DOC


def test_a_problem_file_that_is_not_utf8_is_refused_naming_it(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_bytes("负荷: load.csv".encode("gb18030"))
    with pytest.raises(InputError) as refused:
        read_problem_file(path)
    (problem,) = refused.value.problems
    assert (problem.where, problem.field, str(problem.rule)) == (
        "plan.yaml",
        "file",
        "is not UTF-8 text",
    )


def test_plan_size_prints_no_solver_banner():
    """HiGHS writes its banner on C's stdout when it starts, once a process: a fresh process
    shows that neither the JSON nor the console carries it, and the status is in the JSON."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "lingtan", "plan", "size", str(EXAMPLE), "--format", "json"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for text in (done.stdout, done.stderr):
        assert "HiGHS" not in text and "Copyright" not in text and "THIRD_PARTY" not in text
    data = json.loads(done.stdout)
    assert data["solver_status"] == "ok" and data["solver_termination"] == "optimal"
    assert data["solve_s"] > 0 and data["build_s"] > 0
