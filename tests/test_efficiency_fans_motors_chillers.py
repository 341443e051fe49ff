"""GB 30254-2024 Table 1 (high-voltage motors), GB 19761-2020 Tables 1–4 (fans) and
GB 19577-2024 Tables 1–2 (water chillers): items picked by hand and graded against the shipped
tables.

The threshold values written in the comments are read off the tables as adgo07/EquipEffi
transcribes them (motor_hv.json GB30254-R000001…43, fan.json GB19761-R000001…34,
hvac_thresholds.json GB19577-T1-01…12 and T2-01…05; the data id of each row used is given), not
computed from the package. Every expected grade is worked out in
the comment above it.
"""

from __future__ import annotations

import re

import pytest

from lingtan.efficiency.grading import Level, grade, grade_many
from lingtan.efficiency.register import read_register_text
from lingtan.efficiency.replacement import replacement_estimate
from lingtan.efficiency.standards import read_standards_text, shipped_standards
from lingtan.errors import InputError

L1, L2, L3 = Level.LEVEL_1, Level.LEVEL_2, Level.LEVEL_3
NC, OOS, UTJ = Level.NOT_COMPLIANT, Level.OUT_OF_SCOPE, Level.UNABLE_TO_JUDGE


def hv(power, poles, efficiency=None, voltage=6, cooling="IC01"):
    item = {"type": "hv_motor", "rated_power_kw": power, "poles": poles, "voltage_kv": voltage}
    if cooling is not None:
        item["cooling_code"] = cooling
    if efficiency is not None:
        item["efficiency_pct"] = efficiency
    return item


def fan(kind, efficiency=None, number=None, psi=None, ns=None, hub=None):
    item = {"type": "fan", "kind": kind}
    for name, value in (
        ("efficiency_pct", efficiency),
        ("fan_number", number),
        ("pressure_coefficient", psi),
        ("specific_speed", ns),
        ("hub_ratio", hub),
    ):
        if value is not None:
            item[name] = value
    return item


def _table(table_id):
    return next(t for t in shipped_standards() if t.table_id == table_id)


# --- the tables as data ------------------------------------------------------------------------


def test_the_new_tables_are_shipped_unverified_with_their_data_ids():
    expected_rows = {
        # 43 powers x 6 poles x 3 grades
        "gb-30254-2024-table-1": 43 * 6 * 3,
        # rows x machine-number bands x 3 grades
        "gb-19761-2020-table-1": 4 * 6 * 3,
        "gb-19761-2020-table-2": 16 * 4 * 3,
        "gb-19761-2020-table-3": 4 * 3 * 3,
        "gb-19761-2020-table-4": 10 * 5 * 3,
        # records x (3 grades of the metric + 3 rows of the other metric's floor)
        "gb-19577-2024-table-1": 12 * 6,
        "gb-19577-2024-table-2": 5 * 6,
    }
    for table_id, count in expected_rows.items():
        table = _table(table_id)
        assert len(table.thresholds) == count, table_id
        assert table.statuses == {"official": 0, "unverified": count}
        for row in table.thresholds:
            assert "adgo07/EquipEffi @a1643ed" in row.source
            assert re.search(r"GB\d{5}-(R\d{6}|T\d-\d\d)$", row.source), row.source
            assert "not checked against the official text" in row.note
            assert row.page and row.in_force and row.table
    first = _table("gb-30254-2024-table-1").thresholds[0]
    assert first.provenance()["voltage_kv"] == "3|3.3|6"
    assert first.provenance()["cooling_code"] == "IC01|IC11|IC21|IC31|IC81W"
    band = _table("gb-19761-2020-table-1").thresholds[0].provenance()
    assert (band["pressure_coefficient"], band["specific_speed"], band["fan_number"]) == (
        "[1.35..1.55)",
        "(45..65]",
        "(2..2.5]",
    )
    assert _table("gb-19761-2020-table-2").thresholds[-1].provenance()["fan_number"] == "[10..)"


