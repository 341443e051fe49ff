"""Energy and carbon from meters: virtual meters, totals in tce, balance, budgets, energy flow,
carbon per interval, intensity. Every figure is worked by hand in the comments."""

import json

import numpy as np
import pytest
import sqlalchemy as sa

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


def _coefficients(meters: dict[str, MeterInfo], library) -> tuple[dict, dict]:
    """The meters' tce coefficients and carbon factors (Jiangsu, 2025), none made on site."""
    coal = StandardCoal.from_library(library)
    tce = {c: tce_coefficient(m, coal) for c, m in meters.items()}
    carbon = {
        c: carbon_factor(m, region="CN-JS", year=2025, library=library) for c, m in meters.items()
    }
    return tce, carbon


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
    pv = carbon_factor(
        MeterInfo("PV", "pv_generation", "kWh"), region="CN-JS", year=2025, library=_lib()
    )
    assert pv.value == 0.0 and "no emission" in pv.note
    bought = carbon_factor(
        MeterInfo("H", "hot_water", "GJ"), region="CN-JS", year=2025, library=_lib()
    )
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
        inflow = sum(
            x["value_tce"] for x in flow["links"] if x["target"] == i and x["energy_type"] in kinds
        )
        outflow = sum(
            x["value_tce"] for x in flow["links"] if x["source"] == i and x["energy_type"] in kinds
        )
        return inflow, outflow

    inflow, outflow = through("boiler", ("natural_gas", "steam", "conversion loss"))
    assert inflow == pytest.approx(outflow)
    assert through("ws1", ("electricity",)) == pytest.approx((6000 * e, 6000 * e))
    assert {n["stage"] for n in flow["nodes"]} == {
        "purchase",
        "conversion",
        "distribution",
        "end use",
    }
    assert flow["notes"] == []


def test_intensity():
    # 3.0 tce and 7.5 tCO2 for 1500 t of product: 0.002 tce/t, 0.005 tCO2/t
    assert intensity(3.0, 7.5, 1500.0) == pytest.approx((0.002, 0.005))
    assert intensity(3.0, None, 1500.0) == (pytest.approx(0.002), None)
    assert intensity(3.0, 7.5, 0.0) == (None, None)


# --- The store and the command line (SQLite and PostgreSQL) -----------------------------------

APRIL = 30  # days


@pytest.fixture
def factory(store_engine):
    """The hand-built factory above in the store, with April 2025 as daily totals (each
    meter's month spread evenly over 30 days), and 1500 t of product P1 made in April."""
    from datetime import date

    from lingtan.metering.store import MeterDefinition, NodeDefinition
    from lingtan.store.db import session_scope
    from lingtan.store.models import Meter, MeterDay, Product, ProductionRecord
    from metering_support import add_plant

    with session_scope(store_engine) as session:
        facility = add_plant(
            session,
            [NodeDefinition(n.code, n.name, n.level, n.parent) for n in NODES.values()],
            [
                MeterDefinition(
                    m.code,
                    m.energy_type,
                    m.unit,
                    "cumulative",
                    node=m.node,
                    flow=m.flow,
                    virtual_formula=m.formula,
                )
                for m in METERS.values()
            ],
        )
        ids = dict(session.execute(sa.select(Meter.code, Meter.id)).all())
        for code, total in MONTH.items():
            if METERS[code].formula:
                continue
            for day in range(1, APRIL + 1):
                missing = 4 if (code == "E-WS2" and day == APRIL) else 0
                session.add(
                    MeterDay(
                        meter_id=ids[code],
                        day=date(2025, 4, day),
                        energy=total / APRIL,
                        estimated=0.0,
                        measured_intervals=96 - missing,
                        estimated_intervals=0,
                        missing_intervals=missing,
                    )
                )
        product = Product(facility_id=facility.id, code="P1", name="Castings", unit="t")
        session.add(product)
        session.flush()
        session.add(
            ProductionRecord(
                product_id=product.id,
                period_start=date(2025, 4, 1),
                period_end=date(2025, 4, 30),
                quantity=1500.0,
            )
        )
    return store_engine


