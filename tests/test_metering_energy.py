"""Energy and carbon from meters: virtual meters, totals in tce, balance, budgets, energy flow,
carbon per interval, intensity. Every figure is worked by hand in the comments."""

import json

import numpy as np
import pytest

from lingtan.accounting.energy import StandardCoal
from lingtan.errors import InputError
from lingtan.metering.energy import (
    DailyTotals,
    FormulaError,
    MeterInfo,
    MeterPeriod,
    NodeInfo,
    balance,
    budget_check,
    carbon_factor,
    combine_intervals,
    energy_flow,
    expand_virtual,
    intensity,
    node_energy,
    node_totals,
    parse_formula,
    period_totals,
    tce_coefficient,
    virtual_daily,
)
from lingtan.metering.intervals import Quality

CODES = ("E-MAIN", "E-A", "E-B", "E-X", "E-Y", "E-C")


# --- Formulas ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E-MAIN - E-A - E-B", {"E-MAIN": 1.0, "E-A": -1.0, "E-B": -1.0}),
        ("0.5*E-X + E-Y", {"E-X": 0.5, "E-Y": 1.0}),
        ("(E-A + E-B) / 2", {"E-A": 0.5, "E-B": 0.5}),
        ("-E-A + E-B", {"E-A": -1.0, "E-B": 1.0}),
        ("E-A - (E-B - E-C)", {"E-A": 1.0, "E-B": -1.0, "E-C": 1.0}),
        ("2 * 0.25 * E-A-E-B", None),  # one word "E-A-E-B": not a code
        ("E-MAIN -E-A", {"E-MAIN": 1.0, "E-A": -1.0}),  # a space on one side is enough
        ("1e-3*E-X", {"E-X": 0.001}),
    ],
)
def test_parse_formula(text, expected):
    if expected is None:
        with pytest.raises(FormulaError) as caught:
            parse_formula(text, CODES)
        assert caught.value.value == "E-A-E-B"
        assert "spaces" in caught.value.rule
        return
    assert parse_formula(text, CODES) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "value", "rule"),
    [
        ("E-MAIN-E-A", "E-MAIN-E-A", "no meter has this code"),
        ("E-A * E-B", "*", "a product of two meters is no energy"),
        ("E-A / E-B", "/", "a meter can only be divided by a number"),
        ("E-A + 3", "E-A + 3", "a number cannot stand alone as a term"),
        ("2", "2", "the formula names no meter"),
        ("(E-A + E-B", "(E-A + E-B", "a '(' is not closed"),
        ("E-A E-B", "E-B", "unexpected here"),
        ("E-A / 0", "/", "division by zero"),
    ],
)
def test_parse_formula_refuses(text, value, rule):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text, CODES)
    assert caught.value.value == value
    assert rule in caught.value.rule


def _meters(*meters: MeterInfo) -> dict[str, MeterInfo]:
    return {m.code: m for m in meters}


def test_expand_virtual_nested_and_units():
    meters = _meters(
        MeterInfo("M", "electricity", "MWh"),
        MeterInfo("A", "electricity", "kWh"),
        MeterInfo("B", "electricity", "kWh"),
        MeterInfo("REST", "electricity", "kWh", formula="M - A"),
        MeterInfo("REST2", "electricity", "kWh", formula="0.5*REST - B"),
    )
    # REST = 1000 x M - A (M in MWh, REST in kWh); REST2 = 500 x M - 0.5 x A - B
    assert expand_virtual(meters) == {
        "REST": {"M": 1000.0, "A": -1.0},
        "REST2": {"M": 500.0, "A": -0.5, "B": -1.0},
    }


def test_expand_virtual_names_every_fault():
    meters = _meters(
        MeterInfo("A", "electricity", "kWh"),
        MeterInfo("G", "natural_gas", "Nm3"),
        MeterInfo("T", "electricity", "t"),
        MeterInfo("SELF", "electricity", "kWh", formula="A - SELF"),
        MeterInfo("V1", "electricity", "kWh", formula="A - V2"),
        MeterInfo("V2", "electricity", "kWh", formula="V1 - A"),
        MeterInfo("MIX", "electricity", "kWh", formula="A + G"),
        MeterInfo("UNIT", "electricity", "kWh", formula="A + T"),
        MeterInfo("UNK", "electricity", "kWh", formula="A - NOPE"),
    )
    with pytest.raises(InputError) as caught:
        expand_virtual(meters)
    found = {(p.where, p.value): p.rule for p in caught.value.problems}
    assert found[("meter SELF", "SELF")] == "a meter cannot refer to itself"
    assert "cycle: V1 -> V2 -> V1" in found[("meter V1", "V2")]
    assert "cycle: V2 -> V1 -> V2" in found[("meter V2", "V1")]
    assert found[("meter MIX", "G")] == "is natural_gas, the virtual meter electricity"
    assert "does not convert" in found[("meter UNIT", "T")]
    assert found[("meter UNK", "NOPE")] == "no meter has this code"


