"""The pathway to near-zero (lingtan.planning.pathway): the trajectory and the MAC curve of
small cases worked by hand, the pathway file's refusals, ``lingtan plan pathway`` and its
charts."""

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.demo.build import FACILITY
from lingtan.errors import InputError
from lingtan.i18n.catalog import texts
from lingtan.planning.pathway import (
    Base,
    GridFactor,
    Measure,
    PathwayProblem,
    Target,
    solve_pathway,
)
from lingtan.planning.pathway_file import FIELDS, read_pathway_file
from lingtan.reports.pathway_charts import mac_curve_figure, trajectory_figure

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "planning-pathway.yaml"

GRID = GridFactor(0.5, 0.6, 10.0, "a test's figure", "illustrative")


def three_measures(rate: float = 0.0) -> PathwayProblem:
    """Base 2025: Scope 1 800 t, 2,000 MWh of grid electricity; the grid factor 0.5
    (location) and 0.6 (market) tCO2/MWh, 10 % less each year; target 1,000 t in 2030."""
    return PathwayProblem(
        base_year=2025,
        base=Base(scope1_tco2e=800, electricity_mwh=2000),
        grid=GRID,
        target=Target(2030, 1000, "location"),
        measures=(
            Measure("led", "efficiency", 2026, 2, capex_cny=600, saving_cny_per_year=500,
                    electricity_mwh_per_year=100),
            Measure("hp", "electrification", 2027, 4, capex_cny=10000, om_cny_per_year=100,
                    saving_cny_per_year=-200, electricity_mwh_per_year=-400,
                    scope1_tco2e_per_year=500, reason="heat pumps"),
            Measure("ccer", "offset", 2030, 1, om_cny_per_year=1500, offset_tco2e_per_year=50),
        ),
        discount_rate=rate,
    )  # fmt: skip


def test_three_measures_by_hand():
    result = solve_pathway(three_measures())
    years = {row["year"]: row for row in result.years}
    assert list(years) == [2025, 2026, 2027, 2028, 2029, 2030]
    # grid factor: 0.5 · 0.9^n
    assert years[2027]["grid_factor_location_tco2_per_mwh"] == pytest.approx(0.405)
    assert years[2030]["grid_factor_market_tco2_per_mwh"] == pytest.approx(0.6 * 0.59049)
    # base year: 800 + 2000 · 0.5 = 1800 (location), 800 + 2000 · 0.6 = 2000 (market)
    assert years[2025]["total_location_tco2e"] == pytest.approx(1800)
    assert years[2025]["total_market_tco2e"] == pytest.approx(2000)
    # 2026: LED only; 1,900 MWh · 0.45 = 855
    assert years[2026]["total_location_tco2e"] == pytest.approx(800 + 855)
    # 2027: LED and heat pumps; grid 2000 − 100 + 400 = 2300 MWh · 0.405 = 931.5, S1 300
    assert years[2027]["grid_electricity_mwh"] == pytest.approx(2300)
    assert years[2027]["total_location_tco2e"] == pytest.approx(1231.5)
    assert years[2027]["bau_location_tco2e"] == pytest.approx(800 + 2000 * 0.405)  # 1610
    # 2028: LED ended (2 years); grid 2400 · 0.3645 = 874.8
    assert years[2028]["total_location_tco2e"] == pytest.approx(300 + 874.8)
    # 2030: 2400 · 0.295245 = 708.588 + 300; offsets 50
    row = years[2030]
    assert row["total_location_tco2e"] == pytest.approx(1008.588)
    assert row["offsets_tco2e"] == 50
    assert row["net_tco2e"] == pytest.approx(958.588)
    # target path: 1800 → 1000 in 5 years, 160 a year
    assert [years[y]["target_tco2e"] for y in years] == pytest.approx(
        [1800, 1640, 1480, 1320, 1160, 1000]
    )
    assert row["gap_tco2e"] == pytest.approx(8.588)
    assert row["gap_after_offsets_tco2e"] == pytest.approx(-41.412)
    assert result.as_dict()["target_met"] is False
    assert result.as_dict()["target_met_with_offsets"] is True
    # abatement per year, at that year's factor: LED 100 · 0.45, 100 · 0.405
    assert result.abatement["led"]["location"] == pytest.approx([0, 45, 40.5, 0, 0, 0])
    # heat pumps 500 − 400 · factor: 338, 354.2, 368.78, 381.902
    assert result.abatement["hp"]["location"] == pytest.approx([0, 0, 338, 354.2, 368.78, 381.902])
    # the measures explain the whole difference from doing nothing
    assert years[2027]["bau_location_tco2e"] - years[2027]["total_location_tco2e"] == (
        pytest.approx(45 * 0.9 + 338)
    )
    assert all(abs(r["interaction_location_tco2e"]) < 1e-9 for r in result.years)
    # cost per year: capex in the start year, O&M less saving while active
    assert years[2026]["net_cost_cny"] == pytest.approx(600 - 500)
    assert years[2027]["net_cost_cny"] == pytest.approx(10000 + 100 + 200 - 500)
    assert years[2030]["net_cost_cny"] == pytest.approx(100 + 200 + 1500)