def test_grades_are_ordered_in_every_row():
    """A transcription slip shows as a grade 1 below grade 2 or 3 (all are efficiencies)."""
    for table_id in (
        "gb-30254-2024-table-1",
        *(f"gb-19761-2020-table-{n}" for n in range(1, 5)),
        "gb-19577-2024-table-1",
        "gb-19577-2024-table-2",
    ):
        groups: dict[tuple, dict[str, float | None]] = {}
        for row in _table(table_id).thresholds:
            groups.setdefault((row.metric, row.attributes), {})[row.grade] = row.value
        for key, grades in groups.items():
            if grades["1"] is None:
                assert grades["2"] is None and grades["3"] is None, key
                continue
            assert grades["1"] >= grades["2"] >= grades["3"], (table_id, key)


# --- GB 30254-2024 Table 1: high-voltage motors, 3 kV (3.3 kV) and 6 kV, IC01 … IC81W ------------


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        # R000001, 200 kW, 4 poles: grades 93.9 / 93.0 / 92.1 %; 93.9 is exactly grade 1
        (hv(200, 4, 93.9), L1, 93.9),
        # R000015, 1000 kW, 2 poles, 3.3 kV, IC81W: 96.1 / 95.6 / 95.0; 95.55 < 95.6, ≥ 95.0
        (hv(1000, 2, 95.55, voltage=3.3, cooling="IC81W"), L3, 95.0),
        # R000009, 500 kW, 8 poles, 3 kV, IC11: 94.8 / 94.1 / 93.3; 93.2 misses 93.3
        (hv(500, 8, 93.2, voltage=3, cooling="IC11"), NC, 93.3),
        # R000043, 25000 kW, 2 poles: 97.9 / 97.6 / 97.2; 97.2 is exactly grade 3
        (hv(25000, 2, 97.2), L3, 97.2),
        # R000010, 560 kW, 4 poles: 95.4 / 94.8 / 94.1; 94.8 is exactly grade 2
        (hv(560, 4, 94.8, cooling="IC31"), L2, 94.8),
    ],
)
def test_high_voltage_motors(item, level, limit):
    judged = grade(item)
    assert judged.level == level, judged.reason
    assert judged.thresholds[0].value == limit
    assert judged.standard == "GB 30254-2024 表1 Table 1"
    assert judged.thresholds[0].status == "unverified"


def test_high_voltage_motor_scope_and_missing_fields():
    # R000031, 6300 kW: the 12-pole cells are — (no data): out of scope, not a grade
    dash = grade(hv(6300, 12, 96.0))
    assert dash.level == OOS and "no value (—)" in dash.reason
    # 10 kV is Table 2 of the standard, not shipped
    ten_kv = grade(hv(200, 4, 94.0, voltage=10))
    assert ten_kv.level == OOS and "voltage_kv = 10" in ten_kv.reason
    assert "3, 3.3, 6" in ten_kv.reason
    # IC411 (totally enclosed, fan-cooled) is in another table of the standard
    ic411 = grade(hv(200, 4, 94.0, cooling="IC411"))
    assert ic411.level == OOS and "cooling_code = IC411" in ic411.reason
    # 160 kW and 30,000 kW lie outside 200 … 25,000 kW: no extrapolation
    assert grade(hv(160, 4, 94.0)).level == OOS
    assert "no extrapolation" in grade(hv(30000, 2, 98.0)).reason
    # 210 kW lies between the rows 200 and 220, which may not be interpolated
    between = grade(hv(210, 4, 94.0))
    assert between.level == UTJ and "between the rows 200 and 220" in between.reason
    # the cooling method chooses the table: without it the item cannot be judged
    no_cooling = grade(hv(200, 4, 94.0, cooling=None))
    assert no_cooling.level == UTJ and no_cooling.reason.startswith("cooling_code is needed")
    no_efficiency = grade(hv(200, 4))
    assert no_efficiency.level == UTJ and "efficiency_pct is needed" in no_efficiency.reason


