"""Plans from the metering tree and stored plans (issue 13 §4): a node's load equals the
metering rollup, gaps and unknown nodes are refused naming the field, a stored plan keeps its
inputs and solves again to the same objective, it cannot be changed, and the command line
stores, lists, shows and checks plans; the charts' series by hand."""

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.demo.build import FACILITY
from lingtan.errors import InputError
from lingtan.metering.energy_store import load_energy
from lingtan.planning.problem import read_problem_file, series_sha256
from lingtan.planning.summary import dispatch_series
from lingtan.services.planning import check_plan, node_series, read_plan, stored_plan
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import AuditEntry, Meter, MeterReading, StoredPlan


@pytest.fixture(scope="module")
def demo_db(demo_copy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("planning-store")
    url = demo_copy(folder)
    engine = make_engine(url)
    yield url, engine, folder
    engine.dispose()


def _series(session, node="site", minutes=60, kind="load", year=2025):
    return node_series(session, field="load.node", node=node, facility=None, year=year,
                       step_minutes=minutes, kind=kind)  # fmt: skip


@pytest.mark.parametrize("node", ["site", "electrode", "dryroom"])
def test_a_node_load_is_the_metering_rollup_of_its_total(demo_db, node):
    _, engine, _ = demo_db
    with session_scope(engine, read_only=True) as session:
        hourly = _series(session, node)
        quarter = _series(session, node, minutes=15)
        energy = load_energy(session, FACILITY, date(2025, 1, 1), date(2026, 1, 1), refresh=False)
        days = energy.periods("day")
    assert len(hourly.energy_kwh) == 8760 and len(quarter.energy_kwh) == 35040
    assert hourly.step_h == 1.0 and quarter.step_h == 0.25
    assert hourly.starts[0] == np.datetime64("2024-12-31T16:00:00")  # 00:00 +08:00
    # per local day, the series sums to the node's daily total of the metering tree
    by_day = [energy.totals(values)[(node, "electricity")].energy for values in days.values()]
    np.testing.assert_allclose(hourly.energy_kwh.reshape(365, 24).sum(axis=1), by_day,
                               rtol=1e-9)  # fmt: skip
    np.testing.assert_allclose(quarter.energy_kwh.reshape(-1, 4).sum(axis=1), hourly.energy_kwh,
                               rtol=1e-12)  # fmt: skip
    assert hourly.report["intervals"] == 35040
    assert hourly.report["energy_kwh"] == pytest.approx(sum(by_day), rel=1e-9)


def test_estimated_intervals_are_reported(demo_db):
    _, engine, _ = demo_db
    with session_scope(engine, read_only=True) as session:
        site = _series(session, "site")
        energy = load_energy(session, FACILITY, date(2025, 1, 1), date(2026, 1, 1), refresh=False)
        (year,) = energy.periods("year").values()
    total = energy.totals(year)[("site", "electricity")]
    assert site.report["meters"] == {"E-IN-1": 1.0, "E-IN-2": 1.0}
    assert site.report["estimated_intervals"] > 0
    assert site.report["estimated_kwh"] == pytest.approx(total.estimated, rel=1e-9)


def test_unknown_nodes_nodes_without_meters_and_leap_years_are_refused(demo_db):
    _, engine, _ = demo_db
    with session_scope(engine, read_only=True) as session:
        with pytest.raises(
            InputError, match=re.escape("'load.node' = 'roof': not a node of the metering")
        ):
            _series(session, "roof")
        pv_meters = "'load.node' = 'pv': the node has no electricity meters"
        with pytest.raises(InputError, match=re.escape(pv_meters)):
            _series(session, "pv")
        with pytest.raises(
            InputError, match=re.escape("the node has no electricity generation meters")
        ):
            _series(session, "site", kind="generation")
        with pytest.raises(
            InputError, match=re.escape("'load.year' = 2024: a year of 365 days expected")
        ):
            _series(session, "site", year=2024)
        with pytest.raises(
            InputError, match=re.escape("'load.node' = 'site': no meter data in 2023")
        ):
            _series(session, "site", year=2023)


def test_a_node_with_a_gap_is_refused_naming_the_first_missing_interval(demo_copy, tmp_path):
    engine = make_engine(demo_copy(tmp_path))
    with session_scope(engine) as session:
        meter = session.scalars(sa.select(Meter).where(Meter.code == "E-IN-1")).one()
        start = int(np.datetime64("2025-03-10T02:00:00", "s").astype(int))  # 10:00 +08:00
        session.execute(sa.delete(MeterReading).where(
            MeterReading.meter_id == meter.id, MeterReading.ts > start,
            MeterReading.ts < start + 3 * 3600))  # fmt: skip
    with session_scope(engine, read_only=True) as session, pytest.raises(InputError) as error:
        _series(session, "site")
    engine.dispose()
    (problem,) = error.value.problems
    assert problem.field == "load.node" and problem.value == "site"
    text = str(problem.rule)
    assert "the series is incomplete" in text and "2025-03-10T02:00:00 UTC" in text


def _problem(folder: Path, load: str, extra: str = "") -> Path:
    path = folder / "p.yaml"
    path.write_text(
        f"""name: test
load:
{load}
finance: {{discount_rate: 0.06}}
grid:
  calendar: CN-JS-2025-426
  prices_cny_per_kwh: {{peak: 1.1, flat: 0.65, valley: 0.25}}
  emission_factor_tco2_per_mwh: 0.5366
{extra}""",
        encoding="utf-8",
    )
    return path


def test_a_node_load_without_a_database_or_with_bad_fields_is_refused(tmp_path):
    path = _problem(tmp_path, "  node: site\n  year: 2025")
    needs = "'load.node' = 'site': a series from the metering tree needs the database"
    with pytest.raises(InputError, match=re.escape(needs)):
        read_problem_file(path)
    bad = _problem(tmp_path, "  node: site\n  year: 25\n  step_minutes: 30")
    with pytest.raises(InputError) as error:
        read_problem_file(bad, metered=lambda **_: pytest.fail("not called"))
    assert {p.field for p in error.value.problems} == {"load.year", "load.step_minutes"}
    pv = _problem(tmp_path, "  file: load.csv",
                  "pv: {meter_node: pv, meter_kwp: 100, capex_cny_per_kw: 1, "
                  "lifetime_years: 25}\n")  # fmt: skip
    with pytest.raises(InputError, match=re.escape("needs a load from the metering tree")):
        read_problem_file(pv)


def test_pv_from_a_node_s_generation_meters_per_kwp(demo_db):
    _, engine, folder = demo_db
    path = _problem(folder, "  node: site\n  year: 2025",
                    "pv: {meter_node: pv, meter_kwp: 3200, capex_cny_per_kw: 3000, "
                    "lifetime_years: 25}\n")  # fmt: skip
    with session_scope(engine, read_only=True) as session:
        plan = read_plan(session, path)
        pv = _series(session, "pv", kind="generation")
    np.testing.assert_allclose(plan.problem.pv_cf, pv.energy_kwh / 3200)
    assert plan.sources["pv_output"] == "JS-CELL-01 node pv 2025 (generation, 60 min)"
    assert plan.inputs["load_series"] == series_sha256(plan.problem.load_kw)
    low = path.read_text().replace("meter_kwp: 3200", "meter_kwp: 100")
    with (
        session_scope(engine, read_only=True) as session,
        pytest.raises(InputError, match=re.escape("'pv.meter_kwp' = 100.0: the meters measure")),
    ):
        read_plan(session, path, text=low)


def test_the_demo_s_stored_plan_solves_again_to_its_objective_and_is_immutable(demo_db):
    _, engine, _ = demo_db
    with session_scope(engine, read_only=True) as session:
        row = stored_plan(session, 1)
        assert row.created_by == "demo" and "illustrative" in row.label
        assert row.metered["load"]["node"] == "site" and row.metered["pv"]["node"] == "pv"
        assert set(row.inputs) == {"load_series"}  # no file: both series from the meters
        assert row.tariff["calendar"] == "CN-JS-2025-426"
        assert row.solver.startswith("HiGHS ") and row.lingtan_version
        for key in ("objective_cny_per_year", "pv_kw", "battery_kwh", "battery_kw",
                    "grid_import_mwh", "renewable_share", "emissions_tco2e"):  # fmt: skip
            assert isinstance(row.result[key], float)
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "plan", AuditEntry.entity_key == "1")
        ).one()
        assert entry.action == "create" and entry.actor == "demo"
        assert entry.after["inputs"] == row.inputs
        check = check_plan(session, 1)
    assert check.changed_inputs == []
    assert check.relative_difference <= 1e-6
    with (
        session_scope(engine) as session,
        pytest.raises(ValueError, match=re.escape("cannot be changed")),
    ):
        session.get(StoredPlan, 1).name = "changed"
        session.flush()


