"""Excel from every table of every screen, without a browser: for each page of the test site
that has tables, each table's workbook holds the page's figures (the exact ``data-value``
where the page carries one, else the number shown), its texts and its rows in order, under
the header in Chinese and English. The page is read here with another HTML parser
(tinyhtml5, the WHATWG algorithm) than the export's. An export is the page: a viewer exports
what they may see and nothing else, another organization gets 404.

The site is that of ``web_support`` with ALPHA-PLANT's metering tree (``site`` with M-SUP,
``ws`` with M-WS) metered through July 2025.
"""

import io
import re
from datetime import date
from pathlib import Path

import pytest
import tinyhtml5
from openpyxl import load_workbook
from sqlalchemy import select

from lingtan.assets.ledger import HoldingIn, MonthIn, MovementIn
from lingtan.services.cost import import_tariffs
from lingtan.services.efficiency import import_equipment
from lingtan.services.ledger import write_ledger
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Facility, FootprintDeclaration
from lingtan.web import i18n
from lingtan.web.export import XLSX
from web_support import ALPHA_MARKERS, build_site, meter_july

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "lingtan" / "web" / "templates"
NS = "{http://www.w3.org/1999/xhtml}"
#: Elements whose text is not shown in a table (the export's rule, written again here).
UNSHOWN = {"script", "style", "template", "form", "button", "select", "textarea", "noscript"}
TOP_ROWS = 7  # caption, page, facility, filters, time, address, a blank row


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    built = build_site(f"sqlite:///{folder / 'lingtan.db'}", folder)
    meter_july(built)
    tariff = folder / "tariff.csv"  # July by TOU period, so the cost tables have rows
    tariff.write_text(
        "energy_type,component,period,month_from,month_to,price,unit,document\n"
        "electricity,energy,peak,2025-07,,1.152,CNY/kWh,供电合同 2025\n"
        "electricity,energy,flat,2025-07,,0.64,CNY/kWh,供电合同 2025\n"
        "electricity,energy,valley,2025-07,,0.224,CNY/kWh,供电合同 2025\n"
        "electricity,demand,all,2025-07,,38,CNY/kW·month,供电合同 2025\n",
        encoding="utf-8",
    )
    register = folder / "register.csv"  # the efficiency page's tables: one item on a meter
    register.write_text(
        "id,type,name,node,rated_power_kw,poles,efficiency_pct,running_hours_per_year,"
        "load_factor,replacement_cost_cny\n"
        "M-1,motor,Pump motor,ws,15,4,90.0,6000,0.8,20000\n"
        "M-2,motor,Fan motor,,15,4,93.9,6000,0.8,\n",
        encoding="utf-8",
    )
    with session_scope(built.engine) as session:
        alpha = session.scalars(select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        import_tariffs(session, alpha, tariff, actor="setup")
        evidence = EvidenceStore(built.evidence_dir)
        import_equipment(session, alpha, register, evidence=evidence, actor="setup")
        # the assets page's allowances, surrenders and contract months (issue 14 §1)
        write_ledger(
            session, alpha,
            [HoldingIn("CEA-2025", "cea", 100, date(2025, 1, 1), date(2025, 12, 31),
                       date(2025, 6, 1), channel="purchase", price_cny_per_unit=80.5),
             HoldingIn("GP-2025", "green_power", 1000, date(2025, 1, 1), date(2025, 12, 31),
                       date(2025, 1, 1))],
            [MovementIn("CEA-2025", "surrender", 40, date(2026, 6, 30), compliance_year=2025)],
            months=[MonthIn("GP-2025", date(2025, 7, 1), 100, 95.5)],
            evidence=evidence, actor="setup",
        )  # fmt: skip
        # a battery declaration issued for the plant (the 产品碳足迹 page lists it): stored
        # as the service stores one, with hand-made figures (the site has no study)
        figures = {"model": "PACK-1", "plant": "Plant A", "carbon_footprint_kg_co2e_per_kwh": 0.15}
        session.add(FootprintDeclaration(
            facility_id=alpha.id, kind="battery", study_id="cell", study_name="cell",
            study_sha256="a" * 64, source_file="battery.yaml", source_sha256="b" * 64,
            figures=figures, figures_sha256="c" * 64, issued_by="setup",
        ))  # fmt: skip
    yield built
    built.close()


def text_of(element) -> str:
    """The text a page shows in ``element``, whitespace collapsed (and put around every
    element: the lines a block element makes are compared without their breaks)."""
    parts = []

    def walk(node):
        tag = node.tag.removeprefix(NS)
        if tag in UNSHOWN or "hidden" in node.attrib:
            return
        parts.append(node.text or "")
        for child in node:
            parts.append(" ")
            walk(child)
            parts.append(" " + (child.tail or ""))

    walk(element)
    return " ".join("".join(parts).split())


def tables_of(html: str) -> list[tuple[str, list, list]]:
    """Each table of ``main`` as ``static/app.js`` names it (a unique id that is not a number,
    else its number on the page): (key, header rows, body rows of elements)."""
    root = tinyhtml5.parse(html)
    every = list(root.iter(f"{NS}table"))
    main = next(root.iter(f"{NS}main"))
    inside = set(main.iter(f"{NS}table"))
    found = []
    for number, table in enumerate(every, start=1):
        if table not in inside:
            continue
        ident = table.get("id", "")
        same = [t for t in every if t.get("id") == ident]
        key = ident if ident and not ident.isdigit() and len(same) == 1 else str(number)
        head = next(table.iter(f"{NS}thead"), None)
        header = list(head.iter(f"{NS}tr")) if head is not None else []
        body = [tr for tr in table.iter(f"{NS}tr") if tr not in header]
        found.append((key, header, body))
    return found


def cells_of(row) -> list:
    """A row's cells, each repeated over its colspan (None in the spanned places)."""
    placed = []
    for cell in row:
        if cell.tag.removeprefix(NS) in ("td", "th"):
            placed += [cell] + [None] * (int(cell.get("colspan", 1)) - 1)
    return placed


FIGURE = re.compile(r"([−-]?)([\d,]*\.?\d+)\s*(%?)(?:\s+[A-Za-z][\w/]*)?")


def expected(cell):
    """What the workbook must hold for a cell of the page: its exact ``data-value`` (a
    percentage as a fraction), else the number it shows, else its text."""
    if cell is None:
        return None
    text = text_of(cell)
    shown = FIGURE.fullmatch(text)
    if shown is None:
        return "".join(text.split()) or None
    sign, digits, percent = shown.groups()
    exact = cell.get("data-value")
    value = float(exact) if exact else float(digits.replace(",", "")) * (-1 if sign else 1)
    return pytest.approx(value / 100 if percent else value, rel=1e-12)


def rendered(client, path: str, lang: str):
    client.cookies.set(i18n.LANG_COOKIE, lang)
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer


def workbook_of(answer):
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(answer.content))
    assert len(book.worksheets) == 1
    return book.worksheets[0]


