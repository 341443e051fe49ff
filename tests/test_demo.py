"""The main job: `lingtan demo` builds the demo factory, locks its inventory, writes reports."""

import json
import re
import socket
import subprocess
import sys
import time
from datetime import date

import pytest

from demo_support import demo_command
from lingtan.metering.intervals import Quality


def lingtan(folder, *args):
    run = subprocess.run(
        [sys.executable, "-m", "lingtan", "--db", str(folder / "lingtan.db"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_demo_builds_and_locks_its_inventory(demo):
    """How long it takes is measured by benchmarks/demo_build.py, not here (docs/benchmarks.md)."""
    _, stdout, _ = demo
    assert "inventory 1 (locked)" in stdout
    assert "footprint: LFP cell" in stdout and "footprint/demo-cell-study.yaml" in stdout


def test_demo_writes_both_languages_in_three_formats(demo):
    folder, stdout, _ = demo
    reports = sorted(p.name for p in (folder / "reports").iterdir())
    for lang in ("zh-CN", "en"):
        for ext in ("html", "pdf", "xlsx"):
            assert any(name.endswith(f"-{lang}.{ext}") for name in reports), (lang, ext, reports)
    for name in reports:
        assert name in stdout


def test_demo_inventory_is_locked_and_traceable(demo):
    folder, _, _ = demo
    snapshot = json.loads(lingtan(folder, "inventory", "show", "1", "--format", "json"))
    assert snapshot["status"] == "locked"
    result = snapshot["result"]
    kinds = {line["kind"] for line in result["lines"]}
    assert kinds >= {"fuel_combustion", "mobile_combustion", "fugitive", "purchased_electricity",
                     "purchased_heat"}  # fmt: skip
    # the GECs and the green power contract come from the ledger's retirements for 2025
    assert {i["id"]: i["kind"] for i in result["instruments"]} == {
        "pv-2025": "onsite_renewable", "ledger:GEC-2025-JS-A": "gec",
        "ledger:GP-2025-JS": "green_power",
    }  # fmt: skip
    retired = snapshot["lineage"]["ledger_instruments"]["ledger:GEC-2025-JS-A"]
    assert retired["evidence"]["filename"] == "gec-2025-registry.csv"
    assert [r["serial"] for r in retired["retirements"]] == ["GEC-2025-JS-000001..018000"]
    # the CCER retired for 2025 are offsets beside the totals, never deducted from them
    offsets = result["offsets"]
    assert offsets["total_tco2e"] == 4000 and offsets["reduces_totals"] is False
    assert [c["serial"] for c in offsets["credits"]] == ["CCER-DEMO-2024-00001..04000"]
    assert result["totals"]["scope2_market_tco2e"] < result["totals"]["scope2_location_tco2e"]
    assert result["totals"]["intensities"][0]["unit"] == "MWh"
    gas = next(line for line in result["lines"] if line["source_id"] == "boiler-1@2025-01-01")
    trace = json.loads(lingtan(folder, "inventory", "trace", "1", gas["source_id"]))
    (evidence,) = trace["evidence"]
    assert evidence["filename"] == "gas-boiler-1-2025-01.csv"
    with open(evidence["path"], encoding="utf-8") as handle:
        assert str(trace["activity_record"]["quantity"]) in handle.read()
    assert "audit log intact" in lingtan(folder, "audit", "verify")


def test_demo_has_a_target_the_overview_measures(demo):
    folder, _, _ = demo
    data = json.loads(lingtan(folder, "overview", "--year", "2025", "--format", "json"))
    market = data["emissions"]["total_market_tco2e"]
    target = data["target"]
    # a fifth of the 2025 market-based total, rounded to hundreds: 29,644.1 / 5 = 5,928.8 -> 5,900
    assert target["base_tco2e"] == pytest.approx(market, rel=1e-12)
    assert target["target_tco2e"] == round(market / 5, -2) == 5900
    assert (target["basis"], target["target_year"], target["progress_pct"]) == ("market", 2030, 0)


# --- Metering: the tree, a year of 15-minute readings, and their agreement with the bills ----

FACILITY = "JS-CELL-01"
YEAR_UTC = ("2024-12-31T16:00:00", "2025-12-31T16:00:00")  # 2025 in local time, +08:00


@pytest.fixture(scope="module")
def engine(demo):
    from lingtan.store.db import make_engine

    folder, _, _ = demo
    engine = make_engine(f"sqlite:///{folder / 'lingtan.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine):
    """A read-only session on the demo database (the workers share it), for one test."""
    from lingtan.store.db import session_scope

    with session_scope(engine, read_only=True) as session:
        yield session


def monthly(session, code):
    """A meter's 2025 totals per local month, computed here from the stored readings."""
    from lingtan.metering.intervals import rollup
    from lingtan.metering.store import stored_intervals

    start, end = YEAR_UTC
    intervals = stored_intervals(session, FACILITY, code, start=start, end=end)
    return rollup(intervals, "month").energy, intervals


def bills(session, source):
    """The monthly activity records of a source, January first [their unit]."""
    import sqlalchemy as sa

    from lingtan.store.models import ActivityRecord, Source

    rows = session.execute(
        sa.select(ActivityRecord.quantity)
        .join(Source, Source.id == ActivityRecord.source_id)
        .where(Source.code == source)
        .order_by(ActivityRecord.period_start)
    ).scalars()
    return list(rows)


def test_demo_metering_tree(store):
    import sqlalchemy as sa

    from lingtan.metering.store import meters_of
    from lingtan.store.models import MeterNode

    meters = {m.code: m for m in meters_of(store, FACILITY)}
    assert 30 <= len(meters) <= 45
    levels = dict(store.execute(sa.select(MeterNode.code, MeterNode.level)).all())
    assert levels["site"] == "facility"
    assert {c for c, lv in levels.items() if lv == "workshop"} == {
        "electrode", "assembly", "formation", "pack"}  # fmt: skip
    assert levels["coating"] == "line" and levels["nmp"] == "equipment"
    assert levels["dehum-1"] == "equipment" and levels["utilities"] == "building"
    roles = {
        code: (m.energy_type, m.unit, m.kind, m.flow)
        for code, m in meters.items()
        if m.flow != "use"
    }
    assert roles == {
        "E-IN-1": ("electricity", "kWh", "cumulative", "supply"),
        "E-IN-2": ("electricity", "kWh", "cumulative", "supply"),
        "E-PV-GEN": ("electricity", "kWh", "cumulative", "generation"),
        "E-PV-EXP": ("electricity", "kWh", "cumulative", "export"),
        "G-BOILER-1": ("natural_gas", "Nm3", "cumulative", "supply"),
        "G-BOILER-2": ("natural_gas", "Nm3", "cumulative", "supply"),
        "S-PARK": ("steam", "GJ", "cumulative", "supply"),
        "S-BOILER": ("steam", "GJ", "interval", "output"),
        "A-AIR": ("compressed_air", "Nm3", "interval", "output"),
        "W-MAIN": ("water", "m3", "cumulative", "supply"),
    }
    incomer = meters["E-IN-1"]
    assert (incomer.multiplier, incomer.rollover_at) == (6000, 999_999.99)  # CT 300/5 x PT 100
    virtual = {code: m.virtual_formula for code, m in meters.items() if m.virtual_formula}
    assert set(virtual) == {"E-REST", "E-ELEC-REST"}
    assert virtual["E-ELEC-REST"] == "E-ELEC - E-MIX - E-COAT - E-ROLL"


def test_demo_meters_agree_with_the_bills_within_one_percent(store):
    grid = bills(store, "grid")
    # January's bill: 4,850 MWh x (1 + 0.06 winter swing x cos 0) = 5,141.0 MWh = 5,141,000 kWh
    assert grid[0] == pytest.approx(5_141_000)
    incomers = monthly(store, "E-IN-1")[0] + monthly(store, "E-IN-2")[0]
    pv = (monthly(store, "E-PV-GEN")[0] - monthly(store, "E-PV-EXP")[0]) / 1000  # [MWh]
    checks = {
        "grid": (incomers, grid),
        "rooftop-pv": (pv, bills(store, "rooftop-pv")),
        "boiler-1": (monthly(store, "G-BOILER-1")[0], bills(store, "boiler-1")),
        "boiler-2": (monthly(store, "G-BOILER-2")[0], bills(store, "boiler-2")),
    }
    for source, (metered, billed) in checks.items():
        assert len(metered) == len(billed) == 12, source
        for month, (m, b) in enumerate(zip(metered, billed, strict=True), start=1):
            assert abs(m / b - 1) < 0.01, (source, month, m, b)
            assert m != pytest.approx(b, rel=1e-6), (source, month)  # meters are not the bill
    # purchased steam: the meter failed in June (the statement's June figure is an estimate)
    steam, intervals = monthly(store, "S-PARK")
    statements = bills(store, "steam")
    for month in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12):
        assert abs(steam[month - 1] / statements[month - 1] - 1) < 0.01, month
    assert steam[5] == 0
    assert intervals.count(Quality.MISSING) == 30 * 96  # all of June


def test_demo_meter_events_are_flagged(store):
    def problems(code):
        _, intervals = monthly(store, code)
        return intervals, {(p.kind, p.timestamp.isoformat()) for p in intervals.problems}

    air, found = problems("A-AIR")
    assert ("spike", "2025-04-15T06:30:00+00:00") in found  # 14:30 local
    assert air.count(Quality.SPIKE) == 1
    stack, found = problems("E-STACK")
    # readings 02:15 .. 07:30 local left out: 07:45 - 02:00 = 5.75 h > 1 h -> 23 intervals
    assert ("missing", "2025-08-18T18:00:00+00:00") in found
    assert stack.count(Quality.MISSING) == 23
    incomer, found = problems("E-IN-2")
    # readings 10:15 and 10:30 left out: 10:00 .. 10:45 = 0.75 h <= 1 h -> 3 intervals estimated
    assert ("estimated", "2025-03-12T02:00:00+00:00") in found
    assert incomer.count(Quality.ESTIMATED) == 3
    incomer, found = problems("E-IN-1")
    assert [kind for kind, _ in found] == ["rollover"] and incomer.count(Quality.ROLLOVER) == 1
    dehumidifier, found = problems("E-DEH-2")
    assert found == {("replacement", "2025-09-16T02:00:00+00:00")}  # 10:00 local
    assert dehumidifier.count(Quality.REPLACEMENT) == 1


def test_demo_daily_totals_are_refreshed(store):
    import sqlalchemy as sa

    from lingtan.metering.rollups import daily_totals
    from lingtan.metering.store import facility_id
    from lingtan.store.models import Meter, MeterDayStale

    assert store.execute(sa.select(sa.func.count()).select_from(MeterDayStale)).scalar() == 0
    fid = facility_id(store, FACILITY)
    mid = store.execute(sa.select(Meter.id).where(Meter.code == "E-IN-1")).scalar_one()
    daily = daily_totals(store, fid, date(2025, 1, 1), date(2026, 1, 1), [mid])
    year, _ = monthly(store, "E-IN-1")
    assert daily.day.size == 365
    assert daily.energy.sum() == pytest.approx(year.sum(), rel=1e-9)


def test_demo_metering_files_are_deterministic(demo, tmp_path):
    from lingtan.demo.build import monthly_bills
    from lingtan.demo.metering import write_metering

    folder, _, _ = demo
    again = write_metering(tmp_path, monthly_bills())
    for path in [again.definitions, *again.readings]:
        assert path.read_bytes() == (folder / "meters" / path.name).read_bytes(), path.name
    wide = again.readings[0]
    with wide.open(encoding="utf-8") as handle:
        rows = sum(1 for _ in handle)
    assert rows == 1 + 365 * 96 + 1  # the header, then 2025-01-01 00:00 .. 2026-01-01 00:00


def test_demo_budgets_and_energy_summary(demo):
    folder, stdout, _ = demo
    line = next(t for t in stdout.splitlines() if t.strip().startswith("metering:"))
    # 36 stored meters x 35,041 quarter hours = 1,261,476 readings, less those left out:
    # 2 + 1 + 3 + 22 in short and long gaps and 30 x 96 - 1 = 2,879 in June's steam-meter
    # failure: 1,261,476 - 2,907 = 1,258,569
    assert "38 meters, 1,258,569 readings of 2025" in line
    checks = json.loads(lingtan(folder, "energy", "budget", "check", "--year", "2025",
                                "--format", "json"))  # fmt: skip
    rows = checks if isinstance(checks, list) else checks["rows"]
    assert {r["node"] for r in rows} == {"site", "electrode", "assembly", "formation", "utilities"}
    assert len(rows) == 60
    # January's site budget: 12,100 tce a year x 31 / 365 days = 1,027.7 tce
    january = next(r for r in rows if (r["node"], r["month"]) == ("site", "2025-01"))
    assert january["budget_tce"] == pytest.approx(1027.7)
    over = sum(1 for r in rows if r["over_budget"])
    assert f"{over} of 60 monthly node budgets exceeded" in line


def test_demo_prints_dashboard_sign_ins_that_work(demo):
    from fastapi.testclient import TestClient

    from lingtan.web.app import create_app

    folder, stdout, _ = demo
    assert "dashboard: http://127.0.0.1:8000/  (demo sign-ins, password lingtan-demo):" in stdout
    assert "serve it later: lingtan --db sqlite:///" in stdout  # --no-serve: nothing served
    app = create_app(f"sqlite:///{folder / 'lingtan.db'}")
    try:
        for user, role in (("demo", "admin"), ("demo-viewer", "viewer")):
            assert re.search(rf"^    {re.escape(user)} +{role}$", stdout, re.M), user
            client = TestClient(app)
            answer = client.post(
                "/api/v1/session", json={"username": user, "password": "lingtan-demo"}
            )
            assert answer.status_code == 200 and answer.json()["role"] == role
            overview = client.get("/overview")  # the demo factory's 2025, as printed above
            assert overview.status_code == 200
            assert 'data-value="48417.' in overview.text and ">48,417.3<" in overview.text
    finally:
        app.state.engine.dispose()


def test_demo_without_a_cjk_font_still_serves_the_dashboard(tmp_path, no_cjk_font):
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        demo_command(tmp_path / "out", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=no_cjk_font,
    )
    try:
        deadline = time.monotonic() + 300  # as long as the shared build may take
        while True:
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "the dashboard was not served"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    reports = sorted(p.name for p in (tmp_path / "out" / "reports").iterdir())
    assert [name.rsplit("-", 1)[1] for name in reports] == ["en.xlsx", "CN.xlsx"]
    assert all(name in stdout for name in reports)
    assert (
        "warning: HTML and PDF reports skipped: the HTML and PDF reports need a CJK font" in stderr
    )
    assert "apt-get install fonts-noto-cjk" in stderr and "Traceback" not in stderr
    assert f"dashboard: http://127.0.0.1:{port}/" in stdout


# --- One set of figures: every figure shown twice is the same, or the reconciliation says why -


@pytest.fixture(scope="module")
def shown(demo):
    """The demo's 2025 figures as the API gives them and as the pages and reports show them."""
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook

    from lingtan.web.app import create_app

    folder, stdout, _ = demo
    app = create_app(f"sqlite:///{folder / 'lingtan.db'}")
    client = TestClient(app)
    answer = client.post("/api/v1/session", json={"username": "demo", "password": "lingtan-demo"})
    assert answer.status_code == 200
    base = f"/api/v1/facilities/{FACILITY}"
    year = {"year": 2025}
    api = {
        "overview": client.get(f"{base}/overview", params=year).json(),
        "totals": client.get(f"{base}/energy/totals", params={**year, "period": "year"}).json(),
        "monthly": client.get(f"{base}/energy/totals", params=year).json(),
        "flow": client.get(f"{base}/energy/flow", params=year).json(),
        "balance": client.get(f"{base}/energy/balance", params=year).json(),
        "reconciliation": client.get(f"{base}/energy/reconciliation", params=year).json(),
        "june": client.get(f"{base}/energy/reconciliation", params={**year, "month": 6}).json(),
        "inventory": client.get("/api/v1/inventories/1").json(),
    }
    pages = {name: client.get(path).text for name, path in (
        ("overview", "/overview?year=2025"), ("energy", "/energy?year=2025"),
        ("inventory", "/inventories/1"))}  # fmt: skip
    app.state.engine.dispose()
    reports = {}
    for path in (folder / "reports").iterdir():
        if path.suffix == ".html":
            reports[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".xlsx":
            cells = {}
            for sheet in load_workbook(path, read_only=True, data_only=True):
                for row in sheet.iter_rows(values_only=True):
                    for i, cell in enumerate(row[:-1]):
                        if isinstance(cell, str) and cell.startswith("totals."):
                            cells.setdefault(cell, row[i + 1])
            reports[path.name] = cells
    return api, pages, reports, stdout


def kpi(page, key):
    """The number a page shows in its KPI ``key`` (its data-value)."""
    found = re.search(rf'data-kpi="{key}">.*?data-value="([^"]*)"', page, re.S)
    assert found, key
    return float(found.group(1))


def cause(reconciliation, name):
    return next(c for c in reconciliation["causes"] if c["cause"] == name)


def test_demo_inventory_figures_agree_everywhere(shown):
    api, pages, reports, stdout = shown
    totals = api["inventory"]["result"]["totals"]
    energy = totals["energy_tce"]
    location = totals["scope1_tco2e"] + totals["scope2_location_tco2e"]
    overview = api["overview"]
    assert overview["energy_tce"] == energy == api["reconciliation"]["inventory"]["energy_tce"]
    assert kpi(pages["overview"], "energy_tce") == kpi(pages["inventory"], "energy_tce") == energy
    assert f"energy {energy:,.1f} tce" in stdout
    assert overview["emissions"]["total_location_tco2e"] == pytest.approx(location, rel=1e-12)
    assert kpi(pages["overview"], "total_location_tco2e") == pytest.approx(location, rel=1e-12)
    assert kpi(pages["inventory"], "total_tco2e") == totals["total_tco2e"]
    # the trend's months add up to the year
    assert sum(m["energy_tce"] for m in overview["trend"]) == pytest.approx(energy, rel=1e-12)
    # the reports (both languages, HTML and XLSX) show the inventory's own figures
    assert len(reports) == 4
    for name, report in reports.items():
        if name.endswith(".html"):
            assert f"{energy:,.3f}" in report and f"{totals['total_tco2e']:,.3f}" in report, name
        else:
            for key in ("energy_tce", "total_tco2e", "scope1_tco2e", "scope2_location_tco2e",
                        "scope2_market_tco2e", "purchased_electricity_mwh"):  # fmt: skip
                assert report[f"totals.{key}"] == totals[key], (name, key)
    # the reconciliation's invoice side is the inventory, line for line
    reconciled = api["reconciliation"]
    assert reconciled["invoice_tce"] == pytest.approx(energy, rel=1e-12)
    assert reconciled["invoice_tco2e"] == pytest.approx(totals["total_tco2e"], rel=1e-12)
    rows = {r["energy_type"]: r for r in reconciled["rows"]}
    mwh = rows["electricity"]["invoice_quantity"] + rows["onsite_generation"]["invoice_quantity"]
    assert mwh == overview["renewable"]["purchased_electricity_mwh"] == 66_264


def test_demo_meter_figures_agree_everywhere(shown):
    api, pages, _, stdout = shown
    (year,) = api["totals"]["periods"]
    tce, tco2 = year["facility_energy_tce"], year["facility_carbon_tco2"]
    assert kpi(pages["energy"], "facility_energy_tce") == tce
    assert kpi(pages["energy"], "facility_carbon_tco2") == tco2
    assert f"from meters {tce:,.1f} tce, {tco2:,.1f} tCO2" in stdout
    months = api["monthly"]["periods"]
    assert sum(m["facility_energy_tce"] for m in months) == pytest.approx(tce, rel=1e-12)
    reconciled = api["reconciliation"]
    assert reconciled["meter_tce"] == pytest.approx(tce, rel=1e-12)
    assert reconciled["meter_tco2"] == pytest.approx(tco2, rel=1e-12)
    # the demo's own energy flow has no metering fault, nor its balance: an incomplete month
    # is August's gateway outage of E-STACK (deliberate), and the park steam, which no meter
    # downstream measures, is not balanced against nothing
    assert api["flow"]["notes"] == []
    alerts = [r for r in api["balance"]["rows"] if r["status"] != "ok"]
    assert not [r for r in alerts if r["status"] == "children exceed parent"]
    assert [(r["node"], r["period"]) for r in alerts if r["status"] == "incomplete"] == [
        ("assembly", "2025-08")
    ]
    assert not [r for r in api["balance"]["rows"] if r["energy_type"] == "steam"]


def test_demo_reconciliation_explains_the_difference_exactly(shown):
    api, pages, _, _ = shown
    r = api["reconciliation"]
    difference = r["invoice_tce"] - r["meter_tce"]
    assert sum(c["energy_tce"] for c in r["causes"]) == pytest.approx(difference, rel=1e-9)
    carbon = r["invoice_tco2e"] - r["meter_tco2"]
    assert sum(c["carbon_tco2e"] for c in r["causes"]) == pytest.approx(carbon, rel=1e-9)
    for row in r["rows"]:
        assert sum(c["energy_tce"] for c in row["causes"]) == pytest.approx(
            row["difference_tce"], abs=1e-9
        ), row["energy_type"]
    # by hand: diesel from the ledger, 38.5 t x 42.652 GJ/t / 29.307 GJ/tce = 56.0311 tce; its
    # CO2 38.5 x 42.652 x 0.0202 x 0.98 x 44/12 = 119.1925 t, and the refrigerant top-ups'
    # 44.1672 tCO2e: not metered
    assert cause(r, "not_metered")["energy_tce"] == pytest.approx(38.5 * 42.652 / 29.307)
    assert cause(r, "not_metered")["carbon_tco2e"] == pytest.approx(
        38.5 * 42.652 * 0.0202 * 0.98 * 44 / 12 + 44.16725, rel=1e-6
    )
    # rooftop PV bought from its owner: 3,720 MWh x 0.1229 kgce/kWh = 457.188 tce and, at the
    # Jiangsu 2023 grid factor, 3,720 x 0.5827 = 2,167.644 tCO2 (location-based)
    pv = cause(r, "onsite_generation")
    assert (pv["energy_tce"], pv["carbon_tco2e"]) == pytest.approx((457.188, 2167.644))
    # June's park steam: the meter failed, the inventory has the statement's estimate,
    # 2,150 GJ x (1 - 0.1 x cos 30 deg) = 1,963.8 GJ = 1,963.8 / 29.307 = 67.0079 tce
    missing = cause(r, "meter_missing")
    assert missing["energy_tce"] == pytest.approx(1963.8 / 29.307)
    assert missing["carbon_tco2e"] == pytest.approx(1963.8 * 0.11)
    rows = {row["energy_type"]: row for row in r["rows"]}
    assert cause(rows["heat"], "meter_missing")["months"] == ["2025-06"]
    june = next(m for m in rows["heat"]["months"] if m["month"] == "2025-06")
    assert june["invoice_estimate"] and june["missing_intervals"] == 30 * 96
    # both sides at 当量值 and the same NCV: no coefficient difference
    assert r["inventory"]["electricity_tce_basis"] == r["meters_electricity_tce_basis"]
    assert cause(r, "coefficients")["energy_tce"] == pytest.approx(0.0, abs=1e-9)
    # the rest is the meters against the bills: each meter within 1 % (see the test above)
    for name in ("electricity", "natural_gas", "heat"):
        metering = cause(rows[name], "metering")["energy_tce"]
        assert abs(metering) < 0.01 * rows[name]["meter_tce"], name
    # the month's reconciliation is that month's share
    june = api["june"]
    assert cause(june, "meter_missing")["energy_tce"] == pytest.approx(missing["energy_tce"])
    # both pages show the same table, with the API's numbers
    for page in ("overview", "energy"):
        for c in r["causes"]:
            found = re.search(
                rf'data-cause="{c["cause"]}">.*?data-value="([^"]*)"', pages[page], re.S
            )
            assert found and float(found.group(1)) == c["energy_tce"], (page, c["cause"])


def test_the_calc_example_is_the_demo_inventory(demo):
    """``lingtan calc examples/demo-cell-plant.yaml`` gives the demo's locked inventory."""
    from pathlib import Path

    folder, _, _ = demo
    example = Path(__file__).resolve().parents[1] / "examples" / "demo-cell-plant.yaml"
    calc = json.loads(lingtan(folder, "calc", str(example), "--format", "json"))
    locked = json.loads(lingtan(folder, "inventory", "show", "1", "--format", "json"))["result"]
    for key, value in locked["totals"].items():
        if isinstance(value, float):
            assert calc["totals"][key] == pytest.approx(value, rel=1e-12), key
    # line by line: each source of the example is the year of the demo's monthly lines
    by_source: dict[str, list[float]] = {}
    for line in locked["lines"]:
        sums = by_source.setdefault(line["source_id"].split("@")[0], [0.0, 0.0, 0.0])
        sums[0] += line["activity"]  # canonical units: the demo bills grid power in kWh
        sums[1] += line["emissions_tco2e"]
        sums[2] += line["energy_tce"]
    assert {line["source_id"] for line in calc["lines"]} == set(by_source)
    for line in calc["lines"]:
        activity, emissions, energy = by_source[line["source_id"]]
        assert line["activity"] == pytest.approx(activity, rel=1e-12), line["source_id"]
        assert line["emissions_tco2e"] == pytest.approx(emissions, rel=1e-12), line["source_id"]
        assert line["energy_tce"] == pytest.approx(energy, rel=1e-12), line["source_id"]
    # the example states the demo ledger's retirements as instruments gec-2025 and gp-2025
    # (the engine applies instruments narrowed to sources first, so the order differs)
    assert sorted((i["kind"], i["covered_mwh"]) for i in calc["instruments"]) == sorted(
        (i["kind"], i["covered_mwh"]) for i in locked["instruments"]
    )


def test_demo_tariff_is_a_marked_sample_and_prices_the_year(demo):
    folder, stdout, _ = demo
    prices = json.loads(lingtan(folder, "tariff", "show", "--format", "json"))["prices"]
    assert prices and {p["status"] for p in prices} == {"sample"}
    assert all(p["note"].startswith("示例数据，非官方电价") for p in prices)
    # TOU prices only where the shipped Jiangsu calendar is in force (from June 2025)
    tou = {p["month_from"] for p in prices if p["period"] != "all"}
    assert min(tou) == "2025-06" and {p["calendar_id"] for p in prices if p["period"] != "all"} == {
        "CN-JS-2025-426"
    }
    cost = json.loads(lingtan(folder, "energy", "cost", "--year", "2025", "--node", "site",
                              "--format", "json"))  # fmt: skip
    assert {s["status"] for s in cost["sources"]} == {"sample"}
    assert f"cost:      {cost['cost_cny']:,.0f} CNY in 2025" in stdout
    # the year is the sum of its months, and each month of the sum of its energy types
    assert cost["cost_cny"] == pytest.approx(sum(m["cost_cny"] for m in cost["months"]))
    report = next((folder / "reports").glob("*-zh-CN.html")).read_text(encoding="utf-8")
    assert "6.3 能源成本" in report and "示例数据，非官方电价" in report


def test_the_demo_prints_no_solver_banner(demo):
    """The demo solves its plan with HiGHS, whose banner would show on the console (stdout
    or stderr): neither has it."""
    folder, stdout, _ = demo
    stderr = json.loads((folder.parent.parent / "demo.json").read_text())["stderr"]
    for text in (stdout, stderr):
        assert "Running HiGHS" not in text and "THIRD_PARTY_NOTICES" not in text
    assert "plan show" in stdout  # the plan was solved and stored