def test_virtual_daily_propagates_estimates_and_missing():
    daily = DailyTotals(
        days=np.array(["2025-03-01", "2025-03-02"], "datetime64[D]"),
        energy={"M": np.array([1000.0, 1100.0]), "A": np.array([600.0, 500.0])},
        estimated={"M": np.array([0.0, 50.0]), "A": np.array([10.0, 0.0])},
        missing={"M": np.array([0, 2]), "A": np.array([0, 95])},
    )
    energy, estimated, missing = virtual_daily({"M": 1.0, "A": -1.0}, daily)
    # day 1: 1000 - 600 = 400, estimated |1| x 0 + |-1| x 10 = 10, missing 0
    # day 2: 1100 - 500 = 600, estimated 50, missing min(96, 2 + 95) = 96
    assert energy.tolist() == [400.0, 600.0]
    assert estimated.tolist() == [10.0, 50.0]
    assert missing.tolist() == [0, 96]


def test_combine_intervals_missing_input_gives_missing():
    energy = {"M": np.array([10.0, 12.0, np.nan]), "A": np.array([4.0, 5.0, 3.0])}
    quality = {
        "M": np.array([Quality.MEASURED, Quality.ESTIMATED, Quality.MISSING], np.uint8),
        "A": np.array([Quality.MEASURED, Quality.MEASURED, Quality.MEASURED], np.uint8),
    }
    out, estimated, worst = combine_intervals(
        {"M": 1.0, "A": -1.0}, energy, quality, Quality.ESTIMATED
    )
    # 10 - 4 = 6; 12 - 5 = 7 (of which the 12 of M was estimated); NaN - 3 = NaN
    assert out[:2].tolist() == [6.0, 7.0] and np.isnan(out[2])
    assert estimated.tolist() == [0.0, 12.0, 0.0]
    assert worst.tolist() == [Quality.MEASURED, Quality.ESTIMATED, Quality.MISSING]


# --- A hand-built factory -----------------------------------------------------------------------

NODES = {
    "site": NodeInfo("site", None, "facility", "Site"),
    "ws1": NodeInfo("ws1", "site", "workshop", "Workshop 1"),
    "ws2": NodeInfo("ws2", "site", "workshop", "Workshop 2"),
    "boiler": NodeInfo("boiler", "site", "building", "Boiler house"),
    "l1": NodeInfo("l1", "ws1", "line", "Line 1"),
    "l2": NodeInfo("l2", "ws1", "line", "Line 2"),
}
METERS = _meters(
    MeterInfo("E-MAIN", "electricity", "kWh", "site", "supply"),
    MeterInfo("E-WS1", "electricity", "kWh", "ws1"),
    MeterInfo("E-L1", "electricity", "kWh", "l1"),
    MeterInfo("E-L2", "electricity", "kWh", "l2"),
    MeterInfo("E-WS2", "electricity", "kWh", "ws2"),
    MeterInfo("E-REST", "electricity", "kWh", "site", formula="E-MAIN - E-WS1 - E-WS2"),
    MeterInfo("G-MAIN", "natural_gas", "Nm3", "site", "supply"),
    MeterInfo("G-BOIL", "natural_gas", "Nm3", "boiler"),
    MeterInfo("S-BOIL", "steam", "GJ", "boiler", "output"),
    MeterInfo("S-WS1", "steam", "GJ", "ws1"),
    MeterInfo("S-WS2", "steam", "GJ", "ws2"),
    MeterInfo("W-MAIN", "water", "m3", "site", "supply"),
)
MONTH = {
    "E-MAIN": 10_000.0,
    "E-WS1": 6_000.0,
    "E-L1": 3_500.0,
    "E-L2": 2_000.0,
    "E-WS2": 3_000.0,
    "E-REST": 1_000.0,  # 10000 - 6000 - 3000
    "G-MAIN": 1_000.0,
    "G-BOIL": 1_000.0,
    "S-BOIL": 30.0,
    "S-WS1": 20.0,
    "S-WS2": 8.0,
    "W-MAIN": 500.0,
}
KGCE_PER_KWH = 0.1229  # GB/T 2589 equivalent value
GAS_KJ_PER_NM3 = 38_931.0  # GB/T 2589 reference NCV of natural gas
MJ_PER_KGCE = 29.307