def test_replacement_estimate_of_a_high_voltage_motor_by_hand():
    # 560 kW 4-pole at 94.5 % (grade 3: 94.1 ≤ 94.5 < 94.8), 80 % load, 7,000 h, against the
    # grade-1 95.4 %: P = 560 × 0.8 = 448 kW output; 448 × 7000 = 3,136,000 kWh output a year;
    # input at 94.5 %: 3,136,000 / 0.945 = 3,318,518.52 kWh; at 95.4 %: 3,287,211.74 kWh;
    # saved 31,306.78 kWh; × 0.1229 kgce/kWh = 3,847.6 kgce = 3.8476 tce
    item = {**hv(560, 4, 94.5), "running_hours_per_year": 7000, "load_factor": 0.8}
    judged = grade(item)
    assert judged.level == L3
    estimate = replacement_estimate(item, judged, kgce_per_kwh=0.1229)
    assert estimate is not None
    assert estimate.energy_saved_kwh_per_year == pytest.approx(31306.78, abs=0.01)
    assert estimate.energy_saved_tce_per_year == pytest.approx(3.8476, abs=1e-4)


# --- GB 19761-2020 Table 1: centrifugal fans, 0.95 ≤ ψ < 1.55 ------------------------------------


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        # R000002 (1.05 ≤ ψ < 1.35, 35 < ns ≤ 55), No4.5 < No ≤ No7: grades 3/2/1 = 54/65/68;
        # 65 is exactly grade 2
        (fan("centrifugal", 65, number=5, psi=1.2, ns=40), L2, 65),
        # every end included by its row: ψ 1.35 (1.35 ≤ ψ), ns 65 (ns ≤ 65), No2.5 (No ≤ 2.5):
        # R000001, No2 < No ≤ No2.5: 43/58/61; 61 is exactly grade 1
        (fan("centrifugal", 61, number=2.5, psi=1.35, ns=65), L1, 61),
        # ns 20 belongs to 20 ≤ ns < 30 (R000004), not 10 ≤ ns < 20; No > No10: 66/75/80;
        # 70 ≥ 66 and < 75: grade 3
        (fan("centrifugal", 70, number=12, psi=1.0, ns=20), L3, 66),
        # R000003 (10 ≤ ns < 20), No2.5 < No ≤ No3.5: 52/66/71; 51.9 misses 52
        (fan("centrifugal", 51.9, number=3, psi=1.0, ns=15), NC, 52),
    ],
)
def test_centrifugal_fans_table_1(item, level, limit):
    judged = grade(item)
    assert judged.level == level, judged.reason
    assert judged.thresholds[0].value == limit
    assert judged.standard == "GB 19761-2020 表1 Table 1"


def test_centrifugal_fans_table_1_scope_and_missing_fields():
    # ψ 1.2 has only 35 < ns ≤ 55: ns 30 is outside the rows
    low_ns = grade(fan("centrifugal", 70, number=5, psi=1.2, ns=30))
    assert low_ns.level == OOS and "specific_speed = 30" in low_ns.reason
    # ns 35 is the open lower end of 35 < ns ≤ 55: outside too
    assert grade(fan("centrifugal", 70, number=5, psi=1.2, ns=35)).level == OOS
    # No2 is the open lower end of No2 < No ≤ No2.5: below the table
    assert grade(fan("centrifugal", 70, number=2, psi=1.2, ns=40)).level == OOS
    # ψ 1.55 is the open upper end of Table 1 (and above Table 2): out of scope
    top = grade(fan("centrifugal", 70, number=5, psi=1.55, ns=50))
    assert top.level == OOS and "pressure_coefficient = 1.55" in top.reason
    no_ns = grade(fan("centrifugal", 70, number=5, psi=1.2))
    assert no_ns.level == UTJ and no_ns.reason.startswith("specific_speed is needed")
    no_number = grade(fan("centrifugal", 70, psi=1.2, ns=40))
    assert no_number.level == UTJ and no_number.reason.startswith("fan_number is needed")