def pages(site, client) -> list[str]:
    """Every screen of the test site that has tables (the line page: each of its lines)."""
    inventory = site.ids["inventory_id"]
    html = rendered(client, f"/inventories/{inventory}", "zh-CN").text
    lines = re.findall(r'data-line="([^"]+)"', html)
    category = re.findall(r'data-category="([^"]+)"', html)[0]
    factor_set = re.findall(r"/factors\?set=([^&\"]+)", rendered(client, "/factors", "zh-CN").text)
    return [
        "/overview?facility=ALPHA-PLANT&year=2025",
        "/inventories?facility=ALPHA-PLANT",
        f"/inventories/{inventory}",
        f"/inventories/{inventory}?category={category}",
        *(f"/inventories/{inventory}/lines/{line}" for line in lines),
        "/factors",
        f"/factors?set={factor_set[0]}",
        "/factors?region=NOWHERE",  # an empty table: its header alone
        "/data?facility=ALPHA-PLANT",
        "/energy?facility=ALPHA-PLANT&year=2025&month=7",
        "/energy/nodes/site?facility=ALPHA-PLANT&year=2025&month=7",
        "/energy/nodes/ws?facility=ALPHA-PLANT&year=2025",
        "/data/meters/M-SUP?facility=ALPHA-PLANT&from=2025-07-09&to=2025-07-11",
        "/budgets?facility=ALPHA-PLANT&year=2025",
        "/intensity?facility=ALPHA-PLANT&year=2025",
        "/alerts?facility=ALPHA-PLANT&year=2025&month=7",
        "/efficiency?facility=ALPHA-PLANT&year=2025",
        "/reports?facility=ALPHA-PLANT",
        "/audit",
        "/assets?facility=ALPHA-PLANT&year=2025",
        "/assets/matching?facility=ALPHA-PLANT&year=2025",
        "/evaluation?facility=ALPHA-PLANT&year=2025",
        "/footprint?facility=ALPHA-PLANT",
        "/planning?facility=ALPHA-PLANT",
    ]


