"""The efficiency page of the demo factory in a real browser (fixtures of ``browser_support``):
the EnPI chart with the baseline band and the CUSUM chart of the chiller plant's measure are
drawn, the measures are listed ranked by payback with the API's figures, and the diagnosis
report downloads from the page; zh-CN and English, with screenshots."""

import re

import pytest

import browser_support
from browser_support import require_chromium, serve, shot
from lingtan.demo.build import FACILITY
from lingtan.store.db import make_engine, session_scope
from lingtan.web import accounts
from lingtan.web.app import create_app
from web_support import PASSWORD, Site

browser = browser_support.browser
page_of = browser_support.page_of


@pytest.fixture(scope="module")
def server(demo_copy, tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-diagnosis")
    url = demo_copy(folder)
    engine = make_engine(url)
    with session_scope(engine) as session:
        accounts.create_user(session, "energy_manager", PASSWORD, role="manager",
                             organization=_organization(session), facilities=(FACILITY,),
                             actor="setup")  # fmt: skip
    site = Site(url, engine, create_app(url, evidence_dir=folder / "lingtan-evidence"),
                folder / "lingtan-evidence")  # fmt: skip
    with serve(site) as base:
        yield base, site


def _organization(session):
    from lingtan.imports.load import facility_by_code
    from lingtan.store.models import Organization

    return session.get(Organization, facility_by_code(session, FACILITY).organization_id).name


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_efficiency_page_draws_enpi_with_band_and_cusum_and_lists_measures(server, page_of, locale):
    page = page_of("energy_manager", locale)
    page.goto(f"/efficiency?facility={FACILITY}&year=2025")
    page.wait_for_selector("#baselines .chart.drawn", timeout=30_000)
    charts = page.locator("#baselines .chart.drawn")
    assert charts.count() == 2  # the EnPI chart and the CUSUM chart of CH-OPT
    enpi = page.locator("[data-chart='enpi-1']")
    # the band: two filled traces' area, the expected and the actual lines
    assert enpi.locator("path.js-fill").count() >= 1
    assert enpi.locator(".scatterlayer .trace").count() == 4
    heading = page.locator("#baselines").inner_text()
    assert "CH-OPT" in heading
    rows = page.locator("#measures-table tbody tr")
    codes = [rows.nth(i).get_attribute("data-code") for i in range(rows.count())]
    assert codes[0] == "CH-OPT" and "standby:office" in codes and "renewal:F-1" in codes
    paybacks = [
        float(v)
        for v in page.locator("#measures-table td.payback").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
        if v
    ]
    assert paybacks == sorted(paybacks)
    # the figures are the API's
    api = page.request.get(f"/api/v1/facilities/{FACILITY}/measures?year=2025").json()
    first = page.locator("#measures-table tbody tr").first.locator("td.tco2")
    assert float(first.get_attribute("data-value")) == api[0]["emissions_saved_tco2_per_year"]
    if locale == "zh-CN":
        assert "节能措施" in page.locator("#measures h2").inner_text()
    else:
        assert "Energy-saving measures" in page.locator("#measures h2").inner_text()
    assert not page.errors
    shot(page, f"40-efficiency-diagnosis-{locale}")


def test_the_diagnosis_report_downloads_from_the_page(server, page_of):
    page = page_of("energy_manager", "zh-CN")
    page.goto(f"/efficiency?facility={FACILITY}&year=2025")
    href = page.locator("#diagnosis-pdf").get_attribute("href")
    answer = page.request.get(href)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF")
    assert re.search(r"diagnosis-JS-CELL-01-2025-zh-CN\.pdf", answer.headers["content-disposition"])
