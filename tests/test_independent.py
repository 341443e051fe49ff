"""The demo factory's inventory recomputed independently: plain arithmetic on the raw factor CSV
files and the imported workbook rows, without lingtan's units, factor library or engine."""

import csv
import math
from datetime import date
from importlib import resources

import pytest

from lingtan.demo.build import FACILITY, _workbook
from lingtan.demo.ledger import build_ledger
from lingtan.imports.load import import_file
from lingtan.imports.parse import parse_file
from lingtan.services import inventory as inventories
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.evidence import EvidenceStore


def raw_factors(name):
    path = resources.files("lingtan") / "data" / "factors" / name
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def value(rows, key, parameter, region=""):
    (row,) = [
        r for r in rows if (r["key"], r["parameter"], r["region"]) == (key, parameter, region)
    ]
    return float(row["value"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("independent")
    workbook = _workbook(folder)
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, workbook, evidence=EvidenceStore(folder / "ev"), actor="t")
    build_ledger(folder / "ledger", engine, FACILITY, EvidenceStore(folder / "ev"))
    with session_scope(engine) as session:
        inventory = inventories.compute(
            session, FACILITY, date(2025, 1, 1), date(2025, 12, 31), actor="t"
        )
        result = inventory.result
    engine.dispose()
    return parse_file(workbook), result


def expected_line(kind, source, record):
    """tCO2e of one record, by the formulas of GB/T 32150 written out by hand."""
    fuels = raw_factors("cn-fuel-defaults-2015.csv")
    grid = raw_factors("mee-electricity-2023.csv")  # newest data year <= 2025 for Jiangsu
    ar5 = raw_factors("ipcc-ar5.csv")
    blends = raw_factors("ashrae-34-blends.csv")
    quantity = record.quantity
    if kind in ("fuel_combustion", "mobile_combustion"):
        fuel = source.params["fuel"]
        if record.unit == "Nm3":
            quantity /= 10_000  # NCV per 10^4 Nm3
        ncv = value(fuels, fuel, "ncv")
        carbon = value(fuels, fuel, "carbon_content") / 1000  # tC/TJ -> tC/GJ
        return quantity * ncv * carbon * value(fuels, fuel, "oxidation") * 44 / 12
    if kind == "purchased_electricity":
        mwh = quantity / 1000 if record.unit == "kWh" else quantity
        return mwh * value(grid, "grid_average", "co2", "CN-JS")
    if kind == "purchased_heat":
        return quantity * 0.11
    if kind == "fugitive":
        gas = {"R-134a": "HFC-134a"}.get(source.params["gas"], source.params["gas"])
        parts = [(r["parameter"], float(r["value"])) for r in blends if r["key"] == gas]
        gwp = (
            sum(f * value(ar5, g, "gwp100") for g, f in parts)
            if parts
            else value(ar5, gas, "gwp100")
        )
        return quantity / 1000 * gwp
    raise AssertionError(kind)


def test_every_demo_line_matches_an_independent_calculation(demo):
    parsed, result = demo
    sources = {s.code: s for s in parsed.sources}
    lines = {line["source_id"]: line for line in result["lines"]}
    assert len(lines) == len(parsed.activity) == 75
    for record in parsed.activity:
        source = sources[record.source_code]
        line = lines[f"{record.source_code}@{record.period_start.isoformat()}"]
        expected = expected_line(source.kind, source, record)
        assert line["emissions_tco2e"] == pytest.approx(expected, rel=1e-12), line["source_id"]
    total = math.fsum(line["emissions_tco2e"] for line in result["lines"])
    assert result["totals"]["total_tco2e"] == pytest.approx(total, rel=1e-12)


def test_demo_market_based_scope2_independently(demo):
    parsed, result = demo
    grid_mwh = sum(r.quantity / 1000 for r in parsed.activity if r.source_code == "grid")
    pv_mwh = sum(r.quantity for r in parsed.activity if r.source_code == "rooftop-pv")
    steam_gj = sum(r.quantity for r in parsed.activity if r.source_code == "steam")
    residual = value(raw_factors("mee-electricity-2023.csv"), "grid_average_excl_market_nonfossil",
                     "co2", "CN")  # fmt: skip
    # the ledger's 18,000 GECs and 12,000 MWh of green power retired for 2025 cover grid MWh;
    # the on-site PV instrument covers every PV MWh (zero left)
    expected = (grid_mwh - 18_000 - 12_000) * residual + steam_gj * 0.11
    assert result["totals"]["scope2_market_tco2e"] == pytest.approx(expected, rel=1e-12)
    # energy: electricity at 0.1229 kgce/kWh, steam by 29.307 GJ/tce (GB/T 2589)
    scope2_tce = (grid_mwh + pv_mwh) * 0.1229 + steam_gj / 29.307
    lines_tce = sum(line["energy_tce"] for line in result["lines"] if line["ghg_scope"] == 2)
    assert lines_tce == pytest.approx(scope2_tce, rel=1e-12)
