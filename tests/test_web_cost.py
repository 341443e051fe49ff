"""The cost API: tariff import (managers only, all or nothing), the tariff, the cost of a day
worked by hand, the budget check's cost, and the scoping of all of them; SQLite and
PostgreSQL."""

import re

import pytest

from lingtan.store.db import session_scope
from lingtan.store.models import AuditEntry, TariffPrice
from test_web_energy import F, upload
from web_support import assert_error, build_site, define_two_meters, ingest_ramps

DAY_START_UTC = 1_740_758_400  # 2025-03-01 00:00 +08:00
TARIFF = (
    "energy_type,component,period,month_from,month_to,price,unit,status,document,url\n"
    "electricity,energy,all,2025-01,2025-12,0.7,CNY/kWh,user,供电合同 2025,https://example.org\n"
    "electricity,demand,all,2025-01,2025-12,40,CNY/kW·month,user,供电合同 2025,\n"
).encode()


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    with session_scope(built.engine) as session:
        define_two_meters(session)
        ingest_ramps(session, DAY_START_UTC, 96, origin="test")
    yield built
    built.close()


def test_tariff_import_and_the_cost_of_a_day(site):
    client, csrf = site.client("manager_a")
    answer = upload(client, csrf, f"{F}/tariffs", "tariff.csv", TARIFF)
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"prices_read": 24, "changed": 24}
    runs = client.get(f"{F}/tariffs").json()["prices"]
    assert [(r["component"], r["month_from"], r["month_to"]) for r in runs] == [
        ("demand", "2025-01", "2025-12"),
        ("energy", "2025-01", "2025-12"),
    ]
    cost = client.get(f"{F}/energy/cost?year=2025&month=3").json()
    # M-SUP: 96 intervals of 10 kWh = 960 kWh x 0.7 = 672 CNY; its maximum demand 10 kWh x 4 =
    # 40 kW x 40 CNY/kW = 1,600 CNY; the workshop M-WS 96 x 9 = 864 kWh x 0.7 = 604.8 CNY
    assert cost["cost_cny"] == pytest.approx(672 + 1_600)
    rows = {r["node"]: r for r in cost["rows"]}
    assert rows["site"]["energy"] == pytest.approx(960)
    assert rows["site"]["basic_cost_cny"] == pytest.approx(1_600)
    assert rows["ws"]["cost_cny"] == pytest.approx(604.8)
    assert cost["sources"] == [
        {"status": "user", "document": "供电合同 2025", "url": "https://example.org", "note": ""},
        {"status": "user", "document": "供电合同 2025", "url": "", "note": ""},
    ]
    ws = client.get(f"{F}/energy/cost?year=2025&month=3&node=ws").json()
    assert ws["cost_cny"] == pytest.approx(604.8) and [r["node"] for r in ws["rows"]] == ["ws"]
    assert_error(client.get(f"{F}/energy/cost?year=2025&node=nope"), 404)
    # the budget check carries the actual cost beside the units
    budget = b"node,month,energy_tce\nws,2025-03,1\n"
    assert upload(client, csrf, f"{F}/energy/budgets", "b.csv", budget).status_code == 201
    (row,) = client.get(f"{F}/energy/budgets?year=2025").json()["rows"]
    assert row["cost_cny"] == pytest.approx(604.8)
    page = client.get("/budgets?facility=ALPHA-PLANT&year=2025").text
    shown = re.findall(r'class="num cost-cny" data-value="([^"]*)"', page)
    assert [float(v) for v in shown] == [pytest.approx(604.8)] and "实际能源费用（元）" in page


def test_a_bad_tariff_is_refused_and_only_managers_import(site):
    client, csrf = site.client("manager_a")
    before = (site.count(TariffPrice), site.count(AuditEntry))
    bad = TARIFF.replace(b"0.7,", b"-0.7,")
    error = assert_error(upload(client, csrf, f"{F}/tariffs", "bad.csv", bad), 422)
    (problem,) = error["problems"]
    assert problem["where"] == "bad.csv row 2 column F (price)"
    assert problem["value"] == "-0.7" and problem["rule"] == "must not be negative"
    assert (site.count(TariffPrice), site.count(AuditEntry)) == before
    viewer, viewer_csrf = site.client("viewer_a")
    assert_error(upload(viewer, viewer_csrf, f"{F}/tariffs", "t.csv", TARIFF), 403)
    other, _ = site.client("manager_b")
    assert_error(other.get(f"{F}/tariffs"), 404)
    assert_error(other.get(f"{F}/energy/cost?year=2025"), 404)
    assert (site.count(TariffPrice), site.count(AuditEntry)) == before


def _kpi(html: str, key: str) -> float:
    import re

    found = re.search(rf'data-kpi="{key}">\s*<div class="label">.*?</div>\s*'
                      r'<div class="value" data-value="([^"]*)"', html, re.S)  # fmt: skip
    assert found, key
    return float(found.group(1))


def test_the_screens_show_the_api_cost(site):
    client, csrf = site.client("manager_a")
    page = client.get("/energy?facility=ALPHA-PLANT&year=2025&month=3")
    assert page.status_code == 200 and "尚未导入电价" in page.text
    upload(client, csrf, f"{F}/tariffs", "tariff.csv", TARIFF)
    api = client.get(f"{F}/energy/cost?year=2025&month=3").json()
    page = client.get("/energy?facility=ALPHA-PLANT&year=2025&month=3").text
    assert _kpi(page, "cost_cny") == pytest.approx(api["cost_cny"]) == pytest.approx(2_272)
    assert _kpi(page, "cost_all") == pytest.approx(672)  # the site: 960 kWh x 0.7
    assert "能源成本" in page and "分节点、分能源品种能源费用" in page
    year = client.get(f"{F}/energy/cost?year=2025").json()
    overview = client.get("/overview?facility=ALPHA-PLANT&year=2025").text
    assert _kpi(overview, "cost_cny") == pytest.approx(year["cost_cny"])
    assert _kpi(overview, "cost_electricity") == pytest.approx(year["cost_cny"])
    # the node page and the budget page show the same cost as the API
    node = client.get(f"{F}/energy/cost?year=2025&month=3&node=ws").json()
    node_page = client.get("/energy/nodes/ws?facility=ALPHA-PLANT&year=2025&month=3").text
    assert _kpi(node_page, "cost_cny") == pytest.approx(node["cost_cny"]) == pytest.approx(604.8)
    client.cookies.set("lang", "en")
    english = client.get("/energy?facility=ALPHA-PLANT&year=2025&month=3").text
    assert "Energy cost by node and energy type" in english and "whole day" in english
