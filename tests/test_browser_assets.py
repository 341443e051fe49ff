"""The carbon-asset pages of the demo factory in a real browser (fixtures of
``browser_support``): the holdings and retirements with the API's figures, the retirement
form's refusal of a double count shown in Chinese with nothing written, the Excel export link,
and the hourly-matching heat map (365 days × 24 hours) drawn with the API's shares; zh-CN and
English, with screenshots."""

import pytest

import browser_support
from browser_support import require_chromium, serve, shot, shown
from lingtan.demo.build import FACILITY
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import LedgerEntry
from lingtan.web import accounts
from lingtan.web.app import create_app
from web_support import PASSWORD, Site

browser = browser_support.browser
page_of = browser_support.page_of


@pytest.fixture(scope="module")
def server(demo_copy, tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-assets")
    url = demo_copy(folder)
    engine = make_engine(url)
    with session_scope(engine) as session:
        from lingtan.imports.load import facility_by_code
        from lingtan.store.models import Organization

        organization = session.get(
            Organization, facility_by_code(session, FACILITY).organization_id
        ).name
        accounts.create_user(session, "asset_manager", PASSWORD, role="manager",
                             organization=organization, facilities=(FACILITY,),
                             actor="setup")  # fmt: skip
    site = Site(url, engine, create_app(url, evidence_dir=folder / "lingtan-evidence"),
                folder / "lingtan-evidence")  # fmt: skip
    with serve(site) as base:
        yield base, site


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_assets_page_lists_holdings_and_retirements_with_the_api_figures(server, page_of, locale):
    page = page_of("asset_manager", locale)
    page.goto(f"/assets?facility={FACILITY}&year=2025")
    api = page.request.get(f"/api/v1/facilities/{FACILITY}/ledger?year=2025").json()
    rows = page.locator("#holdings-table tbody tr")
    assert rows.count() == len(api["holdings"]) == 3
    for holding in api["holdings"]:
        row = f"#holdings-table tr[data-asset='{holding['asset']}']"
        assert shown(page, f"{row} td.balance")[0] == holding["balance"]
        assert shown(page, f"{row} td.retired")[0] == holding["retired"]
    retired = [e for e in api["entries"] if e["action"] == "retire"]
    assert page.locator("#retirements-table tbody tr").count() == len(retired) == 3
    assert page.locator("#retirements-table a[href^='/api/v1/evidence/']").count() == 0
    nav = page.locator("nav a.active").inner_text()
    assert nav == ("碳资产" if locale == "zh-CN" else "Carbon assets")
    assert page.locator("#holdings .export-link").count() == 1  # the Excel link of app.js
    assert not page.errors
    shot(page, f"50-assets-{locale}")


def test_the_retire_form_shows_the_double_count_refusal_and_writes_nothing(server, page_of):
    _, site = server
    with session_scope(site.engine) as session:
        before = session.query(LedgerEntry).count()
    page = page_of("asset_manager", "zh-CN")
    page.goto(f"/assets?facility={FACILITY}&year=2025")
    page.select_option("#retire-asset", "GEC-2025-JS-A")
    page.fill("#retire-quantity", "10")
    page.fill("#retire-serial", "GEC-2025-JS-000001..000010")
    page.fill("#retire-date", "2025-12-20")
    page.fill("#retire-claim", "再次注销 again")
    page.click("#retire-form button[type=submit]")
    page.wait_for_selector("#refusal")
    text = page.locator("#outcome").inner_text()
    assert "GEC-2025-JS-A 的注销被拒绝，未写入任何内容" in text
    assert "不得重复计算" in text and "2025-12-15" in text
    with session_scope(site.engine) as session:
        assert session.query(LedgerEntry).count() == before
    assert [e for e in page.errors if "422" not in e] == []  # the refusal is answered with 422
    shot(page, "51-assets-retire-refused-zh-CN")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_matching_page_draws_the_heat_map_with_the_api_shares(server, page_of, locale):
    page = page_of("asset_manager", locale)
    page.goto(f"/assets/matching?facility={FACILITY}&year=2025")
    page.wait_for_selector("#heat-map .chart.drawn", timeout=30_000)
    api = page.request.get(f"/api/v1/facilities/{FACILITY}/matching?year=2025").json()
    hourly, _ = shown(page, "[data-kpi='hourly'] .value")
    volumetric, _ = shown(page, "[data-kpi='volumetric'] .value")
    hours, _ = shown(page, "[data-kpi='unmatched-hours'] .value")
    assert hourly == api["hourly_matched_cfe_share_pct"]
    assert volumetric == api["volumetric_share_pct"]
    assert hours == api["unmatched_hours"]
    size = page.evaluate(
        "() => { const t = document.querySelector('[data-chart=heat-map-figure]').data[0];"
        " return [t.type, t.x.length, t.z.length]; }"
    )
    assert size == ["heatmap", 365, 24]
    assert page.locator("#heat-map .heatmaplayer image, #heat-map .hm image").count() >= 1
    assert not page.errors
    shot(page, f"52-matching-{locale}")
