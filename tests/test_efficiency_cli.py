"""``lingtan efficiency grade|standards``: a register graded without a database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from lingtan.cli.main import main

HEADER = (
    "id,type,name,rated_power_kw,poles,efficiency_pct,rated_capacity_kva,voltage_kv,insulation,"
    "insulation_class,core,connection,no_load_loss_kw,load_loss_kw,discharge_pressure_mpa,"
    "cooling,drive,specific_power_kw_per_m3_min,running_hours_per_year,load_factor,"
    "replacement_cost_cny"
)
ROWS = [
    "M1,motor,pump motor,11,4,91.4,,,,,,,,,,,,,6000,0.75,8000",
    "M2,motor,fan motor,0.75,4,88.2,,,,,,,,,,,,,,,",
    "M3,motor,big,1200,4,97,,,,,,,,,,,,,,,",
    "M4,motor,odd,11,10,93,,,,,,,,,,,,,,,",
    "M5,motor,no poles,11,,93,,,,,,,,,,,,,,,",
    "T1,transformer,main,,,,250,10,oil,,electrical_steel,Dyn11,0.23,3.2,,,,,8760,0.5,",
    "T2,transformer,dry,,,,200,10,dry,F,electrical_steel,,0.36,2.275,,,,,,,",
    "C1,air_compressor,,37,,,,,,,,,,,0.8,air,fixed,8.1,4000,0.8,",
    "F1,pump,,,,,,,,,,,,,,,,,,,",
]


def register(tmp_path, rows=ROWS, header=HEADER, name="register.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(main, ["--lang", "en", "efficiency", *map(str, args)])


def test_grade_json_lists_id_level_threshold_standard_and_reason(tmp_path):
    result = run("grade", register(tmp_path), "--format", "json", "--tariff", "0.7")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["M1", "M2", "M3", "M4", "M5", "T1", "T2", "C1", "F1"]
    for row in rows.values():
        assert {"id", "level", "threshold", "standard", "reason"} <= set(row)
    assert rows["M1"]["level"] == "LEVEL_3"
    assert rows["M1"]["threshold"] == "efficiency_pct ≥ 91.4 % (grade 3)"
    assert rows["M1"]["standard"] == "GB 18613-2020 表1 Table 1"
    assert rows["M1"]["thresholds"][0]["page"] == "4"
    assert rows["M1"]["thresholds"][0]["status"] == "official"
    assert rows["M1"]["saved_kwh_per_year"] == pytest.approx(1831.97, abs=0.01)
    assert rows["M1"]["payback_years"] == pytest.approx(8000 / (1831.97 * 0.7), rel=1e-5)
    assert rows["M2"]["level"] == "LEVEL_1"  # exactly on grade 1
    assert rows["M2"]["saved_kwh_per_year"] is None
    assert rows["M3"]["level"] == "OUT_OF_SCOPE" and rows["M4"]["level"] == "OUT_OF_SCOPE"
    assert rows["M5"]["level"] == "UNABLE_TO_JUDGE" and "poles" in rows["M5"]["reason"]
    assert rows["T1"]["level"] == "LEVEL_3"  # P0 grade 1, Pk grade 3
    assert {m["metric"]: m["level"] for m in rows["T1"]["metrics"]} == {
        "no_load_loss_kw": "LEVEL_1",
        "load_loss_kw": "LEVEL_3",
    }
    assert rows["T2"]["level"] == "LEVEL_1"
    assert rows["C1"]["level"] == "LEVEL_3"
    assert rows["F1"]["level"] == "OUT_OF_SCOPE" and rows["F1"]["threshold"] is None


def test_grade_csv_and_table(tmp_path):
    path = register(tmp_path)
    result = run("grade", path, "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [line["level"] for line in lines][:3] == ["LEVEL_3", "LEVEL_1", "OUT_OF_SCOPE"]
    assert lines[0]["standard"] == "GB 18613-2020 表1 Table 1"
    table = run("grade", path)
    assert table.exit_code == 0 and "LEVEL_3" in table.stdout and "M1" in table.stdout
    chinese = CliRunner().invoke(main, ["--lang", "zh-CN", "efficiency", "grade", str(path)])
    assert chinese.exit_code == 0, chinese.output
    assert "设备类型" in chinese.stdout and "达到 GB 18613-2020" in chinese.stdout
    # codes by their names in a Chinese table: type, level, the rows' review status
    for name in ("电动机", "电力变压器", "空气压缩机", "三级能效", "一级能效", "超出范围", "官方"):
        assert name in chinese.stdout, name
    assert "LEVEL_3" not in chinese.stdout and "air_compressor" not in chinese.stdout


def test_grade_against_a_custom_table(tmp_path):
    custom = tmp_path / "targets.csv"
    custom.write_text(
        "table_id,standard,type,rated_power_kw,poles,metric,grade,value,unit,direction\n"
        "acme,ACME 2026 target,motor,11,4,efficiency_pct,1,95,%,higher_is_better\n",
        encoding="utf-8",
    )
    result = run("grade", register(tmp_path, ROWS[:1]), "--standards", custom, "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["level"] == "NOT_COMPLIANT" and row["standard"] == "ACME 2026 target"
    assert row["thresholds"][0]["origin"] == "custom"
    assert row["thresholds"][0]["status"] == "unverified"  # a blank status


@pytest.mark.parametrize(
    ("row", "column", "value", "rule"),
    [
        ("X1,heater,,,,,,,,,,,,,,,,,,,", "type", "'heater'", "must be one of motor"),
        ("X1,motor,,11,4,101,,,,,,,,,,,,,,,", "efficiency_pct", "'101'", "at most 100 %"),
        ("X1,transformer,,,,,250,10,oil,,amorphous,Dyn11,-0.1,2,,,,,,,", "no_load_loss_kw",
         "'-0.1'", "must not be negative"),
        ("X1,motor,,eleven,4,90,,,,,,,,,,,,,,,", "rated_power_kw", "'eleven'", "must be a number"),
        ("X1,motor,,11,4,90,,,,,,,,,,,,,,1.5,", "load_factor", "'1.5'", "between 0 and 1"),
        ("X1,transformer,,,,,250,10,paper,,amorphous,,0.1,2,,,,,,,", "insulation", "'paper'",
         "must be one of oil, dry"),
        ("X1,motor,,11,4,-5,,,,,,,,,,,,,,,", "efficiency_pct", "'-5'", "above 0"),
    ],
)  # fmt: skip
def test_bad_registers_are_refused_with_file_row_column_value_and_rule(
    tmp_path, row, column, value, rule
):
    path = register(tmp_path, [ROWS[0], row])
    result = run("grade", path, "--format", "json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert line.startswith(f"  - {path} row 3: field {column!r} = {value}: ")
    assert rule in line


def test_a_quantity_in_another_unit_a_repeated_id_and_a_missing_file_are_refused(tmp_path):
    header = "id,type,name,rated_power_w,poles,efficiency_pct"
    path = register(tmp_path, ["M1,motor,,11000,4,90"], header=header)
    result = run("grade", path)
    assert result.exit_code == 2 and "rated_power_w" in result.stderr
    assert "give it as rated_power_kw" in result.stderr
    path = register(tmp_path, [ROWS[0], ROWS[0]])
    result = run("grade", path)
    assert result.exit_code == 2 and "repeats row 2" in result.stderr
    result = run("grade", tmp_path / "none.csv")
    assert result.exit_code == 2 and "cannot be read" in result.stderr


def test_a_boiler_efficiency_above_110_percent_is_refused(tmp_path):
    path = register(
        tmp_path,
        ["B1,boiler,natural_gas,no,111"],
        header="id,type,fuel,condensing,thermal_efficiency_pct",
    )
    result = run("grade", path)
    assert result.exit_code == 2
    assert "'thermal_efficiency_pct' = '111': must be above 0 and at most 110 %" in result.stderr


def test_the_example_register_grades():
    result = run("grade", "examples/equipment-register.csv", "--format", "json")
    assert result.exit_code == 0, result.output
    levels = {row["id"]: row["level"] for row in json.loads(result.stdout)}
    assert levels == {
        "M-101": "LEVEL_3",
        "M-102": "LEVEL_1",
        "P-01": "LEVEL_2",
        "M-103": "OUT_OF_SCOPE",
        "T-01": "LEVEL_3",
        "T-02": "LEVEL_2",
        "C-01": "LEVEL_3",
        "B-01": "LEVEL_3",
        "M-201": "LEVEL_3",
        "F-01": "LEVEL_2",
    }


def test_standards_lists_the_shipped_tables():
    result = run("standards", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["table_id"]: row for row in json.loads(result.stdout)}
    assert rows["gb-18613-2020-table-1"]["rows"] == 504
    assert rows["gb-40879-2021-grades"]["unverified_rows"] == 3
