"""The metering, energy, overview and report-job API on a small hand-built tree, SQLite and
PostgreSQL, through the real application: the figures are those of the services (and of the
arithmetic below), scoping holds, and bad input is refused with nothing written."""

import io
import socket
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from lingtan.imports.template import write_workbook
from lingtan.metering.energy import balance
from lingtan.metering.energy_store import load_energy, month_span
from lingtan.metering.store import ingest_readings
from lingtan.services.overview import facility_overview, set_target
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.models import ActivityRecord, Facility, ImportBatch, MeterReading
from lingtan.web.api_overview import Overview
from web_support import assert_error, build_site, define_two_meters

F = "/api/v1/facilities/ALPHA-PLANT"
UPLOAD_LIMIT = 64 * 1024
# The local day 2025-03-01 (UTC+08:00) runs from 2025-02-28T16:00Z to 2025-03-01T16:00Z.
DAY_START_UTC = 1_740_758_400  # 2025-02-28T16:00:00Z


def readings_csv(sup_step: float = 10.0, ws_step: float = 9.0) -> bytes:
    """97 readings of each meter, every 15 minutes over the local day 2025-03-01: the supply
    register climbs ``sup_step`` kWh per interval, the workshop's ``ws_step``."""
    rows = ["meter,timestamp,value"]
    for i in range(97):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(DAY_START_UTC + 900 * i))
        rows.append(f"M-SUP,{stamp},{1000 + sup_step * i}")
        rows.append(f"M-WS,{stamp},{500 + ws_step * i}")
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path, max_upload_bytes=UPLOAD_LIMIT)
    with session_scope(built.engine) as session:
        define_two_meters(session)
    yield built
    built.close()


def upload(client, csrf, path, name, content, **data):
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.post(path, files={"file": (name, content)}, data=data, headers=headers)


@pytest.fixture
def loaded(site):
    """The site with the day's readings imported by a manager through the API."""
    client, csrf = site.client("manager_a")
    answer = upload(client, csrf, f"{F}/meter-files", "day.csv", readings_csv())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["layout"], body["rows_read"], body["added"]) == ("long", 194, 194)
    return site


# --- figures --------------------------------------------------------------------------------


def test_tree_readings_and_intervals(loaded):
    client, _ = loaded.client("viewer_a")
    tree = client.get(f"{F}/meters").json()
    assert [(n["code"], n["parent"]) for n in tree["nodes"]] == [("site", None), ("ws", "site")]
    assert {m["code"]: (m["node"], m["flow"]) for m in tree["meters"]} == {
        "E-MAIN": (None, "use"),
        "M-SUP": ("site", "supply"),
        "M-WS": ("ws", "use"),
    }
    # [16:00Z, 17:00Z): the readings at 16:00, 16:15, 16:30 and 16:45
    span = "start=2025-02-28T16:00:00Z&end=2025-02-28T17:00:00Z"
    readings = client.get(f"{F}/meters/M-SUP/readings?{span}&limit=2&offset=1").json()
    assert readings["total"] == 4
    assert [r["value"] for r in readings["items"]] == [1010.0, 1020.0]
    assert readings["items"][0]["ts"] == "2025-02-28T16:15:00Z"
    intervals = client.get(f"{F}/meters/M-WS/intervals?{span}").json()
    # four intervals of 9 kWh each (register 500 -> 509 -> 518 -> 527 -> 536)
    assert [i["energy"] for i in intervals["items"]] == pytest.approx([9.0] * 4)
    assert intervals["quality_counts"] == {"measured": 4}
    assert intervals["items"][0]["start"] == "2025-02-28T16:00:00Z"


