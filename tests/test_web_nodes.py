"""Drill-down, budgets and alerts through the API and the pages without a browser, on SQLite
and PostgreSQL (the site of ``screens_support``): the figures are hand-worked, a bad meter
range is refused in Chinese, and another organization sees none of it."""

import pytest

from screens_support import JULY_INTERVALS, F, build_screens_site
from web_support import ALPHA_MARKERS, assert_error, build_site

# GB/T 2589: electricity at its equivalent value, 0.1229 kgce/kWh
TCE_PER_KWH = 0.1229e-3
SITE_KWH = JULY_INTERVALS * 10.0  # 29,760 kWh
WS_KWH = JULY_INTERVALS * 9.0  # 26,784 kWh
ELAPSED = 212  # 1 January to 31 July 2025


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    build_screens_site(built.engine, tmp_path)
    yield built
    built.close()


def test_a_node_shows_its_totals_trend_time_of_use_children_and_meters(site):
    client, _ = site.client("viewer_a")
    node = client.get(f"{F}/energy/nodes/site", params={"year": 2025, "month": 7})
    assert node.status_code == 200, node.text
    node = node.json()
    assert (node["name"], node["level"], node["parent"], node["path"]) == (
        "全厂 Site", "facility", None, [])  # fmt: skip
    assert node["period"] == "2025-07"
    # 29,760 kWh x 0.1229 kgce/kWh = 3.657504 tce
    assert node["energy_tce"] == pytest.approx(SITE_KWH * TCE_PER_KWH)
    (electricity,) = node["types"]
    assert electricity["energy"] == pytest.approx(SITE_KWH) and electricity["meters"] == ["M-SUP"]
    # a month's trend is per day: 96 x 10 kWh = 960 kWh a day = 0.117984 tce
    assert node["trend_period"] == "day" and len(node["trend"]) == 31
    assert node["trend"][0]["energy_tce"] == pytest.approx(960 * TCE_PER_KWH)
    (child,) = node["children"]
    assert child["node"] == "ws" and child["energy_tce"] == pytest.approx(WS_KWH * TCE_PER_KWH)
    (meter,) = node["meters"]
    assert (meter["meter"], meter["energy"], meter["flow"]) == ("M-SUP", SITE_KWH, "supply")
    # Jiangsu's July hours: peak, flat and valley 8 h each: 32 intervals x 10 kWh x 31 days
    (july,) = node["tou"]
    assert {p["label"]: p["energy"] for p in july["periods"]} == {
        "peak": pytest.approx(9920.0), "flat": pytest.approx(9920.0),
        "valley": pytest.approx(9920.0)}  # fmt: skip

    year = client.get(f"{F}/energy/nodes/ws", params={"year": 2025}).json()
    assert [p["code"] for p in year["path"]] == ["site"]
    assert year["trend_period"] == "month" and len(year["trend"]) == 12
    july_ws = next(p for p in year["trend"] if p["period"] == "2025-07")
    assert july_ws["energy_tce"] == pytest.approx(WS_KWH * TCE_PER_KWH)
    assert year["trend"][0]["energy_tce"] == 0.0
    # no calendar in force before 2025-06-01: January to May named, June has no data
    assert len(year["tou_problems"]) == 5 and [m["month"] for m in year["tou"]] == [
        f"2025-{m:02d}" for m in range(6, 13)]  # fmt: skip
    assert_error(client.get(f"{F}/energy/nodes/nope", params={"year": 2025}), 404)


def test_budget_forecast_and_alerts_are_hand_worked(site):
    client, _ = site.client("viewer_a")
    forecast = client.get(f"{F}/energy/budget-forecast", params={"year": 2025}).json()
    assert forecast["as_of"] == "2025-07-31"
    assert (forecast["elapsed_days"], forecast["days_in_year"]) == (ELAPSED, 365)
    rows = {r["node"]: r for r in forecast["rows"]}
    # ws: 26,784 kWh = 3.2917536 tce so far; / 212 x 365 = 5.667405962 tce of 12 x 4.0 tce
    assert rows["ws"]["budget_tce"] == 48.0
    assert rows["ws"]["energy_tce"] == pytest.approx(3.2917536)
    assert rows["ws"]["forecast_tce"] == pytest.approx(5.667405962)
    assert rows["ws"]["forecast_tce_pct"] == pytest.approx(11.80709575)
    # site: only July has a budget: forecast 6.297117736 tce, not set against it
    assert rows["site"]["budget_months"] == 1
    assert rows["site"]["forecast_tce"] == pytest.approx(6.297117736)
    assert rows["site"]["forecast_tce_pct"] is None

    alerts = client.get(f"{F}/alerts", params={"year": 2025, "month": 7}).json()
    found = {(a["type"], a["detail"], a["node"], a["meter"]): a for a in alerts["rows"]}
    assert alerts["total"] == len(found) == 4, alerts["rows"]
    # site over its 3.0 tce: 3.657504 / 3.0 = 121.9 % > 110 %: high
    budget = found["budget", "energy", "site", None]
    assert budget["severity"] == "high"
    assert budget["share_pct"] == pytest.approx(SITE_KWH * TCE_PER_KWH / 3.0 * 100)
    # the site's 29,760 kWh against the workshop's 26,784 kWh: 10 % lost
    loss = found["balance", "loss", "site", None]
    assert loss["share_pct"] == pytest.approx(10.0) and loss["actual"] == pytest.approx(2976.0)
    # E-MAIN: no reading in July: 31 x 96 missing intervals, whole days: high
    gap = found["data_gap", "missing", None, "E-MAIN"]
    assert (gap["intervals"], gap["severity"], gap["first_day"], gap["last_day"]) == (
        2976, "high", "2025-07-01", "2025-07-31")  # fmt: skip
    # M-WS's missing reading of 10 July 12:00: its two intervals estimated
    estimated = found["quality", "estimated", "ws", "M-WS"]
    assert (estimated["intervals"], estimated["first_day"]) == (2, "2025-07-10")
    assert [a["severity"] for a in alerts["rows"]] == ["high", "high", "medium", "low"]

    only = client.get(f"{F}/alerts", params={"year": 2025, "month": 7, "node": "ws"}).json()
    assert [(a["type"], a["node"]) for a in only["rows"]] == [("quality", "ws")]
    typed = client.get(
        f"{F}/alerts",
        params={"year": 2025, "month": 7, "type": ["balance", "budget"], "severity": "high"},
    ).json()
    assert [a["type"] for a in typed["rows"]] == ["budget"]
    assert typed["counts"] == {"balance": 0, "budget": 1, "data_gap": 0, "quality": 0}
    assert_error(client.get(f"{F}/alerts", params={"year": 2025, "type": "fire"}), 422)
    assert_error(client.get(f"{F}/alerts", params={"year": 2025, "node": "nope"}), 404)