def test_the_command_line_stores_lists_shows_and_checks_a_plan(demo_db, monkeypatch):
    url, engine, folder = demo_db
    monkeypatch.setenv("LINGTAN_USER", "planner")
    runner = CliRunner()
    with session_scope(engine, read_only=True) as session:
        demo = stored_plan(session, 1)
        text, origin = demo.problem_text, demo.problem_file
    path = folder / "again.yaml"
    path.write_text(text.replace("max_kw: 6000", "max_kw: 3000"), encoding="utf-8")

    def run(*args, code=0):
        result = runner.invoke(main, ["--db", url, *args])
        assert result.exit_code == code, (result.output, result.stderr)
        return result

    sized = run("plan", "size", str(path), "--store", "--name", "roof 3 MW", "--format", "json")
    result = json.loads(sized.stdout)
    assert result["pv_kw"] == pytest.approx(3000) and "plan 2 stored: roof 3 MW" in sized.stderr
    listed = json.loads(run("plan", "list", "--format", "json").stdout)
    assert [p["id"] for p in listed] == [2, 1] and listed[0]["name"] == "roof 3 MW"
    shown = json.loads(run("plan", "show", "2", "--format", "json").stdout)
    assert shown["result"] == result and shown["created_by"] == "planner"
    assert shown["problem_text"] == path.read_text(encoding="utf-8")
    bad = folder / "bad.yaml"
    bad.write_text(text.replace("node: site", "node: roof"), encoding="utf-8")
    refused = run("plan", "size", str(bad), "--store", code=2)
    assert "'load.node' = 'roof': not a node of the metering tree" in refused.stderr
    assert len(json.loads(run("plan", "list", "--format", "json").stdout)) == 2  # none written
    checked = json.loads(run("plan", "check", "2", "--format", "json").stdout)
    assert checked["relative_difference"] <= 1e-6 and checked["changed_inputs"] == []
    zh = run("--lang", "zh-CN", "plan", "show", "9", code=2)
    assert "没有该方案" in zh.stderr
    assert Path(origin).is_file()


