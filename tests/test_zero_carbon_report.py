"""The zero-carbon-factory report and the climate-disclosure data pack of the demo factory:
every figure equals the same figure elsewhere in lingtan (``lingtan inventory show``,
``lingtan evaluate --facility --period --format json``, ``lingtan ledger balance``), hand-checked
where it is a sum; the XLSX cells read back; bad input is refused with nothing written."""

import json
import re
from io import BytesIO

import openpyxl
import pytest
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.evaluation.rules import shipped_rule_set
from lingtan.i18n.catalog import MISSES
from lingtan.imports.load import facility_by_code
from lingtan.reports.zero_carbon import (
    render_disclosure_xlsx,
    render_zero_carbon_html,
    render_zero_carbon_pdf,
    render_zero_carbon_xlsx,
)
from lingtan.services.disclosure import disclosure_document
from lingtan.services.zero_carbon import zero_carbon_data
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import EfficiencyMeasure, FacilityTarget

FACILITY, YEAR, SCHEME = "JS-CELL-01", 2025, "suzhou-2026"
#: The demo's illustrative ledger (lingtan.demo.ledger) and inventory, by hand: 18,000 GECs and
#: 12,000 MWh of green power retired for 2025, 3,720 MWh of rooftop PV, 66,264 MWh consumed.
RENEWABLE_PCT = (18000 + 12000 + 3720) / 66264 * 100


@pytest.fixture(scope="module")
def url(demo):
    return f"sqlite:///{demo[0] / 'lingtan.db'}"


def run(url, *args, code=0):
    done = CliRunner().invoke(main, ["--lang", "en", "--db", url, *args])
    assert done.exit_code == code, done.output
    return done


@pytest.fixture(scope="module")
def data(url):
    engine = make_engine(url)
    with session_scope(engine) as session:
        facility = facility_by_code(session, FACILITY)
        made = zero_carbon_data(session, facility, YEAR, shipped_rule_set(SCHEME))
    engine.dispose()
    return made


@pytest.fixture(scope="module")
def inventory(url):
    return json.loads(run(url, "inventory", "show", "1", "--format", "json").stdout)


def data_values(html: str, key: str) -> dict[str, str]:
    """``data-<key>`` → the first ``data-value`` of its row (the figure at full precision)."""
    row = rf'data-{key}="([^"]+)"[^>]*>(?:(?!</tr>).)*?data-value="([^"]*)"'
    return dict(re.findall(row, html, re.S))


def test_the_inventory_figures_are_the_locked_snapshot(data, inventory):
    totals = inventory["result"]["totals"]
    assert data.inventory["id"] == inventory["id"] and inventory["status"] == "locked"
    assert data.inventory["result_sha256"] == inventory["result_sha256"]
    for key in ("scope1_tco2e", "scope2_location_tco2e", "scope2_market_tco2e", "scope3_tco2e",
                "total_tco2e", "energy_tce"):  # fmt: skip
        assert data.totals[key] == totals[key]
    html = render_zero_carbon_html(data, "en")
    rows = data_values(html, "key")
    assert float(rows["scope1_tco2e"]) == totals["scope1_tco2e"]
    assert float(rows["scope2_location_tco2e"]) == totals["scope2_location_tco2e"]
    assert float(rows["scope2_market_tco2e"]) == totals["scope2_market_tco2e"]
    assert "Scope 2 location-based" in html and "Scope 2 market-based" in html
    # the activity records of each scope are the inventory's own lineage
    links = inventory["lineage"]["lines"]
    scope1 = {links[line["source_id"]]["activity_record_id"]
              for line in inventory["result"]["lines"] if line["ghg_scope"] == 1}  # fmt: skip
    assert set(data.scope_records["1"]) == scope1 and scope1


