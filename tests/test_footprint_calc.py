"""``lingtan footprint calc``: the demo cell's footprint per declared unit from its own meters
and its bill of materials, followed down to the meters and the intervals read, checked by hand;
a supplier's footprint received over PACT replacing a background dataset in the BOM."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.demo.footprint import BOM, STUDY, write_bom_file
from lingtan.footprint.background import shipped_datasets
from lingtan.footprint.study import read_study_file
from lingtan.imports.load import facility_by_code
from lingtan.services.footprint import import_bom
from lingtan.services.footprint_result import received_footprints, study_footprint
from lingtan.services.pact import organization_named, store_received
from lingtan.store.db import make_engine, session_scope
from lingtan.store.evidence import EvidenceStore, evidence_root

ROOT = Path(__file__).resolve().parents[1]
SUPPLIER = ROOT / "examples" / "pact-supplier-v23.json"
SUPPLIER_ID = "91715e5e-fd0b-4d1c-8fab-76290c46e6ed"  # aluminium foil, 8.5 kg CO2e/kg


def calc(database: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{database}", "footprint", "calc", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def cell(demo):
    folder = demo[0]
    return json.loads(
        calc(folder / "lingtan.db", str(folder / "footprint" / STUDY), "--format", "json")
    )


def test_the_json_keeps_the_english_name_and_adds_the_chinese_one(cell):
    cathode = next(r for r in cell["by_process"] if r["process"] == "dataset:lfp-cathode")
    assert cathode["name"] == "LFP cathode active material (illustrative) [illustrative]"
    assert cathode["name_zh"] == "磷酸铁锂正极材料（示例） [illustrative]"
    grid = next(r for r in cell["by_process"] if r["process"].startswith("electricity:"))
    assert grid["name"] == "Electricity, grid average, CN-JS, 2025"
    assert grid["name_zh"] == "电网平均电力，CN-JS，2025 年"


def test_the_footprint_adds_up_by_process_stage_and_kind(cell):
    result = cell["result"]
    score = cell["kgco2e_per_declared_unit"]
    assert score == pytest.approx(result["score_kgco2e"], rel=1e-12)
    hotspots = sum(row["kgco2e"] for row in result["hotspots"]["hotspots"])
    assert hotspots + result["hotspots"]["rest_kgco2e"] == pytest.approx(score, rel=1e-12)
    assert sum(row["kgco2e"] for row in cell["by_process"]) == pytest.approx(score, rel=1e-12)
    assert sum(result["by_stage_kgco2e"].values()) == pytest.approx(score, rel=1e-12)
    assert sum(result["by_kind_kgco2e"].values()) == pytest.approx(score, rel=1e-12)
    assert set(result["by_stage_kgco2e"]) == {"raw_materials", "production"}


def test_each_material_is_its_bom_quantity_times_its_dataset_by_hand(cell):
    """Per 1 MWh of cells: 2,100 kg LFP cathode x 12.0 kg CO2e/kg = 25,200 kg CO2e, and so on
    for every BOM line (the shipped illustrative datasets), freight apart."""
    datasets = shipped_datasets()
    processes = {row["process"]: row["kgco2e"] for row in cell["by_process"]}
    assert processes["dataset:lfp-cathode"] == pytest.approx(2100 * 12.0, rel=1e-12)
    for kind, _, quantity, _, link, _, _ in BOM:
        code = link.removeprefix("dataset:")
        process = f"dataset:{code}" + ("#production" if kind == "waste" else "")
        expected = quantity * datasets[code].kgco2e_per_unit
        assert processes[process] == pytest.approx(expected, rel=1e-12), code
    # road freight: (2.1 t x 800 + 0.9 x 300 + 0.55 x 300 + 0.28 x 300 + 0.7 x 200 + 0.06 x 50)
    # t·km x 0.12366 kg CO2e/t·km
    tkm = 2.1 * 800 + 0.9 * 300 + 0.55 * 300 + 0.28 * 300 + 0.7 * 200 + 0.06 * 50
    assert processes["transport:road_hgv"] == pytest.approx(tkm * 0.12366, rel=1e-9)
    assert processes["transport:rail"] == pytest.approx(1.0 * 1200 * 0.03, rel=1e-9)


def test_the_electricity_goes_down_to_the_meters_and_the_intervals_read(cell, demo):
    """The electricity of 1 MWh of cells is the meters' energy of the year times the cells'
    share of each line, over the year's output; its emissions are that times the grid factor."""
    meters = cell["meters"]
    assert {m["meter"] for m in meters} >= {"E-ELEC", "E-ASSY", "E-REST"}
    per_unit = 1.0 / cell["production"]  # 1 MWh declared, output in MWh
    for meter in meters:
        expected = meter["period_quantity"] * meter["share"] * per_unit
        assert meter["per_declared_unit"] == pytest.approx(expected, rel=1e-12)
        # the intervals of 2025 in the facility's time (Asia/Shanghai), as UTC
        assert datetime.fromisoformat(meter["start"]) == datetime.fromisoformat(
            "2025-01-01T00:00+08:00"
        )
        assert datetime.fromisoformat(meter["end"]) == datetime.fromisoformat(
            "2026-01-01T00:00+08:00"
        )
    kwh = sum(m["per_declared_unit"] for m in meters)
    supply = cell["result"]["supply"]
    grid = next(code for code in supply if code.startswith("electricity:location:"))
    assert supply[grid] == pytest.approx(kwh, rel=1e-9)
    factor = _grid_factor(demo[0] / "lingtan.db", grid)
    processes = {row["process"]: row["kgco2e"] for row in cell["by_process"]}
    assert processes[grid] == pytest.approx(kwh * factor, rel=1e-9)
    share = processes[grid] / cell["kgco2e_per_declared_unit"] * 100
    assert cell["primary_data_share_pct"] == pytest.approx(share, rel=1e-9)


