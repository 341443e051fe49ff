"""The standards pack and the grading rules, with items picked by hand from the tables.

The threshold values written here are read off the standards' tables (GB 18613-2020 Table 1,
GB 20052-2024 Tables 1 and 2, GB 19153-2019 Table 1, GB 40879-2021, NDRC 2023 levels) as
quoted in /work/shared/reference/energy-anchors.md §4 and the pack's provenance, not computed
from the package.
"""

from __future__ import annotations

import math

import pytest

from lingtan.efficiency.grading import Level, grade, grade_many
from lingtan.efficiency.replacement import replacement_estimate
from lingtan.efficiency.standards import (
    STANDARD_COLUMNS,
    read_standards_file,
    read_standards_text,
    shipped_standards,
)
from lingtan.errors import InputError

L1, L2, L3 = Level.LEVEL_1, Level.LEVEL_2, Level.LEVEL_3
NC, OOS, UTJ = Level.NOT_COMPLIANT, Level.OUT_OF_SCOPE, Level.UNABLE_TO_JUDGE


def motor(power, poles, efficiency=None):
    item = {"type": "motor", "rated_power_kw": power, "poles": poles}
    if efficiency is not None:
        item["efficiency_pct"] = efficiency
    return item


def oil(capacity, core, p0, pk, connection="Dyn11"):
    item = {
        "type": "transformer",
        "rated_capacity_kva": capacity,
        "voltage_kv": 10,
        "insulation": "oil",
        "core": core,
        "no_load_loss_kw": p0,
        "load_loss_kw": pk,
    }
    if connection:
        item["connection"] = connection
    return item


def dry(capacity, core, insulation_class, p0, pk):
    return {
        "type": "transformer",
        "rated_capacity_kva": capacity,
        "voltage_kv": 10,
        "insulation": "dry",
        "insulation_class": insulation_class,
        "core": core,
        "no_load_loss_kw": p0,
        "load_loss_kw": pk,
    }


def compressor(power, pressure, cooling, specific, drive="fixed"):
    return {
        "type": "air_compressor",
        "rated_power_kw": power,
        "discharge_pressure_mpa": pressure,
        "cooling": cooling,
        "drive": drive,
        "specific_power_kw_per_m3_min": specific,
    }


# --- the pack as data ------------------------------------------------------------------------


def test_every_shipped_table_reads_with_provenance():
    tables = {t.table_id: t for t in shipped_standards()}
    assert set(tables) == {
        "gb-18613-2020-table-1",
        "gb-20052-2024-table-1",
        "gb-20052-2024-table-2",
        "gb-19153-2019-table-1",
        "gb-24500-2020-table-4",
        "gb-30253-2024-table-1",
        "gb-30254-2024-table-1",
        "gb-19761-2020-table-1",
        "gb-19761-2020-table-2",
        "gb-19761-2020-table-3",
        "gb-19761-2020-table-4",
        "gb-19577-2024-table-1",
        "gb-19577-2024-table-2",
        "gb-24500-2020-clause-5-2",
        "gb-40879-2021-grades",
        "ndrc-2023-723-levels",
    }
    for table in tables.values():
        for row in table.thresholds:
            assert row.standard and row.title_zh and row.title_en and row.in_force
            assert row.source, row
            assert row.status in ("official", "unverified")
            if row.status == "unverified":
                assert row.note, row
    # 42 powers x 4 poles x 3 grades; the PUE grades are not seen in the primary text
    assert len(tables["gb-18613-2020-table-1"].thresholds) == 42 * 4 * 3
    assert tables["gb-40879-2021-grades"].statuses == {"official": 0, "unverified": 3}


def test_the_shipped_files_use_exactly_the_documented_columns():
    from importlib import resources

    folder = resources.files("lingtan") / "data" / "standards"
    for entry in folder.iterdir():
        header = entry.read_text(encoding="utf-8").splitlines()[0]
        assert tuple(header.split(",")) == STANDARD_COLUMNS, entry.name


def _by(table_id, metric=None):
    table = next(t for t in shipped_standards() if t.table_id == table_id)
    groups: dict[tuple, dict[str, float | None]] = {}
    for row in table.thresholds:
        if metric is None or row.metric == metric:
            groups.setdefault((row.metric, row.attributes), {})[row.grade] = row.value
    return groups


