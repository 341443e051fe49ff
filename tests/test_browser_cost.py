"""Energy cost in a real browser (fixtures of ``browser_support``): the energy page and the
overview show the cost API's figures, in zh-CN and English, with the source of the prices.

The site is that of ``web_support`` with the tree of ``define_two_meters`` on ALPHA-PLANT
(``site`` with supply meter M-SUP, ``ws`` with M-WS), the registers climbing 10 and 9 kWh every
15 minutes through July 2025 (local days), and a tariff for July imported as a file.
"""

import pytest
import sqlalchemy as sa

import browser_support
from browser_support import require_chromium, serve, shot, shown
from lingtan.metering import rollups
from lingtan.services.cost import import_tariffs
from lingtan.store.db import session_scope
from lingtan.store.models import Facility
from web_support import build_site, define_two_meters, ingest_ramps

browser = browser_support.browser
page_of = browser_support.page_of

F = "/api/v1/facilities/ALPHA-PLANT"
DAY_START_UTC = 1_751_299_200  # 2025-07-01 00:00 +08:00
JULY_INTERVALS = 31 * 96
TARIFF = """能源类型 energy_type,计费项目 component,时段 period,起始月份 month_from,单价 price,计价单位 unit,状态 status,备注 note
electricity,energy,peak,2025-07,1.0,CNY/kWh,sample,示例数据，非官方电价
electricity,energy,flat,2025-07,0.6,CNY/kWh,sample,示例数据，非官方电价
electricity,energy,valley,2025-07,0.3,CNY/kWh,sample,示例数据，非官方电价
electricity,demand,all,2025-07,40,CNY/kW·month,sample,示例数据，非官方电价
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-cost")
    site = build_site(f"sqlite:///{folder / 'lingtan.db'}", folder)
    (folder / "tariff.csv").write_text(TARIFF, encoding="utf-8")
    with session_scope(site.engine) as session:
        define_two_meters(session)
        ingest_ramps(session, DAY_START_UTC, JULY_INTERVALS, origin="setup")
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        rollups.refresh(session, alpha.id)
        import_tariffs(session, alpha, folder / "tariff.csv", actor="setup")
    with serve(site) as base:
        yield base, site


def test_energy_page_and_overview_show_the_cost(server, page_of):
    page = page_of("viewer_a")
    page.goto("/energy?facility=ALPHA-PLANT&year=2025&month=7")
    page.wait_for_selector("#cost [data-kpi=cost_cny]")
    api = page.request.get(f"{F}/energy/cost?year=2025&month=7").json()
    # July in Jiangsu: 8 h each of peak (14-22), valley (0-6, 11-13) and flat a day; M-SUP at
    # 40 kW (10 kWh a quarter hour): 40 kW x 8 h x 31 days = 9,920 kWh per period,
    # 9,920 x (1.0 + 0.6 + 0.3) = 18,848 CNY, plus 40 kW x 40 CNY/kW = 1,600: 20,448 CNY
    assert api["cost_cny"] == pytest.approx(20_448)
    value, text = shown(page, "#cost [data-kpi=cost_cny] .value")
    assert value == api["cost_cny"] and text == "20,448"
    value, _ = shown(page, "#cost [data-kpi=cost_peak] .value")
    assert value == pytest.approx(9_920)
    for row in api["nodes"]:
        cell = page.locator(f"#node-cost tr[data-node='{row['node']}'] td.cost")
        assert float(cell.get_attribute("data-value")) == row["cost_cny"]
    # the workshop: 9 kWh a quarter hour, 8,928 kWh per period x 1.9 = 16,963.2 CNY
    (ws,) = [r for r in api["nodes"] if r["node"] == "ws"]
    assert ws["cost_cny"] == pytest.approx(16_963.2)
    assert "示例数据，非官方电价" in page.locator("#cost").inner_text()
    page.locator("#cost").scroll_into_view_if_needed()
    shot(page, "40-energy-cost")
    page.goto("/overview?facility=ALPHA-PLANT&year=2025")
    value, _ = shown(page, "#overview-cost [data-kpi=cost_cny] .value")
    assert value == page.request.get(f"{F}/energy/cost?year=2025").json()["cost_cny"]
    shot(page, "41-overview-cost")
    assert not page.errors


def test_the_cost_in_english(server, page_of):
    page = page_of("viewer_a", locale="en")
    page.goto("/energy?facility=ALPHA-PLANT&year=2025&month=7")
    text = page.locator("#cost").inner_text()
    assert "Energy cost by node and energy type" in text
    assert "sample data, not an official tariff" in text
    assert "peak" in page.locator("#cost .kpis").inner_text()
    shot(page, "42-energy-cost-en")