# --- GB 19761-2020 Table 2: centrifugal fans, 0.25 ≤ ψ < 0.95 ------------------------------------


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        # R000006 (0.85 ≤ ψ < 0.95, 15 ≤ ns < 30), No3.5 < No < No5: 65/74/77; 77 exactly grade 1
        (fan("centrifugal", 77, number=4, psi=0.9, ns=20), L1, 77),
        # ψ 0.25 and No5 are included ends: R000020 (65 ≤ ns < 85), No5 ≤ No < No10: 70/79/84;
        # 79 is exactly grade 2
        (fan("centrifugal", 79, number=5, psi=0.25, ns=70), L2, 79),
        # ns 45 belongs to 45 ≤ ns < 70 (R000014), No ≥ No10: 75/82/87; 74.9 misses 75
        (fan("centrifugal", 74.9, number=10, psi=0.6, ns=45), NC, 75),
        # R000011 (0.65 ≤ ψ < 0.75, 10 ≤ ns < 30), No5 ≤ No < No10: 63/72/79; 72 ≤ 75 < 79: grade 2
        (fan("centrifugal", 75, number=6, psi=0.7, ns=12), L2, 72),
    ],
)
def test_centrifugal_fans_table_2(item, level, limit):
    judged = grade(item)
    assert judged.level == level, judged.reason
    assert judged.thresholds[0].value == limit
    assert judged.standard == "GB 19761-2020 表2 Table 2"


def test_centrifugal_fans_table_2_scope_and_the_gap_at_no_3_5():
    # R000020 has — for No2 < No < No3.5: no value, out of scope
    dash = grade(fan("centrifugal", 80, number=3, psi=0.3, ns=70))
    assert dash.level == OOS and "no value (—)" in dash.reason
    # No3.5 is excluded by both No2 < No < No3.5 and No3.5 < No < No5 as transcribed: no row
    # includes it, so it cannot be judged (not the nearest row)
    gap = grade(fan("centrifugal", 80, number=3.5, psi=0.9, ns=20))
    assert gap.level == UTJ and "open end" in gap.reason
    assert grade(fan("centrifugal", 80, number=4, psi=0.2, ns=20)).level == OOS
    # kind chooses between centrifugal, axial and external-rotor fans
    no_kind = grade({**fan("centrifugal", 80, number=4, psi=0.9, ns=20), "kind": None})
    assert no_kind.level == UTJ and no_kind.reason.startswith("kind is needed")


# --- GB 19761-2020 Table 3: axial fans (hub ratio γ) ---------------------------------------------


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        # γ 0.3 belongs to 0.3 ≤ γ < 0.4 (R000022); No5 ≤ No < No10: 61/71/74; 74 exactly grade 1
        (fan("axial", 74, number=5, hub=0.3), L1, 74),
        # γ < 0.3 (R000021), No2.5 ≤ No < No5: 55/66/69; 55 ≤ 60 < 66: grade 3
        (fan("axial", 60, number=2.5, hub=0.2), L3, 55),
        # 0.55 ≤ γ < 0.75 (R000024), No ≥ No10: 69/79/83; 68.9 misses 69
        (fan("axial", 68.9, number=12, hub=0.6), NC, 69),
        # 0.4 ≤ γ < 0.55 (R000023), No5 ≤ No < No10: 64/73/76; 73 exactly grade 2
        (fan("axial", 73, number=9.9, hub=0.5), L2, 73),
    ],
)
def test_axial_fans_table_3(item, level, limit):
    judged = grade(item)
    assert judged.level == level, judged.reason
    assert judged.thresholds[0].value == limit
    assert judged.standard == "GB 19761-2020 表3 Table 3"


def test_axial_fans_scope_and_missing_fields():
    assert grade(fan("axial", 70, number=5, hub=0.75)).level == OOS  # γ < 0.75 only
    assert grade(fan("axial", 70, number=2, hub=0.5)).level == OOS  # No ≥ No2.5 only
    no_hub = grade(fan("axial", 70, number=5))
    assert no_hub.level == UTJ and no_hub.reason.startswith("hub_ratio is needed")
    no_efficiency = grade(fan("axial", number=5, hub=0.5))
    assert no_efficiency.level == UTJ and "efficiency_pct is needed" in no_efficiency.reason


