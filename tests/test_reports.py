"""GB/T 32150 inventory reports: HTML, PDF and XLSX in zh-CN and English.

The PDF checks need poppler-utils (pdftotext, pdffonts) and the Noto CJK fonts
(fonts-noto-cjk); they fail, not skip, when those are missing: see .ci/apt-packages.txt.
"""

import dataclasses
import hashlib
import io
import math
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lingtan.reports import (
    MissingFontError,
    ReportData,
    charts,
    html_to_pdf,
    render_html,
    render_pdf,
    render_xlsx,
    report_filename,
    write_reports,
)
from lingtan.reports.i18n import fmt_fixed, fmt_sig
from lingtan.reports.view import build_view, source_code

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-cell-plant.yaml"

ZH_SECTIONS = [
    "1 报告主体",
    "2 核算边界与排放源",
    "3 活动数据",
    "4 排放因子及来源",
    "5 排放量",
    "6 综合能源消费量与排放强度",
    "7 不确定性与数据质量",
    "8 重新计算记录",
    "9 警示信息",
]
EN_SECTIONS = [
    "1 Reporting entity (报告主体)",
    "2 Boundary and emission sources (核算边界与排放源)",
    "3 Activity data (活动数据)",
    "4 Emission factors and their sources (排放因子及来源)",
    "5 Emissions (排放量)",
    "6 Energy consumption and intensity (综合能源消费量与排放强度)",
    "7 Uncertainty and data quality (不确定性与数据质量)",
    "8 Restatements (重新计算记录)",
    "9 Warnings (警示信息)",
]
# The demo's totals as docs/calc.md prints them, three decimals with separators.
FORMATTED_TOTALS = ["48,417.298", "6,790.737", "41,626.561", "22,853.350", "13,206.638"]


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: install poppler-utils (sudo scripts/setup-machine test)"
    return path


@pytest.fixture(scope="module")
def data() -> ReportData:
    return ReportData.example(DEMO)


@pytest.fixture(scope="module")
def html(data) -> dict[str, str]:
    return {lang: render_html(data, lang) for lang in ("zh-CN", "en")}


@pytest.fixture(scope="module")
def pdf(data) -> dict[str, bytes]:
    return {lang: render_pdf(data, lang) for lang in ("zh-CN", "en")}


@pytest.fixture(scope="module")
def xlsx(data) -> dict[str, bytes]:
    return {lang: render_xlsx(data, lang) for lang in ("zh-CN", "en")}


