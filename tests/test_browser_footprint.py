"""The product footprint screens of the demo factory in a real browser (fixtures of
``browser_support``): the studies and BOMs, a supplier's footprint received over PACT and one
published, a PACT client created with its secret shown once; the cell study's result with the
stage and process bars and the Sankey drawn, its figures those of the API; zh-CN and English,
with screenshots."""

import json
import re
from pathlib import Path

import pytest

import browser_support
from browser_support import require_chromium, serve, shot, shown
from lingtan.demo.build import FACILITY
from lingtan.demo.footprint import STUDY
from lingtan.services import pact
from lingtan.store.db import make_engine, session_scope
from lingtan.web import accounts
from lingtan.web.app import create_app
from web_support import PASSWORD, Site

browser = browser_support.browser
page_of = browser_support.page_of

ROOT = Path(__file__).resolve().parents[1]
STUDY_ID = Path(STUDY).stem


@pytest.fixture(scope="module")
def server(demo_copy, tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-footprint")
    url = demo_copy(folder)
    engine = make_engine(url)
    supplier = json.loads((ROOT / "examples" / "pact-supplier-v23.json").read_text())["data"][0]
    published = json.loads((ROOT / "examples" / "pact-footprint.json").read_text())
    with session_scope(engine) as session:
        owner = pact.organization_named(session, None)
        pact.store_received(session, owner, [("pact-supplier-v23.json", supplier)], actor="setup")
        pact.publish_document(session, owner, published, actor="setup", where="file")
        accounts.create_user(session, "fp_admin", PASSWORD, role="admin",
                             organization=owner.name, actor="setup")  # fmt: skip
    site = Site(url, engine, create_app(url, evidence_dir=folder / "lingtan-evidence"),
                folder / "lingtan-evidence")  # fmt: skip
    with serve(site) as base:
        yield base, site


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_footprint_page_lists_studies_boms_and_pact(server, page_of, locale):
    page = page_of("fp_admin", locale)
    page.goto(f"/footprint?facility={FACILITY}")
    active = page.locator("nav a.active")
    assert active.inner_text() == ("产品碳足迹" if locale == "zh-CN" else "Product footprints")
    row = page.locator(f"#study-table tr[data-study='{STUDY_ID}']")
    assert "方形磷酸铁锂电芯" in row.inner_text()
    assert ("声明单位" if locale == "zh-CN" else "declared unit") in row.inner_text()
    boms = page.request.get(f"/api/v1/facilities/{FACILITY}/footprint/boms").json()
    rows = page.locator("details.bom[data-product='cells'] tbody tr")
    assert rows.count() == len(boms[0]["items"]) > 0
    received = page.locator("#received-table tbody tr")
    assert received.count() == 1
    assert (
        shown(page, "#received-table td.num[data-value]")[0] == 8.5
    )  # the supplier's kg CO2e per kg
    assert page.locator("#published-table tbody tr").count() == 1
    # a client for a customer's system: its secret on this answer only
    page.fill("#client-name", f"Customer {locale}")
    page.click("#new-client-form button[type=submit]")
    secret = page.locator("#new-client-secret").inner_text()
    assert len(secret) >= 40
    shot(page, f"50-footprint-{locale}")
    page.goto(f"/footprint?facility={FACILITY}")
    assert secret not in page.content()
    assert page.locator(f"#client-table tr:has-text('Customer {locale}')").count() == 1
    assert not page.errors


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_study_page_draws_its_charts_with_the_apis_figures(server, page_of, locale):
    page = page_of("fp_admin", locale)
    page.goto(f"/footprint?facility={FACILITY}")
    page.click(f"#study-table tr[data-study='{STUDY_ID}'] a")
    page.wait_for_url(re.compile(rf".*/footprint/studies/{STUDY_ID}.*"))
    page.wait_for_selector("[data-chart='sankey-figure'].drawn", timeout=30_000)
    page.wait_for_selector("[data-chart='histogram-figure'].drawn", timeout=30_000)
    # stages, processes, Sankey, and the Monte Carlo histogram of the meters' pedigree spread
    assert page.locator(".chart.drawn").count() == 4
    assert page.locator("[data-chart='sankey-figure'] .sankey-node").count() >= 5
    assert page.locator("[data-chart='process-figure'] .bars path").count() >= 10
    api = page.request.get(
        f"/api/v1/facilities/{FACILITY}/footprint/studies/{STUDY_ID}?draws=1000"
    ).json()
    value, text = shown(page, "[data-kpi='total'] .value")
    assert value == api["kgco2e_per_declared_unit"]
    assert text == f"{api['kgco2e_per_declared_unit']:,.1f}"
    assert shown(page, "[data-kpi='primary'] .value")[0] == api["primary_data_share_pct"]
    meters = page.locator("#meter-table tbody tr")
    assert meters.count() == len(api["meters"])
    scope = page.locator("#scope").inner_text()
    if locale == "zh-CN":
        for term in ("声明单位", "系统边界", "从摇篮到大门", "基准流", "基于位置"):
            assert term in scope, term
        assert "初级数据占比" in page.locator("[data-kpi='primary']").inner_text()
        assert "次抽样" in page.locator("#mc-summary").inner_text()
        assert "欧盟电池法规碳足迹声明" in page.locator("#declarations").inner_text()
    else:
        assert "cradle to gate" in scope and "declared unit" in scope
        assert "1000 draws" in page.locator("#mc-summary").inner_text()
    battery = api["declarations"]["battery"]
    assert page.locator("#battery-table tbody tr").count() == len(battery["rows"])
    total = page.locator("#battery-table tr[data-battery-stage='total'] td.num").nth(1)
    assert (
        float(total.get_attribute("data-value"))
        == battery["document"]["carbon_footprint_kg_co2e_per_kwh"]
    )
    assert not page.errors
    shot(page, f"51-footprint-study-{locale}")
