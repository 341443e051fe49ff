"""Excel from every table, without lingtan's screens: figures as pages write them (Chinese
formatting, negative numbers, percentages, units), the reading of a table (header rows with
spans, footers, cells with forms and hidden parts), the workbook (bilingual header, title
block, frozen header, text never a formula, sheets split at the row limit, the size bound) and
the middleware on a bare application, which is how a page added later gets its export with
no code of its own."""

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from lingtan import cells
from lingtan.web import export, i18n
from lingtan.web.export import Export, ExportRefusedError, TableExport, workbook
from lingtan.web.tables import Figure, Spans, figure, read_page

# --- figures: text as a page shows it -> number and number format ---------------------------


@pytest.mark.parametrize(
    ("text", "value", "number_format"),
    [
        ("12,640.3", 12640.3, "#,##0.0"),
        ("１２，６４０．３", 12640.3, "#,##0.0"),  # full-width, as typed with a Chinese IME
        ("13206.6", 13206.6, "0.0"),
        ("0", 0.0, "0"),
        ("−3.5", -3.5, '0.0;"−"0.0;0.0'),  # U+2212 MINUS SIGN, kept in the format
        ("-3.5", -3.5, "0.0"),
        ("－3.50", -3.5, "0.00"),  # full-width hyphen-minus
        ("+2.0 %", 0.02, '"+"0.0" "%;"−"0.0" "%;0.0" "%'),
        ("12.5%", 0.125, "0.0%"),
        ("12.5％", 0.125, "0.0%"),
        ("10.0 %", 0.1, '0.0" "%'),
        ("−4.25%", -0.0425, '0.00%;"−"0.00%;0.00%'),
        ("9,920.0 kWh", 9920.0, '#,##0.0" kWh"'),
        ("123,456.79 Nm3", 123456.79, '#,##0.00" Nm3"'),
        ("¥1,200.00", 1200.0, '"¥"#,##0.00'),
        ("￥1,200.00", 1200.0, '"¥"#,##0.00'),
        ("12.5 万元", 12.5, '0.0" 万元"'),
        ("0.1229 kgce/kWh", 0.1229, '0.0000" kgce/kWh"'),
        ("5.81e-05 tCO2/kWh", 5.81e-05, '0.00E+00" tCO2/kWh"'),
        ("2025", 2025.0, "0"),
    ],
)
def test_a_figure_is_the_number_shown_with_a_format_that_shows_it_the_same(
    text, value, number_format
):
    found = figure(text)
    assert found == Figure(pytest.approx(value, rel=1e-12), number_format)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "—",
        "— %",
        "2025-07",
        "2025-07-01",
        "2025-01-01 – 2025-01-31",
        "M-SUP",
        "E-MAIN",
        "#12",
        "v1",
        "007",  # a code with leading zeros
        "1234567890123456",  # 16 digits: not exact in a spreadsheet
        "12,34",  # not a thousands grouping
        "1.2.3",
        "3 - 4",
        "−−3",
        "12 M-SUP",
        "9,920.0 kWh (est.)",
    ],
)
def test_text_that_is_not_a_single_figure_stays_text(text):
    assert figure(text) is None


def test_the_pages_unrounded_value_is_used_when_it_rounds_to_what_is_shown():
    # 29,760 kWh x 0.1229 kgce/kWh = 3,657.504 kgce = 3.657504 tce, shown to 3 or 1 decimals
    assert figure("3.658", "3.657504").value == 3.657504
    assert figure("3.7", "3.657504").value == 3.657504
    assert figure("3.6", "3.657504").value == 3.6  # does not round to 3.6: the page's number
    assert figure("3.658", "not a number").value == 3.658
    assert figure("3.658", "inf").value == 3.658
    # a percentage carries its value in percent: 2,976 / 29,760 = 10 %
    assert figure("10.0 %", "10.0").value == pytest.approx(0.1)
    assert figure("12.5%", "12.49").value == pytest.approx(0.1249)
    assert figure("12,640", "12640.3").value == 12640.3
    assert figure("−3.5", "-3.46").value == -3.46