def test_rollups_and_data_quality(loaded):
    client, _ = loaded.client("viewer_a")
    days = client.get(f"{F}/rollups?start=2025-03-01&end=2025-03-02").json()
    by_node = {(i["node"], i["period"]): i for i in days["items"]}
    # supply: 96 intervals x 10 kWh = 960 kWh; workshop: 96 x 9 = 864 kWh; nothing on 03-02
    assert by_node["site", "2025-03-01"]["energy"] == pytest.approx(960.0)
    assert by_node["ws", "2025-03-01"]["energy"] == pytest.approx(864.0)
    assert by_node["ws", "2025-03-01"]["measured_intervals"] == 96
    assert days["total"] == 2
    months = client.get(f"{F}/rollups?start=2025-03-01&end=2025-03-31&period=month&node=ws")
    assert [(i["node"], i["period"], i["energy"]) for i in months.json()["items"]] == [
        ("ws", "2025-03-01", pytest.approx(864.0))
    ]
    quality = client.get(f"{F}/data-quality?start=2025-03-01&end=2025-03-02&meter=M-SUP").json()
    # 03-01: 96 of 96 intervals measured = 100 %; 03-02: no readings, 96 missing = 0 %
    assert [
        (i["day"], i["completeness_pct"], i["missing_intervals"]) for i in quality["items"]
    ] == [
        ("2025-03-01", 100.0, 0),
        ("2025-03-02", 0.0, 96),
    ]


def test_energy_figures_equal_the_services(loaded):
    client, _ = loaded.client("viewer_a")
    totals = client.get(f"{F}/energy/totals?year=2025&month=3").json()
    balance_ = client.get(f"{F}/energy/balance?year=2025&month=3&period=day").json()
    flow = client.get(f"{F}/energy/flow?year=2025&month=3").json()
    with session_scope(loaded.engine, read_only=True) as session:
        data = load_energy(session, "ALPHA-PLANT", *month_span(2025, 3), refresh=False)
        values = data.periods("month")["2025-03"]
        expected = data.totals(values)
        rows = [
            row
            for day, day_values in data.periods("day").items()
            for row in balance(day, data.nodes, data.totals(day_values), threshold_pct=5.0)
        ]
        expected_flow = data.flow()
    [march] = totals["periods"]
    nodes = {(n["node"], n["energy_type"]): n for n in march["nodes"]}
    site_total = nodes["site", "electricity"]
    assert site_total == {**expected["site", "electricity"].as_dict()}
    # the site's energy is its supply meter's 960 kWh, in tce by the coefficient shown
    coefficient = totals["factors"]["M-SUP"]["tce"]["value"]
    assert site_total["energy"] == pytest.approx(960.0)
    assert site_total["energy_tce"] == pytest.approx(960.0 * coefficient)
    assert balance_["rows"] == [r.as_dict() for r in rows]
    # 03-01: loss = 960 - 864 = 96 kWh = 10 % of the parent, above the 5 % threshold
    [site_row] = [r for r in balance_["rows"] if r["period"] == "2025-03-01"]
    assert (site_row["loss"], site_row["loss_pct"], site_row["status"]) == (
        pytest.approx(96.0),
        pytest.approx(10.0),
        "loss",
    )
    alerts = client.get(
        f"{F}/energy/balance?year=2025&month=3&period=day&threshold=12&alerts_only=true"
    )
    # 10 % is below a 12 % threshold; the other days of March have no readings: incomplete
    assert {r["status"] for r in alerts.json()["rows"]} == {"incomplete"}
    assert "2025-03-01" not in {r["period"] for r in alerts.json()["rows"]}
    assert {k: flow[k] for k in ("nodes", "links", "notes")} == expected_flow
    budgets = client.get(f"{F}/energy/budgets?year=2025&month=3").json()
    assert budgets["rows"] == [] and "M-SUP" in budgets["factors"]


def test_budget_import_and_check(loaded):
    client, csrf = loaded.client("manager_a")
    sheet = b"node,month,energy_tce,carbon_tco2\nsite,2025-03,0.1,0.5\n"
    answer = upload(client, csrf, f"{F}/energy/budgets", "budget.csv", sheet)
    assert answer.json() == {"rows_read": 1, "changed": 1}
    rows = client.get(f"{F}/energy/budgets?year=2025&month=3").json()["rows"]
    tce = client.get(f"{F}/energy/totals?year=2025&month=3").json()["periods"][0]
    [row] = rows
    assert row["energy_tce"] == pytest.approx(tce["facility_energy_tce"])
    # used % = actual / budget x 100
    assert row["energy_used_pct"] == pytest.approx(tce["facility_energy_tce"] / 0.1 * 100)