def test_the_charts_series_by_hand():
    # two weeks from Monday 2025-01-06 00:00 +08:00, hourly; the second week has more load
    starts = np.arange(np.datetime64("2025-01-05T16:00"), np.datetime64("2025-01-19T16:00"),
                       np.timedelta64(1, "h")).astype("datetime64[s]")  # fmt: skip
    load = np.r_[np.full(168, 100.0), np.full(168, 300.0)]
    load[0] = 400.0  # week 1: 167 x 100 + 400 = 17,100 kWh; week 2: 50,400 kWh
    flows = {key: np.zeros(336) for key in ("pv_used_kw", "wind_used_kw", "discharge_kw",
             "charge_kw", "export_kw", "soc_kwh", "pv_kw", "wind_kw")}  # fmt: skip
    flows.update(load_kw=load, grid_import_kw=load)
    series = dispatch_series(starts=starts, step_h=1.0, dispatch=flows,
                             time_zone="Asia/Shanghai")  # fmt: skip
    # mean week 33,750 kWh: week 1 is 16,650 off, week 2 16,650 off too: the first of equals
    assert series["week"]["start"] == "2025-01-06T00:00:00"
    assert len(series["week"]["hours"]) == 168 and series["week"]["load_kw"][0] == 400.0
    assert series["months"] == {"month": ["2025-01"], "load_mwh": [67.5], "pv_mwh": [0.0],
                                "wind_mwh": [0.0], "grid_import_mwh": [67.5],
                                "grid_export_mwh": [0.0]}  # fmt: skip
    duration = series["duration"]
    assert duration["load_kw"][0] == 400.0 and duration["load_kw"][-1] == 100.0
    assert duration["share"][-1] == 1.0 and duration["load_kw"] == sorted(
        duration["load_kw"], reverse=True
    )