def test_three_measures_mac_curve_by_hand():
    result = solve_pathway(three_measures())
    curve = {p.id: p for p in result.mac}
    # LED: CRF(0, 2) = 1/2; cost 600/2 − 500 = −200 CNY/a; abatement (45 + 40.5)/2 = 42.75
    assert curve["led"].annualised_cost_cny_per_year == pytest.approx(-200)
    assert curve["led"].abatement_tco2e_per_year == pytest.approx(42.75)
    assert curve["led"].mac_cny_per_tco2e == pytest.approx(-200 / 42.75)  # −4.678
    # heat pumps: 10000/4 + 100 + 200 = 2800; (338 + 354.2 + 368.78 + 381.902)/4 = 360.7205
    assert curve["hp"].annualised_cost_cny_per_year == pytest.approx(2800)
    assert curve["hp"].abatement_tco2e_per_year == pytest.approx(360.7205)
    assert curve["hp"].mac_cny_per_tco2e == pytest.approx(2800 / 360.7205)  # 7.762
    # offsets: 1500 / 50 = 30 CNY/t, last
    assert curve["ccer"].mac_cny_per_tco2e == pytest.approx(30)
    assert [p.id for p in result.mac] == ["led", "hp", "ccer"]
    assert [p.cumulative_end_tco2e for p in result.mac] == pytest.approx(
        [42.75, 42.75 + 360.7205, 42.75 + 360.7205 + 50]
    )
    assert result.mac[0].cumulative_start_tco2e == 0


def test_the_mac_discounts_cost_and_abatement_alike():
    result = solve_pathway(three_measures(rate=0.05))
    led = next(p for p in result.mac if p.id == "led")
    crf = 0.05 * 1.05**2 / (1.05**2 - 1)  # 0.5378049
    assert led.annualised_cost_cny_per_year == pytest.approx(600 * crf - 500)
    assert led.abatement_tco2e_per_year == pytest.approx(crf * (45 / 1.05 + 40.5 / 1.05**2))


def test_instruments_cover_at_most_the_grid_electricity_left():
    # 1,000 MWh; efficiency saves 400; green power of 800 MWh can cover only the 600 left
    problem = PathwayProblem(
        base_year=2025,
        base=Base(scope1_tco2e=0, electricity_mwh=1000),
        grid=GridFactor(0.5, 0.6, 0.0, "test", "illustrative"),
        target=Target(2026, 0, "market"),
        measures=(
            Measure("eff", "efficiency", 2026, 1, electricity_mwh_per_year=400),
            Measure("green", "green_power", 2026, 1, om_cny_per_year=6000,
                    green_mwh_per_year=800),
        ),
        discount_rate=0.0,
    )  # fmt: skip
    result = solve_pathway(problem)
    row = result.years[1]
    assert row["instruments_used_mwh"] == pytest.approx(600)
    assert row["instruments_unused_mwh"] == pytest.approx(200)
    assert row["total_market_tco2e"] == pytest.approx(0)
    assert row["total_location_tco2e"] == pytest.approx(600 * 0.5)  # instruments: market only
    assert result.abatement["green"]["market"][1] == pytest.approx(600 * 0.6)
    assert result.abatement["green"]["location"][1] == 0
    green = next(p for p in result.mac if p.id == "green")
    assert green.mac_cny_per_tco2e == pytest.approx(6000 / 360)