def test_overview_is_the_service_and_follows_changes(site):
    client, _ = site.client("viewer_a")
    first = client.get(f"{F}/overview?year=2025")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    with session_scope(site.engine, read_only=True) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        expected = Overview.model_validate(facility_overview(session, alpha, 2025))
    assert first.json() == expected.model_dump(mode="json")
    assert first.json()["target"] is None
    with session_scope(site.engine) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        set_target(
            session, alpha, basis="location", base_year=2020, base_tco2e=1000.0,
            target_year=2030, target_tco2e=500.0, actor="test",
        )  # fmt: skip
    target = client.get(f"{F}/overview?year=2025").json()["target"]
    # trajectory(2025) = 1000 + (500 - 1000) x (2025 - 2020) / (2030 - 2020) = 750 tCO2e,
    # scaled by January's 31 of 365 days
    assert target["trajectory_tco2e"] == pytest.approx(750.0 * 31 / 365)
    empty = client.get(f"{F}/overview?year=2024").json()
    assert empty["inventory"] is None and empty["trend"] == []


def test_report_job_runs_in_the_background_and_is_scoped(site):
    client, csrf = site.client("manager_a")  # viewers may not start reports
    inventory = site.ids["inventory_id"]
    started = client.post(
        f"/api/v1/inventories/{inventory}/reports",
        json={"langs": ["en"], "formats": ["xlsx"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["tasks"] == 1 and job["status"] in ("queued", "running")
    deadline = time.monotonic() + 180
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = client.get(f"/api/v1/report-jobs/{job['id']}").json()
    assert job["status"] == "done" and job["tasks_done"] == 1, job
    [name] = job["files"]
    assert name.endswith("-en.xlsx")
    # kept beside the evidence folder, where every server process finds it
    assert (site.evidence_dir.parent / "reports" / job["id"] / name).is_file()
    got = client.get(f"/api/v1/report-jobs/{job['id']}/files/{name}")
    assert got.status_code == 200
    assert "[Content_Types].xml" in zipfile.ZipFile(io.BytesIO(got.content)).namelist()
    other, _ = site.client("manager_b")
    assert_error(other.get(f"/api/v1/report-jobs/{job['id']}"), 404)
    assert_error(other.get(f"/api/v1/report-jobs/{job['id']}/files/{name}"), 404)
    assert_error(client.get(f"/api/v1/report-jobs/{job['id']}/files/..%2F..%2Fetc%2Fpasswd"), 404)
    beta_client, beta_csrf = site.client("manager_b")
    refused = beta_client.post(
        f"/api/v1/inventories/{inventory}/reports", json={}, headers={"X-CSRF-Token": beta_csrf}
    )
    assert_error(refused, 404)


# --- imports, scoping and bad input ---------------------------------------------------------


def activity_workbook(tmp_path, facility_rows=None):
    sheets = {
        "活动数据 Activity": [["grid", date(2025, 3, 1), date(2025, 3, 31), 800, "MWh", "meter"]]
    }
    if facility_rows:
        sheets["报告主体 Facility"] = facility_rows
    return write_workbook(tmp_path / "activity.xlsx", sheets).read_bytes()


def test_activity_import_into_the_addressed_facility_only(site, tmp_path):
    client, csrf = site.client("manager_a")
    before = site.count(ActivityRecord)
    good = upload(client, csrf, f"{F}/activity-imports", "a.xlsx", activity_workbook(tmp_path))
    assert good.status_code == 201, good.text
    assert good.json()["facility"] == "ALPHA-PLANT" and site.count(ActivityRecord) == before + 1
    other = activity_workbook(
        tmp_path, [["Beta Co", "BETA-PLANT", "Beta plant", "江苏", "C3841", "电池", "fence"]]
    )
    refused = assert_error(upload(client, csrf, f"{F}/activity-imports", "b.xlsx", other), 422)
    assert refused["problems"]
    assert site.count(ActivityRecord) == before + 1


def test_scoping_of_reads_and_writes(loaded):
    viewer, viewer_csrf = loaded.client("viewer_a")
    assert viewer.get(f"{F}/energy/flow?year=2025").status_code == 200
    assert_error(upload(viewer, viewer_csrf, f"{F}/meter-files", "d.csv", readings_csv()), 403)
    beta, _ = loaded.client("manager_b")
    for path in (
        "/meters",
        "/meters/M-SUP/intervals?start=2025-02-28T16:00:00Z&end=2025-02-28T17:00:00Z",
        "/energy/totals?year=2025",
        "/data-quality?start=2025-03-01&end=2025-03-01",
        "/overview?year=2025",
    ):
        assert_error(beta.get(F + path), 404)
    manager, csrf = loaded.client("manager_a")
    second = "/api/v1/facilities/ALPHA-SECOND/meter-files"
    assert_error(upload(manager, csrf, second, "d.csv", readings_csv()), 404)
    reader = loaded.bearer("alpha-read")
    assert reader.get(f"{F}/rollups?start=2025-03-01&end=2025-03-01").status_code == 200
    assert_error(reader.post(f"{F}/meter-files", files={"file": ("d.csv", b"x")}), 403)
    assert_error(loaded.bearer("alpha-ingest").get(f"{F}/meters"), 403)
    assert_error(loaded.bearer("beta-read").get(f"{F}/meters"), 404)


def test_bad_files_are_refused_whole_and_nothing_is_written(site):
    client, csrf = site.client("manager_a")
    path = f"{F}/meter-files"
    bad_value = readings_csv().replace(
        b"M-WS,2025-02-28T16:30:00Z,518.0", b"M-WS,2025-02-28T16:30:00Z,lots"
    )
    future = readings_csv() + b"M-SUP,2099-01-01T00:00:00Z,5000\n"
    unknown = readings_csv() + b"NO-SUCH,2025-03-01T00:00:00Z,1\n"
    for name, content, field, value in (
        ("a.csv", bad_value, "value", "lots"),
        ("b.csv", future, "timestamp", "2099-01-01T00:00:00Z"),
        ("c.csv", unknown, "meter", "NO-SUCH"),
    ):
        error = assert_error(upload(client, csrf, path, name, content), 422)
        problem = error["problems"][0]
        assert (problem["field"], str(problem["value"])) == (field, value), problem
        assert name in problem["where"] and problem["rule"]
    assert_error(upload(client, csrf, path, "d.txt", b"meter,timestamp,value\n"), 422)
    assert_error(upload(client, csrf, path, "e.xlsx", b"not a workbook"), 422)
    assert_error(upload(client, csrf, path, "f.csv", b""), 422)
    assert_error(upload(client, csrf, path, "g.csv", b"x" * (UPLOAD_LIMIT + 1)), 413)
    assert site.count(MeterReading) == 0 and site.count(ImportBatch) == 3  # the setup's three


def test_bad_queries_name_field_value_and_rule(loaded):
    client, _ = loaded.client("viewer_a")
    cases = {
        "/meters/M-SUP/readings?start=2025-03-02T00:00:00Z&end=2025-03-01T00:00:00Z": "end",
        "/meters/M-SUP/readings?start=2025-01-01T00:00:00Z&end=2025-03-01T00:00:00Z": "end",
        "/meters/M-SUP/readings?start=2025-01-01T00:00:00&end=2025-01-02T00:00:00Z": "start",
        "/meters/M-SUP/intervals?start=2025-02-28T16:05:00Z&end=2025-02-28T17:00:00Z": "start",
        "/rollups?start=2025-03-02&end=2025-03-01": "end",
        "/rollups?start=2024-01-01&end=2025-12-31": "end",
        "/energy/totals?year=twenty": "year",
        "/energy/totals?year=2025&month=13": "month",
        "/energy/balance?year=2025&threshold=-1": "threshold",
    }
    for path, field in cases.items():
        error = assert_error(client.get(F + path), 422)
        assert field in [p["field"] for p in error["problems"]], (path, error)
        assert all(p["rule"] for p in error["problems"])
    assert_error(
        client.get(f"{F}/meters/NOPE/readings?start=2025-03-01T00:00:00Z&end=2025-03-02T00:00:00Z"),
        404,
    )
    assert_error(client.get(f"{F}/rollups?start=2025-03-01&end=2025-03-01&node=nope"), 404)
    assert_error(client.get("/api/v1/facilities/NOPE/energy/flow?year=2025"), 404)
    assert_error(client.get("/api/v1/report-jobs/" + "0" * 32), 404)
    # ids beyond the database's integers are refused, not passed on to it
    huge = 2**63
    assert_error(client.get(f"/api/v1/inventories/{huge}"), 422)
    assert_error(client.get(f"{F}/sources?offset={huge}"), 422)


def test_serve_with_two_worker_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lingtan = Path(sys.executable).with_name("lingtan")
    command = [str(lingtan), "--db", url, "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/facilities", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert answer.status_code == 401  # the application itself answers: sign in first
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert errors.decode().count("Started server process") == 2


def test_readings_stored_by_other_means_show_in_the_next_answer(loaded):
    # An adapter (MQTT, Modbus) stores readings and leaves their days stale; the next read
    # recomputes them first. 03-02: two more M-WS intervals of 9 kWh = 18 kWh.
    with session_scope(loaded.engine) as session:
        later = [("M-WS", DAY_START_UTC + 900 * i, 500 + 9.0 * i) for i in range(97, 99)]
        ingest_readings(session, "ALPHA-PLANT", later, origin="mqtt")
    client, _ = loaded.client("viewer_a")
    days = client.get(f"{F}/rollups?start=2025-03-02&end=2025-03-02&node=ws").json()["items"]
    assert [(i["period"], i["energy"], i["measured_intervals"]) for i in days] == [
        ("2025-03-02", pytest.approx(18.0), 2)
    ]


def test_a_facility_code_of_two_organizations_keeps_their_meters_apart(loaded):
    # organization B has a facility with the code of A's: codes are unique only per
    # organization, and the web application passes the facility it resolved, not its code
    from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters

    with session_scope(loaded.engine) as session:
        beta = session.scalars(sa.select(Facility).where(Facility.code == "BETA-PLANT")).one()
        twin = Facility(organization_id=beta.organization_id, code="ALPHA-PLANT",
                        name="B's twin", region="CN-JS")  # fmt: skip
        session.add(twin)
        session.flush()
        define_meters(session, twin, [NodeDefinition("b-site", "B site", "facility")],
                      [MeterDefinition("B-M", "electricity", "kWh", "cumulative",
                                       node="b-site")], actor="test")  # fmt: skip
    a_client, _ = loaded.client("viewer_a")
    a_tree = a_client.get(f"{F}/meters")
    assert a_tree.status_code == 200, a_tree.text
    assert {m["code"] for m in a_tree.json()["meters"]} == {"E-MAIN", "M-SUP", "M-WS"}
    intervals = a_client.get(f"{F}/meters/M-WS/intervals?start=2025-02-28T16:00:00Z"
                             "&end=2025-02-28T17:00:00Z").json()  # fmt: skip
    assert [i["energy"] for i in intervals["items"]] == pytest.approx([9.0] * 4)
    assert a_client.get(f"{F}/energy/totals?year=2025&month=3").status_code == 200
    b_client, b_csrf = loaded.client("admin_b")
    assert {m["code"] for m in b_client.get(f"{F}/meters").json()["meters"]} == {"B-M"}
    stored = upload(b_client, b_csrf, f"{F}/meter-files", "b.csv",
                    b"meter,timestamp,value\nB-M,2025-03-01 00:00,5\nB-M,2025-03-01 00:15,7\n")  # fmt: skip
    assert stored.status_code == 201, stored.text
    b_intervals = b_client.get(f"{F}/meters/B-M/intervals?start=2025-02-28T16:00:00Z"
                               "&end=2025-02-28T16:30:00Z").json()  # fmt: skip
    # 00:00 to 00:15 local (16:00 to 16:15 UTC): 7 - 5 = 2 kWh on B's meter; nothing before
    assert [i["energy"] for i in b_intervals["items"]] == [2.0, None]
    assert assert_error(a_client.get(f"{F}/meters/B-M/intervals?start=2025-02-28T16:00:00Z"
                                     "&end=2025-02-28T16:30:00Z"), 404)  # fmt: skip
