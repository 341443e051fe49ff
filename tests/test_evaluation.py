"""The zero-carbon-factory evaluation: each shipped scheme on hand-made facts (pass, fail with
the exact gap, unable to judge), bad rule and facts files refused, the hourly matching on
hand-worked series and against a plain pandas computation, and ``lingtan evaluate``."""

import json
import math
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.errors import InputError
from lingtan.evaluation.engine import Status, evaluate, number_text
from lingtan.evaluation.facts import FACTS, FactValue, read_facts
from lingtan.evaluation.matching import hourly_match, match_many
from lingtan.evaluation.rules import (
    read_rule_file,
    read_rules,
    shipped_rule_set,
    shipped_rule_sets,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def facts(**given):
    """Facts from keyword arguments; a tuple ``(value, evidence)`` is a declaration."""
    return {
        name: FactValue(*value) if isinstance(value, tuple) and name != "unit_product_level"
        else FactValue(value)
        for name, value in given.items()
    }  # fmt: skip


def by_id(evaluation):
    return {c.criterion.id: c for c in evaluation.criteria}


SUZHOU_PASSING = dict(
    green_factory_status=("provincial", "JS green factory list 2024 row 12"),
    scope12_residual_tco2e=12_000.0,
    offset_retired_tco2e=12_000.0,
    unit_product_level=("access", "benchmark"),
    management_plan=(True, "plan.pdf"),
    compliance_record_years=(3.0, "bureau letters 2023-2025"),
)


# --- the shipped schemes -------------------------------------------------------------------


def test_the_shipped_schemes_load_with_sources_and_statuses():
    schemes = {rules.scheme: rules for rules in shipped_rule_sets()}
    assert {
        "suzhou-2026", "tceca-g-0171-2022", "tceca-g-0171-2022-type2", "zhejiang-2023",
        "iso-14068-1",
    } <= set(schemes)  # fmt: skip
    for rules in schemes.values():
        assert rules.origin == "shipped" and rules.criteria
        for c in rules.criteria:
            assert c.fact in FACTS and c.document and c.clause and c.title_zh and c.title_en
            if not c.known:  # an unknown threshold is never official, and says why
                assert c.status == "unverified" and c.note


def test_suzhou_passes_when_every_condition_is_met():
    evaluation = evaluate(shipped_rule_set("suzhou-2026"), facts(**SUZHOU_PASSING))
    assert evaluation.result is Status.PASS
    assert all(c.status is Status.PASS for c in evaluation.criteria)
    # a value exactly on the threshold meets it: 12,000 of 12,000 tCO2e, 3 of 3 years
    assert by_id(evaluation)["offset-100"].threshold == 12_000
    assert by_id(evaluation)["green-factory"].evidence == "JS green factory list 2024 row 12"


def test_suzhou_fails_with_the_gap_in_numbers():
    given = {
        **SUZHOU_PASSING,
        "offset_retired_tco2e": 11_144.0,
        "compliance_record_years": (2.0, "bureau letters 2024-2025"),
        "green_factory_status": ("municipal", "city list"),
        "unit_product_level": ("access", "baseline"),
    }
    evaluation = evaluate(shipped_rule_set("suzhou-2026"), facts(**given))
    assert evaluation.result is Status.FAIL
    judged = by_id(evaluation)
    offset = judged["offset-100"]
    assert offset.status is Status.FAIL
    assert (offset.value, offset.threshold, offset.gap) == (11_144, 12_000, 856)
    assert offset.gap_text == "offset 856 tCO2e more"
    assert offset.reason == "11,144 tCO2e does not meet >= 12,000 tCO2e"
    years = judged["compliance-3-years"]
    assert years.gap == 1 and years.gap_text == "compliance record 2 of 3 years: 1 more"
    assert judged["green-factory"].gap_text == "needs provincial, national"
    assert judged["unit-product-energy"].status is Status.FAIL
    assert judged["management"].status is Status.PASS


def test_a_share_threshold_of_a_residual_that_is_not_integral():
    given = {**SUZHOU_PASSING, "scope12_residual_tco2e": 1_234.5, "offset_retired_tco2e": 1_000.0}
    offset = by_id(evaluate(shipped_rule_set("suzhou-2026"), facts(**given)))["offset-100"]
    assert offset.gap == pytest.approx(234.5)
    assert offset.gap_text == "offset 234.5 tCO2e more"


def test_unable_to_judge_missing_facts_and_declarations_without_evidence():
    given = dict(SUZHOU_PASSING)
    del given["scope12_residual_tco2e"]  # the base of the share threshold
    del given["unit_product_level"]
    given["management_plan"] = True  # declared, no evidence
    evaluation = evaluate(shipped_rule_set("suzhou-2026"), facts(**given))
    judged = by_id(evaluation)
    assert evaluation.result is Status.UNABLE_TO_JUDGE
    assert judged["offset-100"].status is Status.UNABLE_TO_JUDGE
    assert "scope12_residual_tco2e" in judged["offset-100"].reason
    assert judged["unit-product-energy"].reason == "the fact unit_product_level is not given"
    assert "judged only with its evidence" in judged["management"].reason
    # a failure outweighs what cannot be judged
    given["offset_retired_tco2e"] = 0.0
    given["compliance_record_years"] = (1.0, "letter")
    assert evaluate(shipped_rule_set("suzhou-2026"), facts(**given)).result is Status.FAIL


def test_tceca_six_stars_gap_and_unknown_thresholds():
    given = dict(
        renewable_electricity_share_pct=62.0,
        scope12_residual_tco2e=5_000.0,
        offset_retired_tco2e=5_000.0,
        compliance_record_years=(5.0, "letters"),
        management_plan=(True, "plan"),
        energy_carbon_management_system=(True, "system acceptance report"),
        reductions_tco2e=800.0,
    )
    evaluation = evaluate(shipped_rule_set("tceca-g-0171-2022"), facts(**given))
    judged = by_id(evaluation)
    renewable = judged["renewable-electricity-100"]
    assert renewable.gap == 38
    assert renewable.gap_text == "renewable electricity 62 % of 100 %: 38 points more"
    assert renewable.gap_gecs is None
    # with the electricity consumed, the gap is also told in GECs (1 GEC = 1 MWh), rounded up
    given_mwh = {**given, "electricity_consumed_mwh": 3_248.7}
    judged_mwh = by_id(evaluate(shipped_rule_set("tceca-g-0171-2022"), facts(**given_mwh)))
    renewable = judged_mwh["renewable-electricity-100"]
    assert renewable.gap_gecs == 1_235  # 38 % of 3,248.7 MWh = 1,234.506 MWh
    assert renewable.gap_text == (
        "renewable electricity 62 % of 100 %: 38 points more; retire 1,235 GECs more"
    )
    for unknown in ("basic-compliance", "self-reduction"):
        assert judged[unknown].status is Status.UNABLE_TO_JUDGE
        assert judged[unknown].reason.startswith("the scheme's threshold is not known")
        assert judged[unknown].threshold is None
    assert evaluation.result is Status.FAIL
    # with 100 % renewable electricity the unknown thresholds leave it unable to judge
    given["renewable_electricity_share_pct"] = 100.0
    evaluation = evaluate(shipped_rule_set("tceca-g-0171-2022"), facts(**given))
    assert evaluation.result is Status.UNABLE_TO_JUDGE
    assert evaluation.count(Status.FAIL) == 0 and evaluation.count(Status.UNABLE_TO_JUDGE) == 2


def test_tceca_type_2_neutralises_categories_1_to_4_by_removals():
    given = dict(
        renewable_electricity_share_pct=100.0,
        cat1to4_residual_tco2e=3_200.0,
        scope12_residual_tco2e=1_000.0,  # not the Type II boundary
        removals_tco2e=2_950.0,
        offset_retired_tco2e=5_000.0,  # credits are not removals
    )
    judged = by_id(evaluate(shipped_rule_set("tceca-g-0171-2022-type2"), facts(**given)))
    removal = judged["removal-100"]
    assert (removal.status, removal.threshold, removal.gap) == (Status.FAIL, 3_200, 250)
    assert removal.gap_text == "remove 250 tCO2e more"
    assert judged["renewable-electricity-100"].status is Status.PASS


def test_zhejiang_prerequisites():
    given = dict(
        unit_product_level=("advanced", "not_listed"),
        green_factory_status=("national", "MIIT list 2023"),
        compliance_record_years=(3.0, "letters"),
        scope12_residual_tco2e=800.0,
        offset_retired_tco2e=800.0,
    )
    evaluation = evaluate(shipped_rule_set("zhejiang-2023"), facts(**given))
    assert evaluation.result is Status.PASS
    assert by_id(evaluation)["net-zero"].criterion.status == "unverified"  # judged, flagged
    given["unit_product_level"] = ("access", "baseline")
    judged = by_id(evaluate(shipped_rule_set("zhejiang-2023"), facts(**given)))
    assert judged["energy-advanced-value"].status is Status.FAIL
    assert judged["benchmark-level"].status is Status.FAIL
    assert judged["benchmark-level"].reason == "access, baseline is none of benchmark, not_listed"


def test_iso_14068_1_claim():
    given = dict(
        footprint_quantified=(True, "ISO 14064-1 verification statement"),
        management_plan=(True, "carbon neutrality management plan"),
        footprint_residual_tco2e=2_500.0,
        offset_retired_tco2e=2_000.0,
        credit_retirement_lag_months=15.0,
        credits_meet_criteria=(True, "registry extracts"),
        claim_evidence=(False, "draft statement"),
    )
    judged = by_id(evaluate(shipped_rule_set("iso-14068-1"), facts(**given)))
    assert judged["offset-residual"].gap_text == "offset 500 tCO2e more"
    late = judged["credits-within-12-months"]
    assert (late.status, late.gap, late.gap_text) == (Status.FAIL, 3, "3 months less")
    assert judged["claim-evidence"].status is Status.FAIL
    assert judged["claim-evidence"].reason == "declared false; required true"
    assert judged["reductions-first"].status is Status.UNABLE_TO_JUDGE


def test_a_value_on_a_share_threshold_meets_it_whatever_the_float_rounding():
    rules = read_rules(rules_of({**GOOD_CRITERION, "fact": "offset_retired_tco2e",
                                 "threshold": {"value": 80, "unit": "%", "of": "scope12_residual_tco2e"}}),
                       file="mine.yaml")  # fmt: skip
    assert 80 / 100 * 1_234.7 != 987.76  # the product of floats is not the decimal
    on = evaluate(rules, facts(scope12_residual_tco2e=1_234.7, offset_retired_tco2e=987.76))
    assert on.result is Status.PASS
    below = evaluate(rules, facts(scope12_residual_tco2e=1_234.7, offset_retired_tco2e=987.75))
    assert below.result is Status.FAIL and below.criteria[0].gap == pytest.approx(0.01)


def test_number_text():
    assert [number_text(v) for v in (856, 1234.5, 12000.0, 0.125, 62.0)] == [
        "856", "1,234.5", "12,000", "0.125", "62",
    ]  # fmt: skip


# --- bad rule files and facts --------------------------------------------------------------


GOOD_CRITERION = {
    "id": "cfe",
    "title_zh": "逐时匹配",
    "title_en": "Hourly matched",
    "fact": "hourly_matched_cfe_share_pct",
    "operator": ">=",
    "threshold": {"value": 80, "unit": "%"},
    "source": {"document": "Customer code", "clause": "4.2"},
    "status": "unverified",
    "note": "a customer's",
}


def rules_of(*criteria, **top):
    return {
        "scheme": "customer",
        "title_zh": "客户要求",
        "title_en": "Customer requirement",
        "document": "Customer code",
        "criteria": list(criteria),
        **top,
    }


def problems_of(data):
    with pytest.raises(InputError) as caught:
        read_rules(data, file="bad.yaml")
    return [(p.where, p.field, p.value) for p in caught.value.problems]


def test_a_good_user_rule_set_is_custom():
    rules = read_rules(rules_of(GOOD_CRITERION), file="mine.yaml")
    assert rules.origin == "custom" and rules.file == "mine.yaml"
    result = evaluate(rules, facts(hourly_matched_cfe_share_pct=48.5))
    assert result.criteria[0].gap == 31.5
    assert "customer" not in {r.scheme for r in shipped_rule_sets()}  # kept apart


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"fact": "green_power"}, "fact", "green_power"),
        ({"operator": "in"}, "operator", "in"),
        ({"threshold": {"value": 0.8, "unit": "1"}}, "threshold.unit", "1"),
        ({"threshold": {"value": -1, "unit": "%"}}, "threshold.value", -1),
        ({"threshold": "about 80"}, "threshold", "about 80"),
        ({"threshold": "unknown", "status": "official"}, "status", "official"),
        ({"status": "draft"}, "status", "draft"),
        ({"source": "a book"}, "source", "a book"),
        ({"source": {"document": "Customer code"}}, "source.clause", None),
        ({"id": "Has Spaces"}, "id", "Has Spaces"),
        ({"weight": 2}, "weight", 2),
        ({"threshold": {"value": 100, "unit": "%", "of": "compliance_record_years"}},
         "threshold.of", "compliance_record_years"),
    ],
)  # fmt: skip
def test_a_bad_criterion_is_refused_naming_file_criterion_field_and_value(change, field, value):
    found = problems_of(rules_of({**GOOD_CRITERION, **change}))
    assert ("bad.yaml criterion cfe" if "id" not in change else "bad.yaml criterion Has Spaces",
            field, value) in found  # fmt: skip