def check_exports(client, path: str) -> tuple[str, set[str], int]:
    """Export every table of the page at ``path`` and compare each workbook with the page:
    the page's template, the tables' keys and their number."""
    zh, en = rendered(client, path, "zh-CN"), rendered(client, path, "en")
    template = zh.context["kept"]["template"] if "kept" in zh.context else zh.template.name
    assert 'data-export="导出 Excel"' in zh.text and 'data-export="Export Excel"' in en.text
    english = {key: header for key, header, _ in tables_of(en.text)}
    exported, tables = set(), 0
    for key, header, body in tables_of(zh.text):
        tables += 1
        exported.add(key)
        client.cookies.set(i18n.LANG_COOKIE, "zh-CN")
        join = "&" if "?" in path else "?"
        sheet = workbook_of(client.get(f"{path}{join}export=xlsx&table={key}"))
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=TOP_ROWS + 1)]
        for number, (mine, theirs) in enumerate(zip(header, english[key], strict=True)):
            both = [
                a if a == b else f"{a} / {b}"
                for a, b in zip(
                    [text_of(c) for c in cells_of(mine) if c is not None],
                    [text_of(c) for c in cells_of(theirs) if c is not None],
                    strict=True,
                )
            ]
            assert [v for v in rows[number] if v is not None] == both, (path, key)
        shown = [[expected(c) for c in cells_of(row)] for row in body]
        got = [["".join(v.split()) if isinstance(v, str) else v for v in row]
               for row in rows[len(header):]]  # fmt: skip
        width = max((len(r) for r in shown), default=0)
        assert [r[:width] + [None] * (width - len(r)) for r in got] == [
            r + [None] * (width - len(r)) for r in shown
        ], (path, key)
        assert sheet.freeze_panes == f"A{TOP_ROWS + len(header) + 1}"
    return template, exported, tables


#: Screens whose tables need data the test site lacks, checked on the demo factory instead
#: (:func:`test_a_footprint_study_exports_the_pages_numbers_on_the_demo`).
ON_THE_DEMO = {"footprint_study.html"}


def test_every_table_of_every_screen_exports_the_pages_numbers(site):
    client, _ = site.client("auditor_a")  # reads ALPHA-PLANT and the audit log
    used, exported, tables = set(), set(), 0
    for path in pages(site, client):
        template, keys, count = check_exports(client, path)
        used.add(template)
        exported |= keys
        tables += count
    with_tables = {p.name for p in TEMPLATES.glob("*.html") if "<table" in p.read_text()}
    pages_with_tables = {name for name in with_tables if not name.startswith("_")}
    assert pages_with_tables - ON_THE_DEMO <= used, (
        f"screens with tables this test does not export: {pages_with_tables - used}"
    )
    # a partial (``_name.html``) is covered when its tables, by id, were exported from a page
    for partial in with_tables - pages_with_tables:
        ids = set(re.findall(r'<table[^>]*\bid="([^"]+)"', (TEMPLATES / partial).read_text()))
        assert ids and ids <= exported, f"{partial}: tables not exported: {ids - exported}"
    assert tables >= 20, tables


