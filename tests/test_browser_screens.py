"""Drill-down, budgets, intensity and alerts in a real browser (fixtures of
``browser_support``, the site of ``screens_support``): every figure on the page is the API's,
the energy table leads to the node pages and on to the meter page, the alert filters work,
and a reversed meter range is refused in Chinese. Screenshots in zh-CN and English."""

import re

import pytest

import browser_support
from browser_support import require_chromium, serve, shot, shown
from screens_support import F, build_screens_site
from web_support import build_site

browser = browser_support.browser
page_of = browser_support.page_of


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-screens")
    site = build_site(f"sqlite:///{folder / 'lingtan.db'}", folder)
    build_screens_site(site.engine, folder)
    with serve(site) as base:
        yield base, site


def _values(page, selector: str) -> list[float | None]:
    cells = page.locator(selector)
    return [
        None if (v := cells.nth(i).get_attribute("data-value")) == "" else float(v)
        for i in range(cells.count())
    ]


def test_from_the_energy_tree_to_a_node_and_its_meter(server, page_of):
    page = page_of("viewer_a")
    page.goto("/energy?facility=ALPHA-PLANT&year=2025&month=7")
    rows = page.locator("#node-totals tbody tr")
    assert [rows.nth(i).get_attribute("data-node") for i in range(rows.count())] == ["site", "ws"]
    assert "depth-1" in rows.nth(1).locator("td").first.get_attribute("class")
    page.click("#node-totals a:has-text('电芯车间 Workshop')")
    page.wait_for_url(re.compile(r".*/energy/nodes/ws\?.*month=7"))
    page.wait_for_selector("#trend .chart.drawn", timeout=20_000)
    page.wait_for_selector("#tou .chart.drawn")
    api = page.request.get(f"{F}/energy/nodes/ws?year=2025&month=7").json()
    assert shown(page, "[data-kpi=energy_tce] .value")[0] == api["energy_tce"]
    assert shown(page, "[data-kpi=carbon_tco2] .value")[0] == api["carbon_tco2"]
    assert _values(page, "#node-types td.tce") == [t["energy_tce"] for t in api["types"]]
    assert _values(page, "#node-trend td.tce") == [p["energy_tce"] for p in api["trend"]]
    assert _values(page, "#node-meters td.tce") == [m["energy_tce"] for m in api["meters"]]
    tou = [p["energy"] for m in api["tou"] for p in m["periods"]]
    assert _values(page, "#node-tou td[data-value]:nth-child(3)") == tou
    assert page.locator("#node-cost").count() == 1  # no tariff: the card says so
    assert "车间" in page.locator("h1").inner_text()
    shot(page, "40-node-workshop")
    page.click("#node-path a[data-node=site]")
    page.wait_for_url(re.compile(r".*/energy/nodes/site\?.*"))
    site = page.request.get(f"{F}/energy/nodes/site?year=2025&month=7").json()
    assert _values(page, "#node-children td.tce") == [c["energy_tce"] for c in site["children"]]
    page.click("#node-meters a:has-text('M-SUP')")
    page.wait_for_url(re.compile(r".*/data/meters/M-SUP.*"))
    page.fill("#start", "2025-07-09")
    page.fill("#end", "2025-07-11")
    page.click("#range button[type=submit]")
    page.wait_for_selector("#series .chart.drawn", timeout=20_000)
    totals = page.request.get(f"{F}/meters/M-SUP/totals?start=2025-07-09&end=2025-07-11").json()
    assert shown(page, "[data-kpi=energy] .value")[0] == totals["energy"] == pytest.approx(2880.0)
    assert shown(page, "[data-quality=measured]")[0] == 3 * 96
    shot(page, "41-meter-range")
    page.fill("#start", "2025-07-11")
    page.fill("#end", "2025-07-01")
    page.click("#range button[type=submit]")
    assert "结束日期早于开始日期" in page.locator("#range-error").inner_text()
    assert page.locator("#series").count() == 0
    assert [e for e in page.errors if "status of 422" not in e] == [], page.errors
    page.click("text=English")
    page.wait_for_selector("html[lang=en]")
    assert "The end date is before the start date" in page.locator("#range-error").inner_text()