def test_spans_place_cells_as_a_browser_does():
    header = Spans(lambda text: text)
    # | A (rowspan 2) | B (colspan 2)   | C (rowspan 2) |
    # |               | B1      | B2    |               |
    assert header.place(["A", "B", "C"], [(1, 2), (2, 1), (1, 2)]) == ["A", "B", "B", "C"]
    assert header.place(["B1", "B2"], [(1, 1), (1, 1)]) == ["A", "B1", "B2", "C"]
    body = Spans(lambda _: None)
    assert body.place([1, 2], [(1, 3), (1, 1)]) == [1, 2]
    assert body.place([3], [(1, 1)]) == [None, 3]
    assert body.place([], []) == [None]  # the span reaches down past a row with no cells
    assert body.place([4, 5], [(1, 1), (1, 1)]) == [4, 5]


# --- a page as the screens write them ------------------------------------------------------

ZH, EN = "zh-CN", "en"
LABELS = {
    ZH: {
        "title": "预算执行",
        "heading": "分月预算与实际",
        "node": "节点",
        "energy": "能耗",
        "budget": "预算",
        "actual": "实际",
        "deviation": "偏差",
        "year": "年度",
        "month": "月份",
        "whole": "全年",
        "total": "合计",
    },
    EN: {
        "title": "Budgets",
        "heading": "Budget and actual by month",
        "node": "Node",
        "energy": "Energy",
        "budget": "Budget",
        "actual": "Actual",
        "deviation": "Deviation",
        "year": "Year",
        "month": "Month",
        "whole": "whole year",
        "total": "Total",
    },
}
# node, budget [tce], actual [tce], deviation: as a page might show them, in Chinese formatting
ROWS = [
    ("全厂 Site", "12,640.3", "13,206.6", "+4.5%"),
    ("电芯车间", "１，２００．０", "1,158.0", "−3.5%"),
    ("=SUM(A1:A9)", "—", "0.0", "0.0%"),
]


def page(lang: str, rows=ROWS, table_id: str = "budget") -> str:
    """A page in the shape of lingtan's screens (frame, filters, a card with a table)."""
    t = LABELS[lang]
    body = "".join(
        f"<tr data-node='{n}'><td>{n}<div class='muted small'>code</div></td>"
        f"<td class='num'>{b}</td><td class='num' data-value='{a.replace(',', '')}'>{a} tce</td>"
        f"<td class='num'>{d}<form method='post'><button>x</button></form>"
        f"<span hidden>secret</span></td></tr>"
        for n, b, a, d in rows
    )
    return f"""<!doctype html><html lang="{lang}"><head><title>{t["title"]} · lingtan</title>
<script>var x = "<table>";</script></head><body>
<header><form method="get" action="/x"><label for="facility">F</label>
  <select id="facility" name="facility"><option selected>P1</option></select></form></header>
<main data-export="x" data-facility="P1" data-facility-name="一号工厂 Plant 1">
<div class="heading"><h1>{t["title"]} <small>一号工厂 Plant 1 · 2025</small></h1>
<form method="get" action="/budgets" class="filters"><input type="hidden" name="facility" value="P1">
  <label for="year">{t["year"]}</label><input id="year" name="year" type="number" value="2025">
  <label for="month">{t["month"]}</label><select id="month" name="month">
  <option value="">{t["whole"]}</option><option value="7" selected>7</option></select></form></div>
<section class="card"><table class="small" id="other"><tr><td>1</td></tr></table>
<h2>{t["heading"]}</h2>
<table id="{table_id}">
  <thead><tr><th rowspan="2">{t["node"]}</th><th colspan="2">{t["energy"]} [tce]</th>
    <th rowspan="2">{t["deviation"]}</th></tr>
    <tr><th>{t["budget"]}</th><th>{t["actual"]}</th></tr></thead>
  <tfoot><tr><td>{t["total"]}</td><td>13,840.3</td><td>14,364.6 tce</td><td>+3.8%</td></tr></tfoot>
  <tbody>{body}</tbody>
</table></section></main></body></html>"""