def test_grades_are_ordered_in_every_row_of_the_equipment_tables():
    """A transcription slip shows as a grade 1 worse than grade 2 or 3."""
    for table_id in ("gb-18613-2020-table-1", "gb-30253-2024-table-1"):
        for key, grades in _by(table_id).items():
            if grades["1"] is None:
                assert grades["2"] is None and grades["3"] is None, key
                continue
            assert grades["1"] >= grades["2"] >= grades["3"], key
    for table_id in ("gb-20052-2024-table-1", "gb-20052-2024-table-2", "gb-19153-2019-table-1"):
        for key, grades in _by(table_id).items():
            if grades["1"] is None:
                assert grades["2"] is None and grades["3"] is None, key
                continue
            assert grades["1"] <= grades["2"] <= grades["3"], key


def test_compressor_specific_power_rises_with_pressure_and_falls_with_power():
    table = next(t for t in shipped_standards() if t.table_id == "gb-19153-2019-table-1")
    cells = {
        (
            r.grade,
            r.attribute("cooling"),
            r.attribute("rated_power_kw"),
            r.attribute("discharge_pressure_mpa"),
        ): r.value
        for r in table.thresholds
        if r.value is not None
    }
    powers = sorted({k[2] for k in cells})
    pressures = sorted({k[3] for k in cells})
    assert powers == [1.5, 2.2, 3, 4, 5.5, 7.5, 11, 15, 18.5, 22, 30, 37]
    for (grade_, cooling, power, pressure), value in cells.items():
        higher = [p for p in pressures if p > pressure]
        if higher:
            assert cells[(grade_, cooling, power, higher[0])] > value
        larger = [p for p in powers if p > power and (grade_, cooling, p, pressure) in cells]
        if larger:
            assert cells[(grade_, cooling, larger[0], pressure)] <= value
        if cooling == "water":
            assert value < cells[(grade_, "air", power, pressure)]


@pytest.mark.parametrize("table_id", ["gb-18613-2020-table-1", "gb-30253-2024-table-1"])
def test_motor_efficiency_rises_with_power_in_every_grade_and_pole_count(table_id):
    table = next(t for t in shipped_standards() if t.table_id == table_id)
    series: dict[tuple, list[tuple[float, float]]] = {}
    for row in table.thresholds:
        if row.value is None:
            continue
        power = row.attribute("rated_power_kw")
        power = power[0] if isinstance(power, tuple) else power  # a range row: its low end
        series.setdefault((row.grade, row.attribute("poles")), []).append((power, row.value))
    for key, points in series.items():
        values = [v for _, v in sorted(points)]
        assert values == sorted(values), key


def test_grade_3_of_gb_18613_four_pole_is_ie3_of_iec_60034_30_1():
    """Independent check: IE3 4-pole nominal efficiencies of IEC 60034-30-1:2014 Table 2."""
    ie3_4_pole = {
        0.75: 82.5, 1.1: 84.1, 1.5: 85.3, 2.2: 86.7, 3: 87.7, 4: 88.6, 5.5: 89.6, 7.5: 90.4,
        11: 91.4, 15: 92.1, 18.5: 92.6, 22: 93.0, 30: 93.6, 37: 93.9, 45: 94.2, 55: 94.6,
        75: 95.0, 90: 95.2, 110: 95.4, 132: 95.6, 160: 95.8, 200: 96.0, 315: 96.0, 1000: 96.0,
    }  # fmt: skip
    table = next(t for t in shipped_standards() if t.table_id == "gb-18613-2020-table-1")
    grade_3 = {
        row.attribute("rated_power_kw"): row.value
        for row in table.thresholds
        if row.grade == "3" and row.attribute("poles") == "4"
    }
    assert {p: grade_3[p] for p in ie3_4_pole} == ie3_4_pole