def test_a_measure_without_abatement_is_off_the_curve():
    problem = PathwayProblem(
        2025, Base(100, 0), GRID, Target(2027, 50),
        (Measure("paint", "efficiency", 2026, 2, capex_cny=100),), 0.0,
    )  # fmt: skip
    result = solve_pathway(problem)
    assert result.mac == [] and [p.id for p in result.off_curve] == ["paint"]
    assert result.off_curve[0].mac_cny_per_tco2e is None


def test_saving_more_than_the_base_year_has_is_refused():
    problem = PathwayProblem(
        2025, Base(100, 50), GRID, Target(2027, 50),
        (Measure("big", "efficiency", 2026, 2, electricity_mwh_per_year=80),), 0.0,
    )  # fmt: skip
    with pytest.raises(InputError, match="save more grid electricity than the base year's 50"):
        solve_pathway(problem)


# --- the file ---------------------------------------------------------------------------------


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "pathway.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def small() -> dict:
    return {
        "base_year": 2025,
        "target": {"year": 2030, "tco2e": 1000},
        "finance": {"discount_rate": 0},
        "base": {"scope1_tco2e": 800, "electricity_mwh": 2000},
        "grid_factor": {"location_tco2_per_mwh": 0.5, "market_tco2_per_mwh": 0.6,
                        "decline_pct_per_year": 10, "source": "test", "status": "illustrative"},
        "measures": [
            {"id": "led", "kind": "efficiency", "start_year": 2026, "lifetime_years": 2,
             "capex_cny": 600, "saving_cny_per_year": 500, "electricity_mwh_per_year": 100},
            {"id": "hp", "kind": "electrification", "start_year": 2027, "lifetime_years": 4,
             "capex_cny": 10000, "om_cny_per_year": 100, "saving_cny_per_year": -200,
             "electricity_mwh_per_year": -400, "scope1_tco2e_per_year": 500,
             "reason": "heat pumps"},
            {"id": "ccer", "kind": "offset", "start_year": 2030, "lifetime_years": 1,
             "om_cny_per_year": 1500, "offset_tco2e_per_year": 50},
        ],
    }  # fmt: skip


def test_the_file_reads_the_hand_worked_case(tmp_path):
    read = read_pathway_file(write(tmp_path, small()))
    assert read.problem.grid.source == "test" and read.problem.origin == "pathway.yaml"
    led = read.problem.measures[0]
    assert (led.id, led.title, led.origin) == ("led", "led", "file")
    by_file, by_hand = solve_pathway(read.problem), solve_pathway(three_measures())
    assert by_file.years == by_hand.years and by_file.abatement == by_hand.abatement
    assert [p.mac_cny_per_tco2e for p in by_file.mac] == [p.mac_cny_per_tco2e for p in by_hand.mac]


def refused(tmp_path: Path, data: dict) -> list[tuple[str, str, object, str]]:
    with pytest.raises(InputError) as error:
        read_pathway_file(write(tmp_path, data))
    return [(p.where, p.field, p.value, p.rule) for p in error.value.problems]


def test_bad_files_are_refused_naming_file_field_and_value(tmp_path):
    data = small()
    data["target"]["year"] = 2024
    data["measures"][1].pop("reason")
    data["measures"][0]["stored"] = "standby:N1"
    data["grid_factor"].pop("source")
    data["grid_factor"]["status"] = "guessed"
    problems = refused(tmp_path, data)
    fields = {field: (where, value, rule) for where, field, value, rule in problems}
    assert fields["target.year"][:2] == ("pathway.yaml", 2024)
    assert "after base_year (2025)" in fields["target.year"][2]
    assert fields["measures[1].electricity_mwh_per_year"][1] == -400
    assert "give its reason" in fields["measures[1].electricity_mwh_per_year"][2]
    assert fields["measures[0].stored"][1] == "standby:N1"
    assert "--facility" in fields["measures[0].stored"][2]
    assert fields["grid_factor.source"][2] == "is required"
    assert fields["grid_factor.status"][1] == "guessed"


