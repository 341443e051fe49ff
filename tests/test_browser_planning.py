"""The planning page of the demo factory in a real browser (fixtures of ``browser_support``):
the stored plans, a plan's figures equal to its stored result JSON, the three charts drawn,
and two plans side by side with their differences; zh-CN and English, with screenshots."""

import re

import pytest

import browser_support
from browser_support import require_chromium, serve, shot
from lingtan.demo.build import FACILITY
from lingtan.imports.load import facility_by_code
from lingtan.planning.sizing import solve_sizing
from lingtan.services.planning import read_plan, store_plan, stored_plan
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import Organization
from lingtan.web import accounts
from lingtan.web.app import create_app
from lingtan.web.screens_planning import FIGURES
from web_support import PASSWORD, Site

browser = browser_support.browser
page_of = browser_support.page_of


@pytest.fixture(scope="module")
def server(demo_copy, tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-planning")
    url = demo_copy(folder)
    engine = make_engine(url)
    with session_scope(engine) as session:  # a viewer, and a second scenario: a dearer battery
        organization = session.get(
            Organization, facility_by_code(session, FACILITY).organization_id
        )
        accounts.create_user(session, "planner", PASSWORD, role="viewer",
                             organization=organization.name, facilities=(FACILITY,),
                             actor="setup")  # fmt: skip
        accounts.create_user(session, "plan-manager", PASSWORD, role="manager",
                             organization=organization.name, facilities=(FACILITY,),
                             actor="setup")  # fmt: skip
        demo = stored_plan(session, 1)
        text = demo.problem_text.replace(
            "energy_capex_cny_per_kwh: 900", "energy_capex_cny_per_kwh: 1500"
        ).replace("name: ", "name: 储能 1500 元/kWh ", 1)
        plan = read_plan(session, demo.problem_file, text=text)
        store_plan(session, plan=plan, result=solve_sizing(plan.problem), text=text,
                   actor="test", label=demo.label)  # fmt: skip
    site = Site(url, engine, create_app(url, evidence_dir=folder / "lingtan-evidence"),
                folder / "lingtan-evidence")  # fmt: skip
    with serve(site) as base:
        yield base, site


def _results(site):
    with session_scope(site.engine) as session:
        return {i: dict(stored_plan(session, i).result) for i in (1, 2)}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_planning_page_shows_the_stored_results_charts_and_a_comparison(server, page_of, locale):
    _, site = server
    results = _results(site)
    page = page_of("planner", locale)
    page.goto(f"/planning?facility={FACILITY}&plan=1&compare=2")
    page.wait_for_selector("#charts .chart.drawn", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('#charts .chart.drawn').length === 3")
    assert page.locator("#plans-table tbody tr").count() == 2
    # every figure shown is a value of the stored result, unrounded in data-value
    figures = page.locator("#plan .kpi[data-kpi]")
    keys = [figures.nth(i).get_attribute("data-kpi") for i in range(figures.count())]
    expected = [key for rows in FIGURES.values() for key, *_ in rows]
    assert {"pv_kw", "battery_kwh", "battery_kw", "self_consumption", "self_sufficiency",
            "renewable_share", "emissions_tco2e", "npv_cny", "irr",
            "simple_payback_years"} <= set(keys) <= set(expected)  # fmt: skip
    scale = {key: s for rows in FIGURES.values() for key, _, _, digits, s in rows}
    digits = {key: d for rows in FIGURES.values() for key, _, _, d, _ in rows}
    for key in keys:
        value = page.locator(f"#plan .kpi[data-kpi='{key}'] .value")
        assert float(value.get_attribute("data-value")) == results[1][key]
        text = value.inner_text().strip()
        assert text == f"{results[1][key] * scale[key]:,.{digits[key]}f}"
    parts = page.locator("#cost-table tr[data-part] td.num")
    assert parts.count() == len(results[1]["cost_cny_per_year"])
    for part, cost in results[1]["cost_cny_per_year"].items():
        cell = page.locator(f"#cost-table tr[data-part='{part}'] td.num")
        assert float(cell.get_attribute("data-value")) == cost
    # the typical week: supply stacked above zero, charge below, and the load line
    dispatch = page.locator("[data-chart='chart-dispatch']")
    assert dispatch.locator(".scatterlayer .trace").count() >= 4
    assert page.locator("[data-chart='chart-monthly'] .barlayer .trace").count() >= 3
    assert page.locator("[data-chart='chart-duration'] .scatterlayer .trace").count() == 2
    # the comparison: both plans' values and the difference of each figure
    row = page.locator("#comparison-table tr[data-key='battery_kwh']")
    a, b = (float(row.locator("td.num").nth(i).get_attribute("data-value")) for i in (0, 1))
    assert (a, b) == (results[1]["battery_kwh"], results[2]["battery_kwh"])
    assert b < a  # a dearer battery: a smaller one
    shown = row.locator("td.difference").inner_text().strip()
    assert shown == f"{b - a:,.1f}"
    heading = page.locator("#plan h2").inner_text()
    names = {"zh-CN": ("规划", "光伏装机容量", "自发自用率"), "en": ("Planning", "PV capacity",
             "Self-consumption rate")}[locale]  # fmt: skip
    body = page.locator("main").inner_text()
    assert all(name in body for name in names), names
    assert heading.startswith("方案 1" if locale == "zh-CN" else "Plan 1")
    assert page.errors == []
    shot(page, f"planning-{locale}")


def test_a_plan_of_another_facility_or_none_is_not_found(server, page_of):
    page = page_of("planner", "en")
    answer = page.goto(f"/planning?facility={FACILITY}&plan=999")
    assert answer.status == 404


def _upload(page, name: str, text: str) -> None:
    page.set_input_files("#plan-file", {"name": name, "mimeType": "application/yaml",
                                        "buffer": text.encode("utf-8")})  # fmt: skip
    with page.expect_navigation(timeout=300_000):  # the solve runs in the request
        page.click("#store-plan button[type=submit]", no_wait_after=True)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_refused_upload_shows_its_problems_and_stores_nothing(server, page_of, locale):
    _, site = server
    with session_scope(site.engine) as session:
        text = stored_plan(session, 1).problem_text.replace("soc_min: 0.05", "soc_min: 0.99")
    page = page_of("plan-manager", locale)
    page.goto(f"/planning?facility={FACILITY}")
    rows = page.locator("#plans-table tbody tr").count()
    _upload(page, "bad.yaml", text)
    page.wait_for_selector("#problems")
    cells = page.locator("#problems tbody tr").first.locator("td")
    assert cells.nth(1).inner_text() == "battery.soc_min"
    rule = {"zh-CN": "必须小于 soc_max（0.95）", "en": "must be below soc_max (0.95)"}[locale]
    assert cells.nth(3).inner_text() == rule
    assert page.locator("#plans-table tbody tr").count() == rows
    assert [e for e in page.errors if "status of 422" not in e] == [], page.errors
    shot(page, f"planning-store-refused-{locale}")


def test_a_plan_uploaded_on_the_page_is_solved_stored_and_shown(server, page_of):
    _, site = server
    with session_scope(site.engine) as session:
        text = stored_plan(session, 1).problem_text.replace(
            "energy_capex_cny_per_kwh: 900", "energy_capex_cny_per_kwh: 1100"
        )
    page = page_of("plan-manager", "zh-CN")
    page.goto(f"/planning?facility={FACILITY}")
    page.fill("#plan-name", "储能 1100 元/kWh")
    _upload(page, "plan-1100.yaml", text)
    page.wait_for_url(re.compile(r".*/planning\?facility=.*&plan=\d+"), timeout=300_000)
    plan_id = int(page.url.rsplit("plan=", 1)[1])
    page.wait_for_selector("#charts .chart.drawn", timeout=30_000)
    assert page.locator("#plan h2").inner_text() == f"方案 {plan_id}：储能 1100 元/kWh"
    with session_scope(site.engine) as session:
        stored = stored_plan(session, plan_id)
        assert stored.problem_file == "upload:plan-1100.yaml" and stored.created_by
    value = page.locator("#plan .kpi[data-kpi='battery_kwh'] .value").get_attribute("data-value")
    assert float(value) == stored.result["battery_kwh"]
    assert page.errors == []
    shot(page, "planning-stored-zh-CN")