# 01:30 UTC is 09:30 in the facility's time zone (UTC+08:00)
EXPORT = Export(
    "budget", ZH, "/budgets?facility=P1&year=2025&month=7", datetime(2026, 3, 5, 1, 30, tzinfo=UTC)
)


def read(content: bytes):
    return load_workbook(io.BytesIO(content))


def values(sheet, first: int = 1):
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=first)]


def test_a_table_in_chinese_formatting_becomes_numbers_under_a_bilingual_header():
    content, name = workbook(page(ZH), page(EN), EXPORT)
    assert name == "lingtan-P1-budgets-budget-20260305-0930.xlsx"
    sheet = read(content)["budget"]
    top = [row[0] for row in values(sheet)[:7]]
    assert top == [
        "分月预算与实际 / Budget and actual by month",
        "页面 / Page: 预算执行 / Budgets — 一号工厂 Plant 1 · 2025",
        "设施 / Facility: 一号工厂 Plant 1 (P1)",
        "期间与筛选 / Period and filters: 年度 / Year: 2025; 月份 / Month: 7",
        "导出时间 / Exported at: 2026-03-05 09:30 (UTC+08:00)",
        "页面地址 / Page address: /budgets?facility=P1&year=2025&month=7",
        None,
    ]
    assert sheet.freeze_panes == "A10"  # under the two header rows
    assert values(sheet, 8)[:2] == [
        [
            "节点 / Node",
            "能耗 [tce] / Energy [tce]",
            "能耗 [tce] / Energy [tce]",
            "偏差 / Deviation",
        ],
        ["节点 / Node", "预算 / Budget", "实际 / Actual", "偏差 / Deviation"],
    ]
    body = list(sheet.iter_rows(min_row=10))
    assert [[c.value for c in row] for row in body] == [
        ["全厂 Site\ncode", 12640.3, 13206.6, pytest.approx(0.045)],
        ["电芯车间\ncode", 1200.0, 1158.0, pytest.approx(-0.035)],
        ["=SUM(A1:A9)\ncode", "—", 0.0, 0.0],
        ["合计", 13840.3, 14364.6, pytest.approx(0.038)],  # the footer comes last
    ]
    formats = [[c.number_format for c in row[1:]] for row in body]
    assert formats[0] == ["#,##0.0", '#,##0.0" tce"', '"+"0.0%;"−"0.0%;0.0%']
    assert formats[1][2] == '0.0%;"−"0.0%;0.0%'
    # text that looks like a formula is text: Excel shows it, never evaluates it, and marks it
    # with its leading apostrophe (not shown) so that editing the cell keeps it text
    assert body[2][0].data_type == "s" and body[2][0].quotePrefix
    assert not body[0][0].quotePrefix
    assert body[1][3].data_type == "n" and body[1][3].value < 0  # a negative number stays one
    assert sheet.auto_filter.ref == "A9:D13"


def test_the_export_time_is_in_the_time_zone_the_page_names():
    # Asia/Urumqi keeps UTC+06:00: 01:30 UTC is 07:30 there
    zoned = page(ZH).replace("<main ", '<main data-time-zone="Asia/Urumqi" ')
    content, name = workbook(zoned, page(EN), EXPORT)
    assert read(content)["budget"]["A5"].value.endswith("2026-03-05 07:30 (UTC+06:00)")
    assert name.endswith("-20260305-0730.xlsx")
    unknown = page(ZH).replace("<main ", '<main data-time-zone="Mars/Olympus" ')
    sheet = read(workbook(unknown, page(EN), EXPORT)[0])["budget"]
    assert sheet["A5"].value.endswith("2026-03-05 09:30 (UTC+08:00)")


def test_an_english_page_keeps_its_body_and_puts_chinese_first_in_the_header():
    english = Export("budget", EN, EXPORT.address, EXPORT.exported_at)
    sheet = read(workbook(page(EN), page(ZH), english)[0])["budget"]
    assert sheet["A1"].value == "分月预算与实际 / Budget and actual by month"
    assert sheet["B9"].value == "预算 / Budget"
    assert sheet["A13"].value == "Total"