def test_budgets_show_the_apis_figures_overruns_and_the_forecast(server, page_of):
    page = page_of("viewer_a")
    page.click("nav >> text=能源预算")
    page.wait_for_url(re.compile(r".*/budgets\?facility=ALPHA-PLANT"))
    page.wait_for_selector(".chart.drawn", timeout=20_000)
    api = page.request.get(f"{F}/energy/budgets?year=2025").json()["rows"]
    forecast = page.request.get(f"{F}/energy/budget-forecast?year=2025").json()
    # the table in tree order: site's July, then ws's twelve months
    expected = sorted(api, key=lambda r: (r["node"] != "site", r["month"]))
    assert _values(page, "#budget-table td.actual-tce") == [r["energy_tce"] for r in expected]
    assert _values(page, "#budget-table td.used-tce") == [r["energy_used_pct"] for r in expected]
    over = page.locator("#budget-table tr.alert-row")
    assert over.count() == 1 and over.first.get_attribute("data-node") == "site"
    assert "能耗超预算" in over.first.inner_text()
    assert shown(page, "[data-kpi=over] .value")[0] == 1
    by_node = {r["node"]: r for r in forecast["rows"]}
    for node in ("site", "ws"):
        cell = page.locator(f"#forecast-table tr[data-node={node}] td.forecast-tce")
        assert float(cell.get_attribute("data-value")) == by_node[node]["forecast_tce"]
    method = page.locator("#forecast-method").inner_text()
    assert "直线外推" in method and "212" in method and "365" in method
    shot(page, "42-budgets")
    page.click("text=English")
    page.wait_for_selector("html[lang=en]")
    assert "straight line" in page.locator("#forecast-method").inner_text()
    page.wait_for_selector(".chart.drawn")
    shot(page, "43-budgets-english")
    assert page.errors == [], page.errors


def test_intensity_per_product_with_its_trend(server, page_of):
    page = page_of("viewer_a")
    page.click("nav >> text=单位产品能耗")
    page.wait_for_selector(".chart.drawn", timeout=20_000)
    api = page.request.get(f"{F}/energy/intensity?year=2025").json()["rows"]
    assert _values(page, "#intensity-table td.tce-per") == [r["tce_per_unit"] for r in api]
    july = next(r for r in api if r["month"] == "2025-07")
    # the plant's 3.657504 tce of July over 1,000 pcs
    assert july["tce_per_unit"] == pytest.approx(0.003657504)
    header = page.locator("#intensity-table thead").inner_text()
    assert "单位产品能耗 (tce/pcs)" in header and "产量 (pcs)" in header
    shot(page, "44-intensity")
    page.click("text=English")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector(".chart.drawn")
    shot(page, "45-intensity-english")
    assert page.errors == [], page.errors


def test_the_alert_list_and_its_filters(server, page_of):
    page = page_of("viewer_a")
    page.click("nav >> text=告警")
    page.wait_for_url(re.compile(r".*/alerts\?facility=ALPHA-PLANT"))
    # the month of the last metered day first
    assert "2025-07" in page.locator("h1").inner_text()
    api = page.request.get(f"{F}/alerts?year=2025&month=7").json()
    rows = page.locator("#alert-table tbody tr")
    seen = [
        (rows.nth(i).get_attribute("data-type"), rows.nth(i).get_attribute("data-severity"))
        for i in range(rows.count())
    ]
    assert seen == [(a["type"], a["severity"]) for a in api["rows"]]
    assert _values(page, "#alert-table td.share") == [a["share_pct"] for a in api["rows"]]
    assert shown(page, "[data-kpi=total] .value")[0] == api["total"] == 4
    assert "损耗 2,976.0 kWh，上级计量 29,760.0 kWh" in page.locator("#alert-table").inner_text()
    assert "缺失 2976 个15分钟时段" in page.locator("#alert-table").inner_text()
    shot(page, "46-alerts")
    page.select_option("#type", "quality")
    page.select_option("#node", "ws")
    page.click("#alert-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*type=quality.*node=ws.*"))
    filtered = page.request.get(f"{F}/alerts?year=2025&month=7&type=quality&node=ws").json()
    assert page.locator("#alert-table tbody tr").count() == filtered["total"] == 1
    assert "估算" in page.locator("#alert-table").inner_text()
    page.select_option("#severity", "high")
    page.click("#alert-filters button[type=submit]")
    assert page.locator("#no-alerts").count() == 1
    page.goto("/alerts?facility=ALPHA-PLANT&year=2025&month=7")
    page.click("text=English")
    page.wait_for_selector("html[lang=en]")
    assert "Budget overrun" in page.locator("#alert-table").inner_text()
    shot(page, "47-alerts-english")
    assert page.errors == [], page.errors
