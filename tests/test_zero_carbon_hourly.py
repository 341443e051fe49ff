"""The hourly-matched share as a fact of the store (from the facility's meters) and in the
zero-carbon-factory report, and the report's stored evaluation beside the live one."""

import json
import re

from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.evaluation.rules import shipped_rule_set
from lingtan.i18n.catalog import MISSES
from lingtan.imports.load import facility_by_code
from lingtan.reports.zero_carbon import render_zero_carbon_html
from lingtan.services.evaluations import get_evaluation
from lingtan.services.ledger_facts import facts_from_store
from lingtan.services.zero_carbon import zero_carbon_data
from lingtan.store.db import session_scope
from test_assets_screens import PER_DAY_C, PER_DAY_S, metered  # noqa: F401 (fixture)
from test_evaluation_store import DECLARED, plant, site, store, year_locked  # noqa: F401

HOURLY = "hourly_matched_cfe_share_pct"
SCHEME = "tceca-g-0171-2022"


def test_the_facts_hold_the_hourly_share_of_the_hand_built_meters(metered):  # noqa: F811
    cli = CliRunner().invoke(main, ["--db", metered.url, "evaluate", "match", "--facility",
                                    "ALPHA-PLANT", "--year", "2025", "--format", "json"])  # fmt: skip
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.output)
    with session_scope(metered.engine, read_only=True) as session:
        stored = facts_from_store(session, facility_by_code(session, "ALPHA-PLANT"), 2025)
    # by hand (tests/test_assets_screens.py): 120 of 1,080 kWh a day, every hour unmatched
    assert stored.facts[HOURLY].value == printed[HOURLY] == 100 * PER_DAY_S / PER_DAY_C
    assert stored.facts[HOURLY].evidence == "meters M-IN, M-PV, M-EXP"
    lineage = stored.lineage[HOURLY]
    assert lineage["meters"] == {"supply": ["M-IN"], "generation": ["M-PV"], "export": ["M-EXP"]}
    assert (lineage["year"], lineage["hours"], lineage["unmatched_hours"]) == (2025, 8760, 8760)
    assert lineage["volumetric_share_pct"] == printed["volumetric_share_pct"]
    assert lineage["consumption_kwh"] == printed["consumption_kwh"] == 365 * PER_DAY_C
    # a year the meters do not cover: no fact, the lineage says why, naming the meters
    with session_scope(metered.engine, read_only=True) as session:
        earlier = facts_from_store(session, facility_by_code(session, "ALPHA-PLANT"), 2024)
    assert HOURLY not in earlier.facts and earlier.matching is None
    missing = earlier.lineage[HOURLY]["missing"]
    assert all(code in missing for code in ("M-IN", "M-PV", "M-EXP"))
    assert "hourly matching needs every hour" in missing


def test_without_meters_the_share_is_missing_and_the_report_says_so(site, year_locked):  # noqa: F811
    rules = shipped_rule_set(SCHEME)
    with session_scope(site.engine, read_only=True) as session:
        alpha = plant(session)
        stored = facts_from_store(session, alpha, 2025)
        data = zero_carbon_data(session, alpha, 2025, rules)
    assert HOURLY not in stored.facts
    assert "no physical electricity meter with flow supply" in stored.lineage[HOURLY]["missing"]
    assert data.hourly is None and data.hourly_source is None
    html = render_zero_carbon_html(data, "en")
    assert 'data-source="none"' in html and "The hourly-matched share is not computed" in html
    assert "no physical electricity meter with flow supply" in html
    assert 'data-key="hourly"' not in html
    assert data.stored_evaluation is None and "No stored evaluation of the facility" in html
    MISSES.clear()
    zh = render_zero_carbon_html(data, "zh-CN")
    assert not MISSES, f"texts without Chinese: {sorted(MISSES, key=str)}"
    assert "未计算逐时匹配比例：本设施的计量表未覆盖全年（设施 ALPHA-PLANT：" in zh
    assert "没有已存储的评价" in zh


def test_the_report_names_the_stored_evaluation_beside_the_live_one(site, year_locked):  # noqa: F811
    ident = store(site, SCHEME)
    rules = shipped_rule_set(SCHEME)
    with session_scope(site.engine, read_only=True) as session:
        alpha = plant(session)
        digest = get_evaluation(session, ident).result_sha256
        data = zero_carbon_data(session, alpha, 2025, rules)
        other = zero_carbon_data(session, alpha, 2025, shipped_rule_set("suzhou-2026"))
    snap = data.stored_evaluation
    assert (snap["id"], snap["result_sha256"]) == (ident, digest)
    # the snapshot was stored with a declaration the report is not given: the results differ
    assert snap["same"] is False and snap["live_sha256"] != digest
    html = render_zero_carbon_html(data, "en")
    note = re.search(r'<p class="note" id="stored-evaluation"[^>]*>(.*?)</p>', html, re.S)
    assert note and f"Stored evaluation {ident}" in note.group(1) and digest in note.group(1)
    assert 'data-same="false"' in html and "differs" in note.group(1)
    assert other.stored_evaluation is None  # another scheme's snapshot is not named
    # given the same declaration, the live result equals the stored one
    with session_scope(site.engine, read_only=True) as session:
        same = zero_carbon_data(session, plant(session), 2025, rules, declared=DECLARED)
    assert same.stored_evaluation["same"] is True
    assert same.stored_evaluation["live_sha256"] == digest
    assert 'data-same="true"' in render_zero_carbon_html(same, "zh-CN")


def test_series_files_replace_the_meters_share_in_lingtan_evaluate(metered):  # noqa: F811
    def evaluated(*extra):
        done = CliRunner().invoke(main, ["--db", metered.url, "evaluate", "--facility",
                                         "ALPHA-PLANT", "--period", "2025", "--scheme", SCHEME,
                                         *extra, "--format", "json"])  # fmt: skip
        assert done.exit_code == 0, done.output
        return json.loads(done.output)["facts_from_store"]["lineage"][HOURLY]

    assert evaluated()["hours"] == 8760
    given = evaluated("--consumption", "examples/evaluation-consumption.csv", "--supply",
                      "examples/evaluation-supply.csv")  # fmt: skip
    assert given["given"] == "evaluation-consumption.csv, evaluation-supply.csv"
