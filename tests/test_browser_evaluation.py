"""The evaluation page in a real browser (fixtures of ``browser_support``): the live
evaluation of ALPHA-PLANT's 2025 against T/CECA-G 0171-2022 with the API's figures, storing
it from the page, the stored one shown as stored; zh-CN and English, with screenshots."""

import pytest
import sqlalchemy as sa

import browser_support
from browser_support import require_chromium, serve, shot
from lingtan.services import inventory as inventories
from lingtan.store.db import session_scope
from lingtan.store.models import Facility
from test_ledger import LEDGER_CSV, Y25, import_file
from web_support import build_site

browser = browser_support.browser
page_of = browser_support.page_of
SCHEME = "tceca-g-0171-2022"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-evaluation")
    site = build_site(f"sqlite:///{folder / 'lingtan.db'}", folder)
    import_file(site, folder, LEDGER_CSV)
    with session_scope(site.engine) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        inventories.compute(session, alpha, *Y25, actor="setup", lock=True)
    with serve(site) as base:
        yield base, site


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_evaluation_page_evaluates_and_stores(server, page_of, locale):
    page = page_of("manager_a", locale)
    page.goto(f"/evaluation?facility=ALPHA-PLANT&year=2025&scheme={SCHEME}")
    api = page.request.get(
        f"/api/v1/facilities/ALPHA-PLANT/evaluation?year=2025&scheme={SCHEME}"
    ).json()
    rows = page.locator("#criteria-table tbody tr")
    assert rows.count() == len(api["criteria"])
    renewable = page.locator("#criteria-table tr[data-id='renewable-electricity-100']")
    assert renewable.get_attribute("data-status") == "fail"
    expected = next(c for c in api["criteria"] if c["id"] == "renewable-electricity-100")
    assert float(renewable.locator("td.gap").get_attribute("data-value")) == expected["gap"]
    assert float(renewable.locator("td.value").get_attribute("data-value")) == expected["value"]
    gap_text = renewable.locator("td.gap").inner_text()
    assert "73.684" in gap_text and "1,400" in gap_text  # 1,900 − 500 MWh of GECs
    overall = page.locator("#overall").inner_text()
    assert overall == ("未通过" if locale == "zh-CN" else "fail")
    if locale == "zh-CN":
        assert "零碳工厂评价" in page.locator("h1").inner_text()
        assert "还需注销 1,400 张绿证" in gap_text
    else:
        assert "retire 1,400 GECs more" in gap_text
    assert page.locator("nav a[href^='/evaluation']").count() == 1
    shot(page, f"45-evaluation-live-{locale}")
    before = page.locator("#stored-table tbody tr").count()
    page.click("#store")
    page.wait_for_url("**stored=*")
    assert page.locator("#stored-table tbody tr").count() == before + 1
    assert page.locator("#facts-table tr[data-fact='electricity_consumed_mwh']").count() == 1
    stored_id = page.url.rsplit("=", 1)[1]
    shown = page.request.get(f"/api/v1/facilities/ALPHA-PLANT/evaluations/{stored_id}").json()
    heading = "已存储的评价 " if locale == "zh-CN" else "Stored evaluation "
    assert page.locator("#result h2").inner_text().startswith(heading + stored_id)
    assert shown["result"] == page.locator("#result").get_attribute("data-result") == "fail"
    assert not page.errors
    shot(page, f"46-evaluation-stored-{locale}")


def test_a_viewer_sees_no_store_button(server, page_of):
    page = page_of("viewer_a", "en")
    page.goto(f"/evaluation?facility=ALPHA-PLANT&year=2025&scheme={SCHEME}")
    assert page.locator("#criteria-table tbody tr").count() > 0
    assert page.locator("#store").count() == 0
    # a year without a locked inventory: said so, nothing to store
    manager = page_of("manager_a", "en")
    manager.goto(f"/evaluation?facility=ALPHA-PLANT&year=2024&scheme={SCHEME}")
    assert "No inventory of the whole year" in manager.locator("#inventory-used").inner_text()
    assert manager.locator("#store").is_disabled()
    assert manager.locator("#declare-form").count() == 1
    assert page.locator("#declare-form").count() == 0  # a viewer declares nothing


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_declaration_entered_in_the_form_is_listed_and_judged(server, page_of, locale, tmp_path):
    """The declaration form (issue 14): a management plan declared with its evidence file
    passes Suzhou's condition 4 on the next evaluation; a value the fact does not take is
    refused with its reason."""
    page = page_of("manager_a", locale)
    page.goto("/evaluation?facility=ALPHA-PLANT&year=2025&scheme=suzhou-2026")
    refused = page.locator("#declare-form")
    refused.locator("#declare-fact").select_option("management_plan")
    refused.locator("#declare-value").select_option("provincial")
    page.fill("#declare-statement", "x")
    page.fill("#declare-by", "y")
    page.locator("#declare-evidence-stored").select_option(index=1)
    page.click("#declare")
    problems = page.locator("#problems").inner_text()
    assert ("须为“是”或“否”" if locale == "zh-CN" else "must be yes or no") in problems
    shot(page, f"47-evaluation-declaration-refused-{locale}")
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]  # the refused form's answer, and nothing else
    page.errors.clear()
    evidence = tmp_path / "management-plan.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% the plan\n")
    page.goto("/evaluation?facility=ALPHA-PLANT&year=2025&scheme=suzhou-2026")
    page.locator("#declare-fact").select_option("management_plan")
    page.locator("#declare-value").select_option(label="是" if locale == "zh-CN" else "true")
    page.fill("#declare-statement", "管理机构已设立，零碳工作方案已印发")
    page.fill("#declare-by", "王工（能源管理负责人）")
    page.set_input_files("#declare-evidence", str(evidence))
    page.click("#declare")
    page.wait_for_url("**declared=*")
    row = page.locator("#declarations-table tbody tr").first
    assert row.get_attribute("data-fact") == "management_plan"
    assert row.get_attribute("data-standing") == "yes"
    management = page.locator("#criteria-table tr[data-id='management']")
    assert management.get_attribute("data-status") == "pass"
    assert "management-plan.pdf" in management.inner_text()
    assert not page.errors
    shot(page, f"48-evaluation-declared-{locale}")