def test_unknown_stored_measure_and_missing_decline_are_refused(tmp_path):
    data = small()
    data["measures"][0] = {"stored": "nope", "start_year": 2026, "lifetime_years": 5}
    data["grid_factor"].pop("decline_pct_per_year")
    data["measures"][2]["offset_tco2e_per_year"] = -5
    stored = {"standby:N1": {"title": "standby", "capex_cny": 0.0}}
    with pytest.raises(InputError) as error:
        read_pathway_file(write(tmp_path, data), stored=stored)
    found = {p.field: (p.value, p.rule) for p in error.value.problems}
    assert found["measures[0].stored"][0] == "nope"
    assert "known: standby:N1" in found["measures[0].stored"][1]
    assert found["grid_factor.decline_pct_per_year"] == (None, "is required")
    assert found["measures[2].offset_tco2e_per_year"][0] == -5


def test_a_stored_measure_takes_the_stores_figures(tmp_path):
    data = small()
    data["measures"][0] = {"stored": "standby:N1", "start_year": 2026, "lifetime_years": 2}
    figures = dict.fromkeys(
        ("om_cny_per_year", "scope1_tco2e_per_year", "heat_tco2e_per_year",
         "green_mwh_per_year", "offset_tco2e_per_year"), 0.0,
    )  # fmt: skip
    stored = {"standby:N1": {**figures, "title": "Standby of N1", "capex_cny": 600.0,
                             "saving_cny_per_year": 500.0, "electricity_mwh_per_year": 100.0}}  # fmt: skip
    read = read_pathway_file(write(tmp_path, data), stored=stored)
    led = read.problem.measures[0]
    assert (led.id, led.title, led.origin) == ("standby:N1", "Standby of N1", "store:standby:N1")
    result = solve_pathway(read.problem)
    assert result.abatement["standby:N1"]["location"][1:3] == pytest.approx([45, 40.5])