def test_the_evaluation_is_lingtan_evaluates(url, data):
    document = json.loads(run(url, "evaluate", "--facility", FACILITY, "--period", str(YEAR),
                              "--scheme", SCHEME, "--format", "json").stdout)  # fmt: skip
    mine = data.evaluation.as_dict()
    assert mine["result"] == document["result"] == "fail"
    assert mine["criteria"] == document["criteria"]
    offset = {c["id"]: c for c in document["criteria"]}["offset-100"]
    # by hand: 100 % of Scope 1 + Scope 2 market-based, less the 4,000 tCO2e of CCER retired
    residual = data.totals["scope1_tco2e"] + data.totals["scope2_market_tco2e"]
    assert offset["threshold"] == pytest.approx(residual, rel=1e-12)
    assert offset["gap"] == pytest.approx(residual - 4000, rel=1e-12)
    html = render_zero_carbon_html(data, "en")
    row = re.search(r'data-id="offset-100".*?</tr>', html, re.S).group(0)
    assert f'data-value="{offset["gap"]}"' in row and "offset 25,644.087 tCO2e more" in row
    assert 'id="kf-result" data-value="fail"' in html


def test_the_renewable_share_and_the_ledger(url, data):
    assert data.renewable["share_pct"] == pytest.approx(RENEWABLE_PCT, rel=1e-12)
    assert (data.renewable["gec_retired_mwh"], data.renewable["green_power_retired_mwh"],
            data.renewable["onsite_renewable_mwh"]) == (18000, 12000, 3720)  # fmt: skip
    html = render_zero_carbon_html(data, "en")
    assert float(data_values(html, "key")["share"]) == data.renewable["share_pct"]
    # the hourly-matched share of the demo's meters, as lingtan evaluate match gives it
    matched = json.loads(run(url, "evaluate", "match", "--facility", FACILITY, "--year",
                             str(YEAR), "--format", "json").stdout)  # fmt: skip
    assert data.hourly_source == "meters" and data.hourly_meters == matched["meters"]
    for key in ("hourly_matched_cfe_share_pct", "volumetric_share_pct", "unmatched_hours"):
        assert data.hourly[key] == matched[key]
    assert (
        data.facts["hourly_matched_cfe_share_pct"]["value"]
        == matched["hourly_matched_cfe_share_pct"]
    )
    assert float(data_values(html, "key")["hourly"]) == matched["hourly_matched_cfe_share_pct"]
    assert 'id="hourly-source" data-source="meters"' in html
    assert data.lineage["hourly_matched_cfe_share_pct"]["hours"] == 8760
    balance = json.loads(run(url, "ledger", "balance", "--format", "json").stdout)
    shown = data_values(html, "asset")
    assert {b["asset"]: b["balance"] for b in balance} == {k: float(v) for k, v in shown.items()}
    assert {b["asset"]: b["balance"] for b in balance}["CCER-2025-A"] == 1000
    # the retirements with their serials; credits beside the totals, not inside them
    assert "CCER-DEMO-2024-00001..04000" in html and "GEC-2025-JS-000001..018000" in html
    assert data.offset_retired_tco2e == 4000
    assert float(re.search(r'id="kf-offset" data-value="([^"]+)"', html).group(1)) == 4000


def test_the_workbook_reads_back(data, inventory):
    for lang in ("zh-CN", "en"):
        wb = openpyxl.load_workbook(BytesIO(render_zero_carbon_xlsx(data, lang)))
        summary = {
            row[0]: row[1] for row in wb.worksheets[0].iter_rows(min_row=3, values_only=True)
        }
        totals = inventory["result"]["totals"]
        assert summary["totals.scope1_tco2e"] == totals["scope1_tco2e"]
        assert summary["totals.scope2_market_tco2e"] == totals["scope2_market_tco2e"]
        assert summary["inventory.result_sha256"] == inventory["result_sha256"]
        assert summary["renewable.share_pct"] == pytest.approx(RENEWABLE_PCT, rel=1e-12)
        assert summary["offset_retired_tco2e"] == 4000
        assert summary["evaluation.result"] == "fail"
        sheets = [ws.title for ws in wb.worksheets]
        retired = wb.worksheets[3]
        serials = [row[3] for row in retired.iter_rows(min_row=3, values_only=True)]
        assert "CCER-DEMO-2024-00001..04000" in serials
        criteria = {row[0]: row for row in wb.worksheets[4].iter_rows(min_row=3, values_only=True)}
        assert criteria["offset-100"][5] == data.evaluation.as_dict()["criteria"][1]["gap"]
    assert sheets[0] == "Summary"