def test_tables_are_found_by_id_or_by_number_and_an_unknown_one_is_refused():
    sheet = read(workbook(page(ZH), page(EN), EXPORT)[0])["budget"]
    numbered = read(workbook(page(ZH), page(EN), Export("2", ZH, "/b", EXPORT.exported_at))[0])
    assert values(numbered["table 2"], 8) == values(sheet, 8)
    first = read(workbook(page(ZH), page(EN), Export("1", ZH, "/b", EXPORT.exported_at))[0])
    assert values(first["table 1"], 8) == [[1]]  # a table without header
    for missing in ("3", "nope", "0"):
        with pytest.raises(ExportRefusedError) as refused:
            workbook(page(ZH), page(EN), Export(missing, ZH, "/b", EXPORT.exported_at))
        assert refused.value.status == 404


def test_an_empty_table_gives_its_header_alone():
    empty = Export("budget", ZH, "/b", EXPORT.exported_at)
    sheet = read(workbook(page(ZH, rows=[]), page(EN, rows=[]), empty)[0])["budget"]
    assert values(sheet, 8) == [
        [
            "节点 / Node",
            "能耗 [tce] / Energy [tce]",
            "能耗 [tce] / Energy [tce]",
            "偏差 / Deviation",
        ],
        ["节点 / Node", "预算 / Budget", "实际 / Actual", "偏差 / Deviation"],
        ["合计", 13840.3, 14364.6, pytest.approx(0.038)],
    ]
    bare = "<main><h2>Nothing</h2><table id='t'></table></main>"
    sheet = read(workbook(bare, bare, Export("t", ZH, "/b", EXPORT.exported_at))[0])["t"]
    assert sheet["A1"].value == "Nothing" and sheet.max_row == 7


def test_the_header_is_the_pages_alone_when_the_other_rendering_differs():
    sheet = read(workbook(page(ZH), "<main></main>", EXPORT)[0])["budget"]
    assert sheet["A8"].value == "节点" and sheet["A1"].value == "分月预算与实际"


def test_a_long_table_continues_on_further_sheets(monkeypatch):
    # 7 rows of title block + 2 header rows + 3 body rows fill a sheet of 12 rows
    monkeypatch.setattr(export, "SHEET_ROWS", 12)
    rows = [(f"N{i}", f"{i},000.0", f"{i}.5", f"{i}%") for i in range(1, 9)]
    book = read(workbook(page(ZH, rows), page(EN, rows), EXPORT)[0])
    assert book.sheetnames == ["budget", "budget (2)", "budget (3)"]
    shown = []
    for sheet in book:
        assert sheet.max_row <= 12 and sheet.freeze_panes == "A10"
        assert sheet["B9"].value == "预算 / Budget"
        shown += [row[1] for row in values(sheet, 10)]
    assert book["budget (2)"]["A1"].value.endswith("(续表 2 / continued, part 2)")
    assert shown == [1000.0 * i for i in range(1, 9)] + [13840.3]


def test_a_table_larger_than_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(export, "MAX_CELLS", 20)  # 2 header rows + 4 body rows of 4 = 24
    with pytest.raises(ExportRefusedError) as refused:
        workbook(page(ZH), page(EN), EXPORT)
    assert refused.value.status == 422 and refused.value.key.startswith("The table has more than")
    shown = i18n.texts(ZH).gettext(refused.value.key, **refused.value.values)
    assert "20" in shown and "表格超过" in shown


def test_read_page_stops_at_the_end_of_the_table_and_skips_what_the_page_does_not_show():
    rows = []
    info = read_page(page(ZH), "budget", lambda _info, cells: rows.append(cells))
    assert info.found and info.caption == "分月预算与实际" and info.title == "预算执行"
    assert [f.name for f in info.fields] == ["year", "month"]  # not the facility selector
    assert rows[0][3].text == "+4.5%"  # the cell's form and hidden span are left out
    assert rows[0][2].value == "13206.6"


