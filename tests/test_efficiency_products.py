"""Unit-product energy against the quota grades and the NDRC benchmark/baseline levels
(issue 12, part 4): the pure position against hand-picked shipped rows, custom quota tables,
the service on a small store and the two commands. Every expected figure is worked by hand in
the comments from the shipped rows of ndrc-2023-723-levels.csv."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from lingtan.efficiency.grading import Level
from lingtan.efficiency.products import position, products
from lingtan.efficiency.standards import read_standards_text
from lingtan.errors import InputError

# --- The pure position against the shipped NDRC rows -----------------------------------------


def test_on_the_benchmark_threshold_reaches_it():
    # ferrosilicon benchmark 1770, baseline 1850 kgce/t (official rows)
    judged = position("ferrosilicon", 1770, "kgce/t")
    assert judged.level == Level.LEVEL_1 and judged.metric == "energy_kgce_per_t"
    (ladder,) = judged.ladders
    assert ladder.scale == "ndrc" and ladder.reached.grade == "benchmark"
    assert ladder.next_better is None and ladder.gap is None and ladder.gap_pct is None
    assert ladder.status == "official" and judged.status == "official"
    assert "the best it gives" in judged.reason
    assert ladder.reached.provenance()["source"] == "energy-anchors.md §4.3"


def test_on_the_baseline_threshold_and_the_gap_to_the_benchmark():
    judged = position("ferrosilicon", 1850, "kgce/t")
    (ladder,) = judged.ladders
    assert judged.level == Level.LEVEL_3 and ladder.reached.grade == "baseline"
    assert ladder.next_better.grade == "benchmark"
    # 1850 - 1770 = 80 kgce/t, 80 / 1850 = 4.324 %
    assert ladder.gap == pytest.approx(80.0)
    assert ladder.gap_pct == pytest.approx(100 * 80 / 1850)


def test_between_levels():
    # silicomanganese benchmark 860, baseline 950: 900 reaches the baseline, 40 kgce/t short
    judged = position("silicomanganese", 900, "kgce/t")
    (ladder,) = judged.ladders
    assert judged.level == Level.LEVEL_3
    assert (ladder.reached.value, ladder.next_better.value) == (950, 860)
    assert ladder.gap == pytest.approx(40.0) and ladder.gap_pct == pytest.approx(100 * 40 / 900)
    assert [t.grade for t in ladder.thresholds] == ["benchmark", "baseline"]
    assert ladder.used == (ladder.reached, ladder.next_better)


def test_beyond_the_baseline_is_not_compliant():
    judged = position("silicomanganese", 1000, "kgce/t")
    (ladder,) = judged.ladders
    assert judged.level == Level.NOT_COMPLIANT and ladder.reached is None
    # the next better level is the minimum: baseline 950; 50 kgce/t = 5 % of 1000
    assert ladder.next_better.grade == "baseline"
    assert ladder.gap == pytest.approx(50.0) and ladder.gap_pct == pytest.approx(5.0)
    assert "misses the baseline level" in judged.reason


def test_a_figure_in_other_units_is_converted_and_its_gap_kept_in_its_unit():
    # 1.8 tce/t = 1800 kgce/t: baseline; 30 kgce/t = 0.03 tce/t from the benchmark, 1.667 %
    judged = position("ferrosilicon", 1.8, "tce/t")
    (ladder,) = judged.ladders
    assert ladder.value == pytest.approx(1800.0) and ladder.unit == "kgce/t"
    assert ladder.gap == pytest.approx(0.03) and ladder.gap_pct == pytest.approx(100 / 60)
    # aluminium liquid AC power: benchmark 13000, baseline 13350 kWh/t (unverified rows)
    judged = position("electrolytic_aluminium", 13.2, "MWh/t")
    (ladder,) = judged.ladders
    assert ladder.value == pytest.approx(13_200.0) and judged.level == Level.LEVEL_3
    assert ladder.gap == pytest.approx(0.2)  # MWh/t
    assert ladder.status == "unverified" and judged.status == "unverified"
    assert "unverified" in judged.reason


def test_negative_levels_of_converter_steelmaking():
    # benchmark -30, baseline -10 kgce/t (a converter recovers more energy than it uses)
    judged = position("converter_steelmaking", -20, "kgce/t")
    (ladder,) = judged.ladders
    assert judged.level == Level.LEVEL_3
    assert ladder.gap == pytest.approx(10.0) and ladder.gap_pct == pytest.approx(50.0)
    assert position("converter_steelmaking", -35, "kgce/t").level == Level.LEVEL_1
    assert position("converter_steelmaking", -5, "kgce/t").level == Level.NOT_COMPLIANT


def test_the_unverified_flag_follows_the_rows_used():
    # cement clinker rows (100 / 117) are unverified
    judged = position("cement_clinker", 110, "kgce/t")
    assert judged.level == Level.LEVEL_3 and judged.status == "unverified"
    (ladder,) = judged.ladders
    assert {t.status for t in ladder.used} == {"unverified"}
    assert "check it against the printed standard" in judged.reason


def test_a_unit_of_the_wrong_dimension_is_refused():
    with pytest.raises(InputError) as caught:
        position("ferrosilicon", 14_000, "kWh/t")  # electricity is no standard coal
    (problem,) = caught.value.problems
    assert problem.field == "unit" and problem.value == "kWh/t"
    assert "standard coal per mass" in str(problem.rule)
    with pytest.raises(InputError):
        position("electrolytic_aluminium", 1600, "kgce/t")
    with pytest.raises(InputError):
        position("ferrosilicon", 1800, "kgce")  # not per unit of product
    with pytest.raises(InputError) as caught:
        position("ferrosilicon", float("nan"), "kgce/t")
    assert caught.value.problems[0].field == "value"


def test_a_row_unit_pint_cannot_read_takes_the_same_text_only():
    # flat glass: 8.5 / 12 kgce per weight box (重量箱, no pint unit)
    judged = position("flat_glass", 10, "kgce/weight box")
    assert judged.level == Level.LEVEL_3 and judged.ladders[0].gap == pytest.approx(1.5)
    with pytest.raises(InputError):
        position("flat_glass", 10, "kgce/t")


def test_a_product_without_a_table_is_out_of_scope():
    judged = position("lfp_cells", 12.0, "kgce/t")
    assert judged.level == Level.OUT_OF_SCOPE and judged.ladders == ()
    assert "ferrosilicon" in judged.reason and judged.status is None
    assert set(products()) >= {"ferrosilicon", "cement_clinker", "electrolytic_aluminium"}


HEADER = "table_id,standard,year,type,kind,metric,grade,value,unit,direction,status,note\n"


def _quota(rows: str):
    return read_standards_text(HEADER + rows, "quota.csv")


def test_quota_grades_and_benchmark_levels_together():
    tables = _quota(
        "acme-quota,Q/ACME 1,2024,product,clinker,energy_kgce_per_t,1,100,kgce/t,lower_is_better,official,\n"
        "acme-quota,Q/ACME 1,2024,product,clinker,energy_kgce_per_t,2,110,kgce/t,lower_is_better,official,\n"
        "acme-quota,Q/ACME 1,2024,product,clinker,energy_kgce_per_t,3,117,kgce/t,lower_is_better,official,\n"
        "acme-levels,NDRC test,2023,product,clinker,energy_kgce_per_t,benchmark,104,kgce/t,lower_is_better,unverified,check\n"
        "acme-levels,NDRC test,2023,product,clinker,energy_kgce_per_t,baseline,117,kgce/t,lower_is_better,unverified,check\n"
    )  # fmt: skip
    judged = position("clinker", 105, "kgce/t", standards=tables)
    quota, ndrc = judged.ladders
    assert (quota.scale, ndrc.scale) == ("quota", "ndrc")
    # 105 ≤ 110: grade 2, 5 kgce/t from grade 1; against the levels: baseline, 1 from 104
    assert quota.level == Level.LEVEL_2 and quota.gap == pytest.approx(5.0)
    assert ndrc.level == Level.LEVEL_3 and ndrc.gap == pytest.approx(1.0)
    assert judged.level == Level.LEVEL_3  # the worse of the two
    assert quota.status == "official" and ndrc.status == "unverified"
    assert judged.status == "unverified"
    assert position("clinker", 100, "kgce/t", standards=tables).ladders[0].level == Level.LEVEL_1


def test_older_quota_editions_and_no_data_cells():
    tables = _quota(
        "old-quota,GB 0000,2012,product,glass,energy_kgce_per_t,advanced,14,kgce/t,lower_is_better,official,\n"
        "old-quota,GB 0000,2012,product,glass,energy_kgce_per_t,access,—,kgce/t,lower_is_better,official,\n"
        "old-quota,GB 0000,2012,product,glass,energy_kgce_per_t,limit,18,kgce/t,lower_is_better,official,\n"
    )  # fmt: skip
    (ladder,) = position("glass", 16, "kgce/t", standards=tables).ladders
    # the access value is — (no data): 16 meets the limit value, 2 from the advanced value
    assert ladder.level == Level.LEVEL_3 and ladder.reached.grade == "limit"
    assert ladder.next_better.grade == "advanced" and ladder.gap == pytest.approx(2.0)
    assert "the limit value" in ladder.reason and "the advanced value" in ladder.reason
    (ladder,) = position("glass", 19, "kgce/t", standards=tables).ladders
    assert ladder.level == Level.NOT_COMPLIANT and ladder.gap == pytest.approx(1.0)


def test_several_metrics_in_one_unit_need_the_metric():
    tables = _quota(
        "two,Q 2,2024,product,cement,clinker_kgce_per_t,1,100,kgce/t,lower_is_better,official,\n"
        "two,Q 2,2024,product,cement,cement_kgce_per_t,1,90,kgce/t,lower_is_better,official,\n"
        "two,Q 2,2024,product,cement,cement_power_kwh_per_t,1,80,kWh/t,lower_is_better,official,\n"
    )  # fmt: skip
    with pytest.raises(InputError) as caught:
        position("cement", 95, "kgce/t", standards=tables)
    assert caught.value.problems[0].field == "metric"
    judged = position("cement", 95, "kgce/t", standards=tables, metric="cement_kgce_per_t")
    assert judged.level == Level.NOT_COMPLIANT and judged.ladders[0].gap == pytest.approx(5.0)
    # the unit alone chooses where one metric takes it
    assert position("cement", 75, "kWh/t", standards=tables).metric == "cement_power_kwh_per_t"
    with pytest.raises(InputError) as caught:
        position("cement", 95, "kgce/t", standards=tables, metric="nope")
    assert "must be one of" in str(caught.value)


# --- The service on a small store --------------------------------------------------------------

KGCE_PER_KWH = 0.1229  # GB/T 2589 equivalent value
JANUARY_KWH = 10 * 100_000.0  # ten days of 100,000 kWh


@pytest.fixture
def plant(store_engine):
    """Facility F1 with one electricity supply meter (100,000 kWh a day on 1-10 January 2025)
    and three products: FESI 68 t, AL 75 t, CELL 500 pieces in January."""
    from lingtan.metering.store import MeterDefinition, NodeDefinition
    from lingtan.store.db import session_scope
    from lingtan.store.models import Meter, MeterDay, Product, ProductionRecord
    from metering_support import add_plant

    with session_scope(store_engine) as session:
        facility = add_plant(
            session,
            [NodeDefinition("site", "Site", "facility", None)],
            [MeterDefinition("E-MAIN", "electricity", "kWh", "cumulative", node="site",
                             flow="supply")],
        )  # fmt: skip
        meter = session.scalar(sa.select(Meter.id))
        for day in range(1, 11):
            session.add(
                MeterDay(
                    meter_id=meter,
                    day=date(2025, 1, day),
                    energy=100_000.0,
                    estimated=0.0,
                    measured_intervals=96,
                    estimated_intervals=0,
                    missing_intervals=0,
                )
            )
        for code, unit, quantity in (("FESI", "t", 68.0), ("AL", "t", 75.0), ("CELL", "pcs", 500)):
            product = Product(facility_id=facility.id, code=code, name=code.title(), unit=unit)
            session.add(product)
            session.flush()
            session.add(
                ProductionRecord(
                    product_id=product.id,
                    period_start=date(2025, 1, 1),
                    period_end=date(2025, 1, 31),
                    quantity=quantity,
                )
            )
    return store_engine


def test_the_service_computes_and_positions_each_product(plant):
    from lingtan.services.efficiency_products import product_positions
    from lingtan.store.db import session_scope

    with session_scope(plant) as session:
        result = product_positions(
            session, "F1", 2025, {"FESI": "ferrosilicon", "AL": "electrolytic_aluminium"}
        )
    assert result.months == ("2025-01",)  # the only month with meter data
    assert result.electricity["kgce_per_kwh"] == pytest.approx(KGCE_PER_KWH)
    assert result.electricity["factors"][0]["ref"] == "gbt-2589@1:electricity.equivalent"
    by_code = {f.product: f for f in result.figures}
    assert set(by_code) == {"AL", "CELL", "FESI"}
    fesi = by_code["FESI"]
    # 1,000,000 kWh x 0.1229 kgce/kWh = 122,900 kgce; / 68 t = 1807.35 kgce/t: baseline
    # (≤ 1850), 37.35 kgce/t from the benchmark 1770
    assert fesi.energy_tce == pytest.approx(122.9)
    assert fesi.value == pytest.approx(122_900 / 68) and fesi.unit == "kgce/t"
    assert fesi.position.level == Level.LEVEL_3
    assert fesi.position.ladders[0].gap == pytest.approx(122_900 / 68 - 1770)
    al = by_code["AL"]
    # aluminium rows are in kWh/t: 1,000,000 kWh / 75 t = 13,333.3 kWh/t ≤ 13,350: baseline
    assert al.unit == "kWh/t" and al.value == pytest.approx(JANUARY_KWH / 75)
    assert al.position.level == Level.LEVEL_3 and al.position.status == "unverified"
    cell = by_code["CELL"]
    assert cell.standards_product is None and cell.position.level == Level.OUT_OF_SCOPE
    assert cell.value == pytest.approx(122_900 / 500) and cell.unit == "kgce/pcs"
    assert any("equivalent value" in note for note in result.notes)


def test_the_service_refuses_a_mapping_to_an_unknown_product(plant):
    from lingtan.services.efficiency_products import parse_mapping, product_positions
    from lingtan.store.db import session_scope

    with session_scope(plant) as session, pytest.raises(InputError) as caught:
        product_positions(session, "F1", 2025, {"FESI": "unobtainium"})
    assert caught.value.problems[0].value == "unobtainium"
    with pytest.raises(InputError) as caught:
        parse_mapping(["FESI=ferrosilicon", "AL", "FESI=cement_clinker"])
    assert [p.value for p in caught.value.problems] == ["AL", "FESI=cement_clinker"]
    # a product made in pieces mapped to rows per tonne: the unit is refused, naming it
    with session_scope(plant) as session, pytest.raises(InputError) as caught:
        product_positions(session, "F1", 2025, {"CELL": "ferrosilicon"})
    assert caught.value.problems[0].field == "unit" and caught.value.problems[0].value == "pcs"


def _cli(database_url, *args, env=None):
    from click.testing import CliRunner

    from lingtan.cli.main import main

    return CliRunner().invoke(main, ["--db", database_url, *args], env=env)


def test_products_command(plant, database_url):
    result = _cli(
        database_url, "efficiency", "products", "--year", "2025", "--map", "FESI=ferrosilicon",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    fesi = next(p for p in data["products"] if p["product"] == "FESI")
    assert fesi["value"] == pytest.approx(122_900 / 68)
    assert fesi["position"]["ladders"][0]["reached_grade"] == "baseline"
    assert data["electricity_to_standard_coal"]["basis"] == "equivalent"
    table = _cli(
        database_url, "efficiency", "products", "--year", "2025", "--map", "FESI=ferrosilicon"
    )
    assert table.exit_code == 0 and "LEVEL_3" in table.stdout and "OUT_OF_SCOPE" in table.stdout
    chinese = _cli(
        database_url, "efficiency", "products", "--year", "2025", env={"LINGTAN_LANG": "zh-CN"}
    )
    assert chinese.exit_code == 0 and "标准产品" in chinese.stdout and "当量值" in chinese.stdout
    bad = _cli(database_url, "efficiency", "products", "--year", "2025", "--map", "FESI")
    assert bad.exit_code == 2 and "PRODUCT=STANDARDS_PRODUCT" in bad.stderr and not bad.stdout


def test_position_command():
    from click.testing import CliRunner

    from lingtan.cli.main import main

    runner = CliRunner()
    args = ["efficiency", "position", "--product", "ferrosilicon", "--value", "1.8", "--unit"]
    result = runner.invoke(main, [*args, "tce/t", "--format", "json"])
    assert result.exit_code == 0, result.output
    (ladder,) = json.loads(result.stdout)["ladders"]
    assert ladder["value"] == pytest.approx(1800) and ladder["gap"] == pytest.approx(0.03)
    assert ladder["level"] == "LEVEL_3" and ladder["thresholds"][0]["value"] == 1770
    csv_text = runner.invoke(main, [*args, "tce/t", "--format", "csv"]).stdout
    assert csv_text.splitlines()[0].startswith("product,scale,standard,metric,value,unit,level")
    wrong = runner.invoke(main, [*args, "kWh/t"])
    assert wrong.exit_code == 2 and "kWh/t" in wrong.stderr and not wrong.stdout
    chinese = runner.invoke(main, [*args, "kWh/t"], env={"LINGTAN_LANG": "zh-CN"})
    assert chinese.exit_code == 2 and "无法与单位为 kgce/t 的限值行比较" in chinese.stderr
    table = runner.invoke(main, [*args, "tce/t"], env={"LINGTAN_LANG": "zh-CN"})
    assert "达到等级" in table.stdout and "基准水平" in table.stdout
    outside = runner.invoke(main, ["efficiency", "position", "--product", "x", "--value", "1",
                                   "--unit", "kgce/t", "--format", "json"])  # fmt: skip
    assert outside.exit_code == 0 and json.loads(outside.stdout)["level"] == "OUT_OF_SCOPE"