def test_meter_totals_and_the_meter_page_range(site):
    client, _ = site.client("viewer_a")
    totals = client.get(
        f"{F}/meters/M-WS/totals", params={"start": "2025-07-09", "end": "2025-07-11"}
    ).json()
    # three days of 96 x 9 kWh: 2,592 kWh, of which 2 x 9 = 18 kWh estimated
    assert totals["energy"] == pytest.approx(2592.0)
    assert totals["estimated"] == pytest.approx(18.0) and totals["days"] == 3
    assert totals["energy_tce"] == pytest.approx(2592.0 * TCE_PER_KWH)
    page = client.get(
        "/data/meters/M-WS",
        params={"facility": "ALPHA-PLANT", "start": "2025-07-09", "end": "2025-07-11"},
    )
    assert page.status_code == 200
    assert 'data-kpi="energy"' in page.text and 'data-value="2592.0"' in page.text
    for params, message in (
        ({"start": "2025-07-11", "end": "2025-07-01"}, "结束日期早于开始日期"),
        ({"start": "2025-07-32"}, "日期不正确"),
        ({"start": "9999-12-31"}, "日期不正确"),
        ({"start": "2025-01-01", "end": "2025-03-01"}, "日期范围最长 31 天"),
    ):
        refused = client.get("/data/meters/M-WS", params={"facility": "ALPHA-PLANT", **params})
        assert refused.status_code == 422 and message in refused.text
        assert "Traceback" not in refused.text and 'id="series"' not in refused.text
    default = client.get("/data/meters/M-WS", params={"facility": "ALPHA-PLANT"})
    assert "2025-07-25 至 2025-07-31" in default.text  # the last 7 days with data
    assert_error(
        client.get(f"{F}/meters/M-WS/totals", params={"start": "9999-12-30", "end": "9999-12-31"}),
        422,
    )


def test_the_pages_show_the_apis_figures_and_nothing_to_another_organization(site):
    client, _ = site.client("viewer_a")
    for path in ("/budgets", "/intensity", "/alerts", "/energy/nodes/site", "/energy/nodes/ws"):
        page = client.get(path, params={"facility": "ALPHA-PLANT", "year": 2025})
        assert page.status_code == 200, (path, page.text[-500:])
        assert "Traceback" not in page.text
    energy = client.get("/energy", params={"facility": "ALPHA-PLANT", "year": 2025, "month": 7})
    rows = energy.text.split('id="node-totals"')[1].split("</table>")[0]
    assert rows.index('data-node="site"') < rows.index('data-node="ws"')
    assert 'href="/energy/nodes/ws?facility=ALPHA-PLANT&amp;year=2025&amp;month=7"' in rows
    other, _ = site.client("admin_b")
    for path in ("/budgets", "/intensity", "/alerts", "/energy/nodes/site"):
        page = other.get(path, params={"facility": "ALPHA-PLANT", "year": 2025})
        assert page.status_code == 404 and not [m for m in ALPHA_MARKERS if m in page.text]
        assert "全厂 Site" not in page.text


def test_months_without_a_time_of_use_calendar_are_named_in_chinese(site):
    """Jiangsu's calendar starts in June 2025: the energy and node pages name January to May,
    each with its reason, in Chinese (issue 9), and in English on the switch."""
    client, _ = site.client("viewer_a")
    pages = ("/energy", "/energy/nodes/ws")
    for path in pages:
        page = client.get(path, params={"facility": "ALPHA-PLANT", "year": 2025}).text
        for month in range(1, 6):
            assert f"<li>2025-{month:02d}：2025-{month:02d}-01 没有生效的分时时段表（" in page, path
        assert "no calendar in force" not in page
    client.cookies.set("lang", "en")
    page = client.get(pages[0], params={"facility": "ALPHA-PLANT", "year": 2025}).text
    assert "<li>2025-01: no calendar in force on 2025-01-01 (calendars of the region: " in page