def test_every_field_is_documented():
    text = (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")
    part = text[text.index("## The pathway to near-zero") :]
    missing = [
        f"{section}.{name}" if section else name
        for section, names in FIELDS.items()
        for name in names
        if not re.search(rf"`{re.escape(name)}`", part)
    ]
    assert not missing


# --- the command line and the charts ----------------------------------------------------------


def test_plan_pathway_example_json_and_chinese_table():
    runner = CliRunner()
    done = runner.invoke(main, ["plan", "pathway", str(EXAMPLE), "--format", "json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["grid_factor"]["status"] == "illustrative"
    # 95 % less than the base year's market-based 1,200 + 6,384 MWh · 0.6096 tCO2/MWh
    assert data["target"]["tco2e"] == pytest.approx((1200 + 6384 * 0.6096) * 0.05)
    assert [row["year"] for row in data["years"]] == list(range(2025, 2036))
    assert {"gap_tco2e", "target_tco2e", "net_cost_cny"} <= set(data["years"][0])
    assert data["mac_curve"][-1]["kind"] == "offset"
    macs = [p["mac_cny_per_tco2e"] for p in data["mac_curve"] if p["kind"] != "offset"]
    assert macs == sorted(macs) and macs[0] < 0
    pv = next(m for m in data["measures"] if m["id"] == "pv-battery")
    assert pv["origin"] == "plan:planning-size-result.json"
    done = runner.invoke(main, ["--lang", "zh-CN", "plan", "pathway", str(EXAMPLE)])
    assert done.exit_code == 0, done.output
    assert "路线图" in done.stdout and "边际减排成本曲线" in done.stdout
    assert "能效" in done.stdout and "碳抵销" in done.stdout


def test_plan_pathway_refusal_exits_2(tmp_path):
    data = small()
    data["target"]["year"] = 2020
    done = CliRunner().invoke(main, ["plan", "pathway", str(write(tmp_path, data))])
    assert done.exit_code == 2 and done.stdout == ""
    assert "target.year" in done.stderr and "2020" in done.stderr


def test_plan_pathway_with_the_demo_facility(demo_copy, tmp_path):
    url = demo_copy(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(main, ["--db", url, "efficiency", "measures", "--year", "2025",
                                  "--format", "json"])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    measures = json.loads(listed.stdout)
    data = small()
    data.pop("base")
    data["base_year"] = 2025
    data["target"] = {"year": 2030, "reduction_pct": 50}
    data["grid_factor"].pop("location_tco2_per_mwh")
    data["grid_factor"].pop("market_tco2_per_mwh")
    electric = [m for m in measures if m["energy_type"] == "electricity"]
    data["measures"] = [{"stored": electric[0]["code"], "start_year": 2026, "lifetime_years": 5}]
    done = runner.invoke(main, ["--db", url, "plan", "pathway", str(write(tmp_path, data)),
                                "--facility", FACILITY, "--format", "json"])  # fmt: skip
    assert done.exit_code == 0, (done.output, done.stderr)
    out = json.loads(done.stdout)
    overview = json.loads(
        runner.invoke(main, ["--db", url, "overview", "--year", "2025", "--format", "json"]).stdout
    )
    base = out["years"][0]
    emissions = overview["emissions"]
    assert base["total_location_tco2e"] == pytest.approx(
        emissions["scope1_tco2e"] + emissions["scope2_location_tco2e"]
    )
    assert out["sources"]["base"]["facility"] == FACILITY
    kwh = electric[0]["saved_per_year"] * (1000 if electric[0]["unit"] == "MWh" else 1) / 1000
    row = out["years"][1]
    assert out["measures"][0]["abatement_tco2e"]["location"][1] == pytest.approx(
        kwh * row["grid_factor_location_tco2_per_mwh"]
    )


def test_the_charts_are_plotly_figures_in_both_languages():
    result = solve_pathway(three_measures())
    mac = mac_curve_figure(result, texts("zh-CN"))
    bars = {trace["name"]: trace for trace in mac["data"]}
    assert set(bars) == {"能效", "电能替代", "碳抵销"}
    assert bars["能效"]["width"] == pytest.approx([42.75])
    assert bars["能效"]["x"] == pytest.approx([42.75 / 2])
    assert bars["电能替代"]["x"] == pytest.approx([42.75 + 360.7205 / 2])
    assert mac["layout"]["bargap"] == 0
    line = trajectory_figure(result, texts("en"))
    names = [trace["name"] for trace in line["data"]]
    assert "Target path" in names
    target = next(t for t in line["data"] if t["name"] == "Target path")
    assert target["y"] == pytest.approx([1800, 1640, 1480, 1320, 1160, 1000])
    json.dumps(mac), json.dumps(line)  # plain JSON for the web layer


def test_the_example_ships_the_plan_it_names():
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    plans = [m["plan"] for m in data["measures"] if "plan" in m]
    assert plans and all((EXAMPLE.parent / p).is_file() for p in plans)


def test_a_plan_measure_takes_the_plans_figures(tmp_path):
    plan = {"name": "PV", "load_mwh": 2000.0, "grid_import_mwh": 1500.0, "capex_cny": 9000.0,
            "operating_saving_cny_per_year": 1200.0, "savings_cny_per_year": 400.0,
            "green_power_mwh": 0.0, "gec_mwh": 0.0, "heat_load_mwh": 0.0, "horizon_years": 3}  # fmt: skip
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    data = small()
    data["measures"] = [{"id": "pv", "plan": "plan.json", "start_year": 2026}]
    read = read_pathway_file(write(tmp_path, data))
    pv = read.problem.measures[0]
    assert (pv.kind, pv.lifetime_years, pv.title, pv.origin) == ("asset", 3, "PV", "plan:plan.json")
    assert (pv.capex_cny, pv.saving_cny_per_year) == (9000.0, 1200.0)
    result = solve_pathway(read.problem)
    # 500 MWh less from the grid: 225, 202.5, 182.25 t (0.45, 0.405, 0.3645); rate 0
    assert result.abatement["pv"]["location"][1:4] == pytest.approx([225, 202.5, 182.25])
    point = result.mac[0]
    assert point.annualised_cost_cny_per_year == -400  # the plan's objective less doing nothing
    assert point.mac_cny_per_tco2e == pytest.approx(-400 / ((225 + 202.5 + 182.25) / 3))
    plan["heat_load_mwh"] = 10.0
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    found = {p[1]: p for p in refused(tmp_path, data)}
    assert "heat load" in found["measures[0].scope1_tco2e_per_year"][3]
    (tmp_path / "plan.json").write_text("{", encoding="utf-8")
    assert "is not JSON" in refused(tmp_path, data)[0][3]


def test_the_documented_example_is_the_shipped_file():
    text = EXAMPLE.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert body.strip() in (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")


def test_a_refusal_is_chinese_with_lang_zh_cn(tmp_path):
    data = small()
    data["target"]["year"] = 2020
    path = str(write(tmp_path, data))
    done = CliRunner().invoke(main, ["--lang", "zh-CN", "plan", "pathway", path])
    assert done.exit_code == 2 and "须晚于基准年 base_year（2025）" in done.stderr


def test_the_documented_output_is_the_commands():
    done = CliRunner().invoke(main, ["plan", "pathway", "examples/planning-pathway.yaml"])
    assert done.exit_code == 0, done.output
    assert done.stdout in (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")


def test_instruments_held_beyond_the_grid_left_are_the_interaction():
    # 100 MWh, 80 of them green already; saving 50 leaves 50 MWh, all covered: the market-based
    # Scope 2 goes from 20 · 0.6 = 12 t to 0, not by the 50 · 0.6 = 30 t the saving abates alone
    problem = PathwayProblem(
        2025, Base(0, 100, green_mwh=80), GridFactor(0.5, 0.6, 0.0, "test", "illustrative"),
        Target(2026, 0, "market"),
        (Measure("eff", "efficiency", 2026, 1, electricity_mwh_per_year=50),), 0.0,
    )  # fmt: skip
    row = solve_pathway(problem).years[1]
    assert row["bau_market_tco2e"] == pytest.approx(12)
    assert row["total_market_tco2e"] == pytest.approx(0)
    assert row["instruments_unused_mwh"] == pytest.approx(30)
    assert row["interaction_market_tco2e"] == pytest.approx(12 - 30)
    assert row["interaction_location_tco2e"] == pytest.approx(0)


# --- production growth and the grid factor of each year ---------------------------------------


def grown() -> dict:
    """The hand-worked case of docs/planning.md: output 1,000 t growing 10 % a year, 200 tCO2e
    of Scope 1 that does not follow it, the grid factor of each year given."""
    return {
        "base_year": 2025,
        "target": {"year": 2027, "intensity_reduction_pct": 20},
        "finance": {"discount_rate": 0},
        "base": {"scope1_tco2e": 800, "electricity_mwh": 2000, "other_scope2_tco2e": 100},
        "production": {"unit": "t", "base": 1000, "growth_pct_per_year": 10,
                       "fixed_scope1_tco2e": 200},
        "grid_factor": {
            "location_tco2_per_mwh": 0.5, "market_tco2_per_mwh": 0.6, "source": "test",
            "status": "illustrative",
            "by_year": {2026: {"location_tco2_per_mwh": 0.45, "source": "illustrative"},
                        2027: {"location_tco2_per_mwh": 0.40, "market_tco2_per_mwh": 0.5,
                               "source": "a test's figure"}},
        },
        "measures": [
            {"id": "led", "kind": "efficiency", "start_year": 2026, "lifetime_years": 2,
             "electricity_mwh_per_year": 100},
        ],
    }  # fmt: skip


def test_production_growth_and_grid_factors_by_hand(tmp_path):
    result = solve_pathway(read_pathway_file(write(tmp_path, grown())).problem)
    rows = {row["year"]: row for row in result.years}
    # 2025: g = 1; S1 800, grid 2,000 MWh, heat 100; 0.5 and 0.6 tCO2/MWh
    assert rows[2025]["total_location_tco2e"] == pytest.approx(800 + 1000 + 100)
    assert rows[2025]["total_market_tco2e"] == pytest.approx(800 + 1200 + 100)
    assert rows[2025]["location_intensity_tco2e_per_unit"] == pytest.approx(1.9)
    # 2026: g = 1.1; S1 200 + 600·1.1 = 860, grid 2,200 − 100 = 2,100 MWh at 0.45 (market
    # the location-based of the year), heat 110
    r = rows[2026]
    assert r["production"] == pytest.approx(1100)
    assert r["scope1_tco2e"] == pytest.approx(860)
    assert r["grid_electricity_mwh"] == pytest.approx(2100)
    assert r["scope2_location_tco2e"] == pytest.approx(2100 * 0.45 + 110)
    assert r["total_location_tco2e"] == pytest.approx(1915)
    assert r["total_market_tco2e"] == pytest.approx(1915)
    assert r["bau_location_tco2e"] == pytest.approx(860 + 2200 * 0.45 + 110)
    assert r["location_intensity_tco2e_per_unit"] == pytest.approx(1915 / 1100)
    # the intensity target: 1.9 · 0.8 = 1.52 t/t in 2027, half way in 2026: 1.71 · 1,100
    assert r["target_tco2e"] == pytest.approx(1881)
    assert r["target_intensity_tco2e_per_unit"] == pytest.approx(1.71)
    assert r["gap_tco2e"] == pytest.approx(34)
    # 2027: g = 1.21; S1 926, grid 2,320 MWh at 0.40 / 0.50, heat 121
    r = rows[2027]
    assert r["total_location_tco2e"] == pytest.approx(926 + 928 + 121)
    assert r["total_market_tco2e"] == pytest.approx(926 + 1160 + 121)
    assert r["location_intensity_tco2e_per_unit"] == pytest.approx(1975 / 1210)
    assert r["target_tco2e"] == pytest.approx(1.52 * 1210)
    assert r["gap_tco2e"] == pytest.approx(1975 - 1839.2)
    assert result.target.intensity_tco2e_per_unit == pytest.approx(1.52)
    assert result.target.tco2e == pytest.approx(1839.2)
    # the LED's abatement at each year's factor; nothing unexplained
    assert result.abatement["led"]["location"] == pytest.approx([0, 45, 40])
    assert r["interaction_location_tco2e"] == pytest.approx(0, abs=1e-9)
    data = result.as_dict()
    assert data["production"]["unit"] == "t" and data["target_met"] is False
    assert data["grid_factor"]["by_year"][0] == {
        "year": 2026, "location_tco2_per_mwh": 0.45, "market_tco2_per_mwh": 0.45,
        "source": "illustrative"}  # fmt: skip


def test_production_by_year_is_the_same_as_its_rate(tmp_path):
    data = grown()
    data["production"] = {"unit": "t", "base": 1000, "by_year": {2026: 1100, "2027": 1210},
                          "fixed_scope1_tco2e": 200}  # fmt: skip
    by_year = solve_pathway(read_pathway_file(write(tmp_path, data)).problem)
    by_rate = solve_pathway(read_pathway_file(write(tmp_path, grown())).problem)
    assert [r["total_market_tco2e"] for r in by_year.years] == pytest.approx(
        [r["total_market_tco2e"] for r in by_rate.years]
    )


def test_an_absolute_target_with_growth_keeps_its_straight_line(tmp_path):
    data = grown()
    data["target"] = {"year": 2027, "reduction_pct": 10}
    result = solve_pathway(read_pathway_file(write(tmp_path, data)).problem)
    assert result.target.tco2e == pytest.approx(1900 * 0.9)
    assert [r["target_tco2e"] for r in result.years] == pytest.approx([1900, 1805, 1710])
    assert result.target.intensity_tco2e_per_unit is None


def test_bad_series_are_refused_naming_field_year_and_value(tmp_path):
    data = grown()
    data["grid_factor"]["by_year"] = {
        2027: {"location_tco2_per_mwh": -0.1, "source": "x"},
        2030: {"location_tco2_per_mwh": 0.3, "source": "x"},
    }
    data["production"] = {"unit": "t", "base": 1000, "by_year": {2026: 1100}}
    found = {f: (v, r) for _, f, v, r in refused(tmp_path, data)}
    assert found["grid_factor.by_year.2030"] == (
        {"location_tco2_per_mwh": 0.3, "source": "x"},
        "the year 2030 is outside the pathway (2026 to 2027)",
    )
    assert found["production.by_year"] == (
        2027, "no value for 2027: give every year from 2026 to 2027")  # fmt: skip
    data["grid_factor"]["by_year"].pop(2030)
    found = {f: (v, r) for _, f, v, r in refused(tmp_path, data)}
    assert found["grid_factor.by_year"] == (
        2026, "no value for 2026: give every year from 2026 to 2027")  # fmt: skip
    data["grid_factor"]["by_year"][2026] = {"location_tco2_per_mwh": 0.4}
    found = {f: (v, r) for _, f, v, r in refused(tmp_path, data)}
    assert found["grid_factor.by_year.2027.location_tco2_per_mwh"] == (
        -0.1, "must not be negative")  # fmt: skip
    assert found["grid_factor.by_year.2026.source"] == (None, "is required")
    data = grown()
    data["grid_factor"]["decline_pct_per_year"] = 2
    data.pop("production")
    found = {f: r for _, f, v, r in refused(tmp_path, data)}
    assert found["grid_factor.by_year"] == "give decline_pct_per_year or by_year, not both"
    assert found["target.intensity_reduction_pct"] == (
        "an intensity target needs the production section"
    )
    data = grown()
    data["production"]["base"] = 0
    data["production"]["fixed_scope1_tco2e"] = 900
    data["production"]["by_year"] = {2026: 1, 2027: 1}
    found = {f: (v, r) for _, f, v, r in refused(tmp_path, data)}
    assert found["production.base"] == (0, "must be above 0")
    assert found["production.fixed_scope1_tco2e"] == (
        900, "must be at most the base year's Scope 1 (800 tCO2e)")  # fmt: skip
    assert found["production.growth_pct_per_year"][1] == (
        "give exactly one of growth_pct_per_year and by_year"
    )


def test_plan_pathway_shows_output_and_intensity_in_both_languages(tmp_path):
    path = write(tmp_path, grown())
    runner = CliRunner()
    done = runner.invoke(main, ["plan", "pathway", str(path), "--format", "json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["years"][2]["location_intensity_tco2e_per_unit"] == pytest.approx(1975 / 1210)
    assert data["production"]["growth_pct_per_year"] == 10
    assert data["target"]["intensity_tco2e_per_unit"] == pytest.approx(1.52)
    done = runner.invoke(main, ["plan", "pathway", str(path), "--format", "csv"])
    header = done.stdout.splitlines()[0].split(",")
    assert {"production", "net_intensity_tco2e_per_unit", "target_intensity_tco2e_per_unit"} <= (
        set(header)
    )
    done = runner.invoke(main, ["--lang", "zh-CN", "plan", "pathway", str(path)])
    assert done.exit_code == 0, done.output
    assert "产量" in done.stdout and "净排放 tCO2e/单位产品" in done.stdout
    assert "电网排放因子：逐年给出，自基准年 0.5000 tCO2/MWh 至 2027 年 0.4000" in done.stdout
    assert "产量：基准年 1,000 t，2027 年 1,210" in done.stdout
    done = runner.invoke(main, ["plan", "pathway", str(path)])
    assert "Output: 1,000 t in the base year, 1,210 in 2027" in done.stdout
