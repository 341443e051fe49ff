"""The energy, data and report screens in a real browser (fixtures of ``browser_support``):
the figures are the API's, a node losing more than 5 % raises an alert, files are imported
from the page with their row errors shown and nothing written, a viewer cannot import, and a
report job runs in the background to a downloadable PDF.

The site is that of ``web_support`` with a metering tree on ALPHA-PLANT: the node ``site``
(meter M-SUP, purchased electricity) and its child ``ws`` (meter M-WS). Through July 2025
(local days) the supply register climbs 10 kWh and the workshop's 9 kWh every 15 minutes.
"""

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

import browser_support
from browser_support import require_chromium, serve, shot, shown
from lingtan.imports.template import write_workbook
from lingtan.metering import rollups
from lingtan.store.db import session_scope
from lingtan.store.models import ActivityRecord, Facility, ImportBatch, MeterReading
from web_support import build_site, define_two_meters, ingest_ramps, snapshot

browser = browser_support.browser  # the fixtures shared with the other browser tests
page_of = browser_support.page_of

F = "/api/v1/facilities/ALPHA-PLANT"
# The local day 2025-07-01 (UTC+08:00) begins at 2025-06-30T16:00:00Z.
DAY_START_UTC = 1_751_299_200
JULY_INTERVALS = 31 * 96  # 2,976
UPLOAD_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-energy")
    url = f"sqlite:///{folder / 'lingtan.db'}"
    site = build_site(url, folder, max_upload_bytes=UPLOAD_LIMIT)
    with session_scope(site.engine) as session:
        define_two_meters(session, names=("全厂 Site", "电芯车间 Workshop"))
        ingest_ramps(session, DAY_START_UTC, JULY_INTERVALS, origin="setup")
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        rollups.refresh(session, alpha.id)
    with serve(site) as base:
        yield base, site


def test_energy_page_shows_the_apis_figures_alerts_and_draws_the_sankey(server, page_of):
    page = page_of("viewer_a")
    page.click("nav >> text=能源")
    page.wait_for_url(re.compile(r".*/energy\?facility=ALPHA-PLANT"))
    # the year of the latest daily total is shown first; then July
    assert "2025" in page.locator("h1").inner_text()
    page.wait_for_selector("#tou .chart.drawn", timeout=20_000)
    # Jiangsu's calendar is in force from 2025-06-01: January to May have no split
    assert "5 个月没有适用的分时电价时段" in page.locator("#tou").inner_text()
    shot(page, "19-energy-year")
    page.select_option("#month", "7")
    page.wait_for_url(re.compile(r".*month=7.*"))
    page.wait_for_selector("#flow .chart.drawn", timeout=20_000)
    page.wait_for_selector("#quality .chart.drawn")
    shot(page, "20-energy")

    totals = page.request.get(f"{F}/energy/totals?year=2025&month=7").json()["periods"]
    assert len(totals) == 1
    api = totals[0]
    value, text = shown(page, "[data-kpi=facility_energy_tce] .value")
    assert value == api["facility_energy_tce"] and text == f"{value:,.2f}"
    value, _ = shown(page, "[data-kpi=facility_carbon_tco2] .value")
    assert value == api["facility_carbon_tco2"]
    # the facility uses what it buys: 2,976 intervals x 10 kWh = 29,760 kWh of electricity,
    # at GB/T 2589's equivalent value 0.1229 kgce/kWh: 29,760 x 0.1229 / 1000 = 3.657504 tce
    assert api["facility_energy_tce"] == pytest.approx(3.657504)
    for node in api["nodes"]:
        row = page.locator(f"#node-totals tr[data-node='{node['node']}']")
        assert float(row.locator("td.tce").get_attribute("data-value")) == node["energy_tce"]
    workshop = next(n for n in api["nodes"] if n["node"] == "ws")
    assert workshop["energy"] == pytest.approx(JULY_INTERVALS * 9.0)  # 26,784 kWh
    assert "电力" in page.locator("#node-totals").inner_text()

    # balance: the site's 29,760 kWh against the workshop's 26,784 kWh: loss 2,976 kWh,
    # 2,976 / 29,760 = 10 % > 5 %
    balance = page.request.get(f"{F}/energy/balance?year=2025&month=7").json()
    row = next(r for r in balance["rows"] if r["node"] == "site")
    assert row["status"] == "loss" and row["loss_pct"] == pytest.approx(10.0)
    shown_row = page.locator("#balance tr[data-node=site]")
    assert shown_row.get_attribute("data-status") == "loss"
    assert float(shown_row.locator(".loss-pct").get_attribute("data-value")) == row["loss_pct"]
    assert "损耗超限" in shown_row.inner_text()
    assert shown(page, "[data-kpi=alerts] .value")[0] == 1

    # time of use, Jiangsu (苏发改价格发〔2025〕426号, in force from 2025-06-01), July hours:
    # peak 14-22 h, valley 0-6 h and 11-13 h, flat 6-11 h, 13-14 h and 22-24 h: 8 h each,
    # 32 intervals a day x 10 kWh x 31 days = 9,920 kWh per period
    tou = page.request.get(f"{F}/meters/M-SUP/tou?year=2025&month=7").json()
    for period in tou["periods"]:
        cell = page.locator(f"#tou tr[data-tou='M-SUP|2025-07|{period['label']}'] td").nth(3)
        assert float(cell.get_attribute("data-value")) == period["energy"]
    assert {p["label"]: p["energy"] for p in tou["periods"]} == {
        "peak": pytest.approx(9920.0),
        "flat": pytest.approx(9920.0),
        "valley": pytest.approx(9920.0),
    }
    page.wait_for_selector("#tou .chart.drawn")

    # the Sankey: Plotly drew one link per API link, no script or CSP error
    flow = page.request.get(f"{F}/energy/flow?year=2025&month=7").json()
    assert flow["links"]
    drawn = page.locator("#flow .chart .sankey-link")
    assert drawn.count() == len(flow["links"])
    # data quality: M-SUP and M-WS complete, E-MAIN has no readings: 31 days of 96 missing
    quality = page.request.get(f"{F}/data-quality?start=2025-07-01&end=2025-07-31").json()
    incomplete = [i for i in quality["items"] if i["missing_intervals"]]
    assert {i["meter"] for i in incomplete} == {"E-MAIN"} and len(incomplete) == 31
    rows = page.locator("#incomplete tbody tr")
    assert rows.count() == 31 and "E-MAIN" in rows.first.text_content()
    assert page.errors == [], page.errors

    page.click("text=English")
    page.wait_for_selector("html[lang=en]")
    assert "loss above the limit" in page.locator("#balance").inner_text()
    page.wait_for_selector("#flow .chart.drawn")
    shot(page, "21-energy-english")