def _grid_factor(database: Path, process_code: str) -> float:
    """kg CO2e per kWh of the grid process, as the product system holds it."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            study = read_study_file(database.parent / "footprint" / STUDY)
            found = study_footprint(session, study)
    finally:
        engine.dispose()
    process = next(p for p in found.system.processes if p.code == process_code)
    (emission,) = [e for e in process.exchanges if e.biosphere]
    return emission.amount / process.production


def test_a_footprint_received_over_pact_replaces_a_dataset_in_the_bom(demo_copy, tmp_path):
    """280 kg aluminium foil: the illustrative dataset (15.0 kg CO2e/kg) gives 4,200 kg CO2e;
    the supplier's v2.3 footprint gives 8.5 kg CO2e/kg excluding biogenic (fossil 8.25, dLUC
    0.25) and 8.25 including its biogenic -0.25, so 2,310: the cell's footprint falls by
    1,890 kg CO2e, of which 70 kg biogenic uptake and 70 kg dLUC are reported apart."""
    url = demo_copy(tmp_path / "db")
    database = tmp_path / "db" / "lingtan.db"
    study = tmp_path / STUDY
    shipped = ROOT / "src" / "lingtan" / "data" / "footprint"
    study.write_bytes((shipped / STUDY).read_bytes())
    shutil.copytree(shipped / "declarations", tmp_path / "declarations")  # the battery it names
    before = json.loads(calc(database, str(study), "--format", "json"))
    bom = write_bom_file(tmp_path / "bom")
    rows = list(csv.DictReader(bom.open(encoding="utf-8")))
    for row in rows:
        if row["link"] == "dataset:aluminium-foil":
            row["link"] = f"pact:{SUPPLIER_ID}"
    with bom.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            site = facility_by_code(session, None)
            organization = organization_named(session, None)
            store_received(
                session, organization, [("file", json.loads(SUPPLIER.read_text())["data"][0])],
                actor="test",
            )  # fmt: skip
            assert (
                received_footprints(session, organization.id)[SUPPLIER_ID].pcf_excluding_biogenic
                == 8.5
            )
            import_bom(session, site, bom, evidence=EvidenceStore(evidence_root(url)), actor="test")
    finally:
        engine.dispose()
    after = json.loads(calc(database, str(study), "--format", "json"))
    drop = before["kgco2e_per_declared_unit"] - after["kgco2e_per_declared_unit"]
    assert drop == pytest.approx(280 * (15.0 - 8.25), rel=1e-9)
    kinds = after["result"]["by_kind_kgco2e"]
    assert kinds["biogenic"] == pytest.approx(-280 * 0.25, rel=1e-9)
    assert kinds["dluc"] == pytest.approx(280 * 0.25, rel=1e-9)
    assert f"pact:{SUPPLIER_ID}" in after["result"]["supply"]


def test_the_table_is_chinese_with_the_stages_by_name(demo):
    folder = demo[0]
    result = CliRunner().invoke(
        main,
        ["--lang", "zh-CN", "--db", f"sqlite:///{folder / 'lingtan.db'}", "footprint", "calc",
         str(folder / "footprint" / STUDY), "--monte-carlo", "20"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "原材料获取" in result.stdout and "每 1 MWh" in result.stdout
    # the shipped datasets by their Chinese names and status; the JSON keeps the English name
    assert "磷酸铁锂正极材料（示例） [示例]" in result.stdout
    assert "LFP cathode active material" not in result.stdout
    # the meters' pedigree scores spread the electricity: 20 draws are made and summarised
    assert "蒙特卡洛模拟 20 次：均值" in result.stdout


def test_a_study_of_an_unknown_product_is_refused_naming_it(demo, tmp_path):
    folder = demo[0]
    study = tmp_path / "s.yaml"
    text = (folder / "footprint" / STUDY).read_text(encoding="utf-8")
    study.write_text(text.replace("product: cells", "product: modules"), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--db", f"sqlite:///{folder / 'lingtan.db'}", "footprint", "calc", str(study)]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert "modules" in result.stderr


def test_a_battery_is_declared_from_the_cells_study(demo, cell, tmp_path):
    """The demo cell's footprint per MWh by stage, scaled to a 60 kWh battery (x 0.06), over
    60 kWh x 60 cycles x 8 years = 28,800 kWh (the draft act's M1 cycles)."""
    folder = demo[0]
    text = (ROOT / "examples" / "footprint" / "battery-declaration.yaml").read_text("utf-8")
    battery = tmp_path / "battery.yaml"
    battery.write_text(text[: text.index("footprint_kg_co2e:")], encoding="utf-8")
    args = ["--db", f"sqlite:///{folder / 'lingtan.db'}", "footprint", "battery", str(battery)]
    study = ["--study", str(folder / "footprint" / STUDY)]
    result = CliRunner().invoke(main, [*args, *study, "--format", "json"])
    assert result.exit_code == 0, result.output
    declared = json.loads(result.stdout)
    stages = cell["result"]["by_stage_kgco2e"]
    per_battery = declared["stages_kg_co2e_per_battery"]
    assert per_battery["raw_materials"] == pytest.approx(stages["raw_materials"] * 0.06, rel=1e-12)
    assert per_battery["production"] == pytest.approx(stages["production"] * 0.06, rel=1e-12)
    total = (stages["raw_materials"] + stages["production"]) * 0.06 / 28_800
    assert declared["carbon_footprint_kg_co2e_per_kwh"] == pytest.approx(total, rel=1e-12)
    both = CliRunner().invoke(
        main,
        ["--lang", "zh-CN", *args[:4], str(ROOT / "examples" / "footprint" / "battery-declaration.yaml"),
         *study],
    )  # fmt: skip
    assert both.exit_code == 2 and "文件和研究都给出了该项" in both.stderr
