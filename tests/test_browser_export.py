"""Excel downloads in a real browser (fixtures of ``browser_support``): every table of a page
gets its "导出 Excel" link from ``static/app.js`` (no inline script: the page's CSP would
refuse one), clicking it downloads a workbook, and the workbook's figures are the page's.

The site is that of ``web_support`` with ALPHA-PLANT's metering tree (``site`` with M-SUP,
``ws`` with M-WS) metered through July 2025 (see ``test_browser_energy``).
"""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

import browser_support
from browser_support import require_chromium, serve, shot
from web_support import build_site, meter_july

browser = browser_support.browser  # the fixtures shared with the other browser tests
page_of = browser_support.page_of

JULY = "/energy?facility=ALPHA-PLANT&year=2025&month=7"
# a cell's shown text and its data-value, row by row, as the browser has them
CELLS = (
    "rows => rows.map(r => [...r.cells].map(c => [c.innerText.trim(), c.dataset.value ?? null]))"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-export")
    site = build_site(f"sqlite:///{folder / 'lingtan.db'}", folder)
    meter_july(site)
    with serve(site) as base:
        yield base, site


def download(page, table: str):
    """Click the export link of ``table`` (a link's ``data-table``): the workbook's sheet."""
    with page.expect_download() as started:
        page.click(f"a.export-link[data-table='{table}']")
    done = started.value
    assert re.fullmatch(r"lingtan-ALPHA-PLANT-energy-.+\.xlsx", done.suggested_filename)
    return load_workbook(io.BytesIO(Path(done.path()).read_bytes())).worksheets[0]


def body_of(sheet, header_rows: int = 1):
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=7 + header_rows + 1)]


def figure(text: str, value: str | None):
    """The number a cell shows (its data-value when it has one), else None."""
    shown = re.fullmatch(r"([−-]?)([\d,]*\.?\d+)\s*(%?).*", text)
    if shown is None:
        return None
    number = float(value) if value else float(shown[2].replace(",", "")) * (-1 if shown[1] else 1)
    return number / 100 if shown[3] else number


def test_every_table_has_a_link_and_the_download_holds_the_pages_figures(server, page_of):
    page = page_of("viewer_a")
    page.goto(JULY)
    page.wait_for_selector("a.export-link")
    tables = page.locator("main table")
    links = page.locator("main .table-tools a.export-link")
    # July has no inventory line nor meter data: no reconciliation block, five tables
    assert links.count() == tables.count() == 5
    assert set(links.all_text_contents()) == {"导出 Excel"}
    node_totals = page.locator("main .table-tools a.export-link[data-table='node-totals']")
    assert node_totals.get_attribute("href") == JULY + "&export=xlsx&table=node-totals"
    page.locator("#node-totals").scroll_into_view_if_needed()
    shot(page, "30-export-links")

    sheet = download(page, "node-totals")
    assert sheet["A1"].value == "分节点、分能源品种能耗 / Energy by node and energy type"
    assert sheet["E8"].value == "tce" and sheet["C8"].value == "实物量 / Physical quantity"
    rows = page.eval_on_selector_all("#node-totals tbody tr", CELLS)
    got = body_of(sheet)
    assert len(got) == len(rows) == 2
    for mine, shown in zip(got, rows, strict=True):
        for value, (text, exact) in zip(mine, shown, strict=True):
            number = figure(text, exact)
            if number is None:
                assert value == text
            else:
                assert value == pytest.approx(number, rel=1e-12), text
    # the site's 29,760 kWh at 0.1229 kgce/kWh: 3.657504 tce
    assert got[0][0] == "全厂 Site (site)" and got[0][4] == pytest.approx(3.657504)
    assert page.errors == [], page.errors


def test_an_english_page_downloads_its_table_in_english_under_a_bilingual_header(server, page_of):
    page = page_of("viewer_a", locale="en")
    page.goto(JULY)
    page.wait_for_selector("a.export-link")
    assert set(page.locator("a.export-link").all_text_contents()) == {"Export Excel"}
    page.locator("#balance").scroll_into_view_if_needed()
    shot(page, "31-export-links-en")
    sheet = download(page, "balance-table")
    assert sheet["A1"].value == "能量平衡与告警 / Energy balance and alerts"
    (row,) = page.eval_on_selector_all("#balance tbody tr", CELLS)
    (got,) = body_of(sheet)
    # (29,760 - 26,784) / 29,760 = 10 % loss
    assert got[1:4] == [29760, 26784, pytest.approx(0.10)]
    assert [figure(text, exact) for text, exact in row[1:4]] == got[1:4]
    assert got[4] == row[4][0] == "loss above the limit"
    assert page.errors == [], page.errors