def test_both_languages_and_the_pdf(data):
    MISSES.clear()
    zh = render_zero_carbon_html(data, "zh-CN")
    render_zero_carbon_xlsx(data, "zh-CN")
    render_disclosure_xlsx(disclosure_document(data), "zh-CN")
    assert not MISSES, f"texts without Chinese: {sorted(MISSES, key=str)}"
    assert "零碳工厂报告" in zh and "基于市场" in zh and "未通过" in zh
    for lang in ("zh-CN", "en"):
        assert render_zero_carbon_pdf(data, lang).startswith(b"%PDF")


def test_hourly_series_give_the_hourly_matched_share(url, tmp_path):
    consumption, supply = tmp_path / "load.csv", tmp_path / "supply.csv"
    consumption.write_text("timestamp,site\n2025-06-01T00:00,10\n2025-06-01T01:00,10\n"
                           "2025-06-01T02:00,10\n2025-06-01T03:00,10\n")  # fmt: skip
    supply.write_text("timestamp,pv\n2025-06-01T00:00,0\n2025-06-01T01:00,5\n"
                      "2025-06-01T02:00,20\n2025-06-01T03:00,10\n")  # fmt: skip
    matched = json.loads(run(url, "evaluate", "match", str(consumption), str(supply),
                             "--format", "json").stdout)  # fmt: skip
    # by hand: min(10, 0) + min(10, 5) + min(10, 20) + min(10, 10) = 25 of 40 kWh
    assert matched["hourly_matched_cfe_share_pct"] == 62.5
    out = tmp_path / "zc.html"
    run(url, "report", "zero-carbon", "--facility", FACILITY, "--period", str(YEAR),
        "--scheme", "tceca-g-0171-2022", "--consumption", str(consumption), "--supply",
        str(supply), "--format", "html", "--out", str(out))  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert float(data_values(html, "key")["hourly"]) == 62.5
    assert 'id="hourly-source" data-source="series"' in html and "load.csv, supply.csv" in html