# --- GB 18613-2020 Table 1: low-voltage motors -----------------------------------------------


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        (motor(0.75, 4, 88.2), L1, 88.2),  # exactly on grade 1 (IE5)
        (motor(0.75, 4, 88.1), L2, 85.7),
        (motor(7.5, 4, 90.4), L3, 90.4),  # exactly on grade 3 (IE3, the minimum)
        (motor(7.5, 4, 90.39), NC, 90.4),
        (motor(37, 2, 94.8), L2, 94.8),
        (motor(55, 4, 96.5), L1, 96.5),
        (motor(0.12, 8, 50.7), L3, 50.7),
        (motor(200, 4, 96.7), L2, 96.7),
        (motor(1000, 6, 95.9), L3, 95.8),
        (motor(11, 4.0, 93.3), L2, 93.3),  # poles as a float from a spreadsheet
    ],
)
def test_motors(item, level, limit):
    result = grade(item)
    assert result.level == level, result.reason
    (threshold,) = result.thresholds
    assert threshold.value == limit
    assert threshold.standard == "GB 18613" and threshold.year == "2020"
    assert threshold.page == "4" and "Table 1" in threshold.table
    assert threshold.provenance()["status"] == "official"
    assert result.standard == "GB 18613-2020 表1 Table 1"


def test_motor_out_of_scope_and_unable_to_judge():
    big = grade(motor(1200, 4, 97.0))
    assert big.level == OOS and "rated_power_kw = 1200" in big.reason
    assert "no extrapolation" in big.reason
    ten = grade(motor(11, 10, 93.0))
    assert ten.level == OOS and "poles = 10" in ten.reason and "2, 4, 6, 8" in ten.reason
    between = grade(motor(12, 4, 95.0))
    assert between.level == UTJ and "between the rows 11 and 15" in between.reason
    no_poles = grade({"type": "motor", "rated_power_kw": 11, "efficiency_pct": 93.0})
    assert no_poles.level == UTJ and no_poles.reason.startswith("poles is needed")
    no_efficiency = grade(motor(11, 4))
    assert no_efficiency.level == UTJ and "efficiency_pct is needed" in no_efficiency.reason
    assert grade({"type": "pump"}).level == OOS


# --- GB 30253-2024 Table 1: line-start permanent-magnet synchronous motors -------------------


def pmsm(power, poles, efficiency, drive="fixed"):
    return {
        "type": "pm_motor",
        "rated_power_kw": power,
        "poles": poles,
        "efficiency_pct": efficiency,
        "drive": drive,
    }


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        (pmsm(11, 4, 95.1), L1, 95.1),  # exactly on grade 1
        (pmsm(11, 16, 90.7), L2, 90.7),
        (pmsm(0.55, 8, 77.0), L3, 77.0),
        (pmsm(0.55, 8, 76.9), NC, 77.0),
        (pmsm(90, 10, 95.5), L2, 95.5),
        (pmsm(400, 6, 96.6), L3, 96.6),  # the range row 400 <= P <= 1000, both ends included
        (pmsm(1000, 2, 97.5), L1, 97.5),
        (pmsm(620, 4, 97.5), L2, 97.4),
    ],
)
def test_permanent_magnet_motors(item, level, limit):
    result = grade(item)
    assert result.level == level, result.reason
    (threshold,) = result.thresholds
    assert threshold.value == limit and threshold.standard == "GB 30253"
    assert threshold.page == "7-8"


def test_permanent_magnet_motor_scope():
    assert grade(pmsm(55, 12, 96.0)).level == OOS  # "—" in the table
    assert grade(pmsm(1001, 4, 97.0)).level == OOS
    between = grade(pmsm(380, 4, 97.0))  # between the 355 kW row and the 400..1000 range
    assert between.level == UTJ and "355 and 400" in between.reason
    assert grade(pmsm(11, 4, 95.0, drive="variable")).level == OOS  # not the line-start table
    assert grade(pmsm(11, 4, 95.0, drive=None)).reason.startswith("drive is needed")
    threshold = grade(pmsm(500, 4, 97.0)).thresholds[0]
    assert threshold.provenance()["rated_power_kw"] == (400.0, 1000.0)


# --- GB 20052-2024 Table 1: 10 kV oil-immersed -----------------------------------------------