def _activity_workbook(folder: Path, name: str, amount) -> bytes:
    sheets = {
        "活动数据 Activity": [["grid", date(2025, 3, 1), date(2025, 3, 31), amount, "MWh", "meter"]]
    }
    return write_workbook(folder / name, sheets).read_bytes()


def _upload(page, kind: str, name: str, content: bytes) -> None:
    form = page.locator(f"form[data-upload={kind}]")
    form.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": content}
    )
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_files_are_imported_from_the_data_page_with_row_errors_shown(server, page_of, tmp_path):
    _, site = server
    page = page_of("manager_a")
    page.click("nav >> text=数据")
    page.wait_for_selector("#tree")
    assert page.locator("#tree tr[data-meter]").count() == 3  # E-MAIN, M-SUP, M-WS
    before = snapshot(site)

    _upload(page, "activity", "bad.xlsx", _activity_workbook(tmp_path, "bad.xlsx", -800))
    problems = page.locator("#problems tbody tr")
    assert problems.count() >= 1
    text = problems.first.inner_text()
    assert "bad.xlsx" in text and "-800" in text  # where (file, sheet, row), value, rule
    assert "被拒绝，未写入任何数据" in page.locator("#outcome").inner_text()
    assert snapshot(site) == before  # nothing written
    shot(page, "22-data-activity-refused")

    _upload(page, "activity", "good.xlsx", _activity_workbook(tmp_path, "good.xlsx", 800))
    assert "已导入" in page.locator("#outcome").inner_text()
    assert page.locator("#imported dd").first.get_attribute("data-value") == "1"
    assert site.count(ActivityRecord) == before["records"] + 1
    shot(page, "23-data-activity-imported")

    readings = site.count(MeterReading)
    batches = site.count(ImportBatch)
    bad = (
        b"meter,timestamp,value\nM-SUP,2025-03-05T00:00:00Z,1200\nM-SUP,2025-03-05T00:15:00Z,lots\n"
    )
    _upload(page, "readings", "readings.csv", bad)
    row = page.locator("#problems tbody tr").first.inner_text()
    assert "readings.csv" in row and "value" in row and "lots" in row
    assert site.count(MeterReading) == readings and site.count(ImportBatch) == batches
    shot(page, "24-data-readings-refused")
    # a refused file answers 422 (which Chromium logs); no other error
    assert [e for e in page.errors if "status of 422" not in e] == [], page.errors

    page.click("#tree a[href*='/data/meters/M-WS']")
    page.wait_for_selector("#series .chart.drawn", timeout=20_000)
    # the last 7 local days of July: 7 x 96 = 672 measured 15-minute intervals
    assert shown(page, "[data-quality=measured]")[0] == 7 * 96
    shot(page, "25-meter")


def test_a_viewer_sees_the_tree_but_no_upload_and_a_forced_post_is_refused(
    server, page_of, tmp_path
):
    _, site = server
    page = page_of("viewer_a")
    page.goto("/data?facility=ALPHA-PLANT")
    assert page.locator("#tree tr[data-meter]").count() == 3
    assert page.locator("form[data-upload]").count() == 0
    assert page.locator("input[type=file]").count() == 0
    shot(page, "26-data-viewer")
    token = page.locator("input[name=csrf_token]").get_attribute("value")
    before = snapshot(site)
    forced = page.request.post(
        "/data/activity?facility=ALPHA-PLANT",
        multipart={
            "csrf_token": token,
            "file": {
                "name": "good.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": _activity_workbook(tmp_path, "good.xlsx", 800),
            },
        },
        max_redirects=0,
    )
    assert forced.status == 403, forced.text()
    assert snapshot(site) == before


def test_a_report_job_shows_progress_then_the_pdf_downloads(server, page_of):
    _, site = server
    page = page_of("manager_a")  # viewers may not start reports
    page.click("nav >> text=报告")
    form = page.locator(f"form[data-report='{site.ids['inventory_id']}']")
    for box in ("input[value=en]", "input[value=html]", "input[value=xlsx]"):
        form.locator(box).uncheck()  # one PDF in Chinese: about 5 s
    shot(page, "27-reports")
    form.locator("button[type=submit]").click()
    job = form.locator(".job")
    job.wait_for(state="visible")
    assert job.get_attribute("data-status") in ("queued", "running", "done")
    shot(page, "28-report-job")
    page.wait_for_selector(".job[data-status=done]", timeout=90_000)
    assert form.locator(".progress").get_attribute("aria-valuenow") == "100"
    links = form.locator(".files a")
    assert links.count() == 1 and links.first.inner_text().endswith(".pdf")
    shot(page, "29-report-done")
    with page.expect_download() as download:
        links.first.click()
    assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"
    assert page.errors == []
