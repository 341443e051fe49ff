"""The energy-saving diagnosis of the demo factory: its measures (found and entered), the
chiller plant's baseline and savings, and the report in HTML, PDF and XLSX in both languages,
whose numbers are the service's; the command that writes it."""

import re
import subprocess
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.demo.diagnosis import SAVING
from lingtan.imports.load import facility_by_code
from lingtan.reports.diagnosis import (
    render_diagnosis_html,
    render_diagnosis_pdf,
    render_diagnosis_xlsx,
)
from lingtan.services.diagnosis import diagnosis_data
from lingtan.store.db import make_engine, session_scope


@pytest.fixture(scope="module")
def demo_data(demo_copy, tmp_path_factory):
    url = demo_copy(tmp_path_factory.mktemp("diagnosis"))
    engine = make_engine(url)
    with session_scope(engine) as session:
        data = diagnosis_data(session, facility_by_code(session, None), 2025)
    engine.dispose()
    return url, data


def _measure(data, code):
    return next(m for m in data.measures if m["code"] == code)


def test_the_demo_has_found_and_entered_measures_ranked_by_payback(demo_data):
    _, data = demo_data
    codes = [m["code"] for m in data.measures]
    assert {"CH-OPT", "AIR-LEAK", "HEAT-REC", "standby:office", "renewal:F-1"} <= set(codes)
    paybacks = [m["payback_years"] for m in data.measures if m["payback_years"] is not None]
    assert paybacks == sorted(paybacks)
    # the renewals are the register's replacement estimates
    f1 = _measure(data, "renewal:F-1")
    assert f1["kind"] == "equipment_renewal" and f1["status"] == "found"
    assert f1["details"]["estimate_basis"] == "measured"
    # gas: tce and tCO2 through the fuel's factors, not electricity's
    gas = _measure(data, "HEAT-REC")
    assert gas["unit"] == "Nm3" and gas["energy_saved_tce_per_year"] > 40
    assert gas["cost_saved_cny_per_year"] == 140_000 and gas["payback_years"] == pytest.approx(
        180_000 / 140_000
    )
    standby = _measure(data, "standby:office")
    details = standby["details"]
    assert details["blocks_counted"] > 300 and details["coverage"] == pytest.approx(1.0)
    assert 0 < details["lowest_kw"] < details["mean_standby_kw"] < details["mean_working_kw"]


def test_the_chiller_baseline_finds_the_demos_saving(demo_data):
    _, data = demo_data
    (entry,) = data.enpi
    assert entry["valid"] and entry["code"] == "CH-OPT"
    assert entry["baseline"]["model"] == "3p_cooling" and entry["baseline"]["r2"] > 0.9
    # the demo drew 2024 at 1/(1 - 0.12) of 2025: 2025 saves 12 % of the adjusted baseline
    assert entry["savings_fraction"] == pytest.approx(SAVING, abs=0.01)
    assert (
        abs(entry["savings_fraction"] - SAVING) * sum(entry["expected_kwh"])
        < entry["uncertainty_kwh"]
    )
    assert entry["cusum_kwh"][-1] == pytest.approx(-entry["savings_kwh"])
    assert len(entry["days"]) == 365 and entry["band_kwh"] > 0


def _figures(html: str, element_id: str) -> float:
    found = re.search(rf'id="{element_id}" data-value="([^"]+)"', html)
    assert found, element_id
    return float(found.group(1))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_reports_numbers_are_the_services(demo_data, lang):
    _, data = demo_data
    html = render_diagnosis_html(data, lang)
    assert _figures(html, "kf-tce") == data.energy["energy_tce"]
    assert _figures(html, "kf-saved-tco2") == data.totals["emissions_saved_tco2_per_year"]
    rows = re.findall(
        r'<tr data-code="([^"]+)">.*?class="n tco2" data-value="([^"]*)".*?'
        r'class="n payback" data-value="([^"]*)"',
        html,
        re.S,
    )
    assert [code for code, _, _ in rows] == [m["code"] for m in data.measures]
    for (code, tco2, payback), m in zip(rows, data.measures, strict=True):
        assert float(tco2) == m["emissions_saved_tco2_per_year"], code
        assert payback == ("None" if m["payback_years"] is None else repr(m["payback_years"]))
    saved = re.search(r'class="savings" data-value="([^"]+)"', html).group(1)
    assert float(saved) == data.enpi[0]["savings_kwh"]
    assert html.count("<svg") >= 2  # the EnPI chart with its band and the CUSUM chart
    if lang == "zh-CN":
        assert "节能诊断报告" in html and "能源消费及结构" in html and "设备更新" in html
    else:
        assert "Energy-saving diagnosis report" in html and "Equipment renewal" in html


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_workbook_holds_the_services_figures_at_full_precision(demo_data, lang):
    _, data = demo_data
    book = openpyxl.load_workbook(BytesIO(render_diagnosis_xlsx(data, lang)))
    sheet = book.worksheets[0]
    assert sheet.title == ("节能措施" if lang == "zh-CN" else "Measures")
    header = [c.value for c in sheet[1]]
    tco2 = header.index("年减排 tCO2" if lang == "zh-CN" else "Saved tCO2/a") + 1
    codes = [sheet.cell(row=r, column=2).value for r in range(3, sheet.max_row + 1)]
    assert codes == [m["code"] for m in data.measures]
    for r, m in enumerate(data.measures, start=3):
        assert sheet.cell(row=r, column=tco2).value == m["emissions_saved_tco2_per_year"]
    enpi = book.worksheets[3]
    assert enpi.max_row - 2 == len(data.enpi[0]["days"])
    assert enpi.cell(row=enpi.max_row, column=5).value == data.enpi[0]["cusum_kwh"][-1]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_pdf_renders_with_its_charts(demo_data, lang, tmp_path):
    _, data = demo_data
    pdf = render_diagnosis_pdf(data, lang)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / f"d-{lang}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert ("节能诊断报告" if lang == "zh-CN" else "Energy-saving diagnosis report") in text
    assert "CH-OPT" in text and "renewal:F-1" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 4


def test_the_command_writes_the_report(demo_data, tmp_path):
    url, _ = demo_data
    out = tmp_path / "d.xlsx"
    done = CliRunner().invoke(main, ["--db", url, "--lang", "en", "efficiency", "diagnosis",
                                     "--year", "2025", "--format", "xlsx", "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert Path(out).stat().st_size > 1000
    book = openpyxl.load_workbook(out)
    assert [s.title for s in book.worksheets] == [
        "Measures", "Energy structure", "Equipment grades", "EnPI and CUSUM",
    ]  # fmt: skip
    listed = CliRunner().invoke(main, ["--db", url, "efficiency", "measures", "--year", "2025",
                                       "--format", "json"])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    assert '"code": "CH-OPT"' in listed.stdout


def test_bad_working_hours_on_the_command_line_are_refused(demo_data):
    url, _ = demo_data
    done = CliRunner().invoke(main, ["--db", url, "efficiency", "measures", "--year", "2025",
                                     "--find", "--working-hours", "office"])  # fmt: skip
    assert done.exit_code == 2
    assert "NODE=SPEC" in done.stderr