@pytest.mark.parametrize(
    ("item", "level"),
    [
        (oil(250, "electrical_steel", 0.23, 2.30), L1),  # both exactly on grade 1
        (oil(250, "electrical_steel", 0.23, 3.20), L3),  # P0 grade 1, Pk grade 3: grade 3
        (oil(100, "electrical_steel", 0.135, 1.265), L2),
        (oil(100, "electrical_steel", 0.151, 1.14), NC),  # P0 above grade 3 (0.15)
        (oil(250, "amorphous", 0.14, 2.59), L2),  # amorphous P0 grades 0.11 / 0.14 / 0.14
        (oil(250, "electrical_steel", 0.23, 2.44, "Yyn0"), L2),  # Yyn0 Pk 2.195 / 2.44 / 3.05
        (oil(30, "amorphous", 0.025, 0.51), L1),
        (oil(1000, "electrical_steel", 0.665, 7.415, None), L1),  # one Pk from 630 kVA up
    ],
)
def test_oil_immersed_transformers(item, level):
    result = grade(item)
    assert result.level == level, result.reason
    assert {t.metric for t in result.thresholds} == {"no_load_loss_kw", "load_loss_kw"}
    assert all(t.page == "7" for t in result.thresholds)


def test_both_metrics_decide_and_the_reason_names_the_worse():
    result = grade(oil(250, "electrical_steel", 0.23, 3.20))
    by_metric = {m.metric: m for m in result.metrics}
    assert by_metric["no_load_loss_kw"].level == L1
    assert by_metric["load_loss_kw"].level == L3
    assert result.reason.startswith("the worse metric decides: meets grade 3")
    assert by_metric["load_loss_kw"].threshold.value == 3.2


def test_a_reason_names_the_metric_by_its_chinese_name_and_keeps_its_code_in_english():
    from lingtan.i18n.catalog import texts

    reason = grade(motor(7.5, 4, 90.39)).reason
    assert "efficiency_pct must be ≥ 90.4 %" in texts("en").message(reason)
    zh = texts("zh-CN").message(reason)
    assert "效率" in zh and "90.4 %" in zh and "efficiency_pct" not in zh
    both = texts("zh-CN").message(grade(oil(250, "electrical_steel", 0.23, 3.20)).reason)
    assert "负载损耗 ≤ 3.2 kW" in both and "_kw" not in both


def test_oil_immersed_out_of_scope_and_unable_to_judge():
    missing = grade(oil(250, "electrical_steel", 0.23, 2.3, connection=None))
    assert missing.level == UTJ and missing.reason.startswith("connection is needed")
    assert grade(oil(3150, "electrical_steel", 1.0, 20.0)).level == OOS
    six = grade({**oil(250, "electrical_steel", 0.23, 2.3), "voltage_kv": 6})
    assert six.level == OOS and "voltage_kv = 6" in six.reason
    assert grade(oil(270, "electrical_steel", 0.23, 2.3)).level == UTJ
    no_pk = grade({**oil(250, "electrical_steel", 0.23, 2.3), "load_loss_kw": None})
    assert no_pk.level == UTJ and "load_loss_kw is needed" in no_pk.reason


def test_the_large_oil_load_losses_are_shipped_unverified():
    result = grade(oil(1000, "electrical_steel", 0.665, 7.415, None))
    statuses = {t.metric: t.status for t in result.thresholds}
    assert statuses == {"no_load_loss_kw": "official", "load_loss_kw": "unverified"}


# --- GB 20052-2024 Table 2: 10 kV dry-type ---------------------------------------------------


@pytest.mark.parametrize(
    ("item", "level"),
    [
        (dry(200, "electrical_steel", "F", 0.36, 2.275), L1),  # Pk grades 2.275 / 2.275 / 2.53
        (dry(200, "electrical_steel", "F", 0.42, 2.275), L2),
        (dry(200, "electrical_steel", "F", 0.495, 2.53), L3),
        (dry(200, "electrical_steel", "F", 0.36, 2.54), NC),
        (dry(200, "amorphous", "H", 0.14, 2.44), L1),
        (dry(30, "electrical_steel", "B", 0.13, 0.605), L2),
        (dry(1000, "amorphous", "B", 0.55, 7.65), L3),
    ],
)
def test_dry_type_transformers(item, level):
    result = grade(item)
    assert result.level == level, result.reason
    assert all(t.page == "8" and "Table 2" in t.table for t in result.thresholds)


