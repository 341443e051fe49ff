"""The main job: `lingtan demo` builds the demo factory, locks its inventory, writes reports."""

import json
import re
import subprocess
import sys
import time
from datetime import date

import pytest

from lingtan.metering.intervals import Quality


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "out"
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "lingtan", "demo", "--output-dir", str(folder), "--no-serve"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return folder, run.stdout, time.perf_counter() - started


def lingtan(folder, *args):
    run = subprocess.run(
        [sys.executable, "-m", "lingtan", "--db", str(folder / "lingtan.db"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_demo_runs_within_a_minute(demo):
    _, stdout, seconds = demo
    assert seconds < 60, f"the demo took {seconds:.1f} s"
    assert "inventory 1 (locked)" in stdout


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
    assert {i["kind"] for i in result["instruments"]} == {"gec", "onsite_renewable"}
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
    # a fifth of the 2025 market-based total, rounded to hundreds: 36,959.3 / 5 = 7,391.9 -> 7,400
    assert target["base_tco2e"] == pytest.approx(market, rel=1e-12)
    assert target["target_tco2e"] == round(market / 5, -2) == 7400
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
    """A session on the demo database, for one test (it holds SQLite's write lock)."""
    from lingtan.store.db import session_scope

    with session_scope(engine) as session:
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
        "S-BOILER": ("steam", "t", "interval", "output"),
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