# --- GB 19761-2020 Table 4: forward-curved fans on an external-rotor motor ------------------------


@pytest.mark.parametrize(
    ("item", "level", "limit"),
    [
        # R000025 (1.0 ≤ ψ < 1.1, ns > 50), No ≤ No2 (No2 included): 36/43/46; 43 exactly grade 2
        (fan("external_rotor", 43, number=2, psi=1.05, ns=60), L2, 43),
        # ns 50 belongs to 30 < ns ≤ 50; ψ ≥ 1.4 (R000034), No > No4.5: 45/55/59; 59 exactly grade 1
        (fan("external_rotor", 59, number=5, psi=1.5, ns=50), L1, 59),
        # R000032 (1.3 ≤ ψ < 1.4, 30 < ns ≤ 50), No2.5 < No ≤ No3.5: 35/46/50; 34 misses 35
        (fan("external_rotor", 34, number=3, psi=1.3, ns=40), NC, 35),
        # R000027 (1.1 ≤ ψ < 1.2, ns > 50), No3.5 < No ≤ No4.5: 42/55/59; 42 ≤ 50 < 55: grade 3
        (fan("external_rotor", 50, number=4.5, psi=1.1, ns=51), L3, 42),
    ],
)
def test_external_rotor_fans_table_4(item, level, limit):
    judged = grade(item)
    assert judged.level == level, judged.reason
    assert judged.thresholds[0].value == limit
    assert judged.standard == "GB 19761-2020 表4 Table 4"


def test_external_rotor_fans_scope():
    assert grade(fan("external_rotor", 50, number=3, psi=0.99, ns=60)).level == OOS  # ψ ≥ 1.0
    # ns 30 is the open lower end of 30 < ns ≤ 50
    at_30 = grade(fan("external_rotor", 50, number=3, psi=1.05, ns=30))
    assert at_30.level == OOS and "specific_speed = 30" in at_30.reason
    no_psi = grade(fan("external_rotor", 50, number=3, ns=60))
    assert no_psi.level == UTJ and no_psi.reason.startswith("pressure_coefficient is needed")


def test_grade_many_equals_grade_one_by_one_for_the_new_tables():
    items = [
        hv(200, 4, 93.9),
        hv(500, 8, 93.2, voltage=3, cooling="IC11"),
        hv(210, 4, 94.0),
        fan("centrifugal", 65, number=5, psi=1.2, ns=40),
        fan("centrifugal", 80, number=3.5, psi=0.9, ns=20),
        fan("axial", 74, number=5, hub=0.3),
        fan("external_rotor", 59, number=5, psi=1.5, ns=50),
    ]
    many = grade_many(items)
    assert [g.level for g in many] == [grade(item).level for item in items]
    assert [g.level for g in many] == [L1, NC, UTJ, L2, UTJ, L1, L1]


# --- intervals and lists of values in a custom table -------------------------------------------

HEADER = "table_id,standard,type,metric,grade,value,unit,direction,"


def test_a_custom_table_may_use_intervals_and_lists_of_values():
    text = (
        HEADER + "fan_number,voltage_kv\n"
        "own-fans,OWN,fan,efficiency_pct,1,80,%,higher_is_better,[2..5),3|6\n"
        "own-fans,OWN,fan,efficiency_pct,1,82,%,higher_is_better,[5..),3|6\n"
    )
    tables = read_standards_text(text, "own.csv")
    # No5 belongs to [5..) (82 %), not [2..5); 6 kV is one of 3|6
    judged = grade({"type": "fan", "fan_number": 5, "voltage_kv": 6, "efficiency_pct": 81},
                   tables=tables)  # fmt: skip
    assert judged.level == NC and judged.thresholds[0].value == 82
    assert grade({"type": "fan", "fan_number": 500, "voltage_kv": 3, "efficiency_pct": 82},
                 tables=tables).level == L1  # fmt: skip
    assert grade({"type": "fan", "fan_number": 4, "voltage_kv": 10, "efficiency_pct": 90},
                 tables=tables).level == OOS  # fmt: skip