def test_dry_type_needs_its_insulation_class():
    item = dry(200, "electrical_steel", "F", 0.36, 2.275)
    del item["insulation_class"]
    result = grade(item)
    assert result.level == UTJ and result.reason.startswith("insulation_class is needed")
    assert grade({**item, "insulation": None}).reason.startswith("insulation is needed")


# --- GB 19153-2019 Table 1: air compressors --------------------------------------------------


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        (compressor(37, 0.8, "air", 6.7), L1, 6.7),  # exactly on grade 1
        (compressor(37, 0.8, "water", 7.0), L2, 7.0),
        (compressor(37, 0.7, "air", 7.4), L3, 7.4),
        (compressor(37, 0.7, "air", 7.5), NC, 7.4),
        (compressor(1.5, 0.3, "air", 6.0), L2, 6.5),
        (compressor(2.2, 1.25, "air", 15.0), L3, 15.0),
        (compressor(3, 0.5, "air", 6.4), L1, 6.5),
        (compressor(18.5, 1.0, "water", 9.4), L3, 9.4),
        (compressor(5.5, 0.3, "air", 5.0), L1, 5.0),
    ],
)
def test_air_compressors(item, level, limit):
    result = grade(item)
    assert result.level == level, result.reason
    (threshold,) = result.thresholds
    assert threshold.value == limit and threshold.page == "5-7"


def test_air_compressor_no_data_cells_and_scope():
    water = grade(compressor(1.5, 0.8, "water", 9.0))  # "—" in the table
    assert water.level == OOS and "no value (—)" in water.reason
    assert grade(compressor(37, 0.8, "air", 6.7, drive="variable")).level == OOS
    between = grade(compressor(37, 0.75, "air", 6.7))  # no interpolation in GB 19153
    assert between.level == UTJ and "0.7 and 0.8" in between.reason
    assert grade(compressor(37, 1.5, "air", 6.7)).level == OOS


# --- GB 24500-2020 Table 4 and clause 5.2: industrial boilers --------------------------------


def boiler(fuel, efficiency, **attributes):
    return {"type": "boiler", "fuel": fuel, "thermal_efficiency_pct": efficiency, **attributes}


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        (boiler("natural_gas", 96, condensing="no"), L1, 96),  # exactly on grade 1
        (boiler("natural_gas", 94.5, condensing="no"), L2, 94),
        (boiler("natural_gas", 92, condensing="no"), L3, 92),
        (boiler("natural_gas", 91.9, condensing="no"), NC, 92),
        (boiler("natural_gas", 103, condensing="yes"), L1, 103),  # on the net calorific value
        (boiler("oil", 93, condensing="no"), L2, 93),  # the oil row applies either way
        (boiler("coal", 88, combustion="chamber"), L3, 88),
        (boiler("electricity", 97), L3, 97),  # the limit; no grades 1 and 2
        (boiler("electricity", 96.9), NC, 97),
    ],
)
def test_industrial_boilers(item, level, limit):
    result = grade(item)
    assert result.level == level, result.reason
    (threshold,) = result.thresholds
    assert threshold.value == limit and threshold.standard == "GB 24500"


def test_boilers_need_what_selects_their_row():
    assert grade(boiler("natural_gas", 95)).reason.startswith("condensing is needed")
    # Tables 1-3 (grate, fluidised-bed and biomass boilers) are not shipped: never graded
    # against the chamber-fired row
    assert grade(boiler("coal", 90)).reason.startswith("combustion is needed")
    assert grade(boiler("coal", 90, combustion="grate")).level == OOS
    assert grade(boiler("biomass", 90)).level == OOS


# --- GB 40879-2021 and the NDRC 2023 levels --------------------------------------------------


@pytest.mark.parametrize(
    ("pue", "level"), [(1.20, L1), (1.25, L2), (1.30, L2), (1.50, L3), (1.51, NC), (None, UTJ)]
)
def test_data_centre_pue(pue, level):
    result = grade({"type": "data_centre", "pue": pue})
    assert result.level == level, result.reason
    assert all(t.status == "unverified" for t in result.thresholds)