@pytest.fixture(scope="module")
def coefficients(library):
    coal = StandardCoal.from_library(library)
    made = {m.energy_type for m in METERS.values() if m.flow == "output"}
    tce = {c: tce_coefficient(m, coal) for c, m in METERS.items()}
    carbon = {
        c: carbon_factor(
            m, region="CN-JS", year=2025, library=library, made_on_site=m.energy_type in made
        )
        for c, m in METERS.items()
    }
    return tce, carbon


@pytest.fixture(scope="module")
def totals(coefficients):
    tce, carbon = coefficients
    values = {c: MeterPeriod(energy=v, days=31) for c, v in MONTH.items()}
    return node_totals(NODES, METERS, values, tce, carbon, expand_virtual(METERS))


def test_tce_coefficients(coefficients):
    tce, _ = coefficients
    # electricity: 0.1229 kgce/kWh = 0.0001229 tce/kWh
    assert tce["E-MAIN"].value == pytest.approx(1.229e-4)
    assert tce["E-MAIN"].uses[0].factor.ref == "gbt-2589@1:electricity.equivalent"
    # natural gas: 38931 kJ/Nm3 / 29.307 MJ/kgce = 1.328386 kgce/Nm3 = 0.001328386 tce/Nm3
    assert tce["G-MAIN"].value == pytest.approx(GAS_KJ_PER_NM3 / 1000 / MJ_PER_KGCE / 1000)
    # steam metered in GJ: 1 / 29.307 = 0.034122 tce/GJ
    assert tce["S-WS1"].value == pytest.approx(1 / MJ_PER_KGCE)
    assert tce["W-MAIN"].value is None
    assert "no standard-coal coefficient for water" in tce["W-MAIN"].note
    by_mass = tce_coefficient(MeterInfo("S-T", "steam", "t"), StandardCoal.from_library(_lib()))
    assert by_mass.value is None and "enthalpy" in by_mass.note


def _lib():
    from lingtan.factors import shipped_library

    return shipped_library()


def test_carbon_factors(coefficients):
    _, carbon = coefficients
    # Jiangsu grid 2023 (newest data year <= 2025): 0.5827 tCO2/MWh = 0.0005827 tCO2/kWh
    assert carbon["E-WS1"].value == pytest.approx(0.5827e-3)
    assert carbon["E-WS1"].uses[0].factor.ref == "mee-electricity-2023@1:grid_average[CN-JS].co2"
    assert len(carbon["E-WS1"].uses) == 1
    # gas: 1 Nm3 = 1e-4 x 10^4 Nm3 x 389.31 GJ = 0.038931 GJ; x 0.0153 tC/GJ x 0.99 x 44/12
    assert carbon["G-BOIL"].value == pytest.approx(0.038931 * 0.0153 * 0.99 * 44 / 12)
    assert [u.role for u in carbon["G-BOIL"].uses] == [
        "NCV",
        "carbon content per heat",
        "oxidation rate",
    ]
    assert carbon["S-WS1"].value == 0.0 and "made on site" in carbon["S-WS1"].note
    assert carbon["W-MAIN"].value is None
    pv = carbon_factor(MeterInfo("PV", "pv_generation", "kWh"), region="CN-JS", year=2025,
                       library=_lib())  # fmt: skip
    assert pv.value == 0.0 and "no emission" in pv.note
    bought = carbon_factor(MeterInfo("H", "hot_water", "GJ"), region="CN-JS", year=2025,
                           library=_lib())  # fmt: skip
    assert bought.value == pytest.approx(0.11)  # GB/T 32150-2025 heat factor 0.11 tCO2/GJ


