"""The carbon-asset screens without a browser: hourly matching from a facility's meters against
a year worked by hand (the page, the API and ``lingtan evaluate match --facility --year`` give
the same figures), the heat map's data on a hand-built 2 days × 24 hours, the retirement
windows on fixed dates, and the retirement form and export on the demo factory."""

import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from lingtan.cli.main import main
from lingtan.demo.build import FACILITY
from lingtan.evaluation.matching import hourly_match
from lingtan.imports.load import facility_by_code
from lingtan.metering.store import (
    MeterDefinition,
    NodeDefinition,
    define_meters,
    ingest_readings,
    local_midnight,
)
from lingtan.services.asset_windows import retirement_windows
from lingtan.services.meter_matching import matching_from_meters
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import AuditEntry, LedgerEntry
from lingtan.web import i18n
from lingtan.web.app import create_app
from lingtan.web.screens_assets import heat_map
from web_support import build_site

DEMO_PASSWORD = "lingtan-demo"

# --- hourly matching from meters: a year worked by hand -----------------------------------------
#
# Every 15 minutes the incomer M-IN meters 10 kWh bought; the PV meter M-PV 4 kWh from 08:00 to
# 16:00 local time; the export meter M-EXP 1 kWh from 12:00 to 14:00. Per hour:
#   08-11, 14-15 (6 h): C = 4 × (10 + 4) = 56, S = 4 × 4 = 16
#   12-13        (2 h): C = 4 × (10 + 4 - 1) = 52, S = 4 × 3 = 12
#   other       (16 h): C = 40, S = 0
# A day: C = 6 × 56 + 2 × 52 + 16 × 40 = 1,080 kWh, S = 6 × 16 + 2 × 12 = 120 kWh; the share
# 120 / 1,080 = 11.111 %, hourly and annual alike (on-site generation used on site is used in
# its own hour), every one of the 8,760 hours unmatched.
PER_DAY_C, PER_DAY_S = 1080.0, 120.0


def _steps(hour: int) -> tuple[float, float, float]:
    pv = 4.0 if 8 <= hour < 16 else 0.0
    export = 1.0 if 12 <= hour < 14 else 0.0
    return 10.0, pv, export


@pytest.fixture
def metered(tmp_path):
    site = build_site(f"sqlite:///{tmp_path / 'lingtan.db'}", tmp_path)
    start = local_midnight(date(2025, 1, 1))
    steps = 365 * 96
    totals = {"M-IN": 0.0, "M-PV": 0.0, "M-EXP": 0.0}
    readings = []
    for i in range(steps + 1):
        for code, value in totals.items():
            readings.append((code, start + 900 * i, value))
        bought, pv, export = _steps((i % 96) // 4)
        totals["M-IN"] += bought
        totals["M-PV"] += pv
        totals["M-EXP"] += export
    with session_scope(site.engine) as session:
        define_meters(
            session,
            "ALPHA-PLANT",
            [NodeDefinition("site", "Site", "facility")],
            [
                MeterDefinition("M-IN", "electricity", "kWh", "cumulative", node="site",
                                flow="supply", rollover_at=None),
                MeterDefinition("M-PV", "electricity", "kWh", "cumulative", node="site",
                                flow="generation", rollover_at=None),
                MeterDefinition("M-EXP", "electricity", "kWh", "cumulative", node="site",
                                flow="export", rollover_at=None),
            ],
            actor="test",
        )  # fmt: skip
        ingest_readings(session, "ALPHA-PLANT", readings, origin="test")
    yield site
    site.close()


def test_matching_from_meters_equals_the_hand_worked_year(metered):
    with session_scope(metered.engine) as session:
        result = matching_from_meters(session, facility_by_code(session, "ALPHA-PLANT"), 2025)
    match = result.match
    assert result.meters == {"supply": ["M-IN"], "generation": ["M-PV"], "export": ["M-EXP"]}
    assert match.consumption_kwh == pytest.approx(365 * PER_DAY_C)
    assert match.supply_kwh == pytest.approx(365 * PER_DAY_S)
    assert match.hourly_share_pct == pytest.approx(100 * 120 / 1080)
    assert match.volumetric_share_pct == pytest.approx(100 * 120 / 1080)
    assert match.unmatched_hours == 8760 and match.hours == 8760
    assert match.heat_map_share_pct.shape == (365, 24)
    assert match.heat_map_share_pct[0, 8] == pytest.approx(100 * 16 / 56)
    assert match.heat_map_share_pct[200, 12] == pytest.approx(100 * 12 / 52)
    assert match.heat_map_share_pct[364, 0] == 0.0


def test_page_api_and_evaluate_match_give_the_same_shares(metered):
    client, _ = metered.client("manager_a")
    api = client.get("/api/v1/facilities/ALPHA-PLANT/matching?year=2025")
    assert api.status_code == 200, api.text
    api = api.json()
    cli = CliRunner().invoke(
        main,
        ["--db", metered.url, "evaluate", "match", "--facility", "ALPHA-PLANT", "--year",
         "2025", "--format", "json"],
    )  # fmt: skip
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.output)
    page = client.get("/assets/matching?facility=ALPHA-PLANT&year=2025")
    assert page.status_code == 200
    for key in ("hourly_matched_cfe_share_pct", "volumetric_share_pct", "unmatched_hours"):
        assert printed[key] == api[key]
        shown = re.search(rf'data-quantity="{key}"><td>[^<]*</td><td class="num" '
                          rf'data-value="([^"]+)"', page.text)  # fmt: skip
        assert shown is not None and float(shown.group(1)) == api[key]
    assert api["hourly_matched_cfe_share_pct"] == pytest.approx(100 * 120 / 1080)
    # a year without readings is refused on the page (every meter named), the API and the CLI
    refused = client.get("/assets/matching?facility=ALPHA-PLANT&year=2024")
    assert refused.status_code == 200 and 'id="refusal"' in refused.text
    assert all(code in refused.text for code in ("M-IN", "M-PV", "M-EXP"))
    assert client.get("/api/v1/facilities/ALPHA-PLANT/matching?year=2024").status_code == 422
    failed = CliRunner().invoke(
        main, ["--db", metered.url, "evaluate", "match", "--facility", "ALPHA-PLANT"]
    )
    assert failed.exit_code == 2 and "--facility and --year go together" in failed.output