@pytest.mark.parametrize(
    ("kind", "value", "level"),
    [
        ("ferrosilicon", 1770, L1),  # benchmark 1770
        ("ferrosilicon", 1800, L3),  # baseline 1850
        ("ferrosilicon", 1851, NC),
        ("converter_steelmaking", -30, L1),
        ("converter_steelmaking", -20, L3),
        ("silicomanganese", 950, L3),
    ],
)
def test_ndrc_benchmark_and_baseline(kind, value, level):
    result = grade({"type": "product", "kind": kind, "energy_kgce_per_t": value})
    assert result.level == level, result.reason


def test_ndrc_needs_the_product():
    assert grade({"type": "product", "energy_kgce_per_t": 1800}).reason.startswith("kind is needed")
    assert grade({"type": "product", "kind": "tyres", "energy_kgce_per_t": 1}).level == OOS


# --- many at once, custom tables, bad files --------------------------------------------------


def test_grade_many_equals_grade_one_by_one():
    items = [
        motor(0.75, 4, 88.2),
        motor(0.75, 4, 80.0),
        motor(0.75, 4, None),
        motor(1200, 4, 97.0),
        oil(250, "electrical_steel", 0.23, 3.2),
        oil(250, "electrical_steel", 0.23, 2.3),
        compressor(37, 0.8, "air", 6.9),
        {"type": "pump"},
        {"type": "motor", "rated_power_kw": "11", "poles": "4", "efficiency_pct": "93.3"},
        motor(0.75, 4, math.nan),
        {**motor(0.75, 4, 88.2), "type": " motor "},
    ] * 3
    many = grade_many(items)
    assert [g.level for g in many] == [grade(item).level for item in items]
    assert [str(g.reason) for g in many] == [str(grade(item).reason) for item in items]
    assert many[8].level == L2
    assert many[10].level == L1


CUSTOM = """table_id,standard,year,type,kind,rated_power_kw,poles,metric,grade,value,unit,direction,interpolation,status,note
acme-motors-2026,ACME target,2026,motor,lv_induction,11,4,efficiency_pct,1,94.0,%,higher_is_better,yes,official,company target
acme-motors-2026,ACME target,2026,motor,lv_induction,15,4,efficiency_pct,1,95.0,%,higher_is_better,yes,official,company target
"""