def test_node_totals(totals):
    site = totals["site", "electricity"]
    # own supply meter E-MAIN only (E-REST draws on E-MAIN: a breakdown, not added)
    assert site.basis == "own meters" and site.meters == ["E-MAIN"]
    assert site.energy == 10_000.0
    assert site.tce == pytest.approx(1.229)  # 10000 kWh x 0.1229 kgce/kWh = 1229 kgce
    assert site.tco2 == pytest.approx(5.827)  # 10 MWh x 0.5827 tCO2/MWh
    steam = totals["site", "steam"]
    # no own steam meter: children ws1 20 + ws2 8 + boiler 0 (output only) = 28 GJ
    assert steam.basis == "children" and steam.energy == 28.0
    assert steam.tce == pytest.approx(28 / MJ_PER_KGCE)  # 0.955403 tce
    assert steam.tco2 == 0.0
    assert totals["boiler", "steam"].output == 30.0
    assert totals["boiler", "steam"].output_tce == pytest.approx(30 / MJ_PER_KGCE)
    assert totals["site", "water"].tce is None and totals["site", "water"].energy == 500.0
    tce, tco2, notes = node_energy("site", NODES, METERS, totals)
    # electricity 1.229 + gas 1000 x 38.931 MJ / 29.307 MJ/kgce / 1000 = 1.328386 tce;
    # steam made inside the site by its boiler is not counted again; water has no coefficient
    assert tce == pytest.approx(1.229 + 1.3283857)
    # CO2: 5.827 + 1000 Nm3 x 0.00216219 = 5.827 + 2.162189 = 7.989189 t
    assert tco2 == pytest.approx(5.827 + 2.1621888)
    assert any("steam made inside site" in n for n in notes)
    assert any(n.startswith("water") for n in notes)
    # ws1 uses the boiler's steam: its steam counts in its energy, 20 GJ = 0.682431 tce
    tce_ws1, _, _ = node_energy("ws1", NODES, METERS, totals)
    assert tce_ws1 == pytest.approx(6000 * 1.229e-4 + 20 / MJ_PER_KGCE)


def test_balance(totals):
    rows = {(r.node, r.energy_type): r for r in balance("2025-03", NODES, totals)}
    site = rows["site", "electricity"]
    # 10000 - (ws1 6000 + ws2 3000) = 1000 kWh, 10 % > 5 %
    assert (site.parent, site.children, site.loss) == (10_000.0, 9_000.0, 1_000.0)
    assert site.loss_pct == pytest.approx(10.0) and site.status == "loss"
    ws1 = rows["ws1", "electricity"]
    # 6000 - (3500 + 2000) = 500 kWh = 8.33 %
    assert ws1.loss == 500.0 and ws1.loss_pct == pytest.approx(100 / 12)
    gas = rows["site", "natural_gas"]
    assert gas.loss == 0.0 and gas.status == "ok"
    relaxed = {(r.node, r.energy_type): r for r in balance("x", NODES, totals, threshold_pct=10.5)}
    assert relaxed["site", "electricity"].status == "ok"
    assert relaxed["ws1", "electricity"].status == "ok"
    assert ("site", "steam") not in rows  # no own steam meter at the site


def test_balance_children_exceed_and_incomplete(coefficients):
    tce, carbon = coefficients
    values = {c: MeterPeriod(energy=v, days=1) for c, v in MONTH.items()}
    values["E-L1"] = MeterPeriod(energy=4_500.0, days=1)  # 4500 + 2000 = 6500 > 6000
    values["E-WS2"] = MeterPeriod(energy=3_000.0, missing=4, days=1)
    totals = node_totals(NODES, METERS, values, tce, carbon, expand_virtual(METERS))
    rows = {(r.node, r.energy_type): r for r in balance("2025-03-01", NODES, totals)}
    ws1 = rows["ws1", "electricity"]
    # 6000 - 6500 = -500 kWh = -8.33 % < -5 %: a metering fault
    assert ws1.loss == -500.0 and ws1.status == "children exceed parent"
    site = rows["site", "electricity"]
    assert site.status == "incomplete" and site.missing == 4


def test_period_totals_groups_days():
    daily = DailyTotals(
        days=np.array(["2025-01-31", "2025-02-01", "2025-02-02"], "datetime64[D]"),
        energy={"M": np.array([1.0, 2.0, 4.0])},
        estimated={"M": np.array([0.0, 0.5, 0.0])},
        missing={"M": np.array([0, 96, 1])},
    )
    months = period_totals(daily, ["M"], "month")
    assert list(months) == ["2025-01", "2025-02"]
    feb = months["2025-02"]["M"]
    assert (feb.energy, feb.estimated, feb.missing, feb.days) == (6.0, 0.5, 97, 2)
    assert period_totals(daily, ["M"], "year")["2025"]["M"].energy == 7.0