@pytest.mark.parametrize(
    ("column", "cell"),
    [("fan_number", "[5..2)"), ("fan_number", "(..5]"), ("voltage_kv", "3||6"), ("poles", "2|x")],
)
def test_a_bad_interval_or_list_is_refused_naming_the_cell(column, cell):
    text = HEADER + f"{column}\nown,OWN,fan,efficiency_pct,1,80,%,higher_is_better,{cell}\n"
    with pytest.raises(InputError) as raised:
        read_standards_text(text, "own.csv")
    problem = raised.value.problems[0]
    assert (problem.field, problem.value) == (column, cell)
    assert "own.csv row 2" in str(problem.where)


# --- the register: the new kinds and their columns ----------------------------------------------


REGISTER = (
    "id,type,kind,rated_power_kw,poles,voltage_kv,cooling_code,efficiency_pct,"
    "pressure_coefficient,specific_speed,hub_ratio,fan_number\n"
)


def test_the_register_reads_high_voltage_motors_and_fans():
    items = read_register_text(
        REGISTER + "H1,hv_motor,,560,4,6,IC01,94.5,,,,\n"
        "F1,fan,centrifugal,,,,,65,1.2,40,,5\n"
        "F2,fan,axial,,,,,74,,,0.3,5\n",
        "register.csv",
    )
    assert items[0]["cooling_code"] == "IC01" and items[0]["voltage_kv"] == 6.0
    assert items[1]["pressure_coefficient"] == 1.2 and items[2]["hub_ratio"] == 0.3
    assert [g.level for g in grade_many(items)] == [L3, L2, L1]


@pytest.mark.parametrize(
    ("row", "column", "value", "rule"),
    [
        ("H1,hv_motor,,560,4,6,X1,94.5,,,,", "cooling_code", "X1", "cooling method code"),
        ("F1,fan,axial,,,,,74,,,1.2,5", "hub_ratio", "1.2", "below 1"),
        ("F1,fan,axial,,,,,74,,,0.3,-5", "fan_number", "-5", "must be positive"),
        ("F1,fan,centrifugal,,,,,65,1.2,abc,,5", "specific_speed", "abc", "must be a number"),
        ("F1,fan,centrifugal,,,,,101,1.2,40,,5", "efficiency_pct", "101", "at most 100"),
        ("F1,fans,centrifugal,,,,,65,1.2,40,,5", "type", "fans", "hv_motor"),
    ],
)
def test_a_bad_cell_of_the_new_kinds_is_refused_with_row_column_value_and_rule(
    row, column, value, rule
):
    with pytest.raises(InputError) as raised:
        read_register_text(REGISTER + "OK,motor,,11,4,,,91.4,,,,\n" + row + "\n", "register.csv")
    problems = raised.value.problems
    assert len(problems) == 1
    problem = problems[0]
    assert "register.csv row 3" in str(problem.where)
    assert (problem.field, problem.value) == (column, value)
    assert rule in str(problem.rule)


# --- GB 19577-2024 Tables 1 and 2: vapour-compression water chillers -----------------------------


def chiller(kind, cooling, system, capacity=None, **figures):
    item = {"type": "chiller", "kind": kind, "cooling": cooling, "rating_system": system}
    if capacity is not None:
        item["cooling_capacity_kw"] = capacity
    return item | figures


