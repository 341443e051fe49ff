"""The Battery Regulation's carbon footprint declaration and the CBAM communication: the
arithmetic by hand, the files, the workbook and the commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from lingtan.cli.main import main
from lingtan.errors import InputError
from lingtan.footprint.declaration_files import (
    CBAM_COLUMNS,
    cbam_rows,
    cbam_workbook,
    read_battery_file,
    read_cbam_file,
)
from lingtan.footprint.declarations import (
    BatteryModel,
    CarbonPrice,
    CbamGood,
    PrecursorUse,
    battery_declaration,
    cbam_line,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "footprint"
BATTERY = BatteryModel(
    manufacturer="Cell Co.", model="P-60", plant="Suzhou", usable_energy_kwh=60.0,
    service_years=8.0, vehicle_category="M1",
)  # fmt: skip


def test_a_vehicle_battery_is_declared_per_kwh_of_its_service_life():
    """E_total = 60 kWh x 60 cycles a year (M1, draft act) x 8 years = 28,800 kWh."""
    stages = {"raw_materials": 4200, "production": 1300, "distribution": 80, "end_of_life": 120}
    declared = battery_declaration(BATTERY, {**stages, "use": 35.0})
    assert declared.total_energy_kwh == 28_800
    assert (declared.cycles_per_year, declared.cycles_basis) == (60, "draft")
    assert declared.stages["raw_materials"] == pytest.approx(4200 / 28_800, rel=1e-15)
    assert declared.stages["end_of_life"] == pytest.approx(120 / 28_800, rel=1e-15)
    assert declared.total == pytest.approx(5700 / 28_800, rel=1e-15)  # 0.197916… kg CO2e/kWh
    assert sum(declared.stages.values()) == pytest.approx(declared.total, rel=1e-15)
    assert declared.excluded == {"use": 35.0}  # the use stage is not declared


def test_an_industrial_battery_declares_with_its_stated_cycles():
    battery = BatteryModel("Cell Co.", "ESS-100", "Suzhou", 100.0, 10.0, cycles_per_year=300.0)
    declared = battery_declaration(battery, {"production": 3000.0})
    assert declared.total_energy_kwh == 300_000 and declared.cycles_basis == "stated"
    assert declared.total == pytest.approx(0.01, rel=1e-15)
    assert declared.stages["raw_materials"] == 0.0  # a stage not given counts as zero


@pytest.mark.parametrize(
    ("battery", "stages", "field", "rule"),
    [
        (BatteryModel("a", "b", "c", 60.0, 8.0), {}, "cycles_per_year", "is required without"),
        (BatteryModel("a", "b", "c", 60.0, 8.0, "X9"), {}, "vehicle_category", "must be one of"),
        (BatteryModel("a", "b", "c", 0.0, 8.0, "M1"), {}, "usable_energy_kwh", "positive"),
        (BatteryModel("a", "b", "c", 60.0, 8.0, cycles_per_year=-1), {}, "cycles_per_year", "positive"),
        (BATTERY, {"production": -5.0}, "stages.production", "must not be negative"),
        (BATTERY, {"assembly": 5.0}, "stages.assembly", "must be one of"),
        (BATTERY, {"production": float("nan")}, "stages.production", "finite"),
    ],
)  # fmt: skip
def test_a_battery_that_cannot_be_declared_is_refused(battery, stages, field, rule):
    with pytest.raises(InputError) as refused:
        battery_declaration(battery, stages)
    problem = refused.value.problems[0]
    assert problem.field == field and rule in str(problem.rule)


GOOD = CbamGood(
    cn_code="72083900", name="Hot-rolled flat", route="BF-BOF", production_t=1000.0,
    attributed_direct_tco2e=1800.0, electricity_mwh=400.0, electricity_factor=0.55,
    factor_source="contract",
    precursors=(PrecursorUse("pig iron", 900.0, see_direct=1.9, see_indirect=0.05),),
    carbon_price=CarbonPrice("China ETS", 90.0, "CNY", covered_tco2e=1800.0),
)  # fmt: skip


def test_specific_embedded_emissions_of_a_complex_good_by_hand():
    """Annex IV: SEE = (AttrEm + sum M_i SEE_i) / AL.
    Direct (1800 + 900 x 1.9) / 1000 = 3.51; indirect (400 x 0.55 + 900 x 0.05) / 1000 = 0.265;
    carbon price due 90 x 1800 = 162,000 CNY, 162 CNY a tonne."""
    line = cbam_line(GOOD)
    assert line.see_direct == pytest.approx(3.51, rel=1e-15)
    assert line.see_indirect == pytest.approx(0.265, rel=1e-15)
    assert line.see_total == pytest.approx(3.775, rel=1e-15)
    assert line.embedded_electricity_mwh_per_t == pytest.approx(0.4, rel=1e-15)
    assert line.carbon_price_due == pytest.approx(162_000, rel=1e-15)
    assert line.carbon_price_due_per_t == pytest.approx(162, rel=1e-15)


def test_a_simple_good_has_only_its_own_emissions():
    simple = CbamGood("25231000", "Clinker", "dry kiln", 500.0, 400.0, 50.0, 0.6, "grid")
    line = cbam_line(simple)
    assert (line.see_direct, line.see_indirect) == (pytest.approx(0.8), pytest.approx(0.06))
    assert line.carbon_price_due is None


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"production_t": 0.0}, "production_t", "positive"),
        ({"electricity_mwh": -1.0}, "electricity_mwh", "must not be negative"),
        ({"default_share_pct": 120.0}, "default_share_pct", "at most 100"),
        ({"attributed_direct_tco2e": float("inf")}, "attributed_direct_tco2e", "finite"),
        ({"carbon_price": CarbonPrice("ETS", 90.0, "CNY", 9_999.0)}, "covered_tco2e", "must not exceed"),
    ],
)  # fmt: skip
def test_a_good_that_cannot_be_communicated_is_refused(change, field, rule):
    with pytest.raises(InputError) as refused:
        cbam_line(CbamGood(**{**GOOD.__dict__, **change}))
    problem = refused.value.problems[0]
    assert problem.field == field and rule in str(problem.rule)


def test_the_example_files_give_the_hand_worked_figures():
    declared = read_battery_file(EXAMPLES / "battery-declaration.yaml")
    assert declared.total == pytest.approx(5700 / 28_800, rel=1e-15)
    communication = read_cbam_file(EXAMPLES / "cbam-communication.yaml")
    (line,) = communication.lines
    assert line.see_total == pytest.approx(3.775, rel=1e-15)
    assert communication.direct_tco2e == 1800 and communication.indirect_tco2e == pytest.approx(220)
    assert communication.installation.period_start.isoformat() == "2026-01-01"


@pytest.mark.parametrize(
    ("text", "where", "field", "rule"),
    [
        ("battery: {}\n", "x.yaml", "footprint_kg_co2e", "is required"),
        ("battery: 3\nfootprint_kg_co2e: {}\n", "x.yaml", "battery", "must be a mapping"),
        ("battery: {model: m, colour: red}\nfootprint_kg_co2e: {}\n", "x.yaml battery", "colour", "unknown field"),
        ("battery: {manufacturer: a, model: b, plant: c, usable_energy_kwh: lots, service_years: 8}\n"
         "footprint_kg_co2e: {}\n", "x.yaml battery", "usable_energy_kwh", "must be a number"),
        ("battery: [\n", "x.yaml line 2", "file", "is not YAML"),
        ("battery: {model: a, model: b}\n", "x.yaml line 1", "model", "is given twice"),
        ("battery: {made: 2026-13-01}\n", "x.yaml", "file", "is not YAML (month must be in 1..12)"),
    ],
)  # fmt: skip
def test_a_battery_file_is_refused_naming_the_place_field_and_rule(
    tmp_path, text, where, field, rule
):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_battery_file(path)
    assert any(
        p.where == where and p.field == field and rule in str(p.rule)
        for p in refused.value.problems
    ), refused.value.problems


def test_a_cbam_file_lists_every_problem_of_every_good(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "installation: {name: W, country: CN, period_start: 'first of May', period_end: 2026-12-31}\n"
        "goods:\n"
        "  - {cn_code: '7208', name: a, route: r, production_t: 1, attributed_direct_tco2e: 1,\n"
        "     electricity_mwh: 1, electricity_factor: 1, factor_source: s, precursors: 3}\n"
        "  - {cn_code: '7208', name: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as refused:
        read_cbam_file(path)
    found = {(p.where, p.field) for p in refused.value.problems}
    assert ("c.yaml installation", "period_start") in found
    assert ("c.yaml goods 1.precursors", "precursors") in found
    assert ("c.yaml goods 2", "production_t") in found and ("c.yaml goods 2", "route") in found


def test_the_workbook_has_the_templates_sheet_headings_in_both_languages_and_the_figures():
    communication = read_cbam_file(EXAMPLES / "cbam-communication.yaml")
    book = load_workbook(__import__("io").BytesIO(cbam_workbook(communication, "zh-CN")))
    sheet = book["Summary_Communication"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "设施"
    assert rows[1][:3] == ["设施名称", "Installation name", "Demo Steel Works (illustrative)"]
    header = rows.index(next(r for r in rows if r[0] == "生产工艺 / 生产路线"))
    assert rows[header + 1][: len(CBAM_COLUMNS)] == [heading[1] for _, heading in CBAM_COLUMNS]
    (expected,) = cbam_rows(communication)
    assert rows[header + 2][: len(CBAM_COLUMNS)] == [expected[key] for key, _ in CBAM_COLUMNS]
    totals = {r[1]: r[2] for r in rows if r[1] and str(r[1]).startswith("Total")}
    assert totals["Total emissions (tCO2e)"] == pytest.approx(2020.0)


def test_a_text_that_looks_like_a_formula_stays_text_in_the_workbook(tmp_path):
    source = (EXAMPLES / "cbam-communication.yaml").read_text(encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(source.replace("Demo Steel Works (illustrative)", "=HYPERLINK(1)"), "utf-8")
    book = load_workbook(__import__("io").BytesIO(cbam_workbook(read_cbam_file(path), "en")))
    cell = book["Summary_Communication"]["C2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s" and cell.quotePrefix


def test_the_commands_print_json_and_write_the_workbook(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["footprint", "battery", str(EXAMPLES / "battery-declaration.yaml"), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["carbon_footprint_kg_co2e_per_kwh"] == pytest.approx(5700 / 28_800)
    assert document["total_energy_kwh"] == 28_800 and document["cycles_basis"] == "draft"
    out = tmp_path / "c.xlsx"
    result = runner.invoke(
        main, ["footprint", "cbam", str(EXAMPLES / "cbam-communication.yaml"), "--xlsx", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert load_workbook(out)["Summary_Communication"]["A1"].value in ("设施", "Installation")


def test_a_refused_file_writes_no_workbook_and_exits_2(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("installation: {}\ngoods: []\n", encoding="utf-8")
    out = tmp_path / "c.xlsx"
    result = CliRunner().invoke(
        main, ["--lang", "zh-CN", "footprint", "cbam", str(path), "--xlsx", str(out)]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert "必须是含一种或多种产品的列表" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))