def test_the_disclosure_pack_traces_every_figure(url, data, inventory):
    document = json.loads(run(url, "report", "disclosure", "--facility", FACILITY, "--period",
                              str(YEAR), "--format", "json").stdout)  # fmt: skip
    assert document["inventory"]["result_sha256"] == inventory["result_sha256"]
    metrics = {m["metric"]: m for m in document["metrics"]}
    totals = inventory["result"]["totals"]
    for key, gri in (("scope1_tco2e", "305-1"), ("scope2_location_tco2e", "305-2"),
                     ("scope2_market_tco2e", "305-2"), ("scope3_tco2e", "305-3")):  # fmt: skip
        m = metrics[key]
        assert m["value"] == totals[key] and m["unit"] == "tCO2e"
        assert m["source"]["path"] == f"totals.{key}"
        assert m["source"]["inventory_id"] == inventory["id"]
        assert m["frameworks"]["gri-305"] == {"clause": gri, "status": "unverified"}
        # the Chinese standard's article numbers are not known: null, never guessed
        assert m["frameworks"]["csds-climate"]["clause"] is None
    assert metrics["scope1_tco2e"]["source"]["activity_record_ids"] == data.scope_records["1"]
    intensity = metrics["intensity_tco2e_per_unit"]
    assert intensity["value"] == totals["intensities"][0]["tco2e_per_unit"]
    assert intensity["unit"] == f"tCO2e/{totals['intensities'][0]['unit']}"
    assert metrics["energy_tce"]["value"] == totals["energy_tce"]
    assert metrics["renewable_electricity_share_pct"]["value"] == pytest.approx(RENEWABLE_PCT)
    assert metrics["offset_retired_tco2e"]["source"]["serials"] == ["CCER-DEMO-2024-00001..04000"]
    overview = json.loads(run(url, "overview", "--year", str(YEAR), "--format", "json").stdout)
    assert metrics["target_progress_pct"]["value"] == overview["target"]["progress_pct"]
    china = next(f for f in document["frameworks"] if f["id"] == "csds-climate")
    assert china["title_zh"] == "企业可持续披露准则第1号——气候（试行）"
    assert china["status"] == "unverified"
    # the workbook holds the same figures
    wb = openpyxl.load_workbook(BytesIO(render_disclosure_xlsx(disclosure_document(data), "en")))
    rows = {r[0]: r for r in wb.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert rows["scope2_market_tco2e"][2] == totals["scope2_market_tco2e"]
    assert rows["scope2_market_tco2e"][7] == "305-2"
    assert rows["scope1_tco2e"][5] is None
    assert json.loads(rows["scope1_tco2e"][8])["result_sha256"] == inventory["result_sha256"]


def test_the_report_commands_write_their_files(url, tmp_path):
    for fmt in ("html", "pdf", "xlsx"):
        out = tmp_path / f"zc.{fmt}"
        done = run(url, "report", "zero-carbon", "--facility", FACILITY, "--period", str(YEAR),
                   "--scheme", SCHEME, "--format", fmt, "--out", str(out))  # fmt: skip
        assert out.stat().st_size > 1000 and str(out) in done.output
    out = tmp_path / "pack.xlsx"
    run(url, "report", "disclosure", "--period", str(YEAR), "--format", "xlsx", "--out", str(out))
    assert openpyxl.load_workbook(out).worksheets[0]["A3"].value == "scope1_tco2e"
    # the inventory report stays lingtan report INVENTORY_ID
    run(url, "report", "1", "-o", str(tmp_path / "inventory"), "--format", "xlsx")
    assert len(list((tmp_path / "inventory").iterdir())) == 2


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--facility", "NOPE", "--period", "2025"), "'NOPE': no such facility"),
        (("--period", "2024"), "2024: facility JS-CELL-01 has no locked inventory of the whole"),
        (("--period", "2025", "--scheme", "nope"), "'nope': must be one of iso-14068-1"),
        (("--period", "2025", "--consumption", "x.csv"), "--consumption and --supply go"),
    ],
)
def test_bad_input_is_refused_with_nothing_written(url, tmp_path, args, words):
    out = tmp_path / "zc.pdf"
    done = run(url, "report", "zero-carbon", *args, "--out", str(out), code=2)
    assert words in done.stderr and not done.stdout and not out.exists()
    pack = tmp_path / "pack.json"
    if "--scheme" not in args and "--consumption" not in args:
        done = run(url, "report", "disclosure", *args, "--out", str(pack), code=2)
        assert words in done.stderr and not pack.exists()


def test_no_plan_stored_is_said(demo_copy, tmp_path):
    url = demo_copy(tmp_path / "db")
    engine = make_engine(url)
    with session_scope(engine) as session:
        session.query(FacilityTarget).delete()
        session.query(EfficiencyMeasure).delete()
    with session_scope(engine) as session:
        made = zero_carbon_data(session, facility_by_code(session, FACILITY), YEAR, None)
    engine.dispose()
    for lang, text in (("en", "No plan is stored"), ("zh-CN", "未保存工作计划")):
        html = render_zero_carbon_html(made, lang)
        assert 'id="no-plan"' in html and text in html
    assert made.evaluation is None
    assert "no evaluation" in render_zero_carbon_html(made, "en")


def test_the_renewable_gap_in_certificates_by_hand(url):
    engine = make_engine(url)
    with session_scope(engine) as session:
        facility = facility_by_code(session, FACILITY)
        made = zero_carbon_data(session, facility, YEAR, shipped_rule_set("tceca-g-0171-2022"))
    engine.dispose()
    renewable = {c.criterion.id: c for c in made.evaluation.criteria}["renewable-electricity-100"]
    # 100 % of 66,264 MWh consumed, 33,720 MWh renewable: 32,544 GECs (1 GEC = 1 MWh) more
    assert renewable.gap_gecs == 66264 - (18000 + 12000 + 3720) == 32544
    html = render_zero_carbon_html(made, "en")
    assert "retire 32,544 GECs more" in html