def _cli(database_url, *args):
    from click.testing import CliRunner

    from lingtan.cli.main import main

    return CliRunner().invoke(main, ["--db", database_url, *args])


SITE_TCE = 1.229 + 1.3283857  # electricity 10000 kWh + gas 1000 Nm3 (steam made inside)
SITE_TCO2 = 5.827 + 2.1621888


def test_store_totals_and_balance(factory, database_url):
    result = _cli(
        database_url, "energy", "totals", "--year", "2025", "--month", "4", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (april,) = data["periods"]
    assert april["period"] == "2025-04"
    assert april["facility_energy_tce"] == pytest.approx(SITE_TCE)
    assert april["facility_carbon_tco2"] == pytest.approx(SITE_TCO2)
    nodes = {(n["node"], n["energy_type"]): n for n in april["nodes"]}
    assert nodes["site", "electricity"]["energy"] == pytest.approx(10_000.0)
    assert nodes["site", "electricity"]["missing_intervals"] == 0  # own meter E-MAIN complete
    assert nodes["ws2", "electricity"]["missing_intervals"] == 4
    assert nodes["site", "steam"]["energy"] == pytest.approx(28.0)
    ref = data["factors"]["E-MAIN"]["tce"]["factors"][0]["ref"]
    assert ref == "gbt-2589@1:electricity.equivalent"
    table = _cli(database_url, "energy", "totals", "--year", "2025", "--month", "4")
    assert table.exit_code == 0 and "1.2290" in table.output and "2.5574" in table.output

    result = _cli(
        database_url,
        "energy",
        "balance",
        "--year",
        "2025",
        "--month",
        "4",
        "--period",
        "day",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = {
        (r["period"], r["node"], r["energy_type"]): r for r in json.loads(result.output)["rows"]
    }
    first = rows["2025-04-01", "site", "electricity"]
    # 333.33 - (200 + 100) = 33.33 kWh a day: 10 % > 5 %
    assert first["loss_pct"] == pytest.approx(10.0) and first["status"] == "loss"
    # the last day ws2 missed 4 intervals: flagged, not reported as a loss
    assert rows["2025-04-30", "site", "electricity"]["status"] == "incomplete"
    assert rows["2025-04-30", "ws1", "electricity"]["status"] == "loss"  # 8.33 %
    relaxed = _cli(
        database_url, "energy", "balance", "--year", "2025", "--month", "4", "--threshold", "12"
    )
    assert (
        relaxed.exit_code == 0
        and "incomplete" in relaxed.output
        and "│ loss " not in relaxed.output
    )


def test_store_flow_intensity(factory, database_url):
    result = _cli(
        database_url, "energy", "flow", "--year", "2025", "--month", "4", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    flow = json.loads(result.output)
    ids = [n["id"] for n in flow["nodes"]]
    values = {
        (ids[x["source"]], ids[x["target"]], x["energy_type"]): x["value_tce"]
        for x in flow["links"]
    }
    assert values["supply:electricity", "ws1", "electricity"] == pytest.approx(0.7374)
    assert values["boiler", "ws2", "steam"] == pytest.approx(8 / MJ_PER_KGCE)

    result = _cli(
        database_url, "energy", "intensity", "--year", "2025", "--month", "4", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["rows"]
    # 2.5573857 tce / 1500 t = 0.00170492 tce/t; 7.9891888 tCO2 / 1500 t = 0.00532613 tCO2/t
    assert row["production"] == pytest.approx(1500.0)
    assert row["tce_per_unit"] == pytest.approx(SITE_TCE / 1500)
    assert row["tco2_per_unit"] == pytest.approx(SITE_TCO2 / 1500)


def test_store_budgets(factory, database_url, tmp_path):
    from lingtan.store.models import AuditEntry, MeterBudget

    good = tmp_path / "budget.csv"
    good.write_text(
        "节点 node,月份 month,能耗预算 energy_tce,碳排放预算 carbon_tco2\n"
        "site,2025-04,2.0,7.0\nws1,2025-04,1.5,10\nws2,2025-05,1,\n",
        encoding="utf-8",
    )
    result = _cli(database_url, "energy", "budget", "import", str(good))
    assert result.exit_code == 0, result.output
    assert "3 row(s) read, 3 budget(s) added or changed" in result.output
    again = _cli(database_url, "energy", "budget", "import", str(good))
    assert "3 row(s) read, 0 budget(s) added or changed" in again.output

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "node,month,energy_tce\nsite,2025-06,3\nnope,2025-04,1\nws1,April,1\nws2,2025-04,-2\n"
    )
    refused = _cli(database_url, "energy", "budget", "import", str(bad))
    assert refused.exit_code == 2
    assert "bad.csv row 3: field 'A (node)' = 'nope': unknown node" in refused.output
    assert "bad.csv row 4: field 'B (month)' = 'April': YYYY-MM expected" in refused.output
    assert "bad.csv row 5: field 'C (energy_tce)' = '-2': a number >= 0 expected" in refused.output
    changed = tmp_path / "budget-revised.csv"
    changed.write_text("node,month,energy_tce,carbon_tco2\nsite,2025-04,2.5,7.0\n")
    assert (
        "1 budget(s) added or changed"
        in _cli(database_url, "energy", "budget", "import", str(changed)).output
    )
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(MeterBudget)).scalar() == 3
        entries = connection.execute(
            sa.select(AuditEntry.entity_key, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.entity == "meter_budget")
            .order_by(AuditEntry.id)
        ).all()
    engine.dispose()
    # one entry per import that changed something: the first (3 budgets), the revision (1)
    assert [after["file"] for _, _, after in entries] == ["budget.csv", "budget-revised.csv"]
    assert entries[0].before is None and len(entries[0].after["budgets"]) == 3
    revised = entries[1]
    assert revised.before == {"budgets": {"site 2025-04": {"energy_tce": 2.0, "carbon_tco2": 7.0}}}
    assert revised.after["budgets"] == {"site 2025-04": {"energy_tce": 2.5, "carbon_tco2": 7.0}}
    revert = tmp_path / "budget-back.csv"
    revert.write_text("node,month,energy_tce,carbon_tco2\nsite,2025-04,2.0,7.0\n")
    _cli(database_url, "energy", "budget", "import", str(revert))

    result = _cli(database_url, "energy", "budget", "check", "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {(r["node"], r["month"]): r for r in json.loads(result.output)["rows"]}
    factors = json.loads(result.output)["factors"]
    assert (
        factors["G-MAIN"]["carbon"]["factors"][0]["ref"]
        == "cn-fuel-defaults-2015@1:natural_gas.ncv"
    )
    site = rows["site", "2025-04"]
    # 2.5573857 / 2.0 = 127.87 %; 7.9891888 / 7.0 = 114.13 %
    assert site["energy_used_pct"] == pytest.approx(SITE_TCE / 2.0 * 100)
    assert site["carbon_used_pct"] == pytest.approx(SITE_TCO2 / 7.0 * 100)
    assert site["over_budget"] == ["energy", "carbon"]
    ws1 = rows["ws1", "2025-04"]
    # electricity 6000 kWh = 0.7374 tce + steam 20 GJ = 0.6824308 tce: 1.4198308 / 1.5 = 94.66 %
    assert ws1["energy_used_pct"] == pytest.approx((0.7374 + 20 / MJ_PER_KGCE) / 1.5 * 100)
    assert ws1["carbon_used_pct"] == pytest.approx(6 * 0.5827 / 10 * 100)  # 34.96 %
    assert ws1["over_budget"] == []
    assert rows["ws2", "2025-05"]["energy_tce"] == 0.0  # no May data: nothing used yet
    table = _cli(database_url, "energy", "budget", "check", "--year", "2025", "--month", "4")
    assert "over energy budget, over carbon budget" in table.output


def test_store_carbon_per_interval(factory, database_url):
    from lingtan.metering.store import ingest_readings
    from lingtan.store.db import session_scope

    t0 = 1_740_758_400  # 2025-03-01 00:00 +08:00 = 2025-02-28 16:00 UTC
    registers = {
        "E-MAIN": [0, 30, 60, 100, 130],  # 30, 30, 40, 30 kWh
        "E-WS1": [0, 10, 25, 45, 70],  # 10, 15, 20, 25 kWh
        "E-WS2": [0, 5, 10, 15, 20],  # 5, 5, 5, 5 kWh
    }
    with session_scope(factory) as session:
        ingest_readings(
            session,
            "F1",
            [(c, t0 + 900 * i, v) for c, vs in registers.items() for i, v in enumerate(vs)],
            origin="test",
        )
    result = _cli(
        database_url,
        "energy",
        "carbon",
        "--meter",
        "E-WS1",
        "--date",
        "2025-03-01",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["carbon_tco2"]) == 96 and data["start_utc"][0] == "2025-02-28T16:00:00Z"
    # 10, 15, 20, 25 kWh x 0.0005827 tCO2/kWh
    assert data["carbon_tco2"][:4] == pytest.approx([0.005827, 0.0087405, 0.011654, 0.0145675])
    assert data["carbon_tco2"][4] is None and data["quality"][4] == "missing"
    assert data["factor"]["factors"][0]["ref"] == "mee-electricity-2023@1:grid_average[CN-JS].co2"
    rest = json.loads(
        _cli(
            database_url,
            "energy",
            "carbon",
            "--meter",
            "E-REST",
            "--date",
            "2025-03-01",
            "--format",
            "json",
        ).output
    )
    # E-REST = E-MAIN - E-WS1 - E-WS2: 30-10-5 = 15, 30-15-5 = 10, 40-20-5 = 15, 30-25-5 = 0
    assert rest["energy"][:4] == pytest.approx([15.0, 10.0, 15.0, 0.0])
    assert rest["carbon_tco2"][0] == pytest.approx(15 * 0.5827e-3)
    assert rest["energy"][4] is None
    table = _cli(database_url, "energy", "carbon", "--meter", "E-WS1", "--date", "2025-03-01")
    assert "0.005827" in table.output and "grid emission factor" in table.output
    unknown = _cli(database_url, "energy", "carbon", "--meter", "NOPE", "--date", "2025-03-01")
    assert unknown.exit_code == 2 and "'NOPE': unknown meter" in unknown.output


def test_store_refuses_bad_virtual_meter(factory, database_url):
    from lingtan.metering.store import MeterDefinition, define_meters
    from lingtan.store.db import session_scope
    from lingtan.store.models import Meter

    with pytest.raises(InputError) as caught, session_scope(factory) as session:
        define_meters(
            session,
            "F1",
            [],
            [
                MeterDefinition(
                    "V-BAD",
                    "electricity",
                    "kWh",
                    "interval",
                    node="site",
                    virtual_formula="E-MAIN - E-GONE",
                ),
                MeterDefinition(
                    "V-GAS", "electricity", "kWh", "interval", virtual_formula="E-MAIN - G-MAIN"
                ),
                MeterDefinition("X", "electricity", "kWh", "interval", flow="sideways"),
            ],
            actor="test",
        )
    found = {(p.where, p.field, p.value) for p in caught.value.problems}
    assert found == {
        ("meter V-BAD", "formula", "E-GONE"),
        ("meter V-GAS", "formula", "G-MAIN"),
        ("meter X", "flow", "sideways"),
    }
    with session_scope(factory) as session:
        codes = set(session.scalars(sa.select(Meter.code)))
    assert "V-BAD" not in codes and "X" not in codes
    listed = _cli(database_url, "meters", "list")
    assert listed.exit_code == 0 and "supply" in listed.output and "output" in listed.output


def test_pv_generation_and_export_in_totals_and_flow(library):
    nodes = {"site": NodeInfo("site", None, "facility"), "a": NodeInfo("a", "site", "workshop")}
    meters = _meters(
        MeterInfo("GRID", "electricity", "kWh", "site", "supply"),
        MeterInfo("PV", "pv_generation", "kWh", "site"),  # flow left at use: still generation
        MeterInfo("EXP", "exported_power", "kWh", "site"),
        MeterInfo("A", "electricity", "kWh", "a"),
    )
    values = {
        "GRID": MeterPeriod(1000.0),
        "PV": MeterPeriod(500.0),
        "EXP": MeterPeriod(100.0),
        "A": MeterPeriod(1200.0),
    }
    tce, carbon = _coefficients(meters, library)
    totals = node_totals(nodes, meters, values, tce, carbon)
    site = totals["site", "electricity"]
    # consumption is the grid supply only; PV 500 kWh and export 100 kWh are reported apart
    assert (site.energy, site.generation, site.export) == (1000.0, 500.0, 100.0)
    assert site.tco2 == pytest.approx(1.0 * 0.5827)  # 1 MWh from the grid; PV carries 0
    assert ("site", "pv_generation") not in totals
    flow = energy_flow(nodes, meters, values, tce, totals)
    ids = [n["id"] for n in flow["nodes"]]
    kwh = {(ids[x["source"]], ids[x["target"]]): x["value_tce"] / 1.229e-4 for x in flow["links"]}
    # 1500 kWh available (grid 2/3, PV 1/3): export 100 -> 66.67 grid + 33.33 PV;
    # workshop a 1200 -> 800 grid + 400 PV; the rest 200 -> 133.33 grid + 66.67 PV unmetered
    assert kwh == pytest.approx(
        {
            ("supply:electricity", "export"): 200 / 3,
            ("generation:electricity", "export"): 100 / 3,
            ("supply:electricity", "a"): 800.0,
            ("generation:electricity", "a"): 400.0,
            ("supply:electricity", "unmetered / losses"): 400 / 3,
            ("generation:electricity", "unmetered / losses"): 200 / 3,
        }
    )


def test_store_flow_column_and_xlsx_budgets(factory, database_url, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    from lingtan.metering.files import define_meters_from_file
    from lingtan.store.db import session_scope
    from lingtan.store.models import Meter, MeterBudget

    sheet = tmp_path / "meters.csv"
    sheet.write_text(
        "类别,编号,上级,能源类型,单位,计量方式,能流\n"
        "表计,PV-1,site,pv_generation,kWh,cumulative,generation\n"
        "表计,E-NEW,ws2,electricity,kWh,cumulative,\n",
        encoding="utf-8",
    )
    with session_scope(factory) as session:
        assert define_meters_from_file(session, "F1", sheet, actor="test") == (0, 2)
        flows = dict(session.execute(sa.select(Meter.code, Meter.flow)).all())
    assert flows["PV-1"] == "generation" and flows["E-NEW"] == "use"
    bad = tmp_path / "bad.csv"
    bad.write_text("record,code,energy_type,unit,kind,flow\nmeter,X,electricity,kWh,interval,in\n")
    with pytest.raises(InputError) as caught, session_scope(factory) as session:
        define_meters_from_file(session, "F1", bad, actor="test")
    assert [(p.where, p.field, p.value) for p in caught.value.problems] == [
        ("meter X", "flow", "in")
    ]

    book = Workbook()
    book.active.append(["节点", "月份", "能耗预算", "碳排放预算"])
    book.active.append(["ws1", datetime(2025, 4, 1), 1.5, 10])
    book.active.append(["ws2", "2025-04", None, 2])
    path = tmp_path / "budget.xlsx"
    book.save(path)
    result = _cli(database_url, "energy", "budget", "import", str(path))
    assert result.exit_code == 0, result.output
    with session_scope(factory) as session:
        rows = {
            (b.node_id, b.month.isoformat()): (b.energy_tce, b.carbon_tco2)
            for b in session.scalars(sa.select(MeterBudget))
        }
    assert sorted(rows.values(), key=str) == [(1.5, 10.0), (None, 2.0)]


def test_flow_feeds_equipment_outside_workshops_directly(library):
    nodes = {
        "site": NodeInfo("site", None, "facility"),
        "ws": NodeInfo("ws", "site", "workshop"),
        "comp": NodeInfo("comp", "site", "equipment", "Compressor"),
    }
    meters = _meters(
        MeterInfo("GRID", "electricity", "kWh", "site", "supply"),
        MeterInfo("WS", "electricity", "kWh", "ws"),
        MeterInfo("COMP", "electricity", "kWh", "comp"),
    )
    values = {"GRID": MeterPeriod(1000.0), "WS": MeterPeriod(500.0), "COMP": MeterPeriod(100.0)}
    tce, carbon = _coefficients(meters, library)
    flow = energy_flow(nodes, meters, values, tce, node_totals(nodes, meters, values, tce, carbon))
    ids = [n["id"] for n in flow["nodes"]]
    kwh = {(ids[x["source"]], ids[x["target"]]): x["value_tce"] / 1.229e-4 for x in flow["links"]}
    # 1000 kWh bought: 500 to the workshop, 100 to the compressor, 400 unmetered
    assert kwh == pytest.approx(
        {
            ("supply:electricity", "ws"): 500.0,
            ("supply:electricity", "comp"): 100.0,
            ("supply:electricity", "unmetered / losses"): 400.0,
        }
    )
    assert flow["nodes"][ids.index("comp")]["stage"] == "end use"


def test_balance_counts_generation_on_the_node_and_on_a_child(library):
    nodes = {
        "site": NodeInfo("site", None, "facility"),
        "pv": NodeInfo("pv", "site", "equipment"),
        "a": NodeInfo("a", "site", "workshop"),
    }
    meters = _meters(
        MeterInfo("GRID", "electricity", "kWh", "site", "supply"),
        MeterInfo("PV", "pv_generation", "kWh", "pv"),  # on a child node of its own
        MeterInfo("EXP", "exported_power", "kWh", "pv"),
        MeterInfo("A", "electricity", "kWh", "a"),
    )
    values = {
        "GRID": MeterPeriod(1000.0),
        "PV": MeterPeriod(500.0),
        "EXP": MeterPeriod(100.0),
        "A": MeterPeriod(1350.0),
    }
    tce, carbon = _coefficients(meters, library)
    rows = balance("2025-03", nodes, node_totals(nodes, meters, values, tce, carbon))
    (site,) = [r for r in rows if r.node == "site"]
    # into the site: grid 1000 + PV 500 - export 100 = 1400 kWh; workshop a uses 1350:
    # loss 50 kWh = 50 / 1400 = 3.57 % (without the PV it would read 1000 - 1350 = -35 %)
    assert (site.parent, site.children, site.loss) == (1400.0, 1350.0, 50.0)
    assert site.loss_pct == pytest.approx(50 / 14) and site.status == "ok"


def test_bought_steam_counts_when_the_site_also_makes_steam(library):
    nodes = {
        "site": NodeInfo("site", None, "facility"),
        "boiler": NodeInfo("boiler", "site", "building"),
        "a": NodeInfo("a", "site", "workshop"),
    }
    meters = _meters(
        MeterInfo("G", "natural_gas", "Nm3", "boiler", "use"),
        MeterInfo("S-OUT", "steam", "GJ", "boiler", "output"),
        MeterInfo("S-PARK", "steam", "GJ", "site", "supply"),
        MeterInfo("S-A", "steam", "GJ", "a"),
    )
    values = {
        "G": MeterPeriod(1000.0),
        "S-OUT": MeterPeriod(30.0),
        "S-PARK": MeterPeriod(50.0),
        "S-A": MeterPeriod(75.0),
    }
    tce, carbon = _coefficients(meters, library)
    totals = node_totals(nodes, meters, values, tce, carbon)
    site_tce, site_tco2, notes = node_energy("site", nodes, meters, totals)
    # gas 1000 Nm3 x 38,931 kJ/Nm3 / 29,307 kJ/kgce = 1328.39 kgce = 1.328386 tce, plus the
    # park steam 50 GJ / 29.307 GJ/tce = 1.706077 tce; the boiler's 30 GJ are not counted again
    gas = 1000 * GAS_KJ_PER_NM3 / MJ_PER_KGCE / 1e6
    assert site_tce == pytest.approx(gas + 50 / MJ_PER_KGCE, rel=1e-9)
    # carbon: gas 2.1622 tCO2 per 1000 Nm3 (see test_carbon_factors) + steam 50 GJ x 0.11
    assert site_tco2 == pytest.approx(totals["boiler", "natural_gas"].tco2 + 50 * 0.11, rel=1e-9)
    assert any("only what is bought" in n for n in notes)


#: The demo's shape: the boiler house is a line of the utilities building.
UTILITIES = {
    "site": NodeInfo("site", None, "facility"),
    "utilities": NodeInfo("utilities", "site", "building"),
    "boilers": NodeInfo("boilers", "utilities", "line"),
}


def test_flow_feeds_a_boiler_house_inside_a_building_through_the_building(library):
    nodes = UTILITIES
    meters = _meters(
        MeterInfo("G", "natural_gas", "Nm3", "boilers", "supply"),
        MeterInfo("S", "steam", "GJ", "boilers", "output"),
    )
    values = {"G": MeterPeriod(1000.0), "S": MeterPeriod(35.0)}
    tce, carbon = _coefficients(meters, library)
    totals = node_totals(nodes, meters, values, tce, carbon)
    flow = energy_flow(nodes, meters, values, tce, totals)
    ids = [n["id"] for n in flow["nodes"]]
    links = {
        (ids[x["source"]], ids[x["target"]], x["energy_type"]): x["value_tce"]
        for x in flow["links"]
    }
    # gas 1000 Nm3 x 38,931 kJ/Nm3 / 29,307 kJ/kgce = 1.328386 tce, once: purchase ->
    # utilities -> boilers (before: also purchase -> boilers, "consumers metered 1.33 tce
    # more than supplied"); steam 35 GJ / 29.307 = 1.194250 tce; boiler loss 0.134136 tce
    gas = 1000 * GAS_KJ_PER_NM3 / MJ_PER_KGCE / 1e6
    steam = 35 / MJ_PER_KGCE
    assert flow["notes"] == []
    assert links == pytest.approx(
        {
            ("supply:natural_gas", "utilities", "natural_gas"): gas,
            ("utilities", "boilers", "natural_gas"): gas,
            ("boilers", "unmetered / losses", "conversion loss"): gas - steam,
            ("boilers", "unmetered / losses", "steam"): steam,  # no steam meter downstream
        }
    )
    assert flow["nodes"][ids.index("boilers")]["stage"] == "conversion"


def test_no_balance_against_children_that_meter_no_use(library):
    # the demo's park steam: bought at the site, used by no metered consumer; the utilities
    # building's steam total (0 GJ, from the boiler house's output meter only) is no child
    nodes = UTILITIES
    meters = _meters(
        MeterInfo("S-PARK", "steam", "GJ", "site", "supply"),
        MeterInfo("S-BOILER", "steam", "GJ", "boilers", "output"),
    )
    values = {"S-PARK": MeterPeriod(100.0), "S-BOILER": MeterPeriod(300.0)}
    tce, carbon = _coefficients(meters, library)
    totals = node_totals(nodes, meters, values, tce, carbon)
    assert totals["utilities", "steam"].energy == 0.0  # shown, but metering nothing
    assert balance("2025-03", nodes, totals) == []  # before: a 100 % "loss" every month