def test_the_heat_map_of_two_hand_built_days():
    # day 1: 10 kWh each hour, supply 5 kWh at hours 6-17 (50 %), none else;
    # day 2: 10 kWh each hour, supply 30 kWh at hour 12 (100 %, the surplus covers nothing else)
    stamps = [datetime(2025, 6, 1) + timedelta(hours=h) for h in range(48)]
    consumption = [10.0] * 48
    supply = [5.0 if 6 <= h < 18 else 0.0 for h in range(24)]
    supply += [30.0 if h == 12 else 0.0 for h in range(24)]
    match = hourly_match(stamps, consumption, {"pv": supply})
    # hourly: (12 × 5 + 10) / 480 = 14.583 %; annual: (60 + 30) / 480 = 18.75 %
    assert match.hourly_share_pct == pytest.approx(100 * 70 / 480)
    assert match.volumetric_share_pct == pytest.approx(100 * 90 / 480)
    assert match.unmatched_hours == 47
    figure = heat_map(match.as_dict(), i18n.texts("en"))
    trace = figure["data"][0]
    assert trace["type"] == "heatmap"
    assert trace["x"] == ["2025-06-01", "2025-06-02"] and trace["y"] == list(range(24))
    expected = [[50.0 if 6 <= h < 18 else 0.0, 100.0 if h == 12 else 0.0] for h in range(24)]
    assert trace["z"] == expected
    assert (trace["zmin"], trace["zmax"]) == (0, 100)


def test_retirement_windows_by_the_ledger_rules_on_fixed_dates():
    def holding(asset, kind, start, end, balance):
        return {"asset": asset, "kind": kind, "period_start": start, "period_end": end,
                "balance": balance, "unit": "tCO2e" if kind == "ccer" else "MWh"}  # fmt: skip

    holdings = [
        holding("CCER-A", "ccer", "2024-01-01", "2024-12-31", 1000.0),
        holding("CCER-GONE", "ccer", "2024-01-01", "2024-12-31", 0.0),
        holding("GEC-2025", "gec", "2025-01-01", "2025-12-31", 50.0),
        holding("GEC-2024", "gec", "2024-01-01", "2024-12-31", 50.0),
    ]
    # claim year 2025: a credit is retired by 2025-12-31 + 12 months = 2026-12-31
    soon = retirement_windows(holdings, 2025, date(2026, 12, 4), 90)
    assert [(w["asset"], w["last_day"], w["days_left"], w["window"]) for w in soon] == [
        ("CCER-A", "2026-12-31", 27, "expiring")
    ]
    assert soon[0]["rule"] == "credit-retired-within-12-months"
    assert retirement_windows(holdings, 2025, date(2026, 6, 1), 90)[0]["window"] == "open"
    late = retirement_windows(holdings, 2025, date(2027, 1, 2), 90)[0]
    assert (late["days_left"], late["window"]) == (-2, "expired")


# --- the demo factory: the page, the retirement form, the export ---------------------------------