# --- the middleware on a bare application: no code of the page's own -----------------------


def bare_app(status: int = 200) -> Starlette:
    def budgets(request: Request):
        if "lingtan_session" not in request.cookies:
            return RedirectResponse("/login", status_code=303)
        if request.query_params.get("facility") != "P1":
            return HTMLResponse("<h1>404</h1>", status_code=404)
        lang = i18n.language(request)
        assert "export" not in request.query_params  # the page never sees the export
        return HTMLResponse(page(lang), status_code=status)

    return Starlette(routes=[Route("/budgets", budgets)], middleware=[])


@pytest.fixture
def client():
    app = bare_app()
    app.add_middleware(TableExport)
    return TestClient(app, cookies={"lingtan_session": "s", "lang": "en"}, follow_redirects=False)


def test_any_page_answers_its_export_as_the_page_answers(client):
    answer = client.get("/budgets?facility=P1&year=2025&export=xlsx&table=budget")
    assert answer.status_code == 200 and answer.headers["content-type"] == export.XLSX
    assert answer.headers["content-disposition"].startswith('attachment; filename="lingtan-P1-')
    assert answer.headers["cache-control"] == "no-store"
    sheet = read(answer.content)["budget"]
    assert sheet["A13"].value == "Total"  # the page's language (the cookie): English
    assert sheet["B9"].value == "预算 / Budget"
    assert sheet["A6"].value == "页面地址 / Page address: /budgets?facility=P1&year=2025"
    # the page's own answers: 404, and the sign-in redirect
    assert client.get("/budgets?facility=P2&export=xlsx&table=budget").status_code == 404
    client.cookies.delete("lingtan_session")
    redirect = client.get("/budgets?facility=P1&export=xlsx&table=budget")
    assert redirect.status_code == 303 and redirect.headers["location"] == "/login"


def test_a_malformed_or_unknown_export_is_refused_in_the_pages_language(client):
    for query, status in (("export=csv&table=1", 422), ("export=xlsx", 422),
                          ("export=xlsx&table=9", 404)):  # fmt: skip
        answer = client.get(f"/budgets?facility=P1&{query}")
        assert answer.status_code == status
        assert answer.json()["error"]["message"] in (
            "An export needs export=xlsx and table=the id or number of the table.",
            "The page has no table 9.",
        )
    # a query without export goes to the page untouched
    assert client.get("/budgets?facility=P1&table=1").text == page(EN)


def test_an_export_larger_than_the_bound_is_refused_with_422(client, monkeypatch):
    monkeypatch.setattr(export, "MAX_CELLS", 20)
    answer = client.get("/budgets?facility=P1&export=xlsx&table=budget")
    assert answer.status_code == 422
    assert "20" in answer.json()["error"]["message"]
    monkeypatch.setattr(export, "MAX_PAGE_BYTES", 1000)
    answer = client.get("/budgets?facility=P1&export=xlsx&table=budget")
    assert answer.status_code == 422 and "1,000" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("text", "formula_like"),
    [
        ('=HYPERLINK("http://x","bill")', True),
        ("+1+1", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("-12.5", False),  # a number
        ("+3e5", False),
        ("-.5", False),
        ("Boiler -1", False),
        ("", False),
    ],
)
def test_formula_like_text_is_neutralised_in_csv_and_xlsx(text, formula_like):
    from openpyxl import Workbook

    assert cells.is_formula_like(text) == formula_like
    assert cells.csv_cell(text) == ("'" + text if formula_like else text)
    assert cells.csv_cell(-12.5) == -12.5
    sheet = Workbook().active
    cell = cells.xlsx_text(sheet.cell(row=1, column=1, value=text))
    assert cell.data_type == "s" and cell.value == text and cell.quotePrefix == formula_like
    number = cells.xlsx_text(sheet.cell(row=2, column=1, value=-12.5))
    assert number.data_type == "n" and number.value == -12.5