def test_a_custom_table_is_kept_apart_and_may_interpolate(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text(CUSTOM, encoding="utf-8")
    tables = read_standards_file(path)
    assert [t.table_id for t in tables] == ["acme-motors-2026"]
    assert tables[0].origin == "custom" and tables[0].thresholds[0].origin == "custom"
    midway = grade(motor(13, 4, 94.5), tables=tables)  # 94.0 + (95.0 - 94.0) * 2 / 4
    assert midway.level == L1
    assert midway.thresholds[0].value == pytest.approx(94.5)
    assert "interpolated" in midway.reason
    assert grade(motor(13, 4, 94.49), tables=tables).level == NC
    # the shipped pack is not changed by a custom table
    assert grade(motor(13, 4, 94.5)).level == UTJ


@pytest.mark.parametrize(
    ("change", "column", "value", "rule"),
    [
        (("94.0", "abc"), "value", "abc", "must be a finite number"),
        (("efficiency_pct,1,", "efficiency_pct,best,"), "grade", "best", "must be one of"),
        (("higher_is_better,yes,official,company target\nacme", "up,yes,official,x\nacme"),
         "direction", "up", "must be one of"),
        (("lv_induction,11,", "lv_induction,-11,"), "rated_power_kw", "-11", "positive number"),
        (("yes,official,company target\nacme", "maybe,official,x\nacme"), "interpolation",
         "maybe", "must be one of"),
    ],
)  # fmt: skip
def test_a_bad_custom_table_is_refused_naming_file_row_column_value_and_rule(
    tmp_path, change, column, value, rule
):
    path = tmp_path / "bad.csv"
    path.write_text(CUSTOM.replace(*change, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_standards_file(path)
    (problem,) = caught.value.problems
    assert problem.where == f"{path} row 2"
    assert (problem.field, problem.value) == (column, value)
    assert rule in problem.rule


def test_a_custom_table_may_not_reuse_a_shipped_id_nor_miss_columns():
    with pytest.raises(InputError, match="id of a shipped table"):
        read_standards_text(CUSTOM.replace("acme-motors-2026", "gb-18613-2020-table-1"), "t.csv")
    with pytest.raises(InputError, match="required columns are missing"):
        read_standards_text("table_id,standard\nx,y\n", "t.csv")
    with pytest.raises(InputError, match=r"a range LOW\.\.HIGH"):
        read_standards_text(CUSTOM.replace("lv_induction,11,", "lv_induction,15..11,", 1), "t.csv")
    with pytest.raises(InputError, match="duplicates row 2"):
        read_standards_text(CUSTOM + CUSTOM.splitlines()[1] + "\n", "t.csv")


# --- the replacement estimate ----------------------------------------------------------------


def test_replacement_estimate_of_a_grade_3_motor_by_hand():
    """11 kW 4-pole at 91.4 % (grade 3), 75 % load, 6,000 h: output 8.25 kW x 6,000 h =
    49,500 kWh; input now 49,500 / 0.914 = 54,157.55 kWh, grade 1 (94.6 %) 52,325.58 kWh;
    saved 1,831.97 kWh = 0.22515 tce (x 0.1229 kgce/kWh); x 0.5366 tCO2/MWh = 0.98303 tCO2;
    x 0.70 CNY/kWh = 1,282.38 CNY; 8,000 CNY / 1,282.38 = 6.238 years."""
    item = {**motor(11, 4, 91.4), "running_hours_per_year": 6000, "load_factor": 0.75}
    item["replacement_cost_cny"] = 8000
    result = grade(item)
    estimate = replacement_estimate(
        item, result, kgce_per_kwh=0.1229, grid_tco2_per_mwh=0.5366, tariff_cny_per_kwh=0.70
    )
    assert estimate.energy_saved_kwh_per_year == pytest.approx(1831.97, abs=0.01)
    assert estimate.energy_saved_tce_per_year == pytest.approx(0.22515, abs=1e-5)
    assert estimate.emissions_saved_tco2_per_year == pytest.approx(0.98303, abs=1e-5)
    assert estimate.cost_saved_cny_per_year == pytest.approx(1282.38, abs=0.01)
    assert estimate.payback_years == pytest.approx(6.238, abs=1e-3)


def test_replacement_estimate_of_a_transformer_and_a_compressor_by_hand():
    # 250 kVA, P0 0.26 (grade 2) and Pk 3.2 (grade 3) against grade 1 (0.23, 2.30), 8,760 h,
    # load 0.5: (0.26 - 0.23) x 8,760 + (3.2 - 2.3) x 0.25 x 8,760 = 262.8 + 1,971 = 2,233.8
    item = {
        **oil(250, "electrical_steel", 0.26, 3.2),
        "running_hours_per_year": 8760,
        "load_factor": 0.5,
    }
    estimate = replacement_estimate(item, grade(item), kgce_per_kwh=0.1229)
    assert estimate.energy_saved_kwh_per_year == pytest.approx(2233.8, abs=1e-6)
    assert estimate.cost_saved_cny_per_year is None and estimate.payback_years is None
    # 37 kW at 0.8 MPa, 8.1 (grade 3) against 6.7: 37 x 0.8 x 4,000 x (1 - 6.7 / 8.1)
    # = 118,400 x 0.172840 = 20,464.2 kWh
    item = {**compressor(37, 0.8, "air", 8.1), "running_hours_per_year": 4000, "load_factor": 0.8}
    estimate = replacement_estimate(item, grade(item), kgce_per_kwh=0.1229)
    assert estimate.energy_saved_kwh_per_year == pytest.approx(20464.2, abs=0.1)


def test_no_replacement_estimate_at_grade_1_or_without_hours():
    item = {**motor(11, 4, 94.6), "running_hours_per_year": 6000, "load_factor": 0.75}
    assert replacement_estimate(item, grade(item), kgce_per_kwh=0.1229) is None
    item = motor(11, 4, 91.4)
    assert replacement_estimate(item, grade(item), kgce_per_kwh=0.1229) is None