@pytest.fixture
def demo_site(demo_copy, tmp_path):
    url = demo_copy(tmp_path / "demo")
    app = create_app(url, evidence_dir=tmp_path / "demo" / "lingtan-evidence")
    client = TestClient(app)
    answer = client.post("/api/v1/session", json={"username": "demo", "password": DEMO_PASSWORD})
    assert answer.status_code == 200
    engine = make_engine(url)
    yield client, answer.json()["csrf_token"], engine
    app.state.engine.dispose()
    engine.dispose()


def _counts(engine):
    with session_scope(engine) as session:
        return session.query(LedgerEntry).count(), session.query(AuditEntry).count()


def _retire(client, csrf, files=None, **fields):
    data = {"csrf_token": csrf, "on_date": "2026-02-10", "period_start": "2025-01-01",
            "period_end": "2025-12-31", "claim": "test", **fields}  # fmt: skip
    return client.post(f"/assets/retire?facility={FACILITY}", data=data, files=files)


def test_the_retire_form_refuses_a_double_count_in_chinese_and_writes_nothing(demo_site):
    client, csrf, engine = demo_site
    client.cookies.set("lang", "zh-CN")
    before = _counts(engine)
    again = _retire(client, csrf, asset="GEC-2025-JS-A", quantity="10",
                    serial="GEC-2025-JS-000001..000010", on_date="2025-12-20")  # fmt: skip
    assert again.status_code == 422
    assert "GEC-2025-JS-A 的注销被拒绝，未写入任何内容" in again.text
    assert "不得重复计算" in again.text  # rule: no double counting, naming the earlier entry
    assert "已被持有项 GEC-2025-JS-A 于 2025-12-15 的第 1 条记录" in again.text
    assert _counts(engine) == before
    too_much = _retire(client, csrf, asset="CCER-2025-A", quantity="2000",
                       serial="CCER-DEMO-2024-04001..06000")  # fmt: skip
    assert too_much.status_code == 422 and "不得超过持有量" in too_much.text
    assert _counts(engine) == before
    statement = b"serial,quantity\nCCER-DEMO-2024-04001..04100,100\n"
    credit = {"asset": "CCER-2025-A", "quantity": "100", "serial": "CCER-DEMO-2024-04001..04100"}
    locked = _retire(client, csrf, **credit)  # 2025 is locked in the demo: restate it too
    assert locked.status_code == 422 and "声明期位于清单" in locked.text
    assert "注销到已锁定期间须同时重新核算该期间" in locked.text
    assert _counts(engine) == before
    done = _retire(client, csrf, restate="2025 CCER retired after the lock", **credit,
                   files={"evidence": ("statement.csv", statement, "text/csv")})  # fmt: skip
    assert done.status_code == 200 and "CCER-2025-A 的注销已记录" in done.text
    assert re.search(r"已锁定期间已由清单 \d+ 重新核算", done.text)
    link = re.search(r'<a href="(/api/v1/evidence/[0-9a-f]{64})">statement.csv</a>', done.text)
    assert link is not None  # the retirement's evidence, linked from its row
    assert client.get(link.group(1)).content == statement
    assert _counts(engine)[0] == before[0] + 1
    api = client.get(f"/api/v1/facilities/{FACILITY}/ledger").json()
    ccer = next(h for h in api["holdings"] if h["asset"] == "CCER-2025-A")
    assert (ccer["retired"], ccer["balance"]) == (4100.0, 900.0)


def test_a_viewer_cannot_retire(demo_site):
    client, _, _ = demo_site
    viewer = TestClient(client.app)
    answer = viewer.post("/api/v1/session", json={"username": "demo-viewer",
                                                  "password": DEMO_PASSWORD})  # fmt: skip
    page = viewer.get(f"/assets?facility={FACILITY}&year=2025")
    assert page.status_code == 200 and 'id="retire-form"' not in page.text
    refused = _retire(viewer, answer.json()["csrf_token"], asset="CCER-2025-A", quantity="1",
                      serial="CCER-DEMO-2024-04001")  # fmt: skip
    assert refused.status_code == 403


def test_the_holdings_export_to_excel_with_the_page_figures(demo_site):
    client, _, _ = demo_site
    page = client.get(f"/assets?facility={FACILITY}&year=2025")
    assert page.status_code == 200
    answer = client.get(f"/assets?facility={FACILITY}&year=2025&export=xlsx&table=holdings-table")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    ccer = next(r for r in rows if "CCER-2025-A" in r)
    assert 5000 in ccer and 4000 in ccer and 1000 in ccer  # acquired, retired, balance
    retired = client.get(
        f"/assets?facility={FACILITY}&year=2025&export=xlsx&table=retirements-table"
    )
    sheet = load_workbook(io.BytesIO(retired.content)).active
    quantities = [r for r in sheet.iter_rows(values_only=True) if "GP-2025-JS" in r]
    assert quantities and 12000 in quantities[0]
