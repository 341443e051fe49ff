"""Planning (issue 13), the second part: wind from a power curve (against windpowerlib), heat
pumps by the Carnot COP, electric boilers and thermal storage replacing a fuel boiler, the
demand charge, green power and GECs, and NPV / IRR / paybacks (against numpy-financial) —
each against hand-worked values, and the LP with wind and heat against PyPSA."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lingtan.planning.finance import (
    Asset,
    internal_rate_of_return,
    net_present_value,
    payback_years,
    project_cash_flows_cny,
)
from lingtan.planning.heat import carnot_cop
from lingtan.planning.sizing import (
    Battery,
    FuelBoiler,
    Heat,
    Instrument,
    SizingProblem,
    solve_sizing,
)
from lingtan.planning.wind import hub_height_wind_speed, wind_capacity_factor

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# a power curve as a manufacturer's table gives it (kW at m/s): illustrative, not a real model
CURVE_SPEED = np.array([3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 25.0])
CURVE_KW = np.array([0.0, 40.0, 250.0, 700.0, 1300.0, 1500.0, 1500.0])


# --- wind ---------------------------------------------------------------------------------------


def test_wind_capacity_factor_by_hand():
    v = np.array([0.0, 2.9, 3.0, 5.0, 9.0, 12.0, 20.0, 25.0, 25.1])
    cf = wind_capacity_factor(wind_speed_m_per_s=v, curve_wind_speed_m_per_s=CURVE_SPEED,
                              curve_power_kw=CURVE_KW)  # fmt: skip
    # 5 m/s: halfway from 40 to 250 kW = 145; 9 m/s: halfway 700-1300 = 1000; past 25: cut out
    expected = np.array([0.0, 0.0, 0.0, 145.0, 1000.0, 1500.0, 1500.0, 1500.0, 0.0]) / 1500
    assert cf == pytest.approx(expected, abs=1e-12)
    rated = wind_capacity_factor(wind_speed_m_per_s=v, curve_wind_speed_m_per_s=CURVE_SPEED,
                                 curve_power_kw=CURVE_KW, rated_kw=2000.0)  # fmt: skip
    assert rated == pytest.approx(expected * 1500 / 2000)


def test_wind_capacity_factor_agrees_with_windpowerlib():
    windpowerlib = pytest.importorskip("windpowerlib")
    v = np.random.default_rng(7).weibull(2.0, 500) * 8.0
    ours = wind_capacity_factor(wind_speed_m_per_s=v, curve_wind_speed_m_per_s=CURVE_SPEED,
                                curve_power_kw=CURVE_KW)  # fmt: skip
    theirs = windpowerlib.power_output.power_curve(pd.Series(v), pd.Series(CURVE_SPEED),
                                                   pd.Series(CURVE_KW))  # fmt: skip
    assert ours * 1500 == pytest.approx(np.asarray(theirs, float), rel=1e-12, abs=1e-9)


def test_hub_height_wind_speed_by_hand_and_against_windpowerlib():
    windpowerlib = pytest.importorskip("windpowerlib")
    v = np.array([0.0, 4.0, 7.5])
    log = hub_height_wind_speed(wind_speed_m_per_s=v, measurement_height_m=10.0,
                                hub_height_m=100.0, roughness_length_m=0.1)  # fmt: skip
    # ln(100/0.1) / ln(10/0.1) = ln 1000 / ln 100 = 1.5 exactly
    assert log == pytest.approx(v * 1.5, rel=1e-12)
    theirs = windpowerlib.wind_speed.logarithmic_profile(pd.Series(v), 10.0, 100.0, 0.1)
    assert log == pytest.approx(np.asarray(theirs, float), rel=1e-12)
    power = hub_height_wind_speed(wind_speed_m_per_s=v, measurement_height_m=10.0,
                                  hub_height_m=80.0, hellman_exponent=1 / 7)  # fmt: skip
    assert power == pytest.approx(v * 8 ** (1 / 7), rel=1e-12)
    theirs = windpowerlib.wind_speed.hellman(pd.Series(v), 10.0, 80.0, hellman_exponent=1 / 7)
    assert power == pytest.approx(np.asarray(theirs, float), rel=1e-12)


@pytest.mark.parametrize(
    "speeds, power, rule",
    [
        ([3.0, 5.0, 4.0], [0.0, 10.0, 20.0], "strictly increasing"),
        ([3.0, 3.0, 4.0], [0.0, 10.0, 20.0], "strictly increasing"),
        ([3.0, 4.0], [0.0, -1.0], "must not be negative"),
        ([3.0], [0.0], "at least two points"),
    ],
)
def test_a_bad_power_curve_is_refused(speeds, power, rule):
    with pytest.raises(ValueError, match=rule):
        wind_capacity_factor(wind_speed_m_per_s=np.array([5.0]),
                             curve_wind_speed_m_per_s=np.array(speeds),
                             curve_power_kw=np.array(power))  # fmt: skip


def test_wind_sized_by_hand():
    # cf 0.5 and 0.1 against 100 kW: each kW up to 200 saves 4380 (0.5 + 0.1) = 2628 CNY a
    # year; beyond, step 0 is covered and a kW saves only 4380 x 0.1 = 438 < its 500
    problem = SizingProblem(
        load_kw=np.array([100.0, 100.0]), step_h=1.0,
        import_price_cny_per_kwh=np.array([1.0, 1.0]), discount_rate=0.0,
        wind_cf=np.array([0.5, 0.1]), wind=Asset(10_000.0, 20), grid_factor_tco2_per_mwh=0.5,
    )  # fmt: skip
    result = solve_sizing(problem)
    assert result.wind_kw == pytest.approx(200.0, rel=1e-9)
    assert result.objective_cny_per_year == pytest.approx(500 * 200 + 4380 * 80, rel=1e-9)
    assert result.wind_generation_mwh == pytest.approx(4380 * 120 / 1000)
    assert result.renewable_share == pytest.approx(120 / 200)
    assert result.dispatch["wind_used_kw"] == pytest.approx([100.0, 20.0])


# --- heat ---------------------------------------------------------------------------------------


def test_carnot_cop_by_hand():
    # 0.45 x 328.15 K / (55 - 7) K = 3.07641
    cop = carnot_cop(source_temp_c=np.array([7.0, -10.0]), sink_temp_c=55.0,
                     carnot_efficiency=0.45)  # fmt: skip
    assert cop == pytest.approx([0.45 * 328.15 / 48, 0.45 * 328.15 / 65], rel=1e-12)
    assert cop[0] == pytest.approx(3.0764, abs=1e-4)
    capped = carnot_cop(source_temp_c=np.array([50.0, 60.0]), sink_temp_c=55.0,
                        carnot_efficiency=0.5, max_cop=6.0)  # fmt: skip
    assert capped.tolist() == [6.0, 6.0]
    with pytest.raises(ValueError, match="sink must be above"):
        carnot_cop(source_temp_c=60.0, sink_temp_c=55.0, carnot_efficiency=0.5)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        carnot_cop(source_temp_c=5.0, sink_temp_c=55.0, carnot_efficiency=1.2)


def gas(max_kw=None) -> FuelBoiler:
    """A boiler of 90 % on a fuel of 0.30 CNY and 0.2 kgCO2 per kWh (round hand values)."""
    return FuelBoiler(efficiency=0.9, fuel_price_cny_per_kwh=0.30,
                      fuel_factor_tco2_per_kwh=0.0002, max_kw=max_kw)  # fmt: skip


def heat_problem(**heat) -> SizingProblem:
    return SizingProblem(
        load_kw=np.array([100.0, 100.0]), step_h=1.0,
        import_price_cny_per_kwh=np.array([0.5, 0.5]), discount_rate=0.0,
        grid_factor_tco2_per_mwh=0.5,
        heat=Heat(load_kw=np.array([100.0, 100.0]), boiler=gas(), **heat),
    )  # fmt: skip


def test_a_heat_pump_replacing_a_gas_boiler_by_hand():
    # heat from gas 0.30 / 0.9 = 0.3333 CNY/kWh; from the heat pump 0.5 / COP: 0.125 at COP 4,
    # 0.25 at COP 2. A kW of electric input up to 25 kW saves 4380 (4/0.9 x 0.3 - 0.5 +
    # 2/0.9 x 0.3 - 0.5) = 4380 CNY a year > 1,000; from 25 to 50 kW only the second step is
    # short: 4380 (0.6667 - 0.5) = 730 < 1,000. So 25 kW: step 0 all heat pump, step 1 50 kW.
    result = solve_sizing(heat_problem(heat_pump=Asset(20_000.0, 20), cop=np.array([4.0, 2.0])))
    assert result.heat_pump_kw == pytest.approx(25.0, rel=1e-9)
    fuel_kwh = 50 / 0.9 * 4380
    objective = 1000 * 25 + 4380 * 0.5 * 250 + 0.30 * fuel_kwh
    assert result.objective_cny_per_year == pytest.approx(objective, rel=1e-9)
    assert result.objective_cny_per_year == pytest.approx(645_500.0, rel=1e-9)
    assert result.heat_pump_heat_mwh == pytest.approx(4380 * 150 / 1000)
    assert result.boiler_heat_mwh == pytest.approx(4380 * 50 / 1000)
    assert result.boiler_fuel_mwh == pytest.approx(fuel_kwh / 1000)
    assert result.electricity_use_mwh == pytest.approx(4380 * 250 / 1000)
    # location-based: 1,095 MWh x 0.5 + 243.3 MWh of gas x 0.2 t/MWh
    assert result.emissions_tco2e == pytest.approx(547.5 + fuel_kwh * 0.0002, rel=1e-9)
    # doing nothing: the load from the grid, all heat from gas
    do_nothing = 4380 * 0.5 * 200 + 4380 * 200 / 0.9 * 0.30
    assert result.do_nothing_cost_cny_per_year == pytest.approx(do_nothing)
    assert result.grid_only_cost_cny_per_year == pytest.approx(4380 * 0.5 * 200)


def test_an_electric_boiler_and_heat_storage_shift_heat_into_the_valley_by_hand():
    # electricity 0.2 then 1.0; heat only in step 1; gas heat 0.3333. Storing heat made at 0.2
    # beats gas: with 10 % lost an hour, 100 kWh delivered need 111.1 kWh stored.
    problem = SizingProblem(
        load_kw=np.zeros(2), step_h=1.0, import_price_cny_per_kwh=np.array([0.2, 1.0]),
        discount_rate=0.0,
        heat=Heat(load_kw=np.array([0.0, 100.0]), boiler=gas(),
                  electric_boiler=Asset(100.0, 10), electric_boiler_efficiency=1.0,
                  storage=Asset(100.0, 10), storage_loss_per_h=0.1),
    )  # fmt: skip
    result = solve_sizing(problem)
    stored = 100 / 0.9
    assert result.thermal_storage_kwh == pytest.approx(stored, rel=1e-9)
    assert result.electric_boiler_kw == pytest.approx(stored, rel=1e-9)
    assert result.objective_cny_per_year == pytest.approx(10 * stored * 2 + 4380 * 0.2 * stored,
                                                          rel=1e-9)  # fmt: skip
    assert result.boiler_heat_mwh == pytest.approx(0.0, abs=1e-9)


def test_a_retired_boiler_and_a_heat_pump_too_small_are_explained():
    problem = heat_problem(heat_pump=Asset(1000.0, 20, max_units=20.0), cop=np.array([4.0, 2.0]))
    problem = replace(problem, heat=replace(problem.heat, boiler=gas(max_kw=0.0)))
    result = solve_sizing(problem)
    (violation,) = result.violations
    assert violation.rule == "heat_load"
    assert violation.shortfall == pytest.approx(60.0)  # 100 - 2 x 20 in step 1
    assert "350.4 MWh" in violation.message  # (20 + 60) kW x 4380 h / 1000


# --- the demand charge, green power and GECs ----------------------------------------------------


def test_a_battery_shaves_the_monthly_peak_by_hand():
    # one month of two steps, standing for 12: 30 CNY/kW-month is 360 CNY a year per kW of
    # peak; a kW of lossless battery costs 50 + 50 = 100 < 360, until the peak is 75 kW
    problem = SizingProblem(
        load_kw=np.array([100.0, 50.0]), step_h=1.0,
        import_price_cny_per_kwh=np.array([0.5, 0.5]), discount_rate=0.0,
        battery=Battery(energy=Asset(500.0, 10), power=Asset(500.0, 10),
                        charge_efficiency=1.0, discharge_efficiency=1.0),
        demand_charge_cny_per_kw_month=30.0, month_of_step=np.array([1, 1]),
    )  # fmt: skip
    result = solve_sizing(problem)
    assert result.battery_kw == pytest.approx(25.0, rel=1e-9)
    assert result.peak_import_kw == pytest.approx(75.0, rel=1e-9)
    assert result.cost_cny_per_year["demand_charge"] == pytest.approx(360 * 75)
    assert result.objective_cny_per_year == pytest.approx(4380 * 0.5 * 150 + 360 * 75 + 100 * 25)
    assert result.grid_only_cost_cny_per_year == pytest.approx(4380 * 0.5 * 150 + 360 * 100)


def test_demand_charge_by_month_and_a_capacity_charge():
    # two months of one step each: each month stands for 6; peaks 100 and 50
    problem = SizingProblem(
        load_kw=np.array([100.0, 50.0]), step_h=1.0,
        import_price_cny_per_kwh=np.array([0.5, 0.5]), discount_rate=0.0,
        demand_charge_cny_per_kw_month=30.0, month_of_step=np.array([1, 2]),
        capacity_charge_cny_per_year=12_000.0,
    )  # fmt: skip
    result = solve_sizing(problem)
    assert result.cost_cny_per_year["demand_charge"] == pytest.approx(30 * 6 * (100 + 50))
    assert result.cost_cny_per_year["capacity_charge"] == 12_000.0
    assert result.objective_cny_per_year == pytest.approx(4380 * 75 + 27_000 + 12_000)


def flat(**changes) -> SizingProblem:
    return replace(SizingProblem(
        load_kw=np.array([100.0, 100.0]), step_h=1.0,
        import_price_cny_per_kwh=np.array([0.5, 0.5]), discount_rate=0.0,
        grid_factor_tco2_per_mwh=0.5,
    ), **changes)  # fmt: skip


def test_gecs_and_green_power_meet_a_renewable_share_by_hand():
    # 876 MWh a year from the grid; 50 % renewable: 438 MWh of the cheaper GECs
    result = solve_sizing(flat(min_renewable_share=0.5, gec=Instrument(20.0),
                               green_power=Instrument(30.0)))  # fmt: skip
    assert result.feasible
    assert result.gec_mwh == pytest.approx(438.0, rel=1e-9)
    assert result.green_power_mwh == pytest.approx(0.0, abs=1e-9)
    assert result.objective_cny_per_year == pytest.approx(438_000 + 438 * 20, rel=1e-9)
    assert result.renewable_share == pytest.approx(0.5)
    assert result.emissions_tco2e == pytest.approx(438.0)  # location-based: all import
    assert result.emissions_market_tco2e == pytest.approx(219.0)
    # GECs limited to 100 MWh: the rest as green power
    limited = solve_sizing(flat(min_renewable_share=0.5, gec=Instrument(20.0, max_mwh=100.0),
                                green_power=Instrument(30.0)))  # fmt: skip
    assert limited.gec_mwh == pytest.approx(100.0)
    assert limited.green_power_mwh == pytest.approx(338.0)
    assert limited.cost_cny_per_year["green_power"] == pytest.approx(338 * 30)


def test_an_emissions_cap_is_met_by_gecs_on_the_market_basis():
    # 438 t on the grid; a cap of 100 t needs (438 - 100) / 0.5 = 676 MWh covered
    result = solve_sizing(flat(max_emissions_tco2e=100.0, gec=Instrument(20.0)))
    assert result.gec_mwh == pytest.approx(676.0, rel=1e-9)
    assert result.emissions_market_tco2e == pytest.approx(100.0)
    # instruments cover at most what is bought: a cap of 0 cannot be met by GECs alone
    zero = solve_sizing(flat(max_emissions_tco2e=0.0, gec=Instrument(20.0)))
    assert zero.gec_mwh == pytest.approx(876.0)
    assert zero.feasible  # all 876 MWh covered: 0 t market-based


# --- finance ------------------------------------------------------------------------------------


def test_npv_irr_and_paybacks_by_hand_and_against_numpy_financial():
    npf = pytest.importorskip("numpy_financial")
    flows = np.array([-1000.0, 300.0, 300.0, 300.0, 300.0, 300.0])
    # NPV at 8 %: 300 x annuity factor (1 - 1.08^-5) / 0.08 = 300 x 3.99271 = 1197.81
    assert net_present_value(rate=0.08, cash_flows_cny=flows) == pytest.approx(197.813, abs=1e-3)
    assert net_present_value(rate=0.08, cash_flows_cny=flows) == pytest.approx(
        npf.npv(0.08, flows), rel=1e-12
    )
    irr = internal_rate_of_return(flows)
    assert irr == pytest.approx(npf.irr(flows), abs=1e-10)
    assert irr == pytest.approx(0.152382, abs=1e-6)
    assert payback_years(cash_flows_cny=flows) == pytest.approx(1000 / 300)
    # discounted at 8 %: 277.78 + 257.20 + 238.15 = 773.13 after 3 years; year 4 adds 220.51,
    # year 5 204.17: 1000 - 993.64 = 6.36 left, so 4 + 6.36 / 204.17
    discounted = 300 / 1.08 ** np.arange(1, 6)
    left = 1000 - discounted[:4].sum()
    assert payback_years(cash_flows_cny=flows, rate=0.08) == pytest.approx(4 + left / discounted[4])
    assert internal_rate_of_return(np.array([-1000.0, 100.0, 100.0])) == pytest.approx(
        npf.irr([-1000.0, 100.0, 100.0]), abs=1e-10
    )
    assert payback_years(cash_flows_cny=np.array([-1000.0, 100.0, 100.0])) is None
    assert internal_rate_of_return(np.array([0.0, 100.0])) is None


def test_cash_flows_buy_again_and_credit_the_life_left():
    flows = project_cash_flows_cny(capex_cny={"pv_kw": 1000.0, "battery_kwh": 400.0},
                                   lifetime_years={"pv_kw": 25, "battery_kwh": 10},
                                   yearly_saving_cny=150.0, horizon_years=25)  # fmt: skip
    assert flows[0] == -1400.0
    assert flows[10] == 150.0 - 400.0 and flows[20] == 150.0 - 400.0
    # the battery bought in year 20 has 5 of its 10 years left at year 25: 200 back
    assert flows[25] == pytest.approx(150.0 + 200.0)
    assert flows.sum() == pytest.approx(-1400 + 25 * 150 - 800 + 200)


def test_a_plans_finance_against_doing_nothing_by_hand():
    # the arbitrage battery of test_planning: 100 kW all year, 0.30 then 1.00 CNY/kWh
    problem = SizingProblem(
        load_kw=np.array([100.0, 100.0]), step_h=1.0,
        import_price_cny_per_kwh=np.array([0.30, 1.00]), discount_rate=0.05,
        battery=Battery(energy=Asset(1000.0, 10), power=Asset(500.0, 10),
                        charge_efficiency=0.9, discharge_efficiency=0.9),
    )  # fmt: skip
    result = solve_sizing(problem)
    capex = result.capex_cny
    saving = 4380 * 130 - result.cost_cny_per_year["grid_energy"]
    assert result.operating_saving_cny_per_year == pytest.approx(saving)
    assert result.horizon_years == 10
    flows = np.array([-capex] + [saving] * 10)
    assert result.cash_flows_cny == pytest.approx(flows.tolist())
    assert result.npv_cny == pytest.approx(-capex + saving * (1 - 1.05**-10) / 0.05, rel=1e-9)
    assert result.simple_payback_years == pytest.approx(capex / saving)
    assert result.irr == pytest.approx(pytest.importorskip("numpy_financial").irr(flows), abs=1e-9)
    assert result.discounted_payback_years > result.simple_payback_years


# --- the independent reference: PyPSA with wind and heat ----------------------------------------


@pytest.fixture(scope="module")
def fortnight_with_heat() -> SizingProblem:
    """The example's first fortnight (its load, PV, TOU prices and weather) with wind from the
    weather file's wind speed and a heat load served by a heat pump (COP from the air
    temperature), an electric boiler, heat storage or the gas boiler."""
    from pvlib.iotools import read_epw

    from lingtan.planning.problem import read_problem_file

    base = read_problem_file(EXAMPLES / "planning-size.yaml").problem
    weather, _ = read_epw(EXAMPLES / "planning-weather-synthetic.epw", coerce_year=2025)
    n = 14 * 24
    speed = hub_height_wind_speed(
        wind_speed_m_per_s=weather["wind_speed"].to_numpy(float)[:n] * 2.0,
        measurement_height_m=10.0, hub_height_m=80.0, roughness_length_m=0.1,
    )  # fmt: skip
    hours = np.arange(n) % 24
    heat = Heat(
        load_kw=np.where((hours >= 8) & (hours < 20), 600.0, 250.0),
        boiler=FuelBoiler(efficiency=0.9, fuel_price_cny_per_kwh=0.35,
                          fuel_factor_tco2_per_kwh=0.0002),
        heat_pump=Asset(4000.0, 15, 60.0),
        cop=carnot_cop(source_temp_c=weather["temp_air"].to_numpy(float)[:n], sink_temp_c=60.0,
                       carnot_efficiency=0.45),
        electric_boiler=Asset(300.0, 15), electric_boiler_efficiency=0.98,
        storage=Asset(100.0, 20), storage_loss_per_h=0.01,
    )  # fmt: skip
    return replace(
        base,
        load_kw=base.load_kw[:n],
        pv_cf=base.pv_cf[:n] * 1.6,
        import_price_cny_per_kwh=base.import_price_cny_per_kwh[:n],
        export_price_cny_per_kwh=None,
        wind_cf=wind_capacity_factor(wind_speed_m_per_s=speed,
                                     curve_wind_speed_m_per_s=CURVE_SPEED,
                                     curve_power_kw=CURVE_KW),
        wind=Asset(6000.0, 20, 150.0),
        heat=heat,
        min_self_consumption_share=None,
        max_export_share=None,
    )  # fmt: skip


def test_pypsa_with_wind_heat_pump_and_heat_storage_gives_the_same_optimum(fortnight_with_heat):
    pypsa = pytest.importorskip("pypsa")
    problem = fortnight_with_heat
    r, h, b = problem.discount_rate, problem.heat, problem.battery
    ours = solve_sizing(problem)
    net = pypsa.Network()
    snapshots = pd.RangeIndex(problem.steps)
    net.set_snapshots(snapshots)
    net.snapshot_weightings["objective"] = problem.year_weight * problem.step_h
    net.snapshot_weightings["stores"] = problem.step_h
    net.snapshot_weightings["generators"] = problem.step_h
    net.add("Bus", "ac")
    net.add("Bus", "heat")
    net.add("Bus", "battery")
    net.add("Load", "load", bus="ac", p_set=pd.Series(problem.load_kw, snapshots))
    net.add("Load", "heat", bus="heat", p_set=pd.Series(h.load_kw, snapshots))
    net.add("Generator", "grid", bus="ac", p_nom=1e5,
            marginal_cost=pd.Series(problem.import_price_cny_per_kwh, snapshots))  # fmt: skip
    for name in ("pv", "wind"):
        asset = getattr(problem, name)
        net.add("Generator", name, bus="ac", p_nom_extendable=True,
                p_nom_max=asset.max_units or np.inf,
                p_max_pu=pd.Series(getattr(problem, f"{name}_cf"), snapshots),
                capital_cost=asset.annualised_cny_per_unit_per_year(r))  # fmt: skip
    net.add("Generator", "gas_boiler", bus="heat", p_nom=1e5,
            marginal_cost=h.boiler.fuel_price_cny_per_kwh / h.boiler.efficiency)  # fmt: skip
    net.add("Link", "heat_pump", bus0="ac", bus1="heat", p_nom_extendable=True,
            efficiency=pd.Series(h.cop, snapshots),
            capital_cost=h.heat_pump.annualised_cny_per_unit_per_year(r))  # fmt: skip
    net.add("Link", "electric_boiler", bus0="ac", bus1="heat", p_nom_extendable=True,
            efficiency=h.electric_boiler_efficiency,
            capital_cost=h.electric_boiler.annualised_cny_per_unit_per_year(r))  # fmt: skip
    net.add("Store", "heat_storage", bus="heat", e_nom_extendable=True, e_cyclic=True,
            standing_loss=h.storage_loss_per_h,
            capital_cost=h.storage.annualised_cny_per_unit_per_year(r))  # fmt: skip
    net.add("Store", "battery", bus="battery", e_nom_extendable=True, e_cyclic=True,
            capital_cost=b.energy.annualised_cny_per_unit_per_year(r), e_min_pu=b.soc_min,
            e_max_pu=b.soc_max)  # fmt: skip
    net.add("Link", "charger", bus0="ac", bus1="battery", p_nom_extendable=True,
            efficiency=b.charge_efficiency,
            capital_cost=b.power.annualised_cny_per_unit_per_year(r))  # fmt: skip
    net.add("Link", "discharger", bus0="battery", bus1="ac", p_nom_extendable=True,
            efficiency=b.discharge_efficiency)  # fmt: skip

    def one_power_rating(net, snapshots):
        p_nom = net.model.variables["Link-p_nom"]
        net.model.add_constraints(
            p_nom.sel(name="charger", drop=True)
            - b.discharge_efficiency * p_nom.sel(name="discharger", drop=True)
            == 0,
            name="one_power_rating",
        )

    status, _ = net.optimize(solver_name="highs", extra_functionality=one_power_rating,
                             include_objective_constant=False)  # fmt: skip
    assert status == "ok"
    assert ours.wind_kw > 10 and ours.heat_pump_kw > 10 and ours.thermal_storage_kwh > 10
    assert ours.objective_cny_per_year == pytest.approx(net.objective, rel=1e-6)
    assert ours.wind_kw == pytest.approx(net.generators.p_nom_opt["wind"], rel=1e-5)
    assert ours.pv_kw == pytest.approx(net.generators.p_nom_opt["pv"], rel=1e-5)
    assert ours.heat_pump_kw == pytest.approx(net.links.p_nom_opt["heat_pump"], rel=1e-5)
    assert ours.thermal_storage_kwh == pytest.approx(net.stores.e_nom_opt["heat_storage"],
                                                     rel=1e-5)  # fmt: skip
    assert ours.battery_kwh == pytest.approx(net.stores.e_nom_opt["battery"], rel=1e-5)


# --- the cost-emissions front and the day-ahead dispatch ----------------------------------------


def test_the_pareto_front_of_gecs_by_hand():
    from lingtan.planning.dispatch import pareto_front

    front = pareto_front(flat(gec=Instrument(20.0)), points=3)
    caps = [cap for cap, _ in front]
    # 876 MWh x 0.5 = 438 t without a cap; GECs can cover all of it: 0 t at the least
    assert caps == pytest.approx([438.0, 219.0, 0.0], abs=1e-3)
    costs = [result.objective_cny_per_year for _, result in front]
    assert costs == pytest.approx([438_000.0, 438_000 + 438 * 20, 438_000 + 876 * 20], rel=1e-6)
    assert all(result.feasible for _, result in front)


def three_days() -> SizingProblem:
    hours = np.arange(72) % 24
    return SizingProblem(
        load_kw=np.full(72, 100.0), step_h=1.0,
        import_price_cny_per_kwh=np.where(hours < 8, 0.3, 1.0), discount_rate=0.0,
        battery=Battery(energy=Asset(0.0, 10), power=Asset(0.0, 10), charge_efficiency=1.0,
                        discharge_efficiency=1.0),
    )  # fmt: skip


def test_a_rolling_day_ahead_dispatch_by_hand():
    from lingtan.planning.dispatch import rolling_dispatch

    plan = rolling_dispatch(three_days(), battery_kwh=100.0, battery_kw=50.0, days=2,
                            initial_soc_kwh=0.0)  # fmt: skip
    assert len(plan["load_kw"]) == 48
    # each day: 100 kWh bought in the valley (0.30) and delivered in the dear hours (1.00)
    for day in range(2):
        part = slice(24 * day, 24 * day + 24)
        cost = float(np.dot(plan["grid_import_kw"][part], plan["price_cny_per_kwh"][part]))
        assert cost == pytest.approx(8 * 100 * 0.3 + 16 * 100 * 1.0 - 100 * 0.7, rel=1e-9)
        net = (plan["charge_kw"] - plan["discharge_kw"])[part]  # lossless: only the net counts
        assert net[:8].sum() == pytest.approx(100.0) and net[8:].sum() == pytest.approx(-100.0)
    assert plan["soc_kwh"].max() <= 100.0 + 1e-9 and plan["soc_kwh"].min() >= -1e-9
    assert plan["charge_kw"].max() <= 50.0 + 1e-9
    # the state of charge follows charge and discharge from the 0 kWh it started with
    assert np.cumsum(plan["charge_kw"] - plan["discharge_kw"]) == pytest.approx(plan["soc_kwh"])
    with pytest.raises(ValueError, match="past the end"):
        rolling_dispatch(three_days(), battery_kwh=100.0, battery_kw=50.0, days=4)
    with pytest.raises(ValueError, match="window_h"):
        rolling_dispatch(three_days(), battery_kwh=100.0, battery_kw=50.0, window_h=12)


# --- the problem file: wind, heat, the grid's charges, instruments ------------------------------

HEAT_EXAMPLE = EXAMPLES / "planning-heat.yaml"
HEAT_FILES = ("planning-heat.yaml", "planning-load-synthetic.csv", "planning-heat-synthetic.csv",
              "planning-weather-synthetic.epw", "planning-wind-curve-illustrative.csv")  # fmt: skip


def test_the_heat_example_reads_with_the_factor_librarys_gas():
    from pvlib.iotools import read_epw

    from lingtan.planning.problem import read_problem_file

    plan = read_problem_file(HEAT_EXAMPLE)
    p, h = plan.problem, plan.problem.heat
    assert p.steps == 8760 and h.load_kw.shape == (8760,)
    # 313 working days of 16 h at 500 kW, the other 3,752 h at 150 kW, 90 winter days + 200 kW
    assert h.load_kw.sum() / 1000 == pytest.approx((5008 * 500 + 3752 * 150 + 2160 * 200) / 1000)
    # natural gas (cn-fuel-defaults-2015): NCV 389.31 GJ per 10^4 Nm3, 15.3 tC/TJ, OF 0.99
    kwh_per_unit = 389.31 * 1000 / 3.6
    assert h.boiler.fuel_price_cny_per_kwh == pytest.approx(38000 / kwh_per_unit, rel=1e-12)
    assert h.boiler.fuel_factor_tco2_per_kwh * 1000 == pytest.approx(
        0.0153 * 0.99 * 44 / 12 * 3.6, rel=1e-12
    )  # 0.19995 tCO2 per MWh of gas
    assert "cn-fuel-defaults-2015 (unverified)" in plan.sources["boiler_fuel"]
    # the COP of the first step: Carnot at the weather's air temperature of that hour
    weather, _ = read_epw(EXAMPLES / "planning-weather-synthetic.epw", coerce_year=2025)
    t = float(weather["temp_air"].iloc[0])  # 2025-01-01 00:00 local = the load's first step
    assert h.cop[0] == pytest.approx(min(6.0, 0.45 * 333.15 / (60 - t)), rel=1e-12)
    # wind: the weather's 10 m wind speed carried to 80 m (z0 0.3 m) through the curve,
    # independently by windpowerlib
    windpowerlib = pytest.importorskip("windpowerlib")
    v = windpowerlib.wind_speed.logarithmic_profile(weather["wind_speed"], 10.0, 80.0, 0.3)
    curve = np.loadtxt(EXAMPLES / "planning-wind-curve-illustrative.csv", delimiter=",",
                       skiprows=1)  # fmt: skip
    power = windpowerlib.power_output.power_curve(v, pd.Series(curve[:, 0]),
                                                  pd.Series(curve[:, 1]))  # fmt: skip
    assert p.wind_cf[0] == pytest.approx(float(np.asarray(power)[0]) / 1500, abs=1e-12)
    assert p.wind_cf.sum() == pytest.approx(np.asarray(power, float).sum() / 1500, rel=1e-9)
    assert len(np.unique(p.month_of_step)) == 12 and p.demand_charge_cny_per_kw_month == 40
    assert p.gec.price_cny_per_mwh == 5 and p.min_renewable_share == 0.5


def heat_dir(tmp_path: Path, **changes: str) -> Path:
    import shutil

    for name in HEAT_FILES:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    text = HEAT_EXAMPLE.read_text(encoding="utf-8")
    for old, new in changes.items():
        old = old.replace("__", " ")
        assert old in text, old
        text = text.replace(old, new, 1)
    (tmp_path / "planning-heat.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "planning-heat.yaml"


def refused(path: Path) -> list[str]:
    from lingtan.errors import InputError
    from lingtan.planning.problem import read_problem_file

    with pytest.raises(InputError) as caught:
        read_problem_file(path)
    return [str(problem) for problem in caught.value.problems]


def test_bad_heat_wind_and_charge_fields_are_refused(tmp_path):
    path = heat_dir(tmp_path, **{
        "carnot_efficiency: 0.45": "carnot_efficiency: 0",
        "  efficiency: 0.98": "  efficiency: 1.2",
        "capex_cny_per_kw: 6000": "capex_cny_per_kw: -6000",  # the first: wind's
        "fuel: natural_gas": "fuel: moon_gas",
        "price_cny_per_mwh: 5": "price_cny_per_mwh: -5",
        "roughness_length_m: 0.3": "hellman_exponent: 0.14\n  roughness_length_m: 0.3",
        "demand_charge_cny_per_kw_month: 40": "capacity_kva: 2000",
        "loss_pct_per_h: 0.5": "loss_pct_per_h: 120",
    })  # fmt: skip
    problems = refused(path)
    name = "planning-heat.yaml"
    assert f"{name}: field 'heat_pump.carnot_efficiency' = 0: must be above 0" in problems
    assert f"{name}: field 'electric_boiler.efficiency' = 1.2: must be at most 1" in problems
    assert f"{name}: field 'wind.capex_cny_per_kw' = -6000: must not be negative" in problems
    assert f"{name}: field 'gec.price_cny_per_mwh' = -5: must not be negative" in problems
    assert f"{name}: field 'heat_storage.loss_pct_per_h' = 120: must be at most 100" in problems
    assert any(p.startswith(f"{name}: field 'boiler.fuel' = 'moon_gas'") for p in problems)
    assert (f"{name}: field 'wind.roughness_length_m' = 0.3: give exactly one of "
            "roughness_length_m and hellman_exponent") in problems  # fmt: skip
    assert (f"{name}: field 'grid.capacity_kva' = 2000.0: give both "
            "capacity_charge_cny_per_kva_month and capacity_kva") in problems  # fmt: skip


def test_a_sink_not_above_the_source_needs_max_cop(tmp_path):
    path = heat_dir(tmp_path, **{"sink_temp_c: 60": "sink_temp_c: 20",
                                 "  max_cop: 6\n": "\n"})  # fmt: skip
    (problem,) = [p for p in refused(path) if "sink_temp_c" in p]
    assert "must be above the source temperature at every step" in problem
    assert "or give max_cop" in problem


def test_a_power_curve_not_increasing_in_wind_speed_is_refused_naming_the_row(tmp_path):
    path = heat_dir(tmp_path)
    curve = tmp_path / "planning-wind-curve-illustrative.csv"
    curve.write_text(curve.read_text().replace("6,250", "4,250"))
    problems = refused(path)
    assert problems == [
        "planning-wind-curve-illustrative.csv row 5: field 'wind_speed_m_per_s' = '4': wind "
        "speeds must increase from row to row (the row before: 5)"
    ]


def test_a_heat_load_of_the_wrong_length_or_negative_is_refused(tmp_path):
    path = heat_dir(tmp_path)
    heat = tmp_path / "planning-heat-synthetic.csv"
    lines = heat.read_text().splitlines()
    heat.write_text("\n".join(lines[:-24]) + "\n")
    assert refused(path) == [
        "planning-heat-synthetic.csv: field 'rows' = 8736: as many rows as the load file (8760)"
    ]
    lines[5] = lines[5].split(",")[0] + ",-5"
    heat.write_text("\n".join(lines) + "\n")
    assert refused(path) == [
        "planning-heat-synthetic.csv row 6: field 'heat_kw' = '-5': must not be negative"
    ]


def test_heat_technologies_need_a_heat_load_and_the_boiler(tmp_path):
    path = heat_dir(tmp_path, **{"heat:\n  file: planning-heat-synthetic.csv\n": ""})
    problems = refused(path)
    assert "planning-heat.yaml: field 'heat' = (missing): is required with heat_pump" in problems
    path = heat_dir(tmp_path, **{"boiler:\n  fuel: natural_gas": "unused:\n  fuel: natural_gas"})
    problems = refused(path)
    assert "planning-heat.yaml: field 'boiler' = (missing): is required with heat" in problems


# --- the command line ---------------------------------------------------------------------------


def test_plan_dispatch_writes_a_day_ahead_csv_and_refuses_a_bad_start(tmp_path):
    import csv
    import io

    from click.testing import CliRunner

    from lingtan.cli.main import main

    runner = CliRunner()
    example = str(EXAMPLES / "planning-size.yaml")
    args = ["plan", "dispatch", example, "--start", "2025-07-01T00:00+08:00", "--battery-kwh",
            "2000", "--battery-kw", "500", "--soc-kwh", "100", "--format", "csv"]  # fmt: skip
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 24 and rows[0]["timestamp"] == "2025-06-30T16:00:00Z"
    soc = np.array([float(r["soc_kwh"]) for r in rows])
    assert soc.min() >= 0.05 * 2000 - 1e-6 and soc.max() <= 0.95 * 2000 + 1e-6
    price = np.array([float(r["price_cny_per_kwh"]) for r in rows])
    charge = np.array([float(r["charge_kw"]) for r in rows])
    discharge = np.array([float(r["discharge_kw"]) for r in rows])
    assert charge[price == price.min()].sum() > 0 and discharge[price == price.max()].sum() > 0
    bad = runner.invoke(main, [*args[:4], "2025-07-01T00:30+08:00", *args[5:]])
    assert bad.exit_code == 2 and "not the start of a step of the load file" in bad.stderr
    low = runner.invoke(main, [*args[:10], "5000", "--format", "csv"])
    assert low.exit_code == 2 and "must be from 100 to 1900 kWh" in low.stderr


def test_the_documented_heat_example_is_the_shipped_file():
    doc = (EXAMPLES.parent / "docs" / "planning.md").read_text(encoding="utf-8")
    assert HEAT_EXAMPLE.read_text(encoding="utf-8").strip() in doc


@pytest.mark.parametrize(
    "change, rule",
    [
        (dict(cop=np.array([4.0, 0.0])), "heat.cop must be finite and > 0"),
        (dict(cop=np.array([4.0, -1.0])), "heat.cop must be finite and > 0"),
        (dict(cop=np.array([4.0])), "heat.cop has 1 values, not one per step"),
        (dict(load_kw=np.ones(3)), "heat.load_kw has 3 values"),
        (dict(boiler=FuelBoiler(1.2, 0.3, 0.0002)), "heat.boiler.efficiency must be in"),
        (dict(heat_pump=Asset(-1.0, 10)), "the costs of heat_pump_kw must not be negative"),
    ],
)
def test_a_problem_the_lp_cannot_mean_is_refused(change, rule):
    problem = heat_problem(heat_pump=Asset(20_000.0, 20), cop=np.array([4.0, 2.0]))
    problem = replace(problem, heat=replace(problem.heat, **change))
    with pytest.raises(ValueError, match=rule):
        solve_sizing(problem)