def test_a_footprint_study_exports_the_pages_numbers_on_the_demo(demo_copy, tmp_path):
    from fastapi.testclient import TestClient

    from lingtan.demo.web import DEMO_PASSWORD
    from lingtan.web.app import create_app

    url = demo_copy(tmp_path)
    # the study names a CBAM communication too, and a battery declaration is issued: the
    # declarations' tables (battery, CBAM, issued) export with the others
    examples = Path(__file__).resolve().parents[1] / "examples" / "footprint"
    studies = tmp_path / "footprint"
    (studies / "cbam.yaml").write_bytes((examples / "cbam-communication.yaml").read_bytes())
    with (studies / "demo-cell-study.yaml").open("a", encoding="utf-8") as study:
        study.write("cbam: cbam.yaml\n")
    app = create_app(url, evidence_dir=tmp_path / "lingtan-evidence")
    try:
        client = TestClient(app)
        answer = client.post(
            "/api/v1/session", json={"username": "demo", "password": DEMO_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        issued = client.post(
            "/api/v1/facilities/JS-CELL-01/footprint/studies/demo-cell-study/declarations",
            json={"kind": "battery"},
            headers={"X-CSRF-Token": answer.json()["csrf_token"]},
        )
        assert issued.status_code == 201, issued.text
        path = "/footprint/studies/demo-cell-study?facility=JS-CELL-01"
        template, keys, tables = check_exports(client, path)
        assert template in ON_THE_DEMO and tables >= 3, (template, keys)
        assert {"battery-table", "cbam-table", "issued-table"} <= keys, keys
    finally:
        app.state.engine.dispose()


def test_the_title_block_names_the_facility_the_period_and_the_time(site):
    client, _ = site.client("viewer_a")
    path = "/energy?facility=ALPHA-PLANT&year=2025&month=7"
    sheet = workbook_of(client.get(path + "&export=xlsx&table=node-totals"))
    assert sheet["A1"].value == "分节点、分能源品种能耗 / Energy by node and energy type"
    assert (
        sheet["A2"].value
        == "页面 / Page: 能源管理 / Energy — ALPHA-PLANT plant (ALPHA-PLANT) · 2025-07"
    )
    assert sheet["A3"].value == "设施 / Facility: ALPHA-PLANT plant (ALPHA-PLANT)"
    assert (
        sheet["A4"].value == "期间与筛选 / Period and filters: 年度 / Year: 2025; 月份 / Month: 7"
    )
    assert re.fullmatch(
        r"导出时间 / Exported at: \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+08:00\)", sheet["A5"].value
    )
    assert sheet["A6"].value == f"页面地址 / Page address: {path}"
    assert sheet["C8"].value == "实物量 / Physical quantity" and sheet["E8"].value == "tce"
    # the site used 29,760 kWh = 2,976 intervals x 10 kWh; 29,760 x 0.1229 / 1000 = 3.657504 tce
    site_row = next(row for row in sheet.iter_rows(min_row=9) if row[0].value == "全厂 Site (site)")
    assert site_row[2].value == 29760 and site_row[2].number_format == "#,##0.0"
    assert site_row[4].value == pytest.approx(3.657504) and site_row[4].number_format == "0.000"
    # the balance: (29,760 - 26,784) / 29,760 = 10 %, a percentage in Excel
    balance = workbook_of(client.get(path + "&export=xlsx&table=balance-table"))
    assert balance["D9"].value == pytest.approx(0.10) and balance["D9"].number_format == '0.0" "%'
    assert balance["E9"].value == "损耗超限"


def test_an_english_user_exports_the_english_page_under_a_bilingual_header(site):
    client, _ = site.client("viewer_a")
    client.cookies.set(i18n.LANG_COOKIE, "en")
    path = "/energy?facility=ALPHA-PLANT&year=2025&month=7&export=xlsx&table=balance-table"
    sheet = workbook_of(client.get(path))
    assert sheet["A1"].value == "能量平衡与告警 / Energy balance and alerts"
    assert sheet["D8"].value == "损耗率 / Loss" and sheet["E9"].value == "loss above the limit"


def test_a_viewer_exports_what_they_may_see_and_nothing_else(site):
    viewer, _ = site.client("viewer_a")  # granted ALPHA-PLANT only
    inventory = site.ids["inventory_id"]
    assert workbook_of(viewer.get(f"/inventories/{inventory}?export=xlsx&table=lines"))
    refused = viewer.get("/energy?facility=ALPHA-SECOND&export=xlsx&table=1")
    assert refused.status_code == 404 and "text/html" in refused.headers["content-type"]
    assert viewer.get("/audit?export=xlsx&table=audit").status_code == 403
    # what is not a page is answered as it is
    script = viewer.get("/static/app.js?export=xlsx&table=1")
    assert script.status_code == 200 and "export-link" in script.text
    assert viewer.get("/api/v1/facilities?export=xlsx&table=1").json()["items"]
    # a read token exports what it reads
    token = site.bearer("alpha-read")
    assert workbook_of(token.get("/energy?facility=ALPHA-PLANT&export=xlsx&table=node-totals"))
    assert (
        site.bearer("beta-read")
        .get("/energy?facility=ALPHA-PLANT&export=xlsx&table=node-totals")
        .status_code
        == 404
    )
    # without a session: the page's own answer, the sign-in page, coming back to the page
    anonymous, _ = site.client()
    answer = anonymous.get(
        "/energy?facility=ALPHA-PLANT&export=xlsx&table=1", follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/energy%3Ffacility%3DALPHA-PLANT"


def test_another_organization_gets_404_and_nothing_of_this_one(site):
    other, _ = site.client("manager_b")
    inventory = site.ids["inventory_id"]
    paths = (
        f"/inventories/{inventory}?export=xlsx&table=lines",
        f"/inventories/{inventory}?export=xlsx&table=99",
        "/energy?facility=ALPHA-PLANT&year=2025&export=xlsx&table=node-totals",
        "/data?facility=ALPHA-PLANT&export=xlsx&table=1",
        "/overview?facility=ALPHA-PLANT&export=xlsx&table=trend",
    )
    answers = {path: other.get(path) for path in paths}
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(paths, 404)
    leaks = [p for p, a in answers.items() if any(m in a.text for m in ALPHA_MARKERS)]
    assert leaks == []
    # what it may see exports, with nothing of organization A in it
    sheet = workbook_of(other.get("/factors?export=xlsx&table=sets"))
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert not any(marker in text for marker in ALPHA_MARKERS)
    assert "cn-fuel-defaults-2015" in text


def test_a_page_answering_a_form_post_offers_no_export(site):
    manager, csrf = site.client("manager_a")
    answer = manager.post(
        "/data/meter-readings?facility=ALPHA-PLANT",
        files={"file": ("r.csv", b"meter,timestamp,value\nE-MAIN,2025-03-05T00:00:00Z,lots\n")},
        data={"csrf_token": csrf},
    )
    assert answer.status_code == 422 and 'id="problems"' in answer.text
    assert "data-export" not in answer.text  # a GET of its address would not show this table