def test_bad_code_and_flag_thresholds_and_duplicates_are_refused():
    code = {**GOOD_CRITERION, "id": "gf", "fact": "green_factory_status", "operator": "in",
            "threshold": {"values": ["provincial", "gold"]}}  # fmt: skip
    flag = {**GOOD_CRITERION, "id": "plan", "fact": "management_plan", "operator": "==",
            "threshold": {"value": "yes"}}  # fmt: skip
    found = problems_of(rules_of(code, flag, GOOD_CRITERION, GOOD_CRITERION))
    assert ("bad.yaml criterion gf", "threshold.values", ["gold"]) in found
    assert ("bad.yaml criterion plan", "threshold", {"value": "yes"}) in found
    assert ("bad.yaml criterion cfe", "id", "cfe") in found  # given twice
    assert problems_of(rules_of()) == [("bad.yaml", "criteria", [])]


def test_a_rule_file_that_is_not_yaml_or_missing(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("scheme: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not YAML"):
        read_rule_file(broken)
    with pytest.raises(InputError, match="cannot be read"):
        read_rule_file(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="must be one of iso-14068-1"):
        shipped_rule_set("suzhou-2099")


def test_bad_facts_are_refused_all_at_once():
    with pytest.raises(InputError) as caught:
        read_facts(
            {
                "facts": {
                    "green_power_pct": 5,
                    "renewable_electricity_share_pct": 120,
                    "offset_retired_tco2e": -3,
                    "scope12_residual_tco2e": "lots",
                    "green_factory_status": {"value": "gold", "evidence": "x"},
                    "management_plan": "yes",
                    "unit_product_level": ["advanced", "excellent"],
                    "compliance_record_years": {"value": 3, "evidence": ""},
                }
            },
            origin="facts.yaml",
        )
    fields = {(p.field, repr(p.value)) for p in caught.value.problems}
    assert fields == {
        ("name", repr("green_power_pct")),
        ("renewable_electricity_share_pct", repr(120)),
        ("offset_retired_tco2e", repr(-3)),
        ("scope12_residual_tco2e", repr("lots")),
        ("green_factory_status", repr("gold")),
        ("management_plan", repr("yes")),
        ("unit_product_level", repr(["advanced", "excellent"])),
        ("evidence", repr("")),
    }
    assert all(p.where.startswith("facts.yaml fact ") for p in caught.value.problems)
    with pytest.raises(InputError, match="field 'fact' = \\(missing\\): must be one of"):
        read_facts({"facts": {}, "fact": {"management_plan": True}}, origin="facts.yaml")


# --- hourly matching -----------------------------------------------------------------------


def hours_from(start, n, minutes=60):
    return [start + timedelta(minutes=minutes * i) for i in range(n)]


def test_hourly_matching_by_hand_four_hours():
    # hour:        1  2  3  4
    # consumption: 2  2  2  2   = 8
    # supply:      4  0  3  1   = 8
    # matched:     2  0  2  1   = 5 -> 62.5 %; volumetric min(8, 8) / 8 = 100 %
    result = hourly_match(hours_from(datetime(2025, 3, 1), 4), [2, 2, 2, 2], {"pv": [4, 0, 3, 1]})
    assert result.hourly_share_pct == 62.5
    assert result.volumetric_share_pct == 100
    assert (result.matched_kwh, result.unmatched_kwh, result.unmatched_hours) == (5, 3, 2)
    assert result.heat_map_share_pct[0, :4].tolist() == [100, 0, 100, 50]
    assert np.isnan(result.heat_map_share_pct[0, 4:]).all()


def test_fifteen_minute_steps_are_summed_into_hours_before_matching():
    # hour 1: consumption 1+1+1+1 = 4, supply 0+0+6+0 = 6 -> matched 4 (per step it would be 1)
    # hour 2: consumption 2+2+2+2 = 8, supply pv 1+1+1+1 + wind 1 = 5 -> matched 5
    # hourly 9 / 12 = 75 %; volumetric min(11, 12) / 12 = 91.67 %
    result = hourly_match(
        hours_from(datetime(2025, 3, 1, 6), 8, minutes=15),
        [1, 1, 1, 1, 2, 2, 2, 2],
        {"pv": [0, 0, 6, 0, 1, 1, 1, 1], "wind": [0, 0, 0, 0, 0, 0, 0, 1]},
    )
    assert result.step_minutes == 15 and result.hours == 2
    assert result.hourly_share_pct == 75
    assert result.volumetric_share_pct == pytest.approx(1100 / 12)
    assert result.supply_by_source_kwh == {"pv": 10, "wind": 1}
    assert result.unmatched_hours == 1
    assert result.heat_map_share_pct[0, 6:8].tolist() == [100, 62.5]


def test_the_heat_map_crosses_midnight():
    result = hourly_match(
        hours_from(datetime(2025, 3, 1, 22), 4), [1, 1, 0, 4], {"pv": [1, 0, 5, 1]}
    )
    assert [d.isoformat() for d in result.days] == ["2025-03-01", "2025-03-02"]
    grid = result.heat_map_share_pct
    assert grid[0, 22:].tolist() == [100, 0]
    assert math.isnan(grid[1, 0])  # nothing consumed: no share
    assert grid[1, 1] == 25 and result.heat_map_consumption_kwh[1, 0] == 0
    assert np.isnan(grid[0, :22]).all() and np.isnan(grid[1, 2:]).all()


def pandas_matching(index, consumption, supply):
    """The same figures as plain pandas: resample to hours, then min per hour."""
    frame = pd.DataFrame({"c": consumption, "s": supply}, index=pd.DatetimeIndex(index))
    hourly = frame.resample("1h").sum()
    matched = hourly.min(axis=1)
    share = matched.sum() / hourly["c"].sum() * 100
    volumetric = min(hourly["s"].sum(), hourly["c"].sum()) / hourly["c"].sum() * 100
    unmatched = int((hourly["c"] > hourly["s"]).sum())
    table = pd.DataFrame(
        {"day": hourly.index.date, "hour": hourly.index.hour, "v": matched / hourly["c"] * 100}
    ).pivot(index="day", columns="hour", values="v")
    return share, volumetric, unmatched, table


def test_hourly_matching_agrees_with_pandas():
    rng = np.random.default_rng(14)
    index = hours_from(datetime(2025, 6, 1), 7 * 96, minutes=15)
    steps = np.arange(len(index))
    consumption = 200 + 50 * rng.random(len(index))
    solar = np.clip(np.sin((steps % 96 - 24) / 48 * np.pi), 0, None) * 400
    supply = solar * rng.random(len(index)) + 30 * rng.random(len(index))
    result = hourly_match(index, consumption, {"pv": supply})
    share, volumetric, unmatched, table = pandas_matching(index, consumption, supply)
    assert result.hourly_share_pct == pytest.approx(share, rel=1e-12)
    assert result.volumetric_share_pct == pytest.approx(volumetric, rel=1e-12)
    assert result.unmatched_hours == unmatched
    np.testing.assert_allclose(result.heat_map_share_pct, table.to_numpy(), rtol=1e-12)
    # many facilities at once: each row as the one-facility figure
    many = match_many(
        np.stack([consumption, consumption[::-1]]), np.stack([supply, supply]), steps_per_hour=4
    )
    second = pandas_matching(index, consumption[::-1], supply)
    assert many.hourly_share_pct.tolist() == pytest.approx([share, second[0]], rel=1e-12)
    assert many.unmatched_hours.tolist() == [unmatched, second[2]]


@pytest.mark.parametrize(
    ("consumption", "supply", "match"),
    [
        ([1, 2, 3], {"pv": [1, 2, 3, 4]}, "one value per timestamp"),
        ([1, 2, -3, 4], {"pv": [1, 2, 3, 4]}, "must not be negative"),
        ([1, 2, 3, 4], {"pv": [1, float("nan"), 3, 4]}, "not NaN or infinite"),
        ([0, 0, 0, 0], {"pv": [1, 2, 3, 4]}, "sums to zero"),
        ([1, 2, 3, 4], {}, "needs a supply"),
    ],
)
def test_bad_series_are_refused(consumption, supply, match):
    with pytest.raises(InputError, match=match):
        hourly_match(hours_from(datetime(2025, 1, 1), 4), consumption, supply)


def test_uneven_or_partial_hours_are_refused():
    uneven = hours_from(datetime(2025, 1, 1), 4)
    uneven[2] += timedelta(minutes=30)
    with pytest.raises(InputError, match="must follow the step before by 60 minutes"):
        hourly_match(uneven, [1, 1, 1, 1], {"pv": [1, 1, 1, 1]})
    with pytest.raises(InputError, match="begin at a whole hour"):
        hourly_match(hours_from(datetime(2025, 1, 1, 0, 15), 4, 15), [1] * 4, {"pv": [1] * 4})
    with pytest.raises(InputError, match="end at the end of an hour"):
        hourly_match(hours_from(datetime(2025, 1, 1), 6, 15), [1] * 6, {"pv": [1] * 6})
    with pytest.raises(InputError, match="shape of the consumption"):
        match_many(np.ones((2, 4)), np.ones((3, 4)))


# --- the command line ----------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(main, ["--lang", "en", *args])


def test_evaluate_json_contract():
    done = invoke("evaluate", str(EXAMPLES / "evaluation-facts.yaml"), "--scheme",
                  "suzhou-2026", "--format", "json")  # fmt: skip
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["scheme"] == "suzhou-2026" and document["result"] == "fail"
    criteria = {c["id"]: c for c in document["criteria"]}
    for c in criteria.values():
        assert {"id", "status", "value", "threshold", "gap"} <= set(c)
    assert criteria["offset-100"] == criteria["offset-100"] | {
        "status": "fail", "value": 11144.0, "threshold": 12000.0, "gap": 856.0,
        "gap_text": "offset 856 tCO2e more",
    }  # fmt: skip
    explicit = invoke("evaluate", "facts", str(EXAMPLES / "evaluation-facts.yaml"),
                      "--scheme", "suzhou-2026", "--format", "json")  # fmt: skip
    assert json.loads(explicit.stdout) == document


def test_evaluate_with_a_user_rule_set_and_in_chinese():
    done = invoke("evaluate", str(EXAMPLES / "evaluation-facts.yaml"), "--rules",
                  str(EXAMPLES / "evaluation-rules.yaml"), "--format", "json")  # fmt: skip
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["origin"] == "custom" and document["criteria"][0]["gap"] == 31.5
    chinese = CliRunner().invoke(
        main, ["--lang", "zh-CN", "evaluate", str(EXAMPLES / "evaluation-facts.yaml"),
               "--scheme", "suzhou-2026"],
    )  # fmt: skip
    assert chinese.exit_code == 0, chinese.output
    assert "还需抵消 856 tCO2e" in chinese.stdout and "未通过" in chinese.stdout


def test_evaluate_takes_the_hourly_share_from_series_files(tmp_path):
    series = [str(EXAMPLES / "evaluation-consumption.csv"), str(EXAMPLES / "evaluation-supply.csv")]
    matched = json.loads(invoke("evaluate", "match", *series, "--format", "json").stdout)
    share = matched["hourly_matched_cfe_share_pct"]
    plain = tmp_path / "facts.yaml"
    plain.write_text("facts:\n  renewable_electricity_share_pct: 62\n", encoding="utf-8")
    done = invoke("evaluate", str(plain), "--rules", str(EXAMPLES / "evaluation-rules.yaml"),
                  "--consumption", series[0], "--supply", series[1], "--format", "json")  # fmt: skip
    assert done.exit_code == 0, done.output
    cfe = json.loads(done.stdout)["criteria"][0]
    assert cfe["value"] == share and cfe["gap"] == pytest.approx(80 - share)
    assert cfe["evidence"] == "evaluation-consumption.csv, evaluation-supply.csv"
    # the facts file gives it too: refused; one file without the other: refused
    twice = invoke("evaluate", str(EXAMPLES / "evaluation-facts.yaml"), "--rules",
                   str(EXAMPLES / "evaluation-rules.yaml"), "--consumption", series[0],
                   "--supply", series[1])  # fmt: skip
    assert twice.exit_code == 2 and "hourly_matched_cfe_share_pct" in twice.stderr
    alone = invoke("evaluate", str(plain), "--scheme", "suzhou-2026", "--consumption", series[0])
    assert alone.exit_code == 2 and "go together" in alone.stderr


def test_evaluate_refuses_bad_input_with_exit_2(tmp_path):
    bad = tmp_path / "facts.yaml"
    bad.write_text("facts:\n  offset_retired_tco2e: -5\n", encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text("scheme: x\ncriteria: []\n", encoding="utf-8")
    facts_file = str(EXAMPLES / "evaluation-facts.yaml")
    for args, said in (
        (("evaluate", str(bad), "--scheme", "suzhou-2026"), "offset_retired_tco2e"),
        (("evaluate", facts_file, "--scheme", "nowhere"), "nowhere"),
        (("evaluate", facts_file), "--scheme"),
        (("evaluate", facts_file, "--rules", str(rules)), "criteria"),
        (("evaluate", facts_file, "--rules", str(EXAMPLES / "evaluation-rules.yaml"),
          "--scheme", "suzhou-2026"), "holds scheme customer-cfe-2025"),
    ):  # fmt: skip
        done = invoke(*args)
        assert done.exit_code == 2, (args, done.output)
        assert done.stdout == "" and said in done.stderr, args


def test_evaluate_match_from_files(tmp_path):
    consumption = tmp_path / "c.csv"
    supply = tmp_path / "s.csv"
    consumption.write_text(
        "timestamp,main\n2025-03-01T00:00,2\n2025-03-01T01:00,2\n2025-03-01T02:00,2\n"
        "2025-03-01T03:00,2\n", encoding="utf-8",
    )  # fmt: skip
    supply.write_text(
        "timestamp,pv,wind\n2025-03-01T00:00,3,1\n2025-03-01T01:00,0,0\n"
        "2025-03-01T02:00,2,1\n2025-03-01T03:00,1,0\n", encoding="utf-8",
    )  # fmt: skip
    done = invoke("evaluate", "match", str(consumption), str(supply), "--format", "json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["hourly_matched_cfe_share_pct"] == 62.5
    assert document["volumetric_share_pct"] == 100
    assert document["supply_by_source_kwh"] == {"pv": 6, "wind": 2}
    assert document["heat_map"]["share_pct"][0][:5] == [100, 0, 100, 50, None]
    grid = invoke("evaluate", "match", str(consumption), str(supply), "--heat-map",
                  "--format", "csv")  # fmt: skip
    assert grid.stdout.splitlines()[1].startswith("2025-03-01,100.0,0.0,100.0,50.0,,")
    # another timestamp, a negative value: refused, exit 2
    supply.write_text(supply.read_text().replace("T02:00,2", "T02:30,2"), encoding="utf-8")
    done = invoke("evaluate", "match", str(consumption), str(supply))
    assert done.exit_code == 2 and "s.csv row 4" in done.stderr and done.stdout == ""
    supply.write_text(supply.read_text().replace("T02:30,2", "T02:00,-2"), encoding="utf-8")
    done = invoke("evaluate", "match", str(consumption), str(supply))
    assert done.exit_code == 2 and "must be a finite number, not negative" in done.stderr


def test_every_fact_and_shipped_scheme_is_documented():
    text = (ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    spans = set(re.findall(r"`([^`\n]+)`", text))
    missing = [name for name in FACTS if name not in spans]
    missing += [r.scheme for r in shipped_rule_sets() if r.scheme not in spans]
    missing += [f"{r.scheme}:{c.id}" for r in shipped_rule_sets() for c in r.criteria
                if c.id not in spans]  # fmt: skip
    assert not missing, f"undocumented in docs/evaluation.md: {missing}"


def test_match_sums_the_consumption_columns_and_keeps_wall_clock_times(tmp_path):
    consumption = tmp_path / "meters.csv"
    supply = tmp_path / "green.csv"
    rows = ["timestamp,hall_a,hall_b"]
    rows += [f"2025-03-01T{h:02d}:{m:02d}+08:00,1,0.5" for h in (23,) for m in (0, 15, 30, 45)]
    consumption.write_text("\n".join(rows) + "\n", encoding="utf-8")
    supply.write_text(
        "timestamp,pv\n" + "".join(f"2025-03-01T23:{m:02d}+08:00,1\n" for m in (0, 15, 30, 45)),
        encoding="utf-8",
    )
    done = invoke("evaluate", "match", str(consumption), str(supply), "--format", "json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    # one hour: consumption 4 x 1.5 = 6 kWh, supply 4 kWh: 66.67 %, at 23:00 local time
    assert document["consumption_kwh"] == 6 and document["matched_kwh"] == 4
    assert document["hourly_matched_cfe_share_pct"] == pytest.approx(200 / 3)
    assert document["heat_map"]["days"] == ["2025-03-01"]
    assert document["heat_map"]["share_pct"][0][23] == pytest.approx(200 / 3)
    # a row of another UTC offset is refused
    supply.write_text(supply.read_text().replace("23:15+08:00", "15:15+00:00"), encoding="utf-8")
    done = invoke("evaluate", "match", str(consumption), str(supply))
    assert done.exit_code == 2 and "same UTC offset" in done.stderr


@pytest.mark.parametrize("name", ["facts.yaml", "rules.yaml", "consumption.csv"])
def test_a_file_that_is_not_utf8_is_refused_naming_it(tmp_path, name):
    from lingtan.evaluation.facts import read_facts_file
    from lingtan.evaluation.matching import read_series_file
    from lingtan.evaluation.rules import read_rule_file

    read = {"facts.yaml": read_facts_file, "rules.yaml": read_rule_file}.get(name, read_series_file)
    path = tmp_path / name
    path.write_bytes("设施: 苏州".encode("gb18030"))
    with pytest.raises(InputError) as refused:
        read(path)
    (problem,) = refused.value.problems
    assert (problem.where, problem.field, str(problem.rule)) == (name, "file", "is not UTF-8 text")