def test_budget_check():
    rows = budget_check(
        {("ws1", "2025-03"): (12.0, 30.0), ("ws2", "2025-03"): (5.0, None)},
        {("ws1", "2025-03"): (10.0, 40.0), ("ws2", "2025-03"): (8.0, 1.0)},
    )
    ws1, ws2 = rows
    # ws1: 12 / 10 = 120 % energy (over), 30 / 40 = 75 % carbon
    assert ws1.energy_used_pct == pytest.approx(120.0)
    assert ws1.carbon_used_pct == pytest.approx(75.0)
    assert ws1.over == ("energy",)
    assert ws2.energy_used_pct == pytest.approx(62.5) and ws2.carbon_used_pct is None
    assert ws2.over == ()


def test_energy_flow_balances(coefficients, totals):
    tce, _ = coefficients
    values = {c: MeterPeriod(energy=v, days=31) for c, v in MONTH.items()}
    flow = energy_flow(NODES, METERS, values, tce, totals)
    json.dumps(flow)
    ids = [n["id"] for n in flow["nodes"]]
    links = {
        (ids[x["source"]], ids[x["target"]], x["energy_type"]): x["value_tce"]
        for x in flow["links"]
    }
    e = 1.229e-4  # tce/kWh
    gas = GAS_KJ_PER_NM3 / 1000 / MJ_PER_KGCE  # kgce/Nm3 -> x 1000 Nm3 / 1000 = tce
    heat = 1 / MJ_PER_KGCE  # tce/GJ
    expected = {
        ("supply:electricity", "ws1", "electricity"): 6000 * e,  # 0.7374
        ("supply:electricity", "ws2", "electricity"): 3000 * e,  # 0.3687
        ("supply:electricity", "unmetered / losses", "electricity"): 1000 * e,  # 0.1229
        ("ws1", "l1", "electricity"): 3500 * e,  # 0.43015
        ("ws1", "l2", "electricity"): 2000 * e,  # 0.2458
        ("ws1", "unmetered / losses", "electricity"): 500 * e,  # 0.06145
        ("supply:natural_gas", "boiler", "natural_gas"): gas,  # 1.328386
        ("boiler", "ws1", "steam"): 20 * heat,  # 0.682431
        ("boiler", "ws2", "steam"): 8 * heat,  # 0.272973
        ("boiler", "unmetered / losses", "steam"): 2 * heat,  # 30 - 28 GJ = 0.068243
        # conversion loss: gas in 1.328386 - steam out 30 GJ 1.023646 = 0.304740 tce
        ("boiler", "unmetered / losses", "conversion loss"): gas - 30 * heat,
    }  # ws1's steam and ws2's energy end there: no metered children
    assert links == pytest.approx(expected)

    # nodes that pass energy on balance: in == out (the boiler over all types, ws1 per type)
    def through(node, kinds):
        i = ids.index(node)
        inflow = sum(x["value_tce"] for x in flow["links"] if x["target"] == i
                     and x["energy_type"] in kinds)  # fmt: skip
        outflow = sum(x["value_tce"] for x in flow["links"] if x["source"] == i
                      and x["energy_type"] in kinds)  # fmt: skip
        return inflow, outflow

    inflow, outflow = through("boiler", ("natural_gas", "steam", "conversion loss"))
    assert inflow == pytest.approx(outflow)
    assert through("ws1", ("electricity",)) == pytest.approx((6000 * e, 6000 * e))
    assert {n["stage"] for n in flow["nodes"]} == {"purchase", "conversion", "distribution",
                                                    "end use"}  # fmt: skip
    assert flow["notes"] == []


def test_intensity():
    # 3.0 tce and 7.5 tCO2 for 1500 t of product: 0.002 tce/t, 0.005 tCO2/t
    assert intensity(3.0, 7.5, 1500.0) == pytest.approx((0.002, 0.005))
    assert intensity(3.0, None, 1500.0) == (pytest.approx(0.002), None)
    assert intensity(3.0, 7.5, 0.0) == (None, None)