class Page(HTMLParser):
    """Ids, in-page links, element classes by id, and external references of an HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.ids: dict[str, str] = {}  # id -> class
        self.links: list[str] = []
        self.external: list[str] = []
        self.tags: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if "id" in attrs:
            assert attrs["id"] not in self.ids, f"duplicate id {attrs['id']}"
            self.ids[attrs["id"]] = attrs.get("class") or ""
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and value.startswith("#"):
                self.links.append(value[1:])
            elif value:
                self.external.append(value)


# ---------------------------------------------------------------- environment


def test_the_cjk_font_is_installed():
    assert charts.cjk_font() == "Noto Sans CJK SC", "install fonts-noto-cjk"


def test_no_cjk_font_fails_with_a_clear_message(data, no_cjk_font, tmp_path):
    # what is missing, what to install, and what can be had without it; nothing written
    for formats in (("html",), ("xlsx", "pdf")):
        with pytest.raises(MissingFontError) as refused:
            write_reports(data, tmp_path / "out", formats=formats)
        message = str(refused.value)
        assert "need a CJK font" in message and "apt-get install fonts-noto-cjk" in message
        assert "XLSX report needs no font" in message
        assert not (tmp_path / "out").exists()
    (written,) = write_reports(data, tmp_path / "out", ("en",), ("xlsx",))
    assert written.name.endswith("-en.xlsx")


# ---------------------------------------------------------------- data


def test_example_data_is_the_demo_result(data):
    assert data.result["totals"]["total_tco2e"] == 48417.29781447241
    assert {r["source_id"] for r in data.activity} == {
        line["source_id"] for line in data.result["lines"]
    }
    monthly = sum(sum(m["by_category_tco2e"].values()) for m in data.monthly)
    assert monthly == pytest.approx(data.result["totals"]["total_tco2e"], rel=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "final"}, "status 'final'"),
        ({"status": "locked", "locked_at": None}, "needs locked_at"),
        ({"period_end": date(2024, 1, 1)}, "before period_start"),
        ({"result": {"totals": {}}}, "result has no 'lines'"),
    ],
)
def test_report_data_refuses_inconsistent_data(data, change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(data, **change)


def test_report_data_refuses_records_of_unknown_origin_or_source(data):
    record = {**data.activity[0], "origin": "guess", "source_id": "boiler-9"}
    with pytest.raises(ValueError, match=r"origin 'guess'.*source_id 'boiler-9'"):
        dataclasses.replace(data, activity=[record])


# ---------------------------------------------------------------- HTML


def test_html_zh_has_the_chinese_sections_and_totals(html):
    page = html["zh-CN"]
    assert '<html lang="zh-CN">' in page
    for title in ZH_SECTIONS:
        assert f"{title}</" in page, title
    for number in FORMATTED_TOTALS:
        assert number in page, number
    for term in ("排放总量", "范围一", "范围二（基于位置）", "范围二（基于市场）", "范围三"):
        assert term in page
    assert "生物质二氧化碳" in page and "扣减量" in page and "单位能耗碳排放" in page


def test_html_en_has_english_sections_with_the_official_chinese_terms(html):
    page = html["en"]
    for title in EN_SECTIONS:
        assert f"{title}</" in page, title
    for number in FORMATTED_TOTALS:
        assert number in page, number
    for term in (
        "Fuel combustion emissions (燃料燃烧排放)",
        "Emissions of purchased electricity and heat (购入的电力、热力产生的排放)",
        "Stationary fuel combustion (化石燃料燃烧排放)",
        "GB/T 32150 total (排放总量)",
        "Scope 2 market-based (范围二（基于市场）)",
        "Energy consumption (综合能源消费量)",
    ):
        assert term in page, term


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_line_is_linked_to_its_records_and_factor_rows(data, html, lang):
    page = Page(html[lang])
    assert not set(page.links) - set(page.ids), "links to nothing"
    factors = list(data.result["factors"])
    # a calc file: no ``@`` in the ids, so each line is a source of its own, S1 is L1
    for number, line in enumerate(data.result["lines"], start=1):
        assert {f"src-{number}", f"act-{number}", f"line-{number}"} <= set(page.ids)
        assert line["source_id"] in html[lang]
        assert f"src-{number}" in page.links and f"act-{number}" in page.links
        for use in line["factors"]:
            if use["ref"]:
                assert f"fac-{factors.index(use['ref']) + 1}" in page.links
    for record in data.activity:
        assert f"rec-{record['record_id']}" in page.ids
    assert all(f"fac-{n}" in page.ids for n in range(1, len(factors) + 1))


@pytest.mark.parametrize(("lang", "badge"), [("zh-CN", "未核实"), ("en", "UNVERIFIED")])
def test_unverified_factors_are_flagged(data, html, lang, badge):
    page = Page(html[lang])
    for number, (ref, factor) in enumerate(data.result["factors"].items(), start=1):
        unverified = factor["status"] == "unverified"
        assert ("unv" in page.ids[f"fac-{number}"]) == unverified, ref
    unverified = [f for f in data.result["factors"].values() if f["status"] == "unverified"]
    assert len(unverified) == 7
    row = re.search(r'<tbody id="fac-3" class="unv">.*?</tbody>', html[lang], re.S)
    assert row and badge in row.group(0)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_html_is_self_contained(html, lang):
    page = Page(html[lang])
    assert not page.external, "the report must not load anything: factories run offline"
    assert "script" not in page.tags and "link" not in page.tags
    assert page.tags >= {"svg", "style"}
    assert html[lang].count("<svg") == 2  # by category, by month


def test_html_escapes_the_data(data):
    evil = dataclasses.replace(data, organization_name="<script>alert(1)</script> & Co")
    page = render_html(evil, "en")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


def test_html_is_reproducible(data, html):
    assert render_html(data, "zh-CN") == html["zh-CN"]


def test_records_that_do_not_add_up_are_reported(data):
    changed = [dict(r) for r in data.activity]
    changed[0]["quantity"] += 1000.0  # boiler-1, now 1,876,287 Nm3 against 1,875,287
    page = render_html(dataclasses.replace(data, activity=changed), "en")
    assert "DIFFERS" in page
    assert "sum to 1,876,287 Nm3, but the inventory uses 1,875,287 Nm3" in page


def test_lines_without_records_use_the_input_quantity(data):
    page = render_html(dataclasses.replace(data, activity=[], monthly=[]), "zh-CN")
    assert page.count("无活动数据记录") == len(data.result["lines"])
    assert "无逐月数据" in page and page.count("<svg") == 1


def test_a_draft_says_so(data):
    draft = dataclasses.replace(data, status="computed", locked_at=None)
    assert "DRAFT" in render_html(draft, "en")
    assert "草稿" in render_html(draft, "zh-CN")


def test_unknown_language_is_refused(data):
    with pytest.raises(ValueError, match="not one of zh-CN, en"):
        render_html(data, "fr")


# ---------------------------------------------------------------- PDF


def pdftotext(content: bytes) -> str:
    run = subprocess.run(
        [tool("pdftotext"), "-enc", "UTF-8", "-", "-"], input=content, capture_output=True
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.decode("utf-8")


def pdffonts(content: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(font name, embedded yes/no) of every font of the PDF."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    run = subprocess.run([tool("pdffonts"), str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = run.stdout.splitlines()[2:]
    return [(row.split()[0], row.split()[-5]) for row in rows]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_pdf_is_a_pdf(pdf, lang):
    assert pdf[lang].startswith(b"%PDF-")


def test_pdf_zh_text_is_chinese(pdf):
    text = pdftotext(pdf["zh-CN"])
    for expected in (
        "排放总量",
        "Demo Cell Plant",
        "报告主体",
        "示范新能源科技有限公司",
        "48,417.298",
    ):
        assert expected in text, expected
    assert "第 2 页，共" in text  # page numbers


def test_pdf_en_text(pdf):
    text = pdftotext(pdf["en"])
    for expected in ("Reporting entity", "报告主体", "Demo Cell Plant", "48,417.298", "Page 2 of"):
        assert expected in text, expected
    # running header: facility and period on the pages after the first
    assert "Demo Cell Plant · 2025-01-01 – 2025-12-31" in text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_pdf_embeds_a_cjk_font(pdf, lang, tmp_path):
    fonts = pdffonts(pdf[lang], tmp_path)
    cjk = [(name, emb) for name, emb in fonts if re.search(r"Noto.*CJK", name)]
    assert cjk, f"no Noto CJK font in {fonts}"
    assert all(emb == "yes" for _, emb in cjk)


def test_pdf_parses_a_style_sheet_once_and_still_applies_it(monkeypatch):
    import weasyprint

    from lingtan.reports import pdf as pdf_module

    pdf_module._stylesheet.cache_clear()
    parsed, css = [], weasyprint.CSS
    monkeypatch.setattr(weasyprint, "CSS", lambda **kw: parsed.append(kw) or css(**kw))
    page = '<html><head><style>p::after { content: "from the style"; }</style></head>'
    for body in ("<p>first</p>", "<p>second</p>"):
        text = pdftotext(html_to_pdf(f"{page}<body>{body}</body></html>"))
        assert "from the style" in text
    assert len(parsed) == 1


# ---------------------------------------------------------------- XLSX


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_xlsx_sheets(xlsx):
    assert workbook(xlsx["zh-CN"]).sheetnames == [
        "汇总",
        "排放源",
        "核算明细",
        "活动数据",
        "排放因子",
        "排放源参数",
        "逐月排放",
        "重新计算",
    ]
    assert workbook(xlsx["en"]).sheetnames == [
        "Summary",
        "Sources",
        "Lines",
        "Activity",
        "Factors",
        "Parameters",
        "Monthly",
        "Restatements",
    ]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_xlsx_totals_are_the_result_at_full_precision(data, xlsx, lang):
    summary = workbook(xlsx[lang]).worksheets[0]
    values = {row[2]: row[3] for row in summary.iter_rows(min_row=3, values_only=True)}
    totals = data.result["totals"]
    checked = 0
    for key, value in totals.items():
        if isinstance(value, float):
            assert values[f"totals.{key}"] == value, key  # exactly, not approximately
            assert type(values[f"totals.{key}"]) in (float, int)
            checked += 1
        elif isinstance(value, dict) and key.startswith("by_"):
            for sub, number in value.items():
                assert values[f"totals.{key}.{sub}"] == number, (key, sub)
                checked += 1
    assert checked >= 25
    assert values["totals.total_tco2e"] == 48417.29781447241
    intensity = totals["intensities"][0]["tco2e_per_unit"]
    assert values["totals.intensities[0].tco2e_per_unit"] == intensity


def test_xlsx_lines_activity_factors(data, xlsx):
    wb = workbook(xlsx["en"])
    emissions = [line["emissions_tco2e"] for line in data.result["lines"]]
    sources = list(wb["Sources"].iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in sources] == [line["source_id"] for line in data.result["lines"]]
    assert [row[16] for row in sources] == emissions  # a calc file: one source per line
    lines = list(wb["Lines"].iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in lines] == [line["source_id"] for line in data.result["lines"]]
    assert [row[16] for row in lines] == emissions
    activity = list(wb["Activity"].iter_rows(min_row=3, values_only=True))
    assert len(activity) == len(data.activity)
    assert [row[9] for row in activity] == [r["quantity"] for r in data.activity]
    assert all(isinstance(row[9], int | float) for row in activity)
    factors = list(wb["Factors"].iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in factors] == list(data.result["factors"])
    assert sum(row[20] == "unverified" for row in factors) == 7
    restatements = list(wb["Restatements"].iter_rows(min_row=3, values_only=True))
    assert restatements[0][5] == data.result["totals"]["total_tco2e"]


@pytest.mark.parametrize(
    ("lang", "first", "second"), [("zh-CN", "排放源", "Source"), ("en", "Source", "排放源")]
)
def test_xlsx_headers_are_bilingual_and_frozen(xlsx, lang, first, second):
    for ws in workbook(xlsx[lang]).worksheets:
        assert ws.freeze_panes in ("A3", "B3", "C3"), ws.title
        assert ws.column_dimensions["A"].width >= 6
        assert ws.cell(row=1, column=1).value and ws.cell(row=2, column=1).value
    lines = workbook(xlsx[lang]).worksheets[1]
    assert (lines["B1"].value, lines["B2"].value) == (first, second)


# ---------------------------------------------------------------- files


def test_write_reports(data, tmp_path):
    paths = write_reports(data, tmp_path / "out", formats=("html", "xlsx"))
    assert [p.name for p in paths] == [
        "inventory-12-DCP-01-2025-zh-CN.html",
        "inventory-12-DCP-01-2025-zh-CN.xlsx",
        "inventory-12-DCP-01-2025-en.html",
        "inventory-12-DCP-01-2025-en.xlsx",
    ]
    assert paths[0].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_reports_writes_nothing_on_bad_arguments(data, tmp_path):
    with pytest.raises(ValueError, match="fr"):
        write_reports(data, tmp_path / "a", langs=("en", "fr"))
    with pytest.raises(ValueError, match="docx"):
        write_reports(data, tmp_path / "b", formats=("html", "docx"))
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("start", "end", "code", "name"),
    [
        (date(2025, 3, 1), date(2025, 3, 31), "DCP-01", "inventory-12-DCP-01-2025-03-en.pdf"),
        (
            date(2025, 1, 1),
            date(2025, 6, 30),
            "DCP 01/ab",
            "inventory-12-DCP-01-ab-20250101-20250630-en.pdf",
        ),
        (date(2024, 1, 1), date(2024, 12, 31), "苏州一厂", "inventory-12-苏州一厂-2024-en.pdf"),
    ],
)
def test_report_filename(data, start, end, code, name):
    changed = dataclasses.replace(data, period_start=start, period_end=end, facility_code=code)
    assert report_filename(changed, "en", "pdf") == name


# ---------------------------------------------------------------- formats


def test_number_formats():
    assert fmt_fixed(15562.065408106666) == "15,562.065"
    assert fmt_fixed(-0.0001) == "0.000"
    assert fmt_fixed(None) == "—"
    assert fmt_sig(0.015300000000000001) == "0.0153"
    assert fmt_sig(38931.0) == "38,931"
    assert fmt_sig(0.007781032704053333, 4) == "0.007781"


def test_times_are_shown_in_the_facility_time_zone(data):
    moment = datetime(2026, 2, 10, 17, 30, 12, 345678, tzinfo=UTC).astimezone()
    page = render_html(dataclasses.replace(data, created_at=moment), "zh-CN")
    assert "<td>2026-02-11 01:30</td>" in page  # Asia/Shanghai (UTC+8) by default, no seconds
    berlin = dataclasses.replace(data, created_at=moment, time_zone="Europe/Berlin")
    assert "<td>2026-02-10 18:30</td>" in render_html(berlin, "en")  # UTC+1 in February
    assert " UTC" not in page


def test_factor_validity_outside_the_period_is_marked(html):
    # gbt-32150-2025 takes effect 2026-07-01, after the 2025 period of the demo
    row = re.search(r"gbt-32150-2025@1:purchased_heat\.co2.*?</tbody>", html["en"], re.S)
    assert row and "2026-07-01 – … (does not cover the reporting period)" in row.group(0)
    # the factor row and the engine's warning of section 9, translated
    assert html["zh-CN"].count("未覆盖核算期") == 2


EVERY_KIND = """\
facility: {name: 全品类测试厂, region: Sichuan}
period: {start: 2025-01-01, end: 2025-06-30}
gwp: AR6
sources:
  - {id: boiler, kind: fuel_combustion, fuel: 烟煤, quantity: 5000, unit: t, uncertainty_pct: 3, factor_uncertainty_pct: 5}
  - {id: bio, kind: biomass_combustion, quantity: 800, unit: t, factor: 1.5, factor_unit: t/t}
  - {id: kiln, kind: process_carbonate, carbonate: limestone, quantity: 2000, unit: t, purity: 0.9}
  - id: reactor
    kind: process_mass_balance
    inputs: [{name: coke, quantity: 100, unit: t, carbon_fraction: 0.85}]
  - {id: grid, kind: purchased_electricity, quantity: 30000, unit: MWh, uncertainty_pct: 1}
  - {id: export, kind: exported_electricity, quantity: 2000, unit: MWh}
  - {id: heat-out, kind: exported_heat, quantity: 1000, unit: GJ}
  - {id: co2-sold, kind: recovered_co2, quantity: 500, unit: t}
  - {id: travel, kind: other, quantity: 100000, unit: km, factor: 0.15, factor_unit: kgCO2e/km, scope: 3, category: 6}