@pytest.mark.parametrize(
    ("item", "level", "deciding"),
    [
        # T1-01, comfort water-cooled, CC ≤ 300 kW (300 included): IPLV 6.0 / 5.6 / 5.2 and COPc
        # ≥ 4.2 at every grade; IPLV 5.6 is exactly grade 2, COPc 4.2 exactly the floor
        (chiller("comfort", "water", "part_load", 300, iplv=5.6, copc=4.2), L2, ("iplv", 5.6)),
        # T1-02, 300 < CC ≤ 528: IPLV 7.8 / 7.2 / 5.7, COPc ≥ 5.0; IPLV 8.0 is grade 1 but COPc
        # 4.9 is below the floor: not compliant, the worse metric decides
        (chiller("comfort", "water", "part_load", 301, iplv=8.0, copc=4.9), NC, ("copc", 5.0)),
        # T1-06, air-cooled, CC > 50 kW: CSPF 4.3 / 3.85 / 3.3, COPc ≥ 2.8; CSPF 3.85 grade 2
        (chiller("comfort", "air", "part_load", 120, cspf=3.85, copc=3.0), L2, ("cspf", 3.85)),
        # T1-12, data-centre air-cooled (every capacity): ACCOP 6.8 / 5.8 / 4.8, COPc ≥ 3.0;
        # ACCOP 5.0 ≥ 4.8: grade 3
        (chiller("data_centre", "air", "part_load", 900, accop=5.0, copc=3.1), L3, ("accop", 4.8)),
        # T2-04, COPc rating, CC > 1163 kW: COPc 6.4 / 6.2 / 5.6 and IPLV ≥ 6.3; COPc 6.4 is
        # exactly grade 1, IPLV 6.3 exactly the floor
        (chiller("comfort", "water", "full_load", 2000, copc=6.4, iplv=6.3), L1, ("copc", 6.4)),
        # T2-05, air-cooled COPc rating: COPc 3.4 / 3.2 / 2.8 and CSPF ≥ 3.3; COPc 2.79 misses 2.8
        (chiller("comfort", "air", "full_load", 60, copc=2.79, cspf=3.5), NC, ("copc", 2.8)),
    ],
)
def test_water_chillers(item, level, deciding):
    judged = grade(item)
    assert judged.level == level, judged.reason
    worst = next(m for m in judged.metrics if m.level == level)
    assert (worst.metric, worst.threshold.value) == deciding
    assert judged.thresholds[0].document.startswith("GB 19577-2024 表")
    assert judged.thresholds[0].in_force == "2025-02-01"


def test_water_chiller_scope_and_missing_fields():
    # a data-centre chiller has no evaporatively cooled row in Table 1
    assert grade(chiller("data_centre", "evaporative", "part_load", 900, accop=9)).level == OOS
    # Table 2 (COPc rating) has no data-centre rows
    assert grade(chiller("data_centre", "water", "full_load", 900, copc=7, accop=9)).level == OOS
    # the floor is needed: without COPc a Table 1 chiller cannot be judged
    no_copc = grade(chiller("comfort", "water", "part_load", 400, iplv=8.0))
    assert no_copc.level == UTJ and "copc is needed" in no_copc.reason
    # which rating the figures follow chooses the table
    no_system = grade({**chiller("comfort", "water", None, 400, iplv=8.0, copc=6.0)})
    assert no_system.level == UTJ and no_system.reason.startswith("rating_system is needed")
    no_capacity = grade(chiller("comfort", "water", "part_load", iplv=8.0, copc=6.0))
    assert no_capacity.level == UTJ
    assert no_capacity.reason.startswith("cooling_capacity_kw is needed")


def test_the_register_reads_chillers():
    items = read_register_text(
        "id,type,kind,cooling,rating_system,cooling_capacity_kw,iplv,copc\n"
        "CH1,chiller,comfort,water,part_load,300,5.6,4.2\n",
        "register.csv",
    )
    assert grade_many(items)[0].level == L2
    with pytest.raises(InputError) as raised:
        read_register_text(
            "id,type,kind,cooling,rating_system,cooling_capacity_kw,iplv,copc\n"
            "CH1,chiller,comfort,water,seasonal,300,5.6,-1\n",
            "register.csv",
        )
    found = {(p.field, p.value) for p in raised.value.problems}
    assert found == {("rating_system", "seasonal"), ("copc", "-1")}


def test_a_cooling_capacity_in_another_unit_is_refused():
    with pytest.raises(InputError) as raised:
        read_register_text("id,type,cooling_capacity_rt\nCH1,chiller,100\n", "register.csv")
    (problem,) = raised.value.problems
    assert problem.field == "cooling_capacity_rt" and "cooling_capacity_kw" in str(problem.rule)
