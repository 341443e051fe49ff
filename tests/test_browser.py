"""The screens in a real browser: Debian's Chromium driven by Playwright against a real server
(uvicorn on a free port) on the two-organization site of ``web_support``; the fixtures and
helpers are those of ``browser_support``. Screenshots of every step go to
``test-artifacts/screenshots/``.
"""

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

import browser_support
from browser_support import require_chromium, serve, shot, shown
from lingtan.services import inventory as inventories
from lingtan.services.overview import set_target
from lingtan.store.db import session_scope
from lingtan.store.models import Facility, Inventory
from web_support import ALPHA_BILL, ALPHA_MARKERS, PASSWORD, build_site

browser = browser_support.browser  # the fixtures shared with the other browser tests
page_of = browser_support.page_of


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The site served by uvicorn in a thread: (base URL, site)."""
    require_chromium()
    folder = tmp_path_factory.mktemp("browser")
    site = build_site(f"sqlite:///{folder / 'lingtan.db'}", folder)
    with session_scope(site.engine) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        set_target(
            session,
            alpha,
            basis="location",
            base_year=2024,
            base_tco2e=12000.0,
            target_year=2030,
            target_tco2e=6000.0,
            actor="setup",
        )
        # to be locked in a test: February, beside the locked January (a lock refuses an
        # overlap); shorter than January, it never becomes the inventory that stands for 2025,
        # so the overview stays that of January
        lockable = inventories.compute(
            session, alpha, date(2025, 2, 1), date(2025, 2, 28), actor="setup"
        )
        site.ids["computed_id"] = lockable.id
    with serve(site) as base:
        yield base, site


def test_sign_in_then_the_overview_shows_the_apis_figures(server, browser):
    base, _ = server
    context = browser.new_context(
        base_url=base, locale="zh-CN", viewport={"width": 1360, "height": 900}
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto("/overview")
    page.wait_for_url(re.compile(r".*/login\?next=/overview"))  # not signed in yet
    shot(page, "01-login")
    page.fill("#username", "admin_a")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/overview$"))
    page.wait_for_selector(".chart.drawn", timeout=20_000)  # Plotly, served by lingtan
    shot(page, "02-overview")

    answer = page.request.get("/api/v1/facilities/ALPHA-PLANT/overview?year=2025")
    assert answer.ok, answer.text()
    api = answer.json()
    assert api["inventory"]["id"] == server[1].ids["inventory_id"]
    for key in (
        "total_location_tco2e",
        "total_market_tco2e",
        "scope1_tco2e",
        "scope2_location_tco2e",
        "scope2_market_tco2e",
    ):
        value, text = shown(page, f"[data-kpi={key}] .value")
        assert value == api["emissions"][key], key
        assert text == f"{api['emissions'][key]:,.1f}", key
    value, text = shown(page, "[data-kpi=energy_tce] .value")
    assert value == api["energy_tce"] and text == f"{api['energy_tce']:,.1f}"
    # January: grid 1,000 MWh x 0.5827 tCO2/MWh (Jiangsu, 2023) = 582.7 tCO2e location-based
    assert api["emissions"]["scope2_location_tco2e"] == pytest.approx(582.7)
    # the monthly table: the locked January inventory stands for 2025, so one month
    rows = page.locator("#trend tbody tr")
    assert rows.count() == len(api["trend"]) == 1
    first = page.locator("#trend tbody tr td").nth(2)
    assert float(first.get_attribute("data-value")) == api["trend"][0]["scope2_location_tco2e"]
    # the target: a partial year is compared with the trajectory scaled by days
    target = api["target"]
    value, _ = shown(page, "#target dd:nth-of-type(3)")
    assert value == target["trajectory_tco2e"]
    # 12,000 + (6,000 - 12,000) x (2025 - 2024) / (2030 - 2024) = 11,000 t for the year;
    # January is 31 of 365 days: 11,000 x 31 / 365 = 934.2466 t
    assert target["trajectory_tco2e"] == pytest.approx(11000 * 31 / 365)
    assert errors == [], errors  # no script error, no Content-Security-Policy violation
    context.close()


def test_drill_down_from_a_total_to_the_evidence_file(server, page_of):
    _, site = server
    page = page_of("auditor_a")
    page.click("nav >> text=碳排放清单")
    page.click(f"a[href='/inventories/{site.ids['inventory_id']}']")
    shot(page, "03-inventory")
    total, _ = shown(page, "[data-kpi=total_tco2e] .value")
    categories = page.locator("#categories td.num")
    summed = sum(
        float(categories.nth(i).get_attribute("data-value")) for i in range(categories.count())
    )
    assert summed == pytest.approx(total)  # the categories add up to the GB/T 32150 total

    page.click("a[data-category=purchased_energy]")
    shot(page, "04-category")
    page.click("a[data-line='grid@2025-01-01']")
    page.wait_for_selector("#factors")
    # 1,000 MWh x 0.5827 tCO2/MWh = 582.7 tCO2e, the factor from its published set
    factor = page.locator("#factors tr[data-ref*='grid_average[CN-JS]'] td.num")
    assert float(factor.get_attribute("data-value")) == 0.5827
    assert "公告2025年第47号" in page.locator("#factors").inner_text()
    assert "未核实" in page.locator("#factors").inner_text()  # unverified, in Chinese
    value, text = shown(page, "[data-kpi=emissions_tco2e] .value")
    assert value == pytest.approx(1000 * 0.5827) and text == "582.700"
    # market-based: no certificate covers it, so 1,000 MWh x 0.6096 (residual) = 609.6 tCO2e
    value, _ = shown(page, "[data-kpi=market_emissions_tco2e] .value")
    assert value == pytest.approx(1000 * 0.6096)
    shot(page, "05-line-grid")

    page.goto(f"/inventories/{site.ids['inventory_id']}?category=fuel_combustion")
    page.click("a[data-line='alpha-boiler@2025-01-01']")
    record = page.locator("#record").inner_text()
    assert "123,456.789 Nm3" in record and "发票" in record  # invoice, in Chinese
    shot(page, "06-line-boiler")
    link = page.locator("#evidence a[data-sha256]")
    with page.expect_download() as download:
        link.click()
    content = Path(download.value.path()).read_bytes()
    assert content == ALPHA_BILL
    assert hashlib.sha256(content).hexdigest() == link.get_attribute("data-sha256")
    assert link.get_attribute("data-sha256") == site.ids["evidence_sha256"]
    assert page.errors == []


def _status(site, inventory_id: int) -> str:
    with site.engine.connect() as connection:
        return connection.execute(
            sa.select(Inventory.status).where(Inventory.id == inventory_id)
        ).scalar_one()


def test_a_viewer_sees_no_edit_control_and_a_forced_post_is_refused(server, page_of):
    _, site = server
    computed = site.ids["computed_id"]
    manager = page_of("manager_a")
    manager.goto(f"/inventories/{computed}")
    assert manager.locator("[data-edit]").count() == 1  # the control exists for editors
    shot(manager, "07-manager-lock-control")

    viewer = page_of("viewer_a")
    viewer.goto(f"/inventories/{computed}")
    shot(viewer, "08-viewer")
    assert viewer.locator("[data-edit]").count() == 0
    assert viewer.locator("form[method=post]").count() == 1  # only signing out
    assert viewer.locator("nav >> text=审计日志").count() == 0
    token = viewer.locator("input[name=csrf_token]").get_attribute("value")
    forced = viewer.request.post(
        f"/inventories/{computed}/lock", form={"csrf_token": token}, max_redirects=0
    )
    assert forced.status == 403, forced.text()
    assert _status(site, computed) == "computed"
    viewer.goto("/audit")
    assert "403" in viewer.locator("main").inner_text()
    shot(viewer, "09-viewer-audit-403")

    manager.click("[data-edit]")  # the same change by a manager goes through
    manager.wait_for_selector(".heading .badge.locked")
    assert _status(site, computed) == "locked"


def test_a_user_of_another_organization_sees_nothing_of_this_one(server, page_of):
    _, site = server
    page = page_of("admin_b")
    shot(page, "10-other-organization")
    options = page.locator("#facility option").all_inner_texts()
    assert options == ["BETA-PLANT — BETA-PLANT plant"]
    visited = [page.content()]
    inventory_id = site.ids["inventory_id"]
    for path in (
        "/overview?facility=ALPHA-PLANT",
        "/inventories?facility=ALPHA-PLANT",
        f"/inventories/{inventory_id}",
        f"/inventories/{inventory_id}/lines/alpha-boiler@2025-01-01",
    ):
        answer = page.goto(path)
        assert answer.status == 404, path
        visited.append(page.content())
    for path in ("/audit", "/factors", "/inventories"):
        assert page.goto(path).status == 200
        visited.append(page.content())
    for path in (
        f"/api/v1/evidence/{site.ids['evidence_sha256']}",
        "/api/v1/facilities/ALPHA-PLANT/overview?year=2025",
        f"/api/v1/inventories/{inventory_id}",
    ):
        answer = page.request.get(path)
        assert answer.status == 404, path
        visited.append(answer.text())
    for text in visited:
        for marker in ALPHA_MARKERS:
            assert marker not in text


def test_the_language_switch_shows_english(server, page_of):
    page = page_of("admin_a")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("nav.nav a.active").inner_text() == "总览"
    page.click("text=English")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("nav.nav").inner_text().split() == [
        "Overview", "Energy", "Budgets", "Intensity", "Efficiency", "Planning", "Product",
        "footprints", "Carbon", "assets", "Evaluation", "Alerts", "Inventory", "Data", "Factors",
        "Reports", "Audit", "log",
    ]  # fmt: skip
    assert "Scope 2 (location-based)" in page.locator("#kpis").inner_text()
    shot(page, "11-overview-english")
    page.click("text=中文")
    page.wait_for_selector("html[lang=zh-CN]")
    assert "范围二（基于位置）" in page.locator("#kpis").inner_text()
    english_browser = page_of("admin_a", locale="en-US")  # Accept-Language when no cookie
    assert english_browser.locator("html").get_attribute("lang") == "en"