instruments:
  - {id: gp-1, kind: green_power, quantity: 10000, unit: MWh, serial: "GP-2025-0001", vintage: 2025H1}
production:
  - {name: 水泥熟料, quantity: 50000, unit: t}
"""


def test_a_report_of_every_kind(tmp_path):
    path = tmp_path / "every-kind.yaml"
    path.write_text(EVERY_KIND, encoding="utf-8")
    data = ReportData.example(path)
    totals = data.result["totals"]
    assert totals["deductions_tco2e"] < 0 and totals["biogenic_co2_t"] == 1200.0
    for lang in ("zh-CN", "en"):
        page = render_html(data, lang)
        assert not set(Page(page).links) - set(Page(page).ids)
        assert fmt_fixed(totals["deductions_tco2e"]) in page and "1,200.000" in page
        assert fmt_fixed(totals["scope3_tco2e"]) in page
        assert ("范围三类别 6" if lang == "zh-CN" else "Scope 3 category 6") in page
        assert page.count("<svg") == 2
        summary = workbook(render_xlsx(data, lang)).worksheets[0]
        values = {row[2]: row[3] for row in summary.iter_rows(min_row=3, values_only=True)}
        assert values["totals.deductions_tco2e"] == totals["deductions_tco2e"]
    # the mass balance has no single quantity, so no records: the report says so
    assert "No activity records" in render_html(data, "en")
    # a calc file: each line is a source of its own, with the line's figures as they are
    view = build_view(data)
    for source, line in zip(view.sources, data.result["lines"], strict=True):
        assert (source.code, source.grouped) == (line["source_id"], False)
        assert source.emissions_tco2e == line["emissions_tco2e"]
        assert source.uncertainty_pct == line["uncertainty_pct"]
        assert (source.quantity, source.unit) == (line["quantity"], line["unit"])


def test_report_data_takes_iso_text_for_dates(data):
    changed = dataclasses.replace(
        data, period_start="2025-01-01", created_at="2026-02-10T09:30:00+00:00"
    )
    assert changed.period_start == date(2025, 1, 1)
    assert changed.created_at == datetime(2026, 2, 10, 9, 30, tzinfo=UTC)


# ---------------------------------------------------------------- sources of record lines

# As an inventory from the store: one line per activity record, ``<source>@<period start>``.
# The boiler's NCV is measured from February on (a parameter whose value varies); the grid's
# February bill is in kWh (units that differ); the kiln is a line of a calc file (no ``@``).
RECORD_LINES = """\
facility: {name: 分组测试厂, region: Jiangsu}
period: {start: 2025-01-01, end: 2025-03-31}
sources:
  - {id: boiler@2025-01-01, name: 1# 锅炉, kind: fuel_combustion, fuel: natural_gas, quantity: 100000, unit: Nm3, uncertainty_pct: 2}
  - {id: boiler@2025-02-01, name: 1# 锅炉, kind: fuel_combustion, fuel: natural_gas, quantity: 90000, unit: Nm3, ncv: 392.0, ncv_unit: GJ/(10^4 Nm3), uncertainty_pct: 2}
  - {id: boiler@2025-03-01, name: 1# 锅炉, kind: fuel_combustion, fuel: natural_gas, quantity: 80000, unit: Nm3, ncv: 392.0, ncv_unit: GJ/(10^4 Nm3), uncertainty_pct: 3}
  - {id: grid@2025-01-01, kind: purchased_electricity, quantity: 5000, unit: MWh}
  - {id: grid@2025-02-01, kind: purchased_electricity, quantity: 4800000, unit: kWh}
  - {id: grid@2025-03-01, kind: purchased_electricity, quantity: 5100, unit: MWh}
  - {id: kiln, kind: process_carbonate, carbonate: limestone, quantity: 2000, unit: t, purity: 0.9}
instruments:
  - {id: gec-1, kind: gec, quantity: 3000, unit: certificates, sources: [grid@2025-01-01, grid@2025-02-01, grid@2025-03-01]}
"""


@pytest.fixture(scope="module")
def records_data(tmp_path_factory) -> ReportData:
    """Report data shaped as the store's: one record per ``@`` line, none for the kiln."""
    path = tmp_path_factory.mktemp("records") / "record-lines.yaml"
    path.write_text(RECORD_LINES, encoding="utf-8")
    data = ReportData.example(path)
    activity, monthly = [], {}
    for number, line in enumerate(data.result["lines"], start=1):
        code, start = source_code(line["source_id"])
        if start is None:
            continue
        first = date.fromisoformat(start)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        filename = f"{code}-{first:%Y-%m}.csv"
        activity.append(
            {
                "record_id": 100 + number,
                "source_id": line["source_id"],
                "source_name": line["name"] or code,
                "kind": line["kind"],
                "period_start": first,
                "period_end": last,
                "quantity": line["quantity"],
                "unit": line["unit"],
                "origin": "meter",
                "quality_note": None,
                "evidence": [
                    {"sha256": hashlib.sha256(filename.encode()).hexdigest(), "filename": filename}
                ],
            }
        )
        kinds = monthly.setdefault(f"{first:%Y-%m}", {})
        kinds[line["kind"]] = kinds.get(line["kind"], 0.0) + line["emissions_tco2e"]
    months = [{"month": m, "by_category_tco2e": k} for m, k in sorted(monthly.items())]
    return dataclasses.replace(data, activity=activity, monthly=months)


def test_source_code_of_a_line_id():
    assert source_code("boiler-1@2025-01-01") == ("boiler-1", "2025-01-01")
    assert source_code("a@b@2025-12-01") == ("a@b", "2025-12-01")
    assert source_code("boiler-1") == ("boiler-1", None)
    assert source_code("team@site") == ("team@site", None)  # not a date: a source of its own


def test_record_lines_are_summed_per_source(records_data):
    lines, totals = records_data.result["lines"], records_data.result["totals"]
    view = build_view(records_data)
    boiler, grid, kiln = view.sources
    assert [(s.label, s.code, len(s.lines)) for s in view.sources] == [
        ("S1", "boiler", 3),
        ("S2", "grid", 3),
        ("S3", "kiln", 1),
    ]
    assert boiler.emissions_tco2e == math.fsum(line["emissions_tco2e"] for line in lines[:3])
    assert boiler.quantity == 270000.0 and boiler.unit == "Nm3"
    assert boiler.activity == math.fsum(line["activity"] for line in lines[:3])
    assert boiler.gases_t == {"CO2": math.fsum(line["gases_t"]["CO2"] for line in lines[:3])}
    assert grid.market_emissions_tco2e == math.fsum(
        line["market_emissions_tco2e"] for line in lines[3:6]
    )
    # kWh and MWh are not added up; the canonical activity (MWh) is
    assert grid.quantity is None and grid.units == ["MWh", "kWh"]
    assert grid.activity == 14900.0 and grid.activity_unit == "MWh"
    # a line without ``@`` is its own source, its figures as they are
    assert kiln.emissions_tco2e == lines[6]["emissions_tco2e"] and not kiln.grouped
    # section totals: fsum over the lines of the sources is the result's total, exactly
    in_total = [s for s in view.sources if s.gbt32150_category]
    assert view.sum_of("emissions_tco2e", in_total) == totals["total_tco2e"]
    assert view.sum_of("energy_tce") == totals["energy_tce"]
    assert view.sum_of("co2_t", in_total) == totals["total_co2_t"]
    assert math.fsum(s.emissions_tco2e for s in in_total) == pytest.approx(
        totals["total_tco2e"], rel=1e-15
    )
    # IPCC Approach 1 over the records: sqrt(sum((U_i x_i)^2)) / |sum(x_i)|
    terms = [(line["emissions_tco2e"], line["uncertainty_pct"]) for line in lines[:3]]
    expected = math.sqrt(sum((u * x) ** 2 for x, u in terms)) / abs(sum(x for x, _ in terms))
    assert boiler.uncertainty_pct == pytest.approx(expected, rel=1e-12)
    assert boiler.uncertainty_coverage_pct == 100.0 and grid.uncertainty_pct is None
    # factors once each; the NCV once per value, with the lines that used it
    ncv = [use for use in boiler.factor_uses if use.role == "NCV"]
    assert [(use.value, [v.label for v in use.lines]) for use in ncv] == [
        (389.31, ["L1"]),
        (392.0, ["L2", "L3"]),
    ]
    assert all(use.varies for use in ncv)
    assert len(boiler.factor_uses) == len({(u.role, u.value) for u in boiler.factor_uses})
    # an instrument's allocation over the grid's lines is one figure for the source
    [(source, code, mwh)] = view.allocation(records_data.result["instruments"][0])
    assert source is grid and code == "grid" and mwh == pytest.approx(3000.0, rel=1e-12)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_record_lines_report_per_source_with_links(records_data, lang):
    html = render_html(records_data, lang)
    page = Page(html)
    assert not set(page.links) - set(page.ids), "links to nothing"
    view = build_view(records_data)
    for source in view.sources:
        assert {source.anchor, source.activity_anchor} <= set(page.ids)
        assert {source.anchor, source.activity_anchor} <= set(page.links)
        row = re.search(rf'<tr id="{source.anchor}".*?</tr>', html, re.S)
        assert row and fmt_fixed(source.emissions_tco2e) in row.group(0)
        for n in source.factor_numbers:
            assert f'href="#fac-{n}"' in row.group(0)
    for line in view.lines:  # each record line, in its source's block of records
        assert line.anchor in page.ids
    for record in records_data.activity:
        assert f"rec-{record['record_id']}" in page.ids
    # sources in 5.2, not record lines: one row each, and the total is the result's
    table = re.search(r'<h3 id="s5-2">.*?</table>', html, re.S).group(0)
    assert table.count('<tr id="src-') == 3 and "@2025" not in table
    assert fmt_fixed(records_data.result["totals"]["total_tco2e"]) in table
    # each record's own emissions in section 3; the varying NCV links to its lines
    section3 = re.search(r'<section id="s3">.*?</section>', html, re.S).group(0)
    for line in records_data.result["lines"][:6]:
        assert fmt_fixed(line["emissions_tco2e"]) in section3
    assert '<a href="#line-2">2025-02-01</a>, <a href="#line-3">2025-03-01</a>' in html
    differ = "单位不同（MWh, kWh），未合计" if lang == "zh-CN" else "units differ (MWh, kWh)"
    assert differ in html


def test_record_lines_xlsx_sources_lines_and_records(records_data):
    wb = workbook(render_xlsx(records_data, "en"))
    view = build_view(records_data)
    lines = records_data.result["lines"]
    header = [cell.value for cell in wb["Sources"][1]]
    sources = list(wb["Sources"].iter_rows(min_row=3, values_only=True))
    assert [row[:2] for row in sources] == [("S1", "boiler"), ("S2", "grid"), ("S3", "kiln")]
    column = {name: header.index(name) for name in header}
    assert [row[column["Emissions tCO2e"]] for row in sources] == [
        s.emissions_tco2e for s in view.sources
    ]
    assert sources[1][column["Quantity"]] is None
    assert sources[1][column["Unit"]] == "units differ (MWh, kWh): not added up"
    assert sources[1][column["Activity data"]] == 14900.0
    assert sources[0][column["Lines"]] == "L1\nL2\nL3"
    assert "(L2, L3)" in sources[0][column["Factor rows"]]
    # full detail: every line and every record, with its own emissions
    rows = list(wb["Lines"].iter_rows(min_row=3, values_only=True))
    assert [row[:3] for row in rows] == [
        (f"L{n}", line["source_id"], f"S{min(3, (n + 2) // 3)}")
        for n, line in enumerate(lines, start=1)
    ]
    assert [row[16] for row in rows] == [line["emissions_tco2e"] for line in lines]
    records = list(wb["Activity"].iter_rows(min_row=3, values_only=True))
    assert [row[11] for row in records] == [line["emissions_tco2e"] for line in lines[:6]]
    assert [row[2] for row in records] == ["S1"] * 3 + ["S2"] * 3


def test_xlsx_never_runs_text_of_the_data_as_a_formula(data):
    evil = dataclasses.replace(data, organization_name='=HYPERLINK("http://evil","Co")')
    book = workbook(render_xlsx(evil, "en"))
    found = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == evil.organization_name
    ]
    assert found and all(c.data_type == "s" and c.quotePrefix for c in found)
    numbers = [
        c for s in book.worksheets for row in s.iter_rows() for c in row if c.data_type == "n"
    ]
    assert numbers and not any(c.quotePrefix for c in numbers)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_total_whose_uncertainty_covers_little_is_marked_in_7_1(data, lang):
    """§7.1 marks "low coverage" beside a total that quotes an uncertainty with under 50 %
    coverage, and nowhere else (not beside a total without an uncertainty)."""
    import copy

    result = copy.deepcopy(data.result)
    totals = result["totals"]
    totals["uncertainty_pct"] = {**totals["uncertainty_pct"], "total_tco2e": 4.0}
    totals["uncertainty_coverage_pct"] = {
        **totals["uncertainty_coverage_pct"], "total_tco2e": 30.0, "scope1_tco2e": 80.0
    }  # fmt: skip
    page = render_html(dataclasses.replace(data, result=result), lang)
    section = page[page.index('id="s7-1"') : page.index('id="s7-2"')]
    marker = "覆盖率低" if lang == "zh-CN" else "low coverage"
    table = section[: section.index("</table>")]
    rows = [row for row in table.split("<tr>") if f'<strong class="warn">{marker}' in row]
    assert len(rows) == 1 and "30.0" in rows[0], rows
