"""The command line: `lingtan calc` on files, and its refusals."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lingtan.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "demo-cell-plant.yaml"

BASE = """facility: {name: T, region: Jiangsu}
period: {start: 2025-01-01, end: 2025-12-31}
"""


def calc(tmp_path, text, *args, suffix=".yaml"):
    path = tmp_path / f"input{suffix}"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["calc", str(path), *args])


def test_documented_example_json_contract():
    result = CliRunner().invoke(main, ["calc", str(EXAMPLE), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    totals = data["totals"]
    # hand-worked in docs/calc.md: gas 4,054.7245651 + 2,572.6526784, diesel 119.1925210,
    # R-410A 13.5 kg x 1,923.5 = 25.96725, R-134a 14 kg x 1,300 = 18.2; grid and PV at the
    # Jiangsu 2023 factor 0.5827, steam 27,404.8 GJ x 0.11
    assert totals["scope1_tco2e"] == pytest.approx(
        4054.7245651 + 2572.6526784 + 119.1925210 + 25.96725 + 18.2
    )
    assert totals["scope2_location_tco2e"] == pytest.approx((62544 + 3720) * 0.5827 + 3014.528)
    # GECs cover 18,000 MWh of the grid, the PV instrument the PV, the green power contract
    # 12,000 MWh of what is left (all of it grid): the rest at 0.6096
    assert totals["scope2_market_tco2e"] == pytest.approx(
        (62544 - 18000 - 12000) * 0.6096 + 3014.528
    )
    assert totals["total_tco2e"] == pytest.approx(6790.7370145 + 41626.5608, rel=1e-9)
    assert totals["scope3_tco2e"] == 0
    assert totals["biogenic_co2_t"] == 0
    gas_tce = (1875287 + 1189837.2) * 38.931 / 29.307 / 1000
    assert totals["energy_tce"] == pytest.approx(
        gas_tce + 38.5 * 42.652 / 29.307 + (62544 + 3720) * 0.1229 + 27404.8 / 29.307
    )
    assert set(totals["by_category_tco2e"]) == {
        "fuel_combustion", "mobile_combustion", "fugitive", "purchased_electricity",
        "purchased_heat",
    }  # fmt: skip
    for key in ("total_tco2e", "total_co2_t", "scope1_tco2e", "scope2_location_tco2e",
                "scope2_market_tco2e", "scope3_tco2e", "biogenic_co2_t", "energy_tce"):  # fmt: skip
        assert isinstance(totals[key], float | int)
    grid = next(line for line in data["lines"] if line["source_id"] == "grid")
    ref = grid["factors"][0]["ref"]
    assert data["factors"][ref]["value"] == 0.5827
    assert data["factors"][ref]["data_year"] == 2023


def test_json_numbers_are_unrounded(tmp_path):
    result = calc(
        tmp_path,
        BASE
        + "sources:\n  - {id: a, kind: mobile_combustion, fuel: diesel, quantity: 1, unit: t}\n",
        "--format",
        "json",
    )
    value = json.loads(result.output)["totals"]["total_tco2e"]
    assert value == pytest.approx(3.095909637333333, rel=1e-15)


def test_table_output_is_bilingual():
    result = CliRunner().invoke(main, ["calc", str(EXAMPLE)])
    assert result.exit_code == 0
    for text in (
        "GB/T 32150 total",
        "排放总量",
        "Scope 2 market-based",
        "48,417.298",
        "gec-2025",
    ):
        assert text in result.output


def test_json_input_file(tmp_path):
    document = {
        "facility": {"name": "T", "region": "CN-GD"},
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "sources": [{"id": "g", "kind": "purchased_electricity", "quantity": 10, "unit": "MWh"}],
    }
    result = calc(tmp_path, json.dumps(document), "--format", "json", suffix=".json")
    assert result.exit_code == 0, result.output
    # Guangdong 2023 = 0.4419
    assert json.loads(result.output)["totals"]["total_tco2e"] == pytest.approx(4.419)


BAD = [
    ("unknown fuel", "  - {id: b1, kind: fuel_combustion, fuel: whale_oil, quantity: 1, unit: t}",
     ["source b1", "'fuel'", "'whale_oil'", "not a fuel"]),
    ("unknown gas", "  - {id: c1, kind: fugitive, gas: R-9999, quantity: 1, unit: kg}",
     ["source c1", "'gas'", "'R-9999'", "not a gas"]),
    ("wrong dimension", "  - {id: f1, kind: mobile_combustion, fuel: diesel, quantity: 5, unit: MWh}",
     ["source f1", "'unit'", "'MWh'", "NCV"]),
    ("negative", "  - {id: n1, kind: purchased_heat, quantity: -5, unit: GJ}",
     ["source n1", "'quantity'", "-5", "must not be negative"]),
    ("unknown region", "  - {id: r1, kind: purchased_electricity, quantity: 5, unit: MWh, region: Narnia}",
     ["source r1", "'region'", "'Narnia'", "not known"]),
    ("duplicate ids", "  - {id: d, kind: purchased_heat, quantity: 1, unit: GJ}\n  - {id: d, kind: purchased_heat, quantity: 2, unit: GJ}",
     ["source d", "'id'", "duplicates"]),
    ("unknown field", "  - {id: u1, kind: purchased_heat, quantity: 1, unit: GJ, colour: red}",
     ["source u1", "'colour'", "not a field"]),
    ("unknown kind", "  - {id: k1, kind: magic, quantity: 1, unit: GJ}",
     ["source k1", "'kind'", "'magic'"]),
    ("missing quantity", "  - {id: q1, kind: purchased_heat, unit: GJ}",
     ["source q1", "'quantity'", "required"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "lines", "fragments"), BAD, ids=[b[0] for b in BAD])
def test_bad_sources_exit_2_with_named_problem_and_no_output(tmp_path, case, lines, fragments):
    result = calc(tmp_path, BASE + "sources:\n" + lines + "\n", "--format", "json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_missing_region_for_electricity(tmp_path):
    text = "facility: {name: T}\nperiod: {start: 2025-01-01, end: 2025-12-31}\nsources:\n"
    text += "  - {id: grid, kind: purchased_electricity, quantity: 1, unit: MWh}\n"
    result = calc(tmp_path, text)
    assert result.exit_code == 2
    assert "source grid: field 'region' = (missing): electricity needs a region" in result.stderr


def test_period_end_before_start(tmp_path):
    text = "facility: {name: T, region: CN}\nperiod: {start: 2025-12-31, end: 2025-01-01}\n"
    text += "sources:\n  - {id: h, kind: purchased_heat, quantity: 1, unit: GJ}\n"
    result = calc(tmp_path, text)
    assert result.exit_code == 2
    assert "period: field 'end' = '2025-01-01': is before the start 2025-12-31" in result.stderr


def test_instruments_claiming_more_than_purchased(tmp_path):
    text = (
        BASE + "sources:\n  - {id: grid, kind: purchased_electricity, quantity: 100, unit: MWh}\n"
    )
    text += "instruments:\n  - {id: gec-7, kind: gec, quantity: 101, unit: certificates}\n"
    result = calc(tmp_path, text)
    assert result.exit_code == 2
    assert "instrument gec-7: field 'quantity' = 101.0" in result.stderr
    assert "only 100 MWh" in result.stderr


def test_unreadable_and_unparsable_files(tmp_path):
    missing = CliRunner().invoke(main, ["calc", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2
    assert "cannot be read" in missing.stderr
    broken = calc(tmp_path, "facility: [unclosed")
    assert broken.exit_code == 2
    assert "is not YAML" in broken.stderr
    bad_date = calc(tmp_path, "facility: {name: x, since: 2026-13-01}\n")
    assert bad_date.exit_code == 2 and "month must be in 1..12" in bad_date.stderr


def test_all_problems_are_listed_together(tmp_path):
    lines = "\n".join(line for _, line, _ in BAD[:4])
    result = calc(tmp_path, BASE + "sources:\n" + lines + "\n")
    assert result.exit_code == 2
    assert "4 problems in the input" in result.stderr


def test_custom_factor_file_and_explicit_set(tmp_path):
    from test_factors import CUSTOM

    (tmp_path / "lab.csv").write_text(CUSTOM, encoding="utf-8")
    text = BASE + "factor_files: [lab.csv]\nfactor_sets: {fuel: plant-lab-2025}\nsources:\n"
    text += "  - {id: b, kind: fuel_combustion, fuel: natural_gas, quantity: 10, unit: 10^4 Nm3}\n"
    result = calc(tmp_path, text, "--format", "json")
    assert result.exit_code == 0, result.stderr
    # 10 x 360.5 x 0.0152 x 0.99 x 44/12 = 198.9306
    data = json.loads(result.output)
    assert data["totals"]["total_tco2e"] == pytest.approx(10 * 360.5 * 0.0152 * 0.99 * 44 / 12)
    assert data["factors"]["plant-lab-2025@1:natural_gas.ncv"]["document_number"] == "LAB-2025-07"


def test_factors_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(main, ["factors", "list", "--format", "json"])
    sets = {s["set_id"]: s for s in json.loads(listed.output)}
    assert sets["mee-electricity-2023"]["data_year"] == 2023
    shown = runner.invoke(main, ["factors", "show", "江苏", "--format", "json"])
    values = {(r["set_id"], r["value"]) for r in json.loads(shown.output)}
    assert ("mee-electricity-2022", 0.5978) in values
    table = runner.invoke(main, ["factors", "show", "diesel", "--set", "cn-fuel-defaults-2015"])
    assert "42.652" in table.output and "unverified" in table.output
    assert runner.invoke(main, ["factors", "show", "nothing-here"]).exit_code == 2


def test_console_script_exit_status(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + "sources:\n" + BAD[0][1] + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "lingtan", "calc", str(bad)], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert "whale_oil" in run.stderr


def test_the_command_line_speaks_chinese_when_asked(tmp_path, monkeypatch):
    """``--lang zh-CN``, ``LINGTAN_LANG`` or a Chinese locale give Chinese headings and
    refusals; English otherwise, as before."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "facility: {name: T, region: Jiangsu}\n"
        "period: {start: 2025-01-01, end: 2025-12-31}\n"
        "sources:\n  - {id: boiler, kind: fuel_combustion, fuel: unobtainium, quantity: 5, unit: t}\n",
        encoding="utf-8",
    )
    for name in ("LINGTAN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    english = runner.invoke(main, ["calc", str(bad)])
    assert english.exit_code == 2 and "1 problem in the input" in english.stderr
    chinese = runner.invoke(main, ["--lang", "zh-CN", "calc", str(bad)])
    assert chinese.exit_code == 2
    assert "输入有 1 个问题" in chinese.stderr and "排放源 boiler：字段" in chinese.stderr
    assert "不是 lingtan 已知的燃料" in chinese.stderr
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    listing = runner.invoke(main, ["tou", "list"])
    assert listing.exit_code == 0, listing.output
    assert "时段表" in listing.stdout or "地区" in listing.stdout
    monkeypatch.setenv("LINGTAN_LANG", "en")
    assert "region" in runner.invoke(main, ["tou", "list"]).stdout
    good = tmp_path / "good.yaml"
    good.write_text(bad.read_text().replace("unobtainium", "natural_gas").replace("t}", "Nm3}"))
    first_line = {
        lang: runner.invoke(main, ["--lang", lang, "calc", str(good)]).stdout.splitlines()[0]
        for lang in ("zh-CN", "en")
    }
    assert "  地区 Jiangsu  " in first_line["zh-CN"] and "region" not in first_line["zh-CN"]
    assert "  region Jiangsu  " in first_line["en"]


TOO_LARGE = [
    ("source boiler", "must be at most 1e+15",
     "  - {id: boiler, kind: fuel_combustion, fuel: natural_gas, quantity: 1e308, unit: Nm3}\n"),
    # finite inputs whose quotient is not: an output of almost nothing
    ("intensities", "is not a finite number",
     "  - {id: grid, kind: purchased_electricity, quantity: 1e15, unit: MWh}\n"
     "production:\n  - {name: cells, quantity: 1e-320, unit: MWh}\n"),
]  # fmt: skip


@pytest.mark.parametrize("output", ["table", "json", "csv"])
@pytest.mark.parametrize(("where", "rule", "lines"), TOO_LARGE, ids=["1e308", "1e-320"])
def test_quantities_too_large_for_a_finite_result_are_refused(tmp_path, output, where, rule, lines):
    result = calc(tmp_path, BASE + "sources:\n" + lines, "--format", output)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert where in result.stderr and rule in result.stderr


def test_a_chinese_refusal_counts_the_problems_it_does_not_list():
    """As the English text does: all problems in the count, then the line of those not
    listed (at most MAX_PROBLEMS are kept)."""
    from lingtan.cli.common import refusal_text
    from lingtan.errors import MAX_PROBLEMS, InputError, InputProblem

    error = InputError(
        [InputProblem("f.csv", "value", i, "must not be negative") for i in range(MAX_PROBLEMS + 5)]
    )
    text = refusal_text(error, "zh-CN")
    assert text.splitlines()[0] == f"输入有 {MAX_PROBLEMS + 5} 个问题"
    assert text.splitlines()[-1] == "  还有 5 个问题未列出"
    assert len(text.splitlines()) == MAX_PROBLEMS + 2


def test_no_table_of_the_command_line_has_two_columns_of_one_chinese_heading():
    """Each table's columns read apart in Chinese as in English (title / 标题（英文）…)."""
    import importlib
    import pkgutil

    import lingtan.cli
    from lingtan.cli.common import Column, heading

    tables = {}
    for module in pkgutil.iter_modules(lingtan.cli.__path__):
        found = importlib.import_module(f"lingtan.cli.{module.name}")
        for name, value in vars(found).items():
            if isinstance(value, tuple) and value and all(isinstance(c, Column) for c in value):
                tables[f"{module.name}.{name}"] = value
    assert len(tables) > 10
    twice = {
        where: headings
        for where, columns in tables.items()
        if len(set(headings := [heading(c.heading or c.key, "zh-CN") for c in columns]))
        < len(headings)
    }
    assert not twice, twice
