"""The reconciliation of the inventory's energy with the meters', checked by hand."""

import pytest

from lingtan.metering.reconcile import (
    Coefficients,
    InvoiceMonth,
    MeterMonth,
    line_group,
    reconcile,
)

ELECTRICITY = Coefficients("kWh", 0.1229e-3, 0.5827e-3)  # 0.1229 kgce/kWh, 0.5827 tCO2/MWh
GAS_TCE_PER_NM3 = 38_931 / 29_307 / 1000  # GB/T 2589 reference NCV / 29.307 MJ/kgce
GAS = Coefficients("Nm3", GAS_TCE_PER_NM3, 0.00216219)


def bill(kind, month, quantity, unit, tce, tco2e, estimate=False):
    return InvoiceMonth(kind, month, quantity, unit, tce, tco2e, estimate)


def cause(row, key, tce, tco2, months):
    """The row's cause ``key`` is (tce, tco2) over ``months``."""
    assert row.causes[key][:2] == pytest.approx((tce, tco2)), key
    assert row.causes[key][2] == months, key
    return True


def test_causes_add_up_to_the_difference_by_hand():
    invoices = [
        bill("electricity", "2025-01", 1000.0, "MWh", 122.9, 582.7),
        bill("electricity", "2025-02", 1100.0, "MWh", 135.19, 640.97, estimate=True),
        bill("electricity", "2025-03", 900.0, "MWh", 110.61, 524.43),
        bill("onsite_generation", "2025-01", 200.0, "MWh", 24.58, 116.54),
        bill("diesel", "2025-01", 10.0, "t", 14.553520319, 31.0),
        bill("natural_gas", "2025-01", 10_000.0, "Nm3", 13.5, 21.6219),  # measured NCV
        bill("non_energy", "2025-07", None, None, 0.0, 23.082),  # R-410A top-up
    ]
    meters = [
        MeterMonth("electricity", "2025-01", 1_002_000.0, "kWh", 123.1458, 583.8654),
        MeterMonth("electricity", "2025-02", 1_090_000.0, "kWh", 133.961, 635.143),
        MeterMonth("electricity", "2025-03", 600_000.0, "kWh", 73.74, 349.62, missing=960),
        MeterMonth("onsite_generation", "2025-01", 201_000.0, "kWh", 24.7029, 0.0, counted=False),
        MeterMonth("natural_gas", "2025-01", 10_000.0, "Nm3", 10_000 * GAS_TCE_PER_NM3, 21.6219),
    ]
    result = reconcile(invoices, meters, {"electricity": ELECTRICITY, "natural_gas": GAS})
    rows = {r.energy_type: r for r in result.rows}
    assert list(rows) == [
        "electricity", "onsite_generation", "natural_gas", "diesel", "non_energy"
    ]  # fmt: skip
    e = rows["electricity"]
    # invoices 3,000 MWh = 368.7 tce; meters 1,002 + 1,090 + 600 = 2,692 MWh = 330.8468 tce
    assert (e.unit, e.invoice_quantity, e.meter_quantity) == ("MWh", 3000.0, 2692.0)
    assert e.difference_tce == pytest.approx(368.7 - 330.8468)
    # January complete: -2 MWh x 0.1229 = -0.2458 tce (meter reads high); February an
    # estimate on the bill: +10 MWh = 1.229 tce; March 960 intervals missing: 300 MWh = 36.87
    assert cause(e, "metering", -0.2458, -2 * 0.5827, ["2025-01"])
    assert cause(e, "inventory_estimate", 1.229, 5.827, ["2025-02"])
    assert cause(e, "meter_missing", 36.87, 174.81, ["2025-03"])
    assert e.causes["coefficients"][:2] == pytest.approx((0.0, 0.0), abs=1e-9)
    assert sum(c[0] for c in e.causes.values()) == pytest.approx(e.difference_tce, rel=1e-12)
    # PV bought from its owner: all in the inventory, metered apart (201 MWh), not in the total
    pv = rows["onsite_generation"]
    assert (pv.meter_tce, pv.apart_quantity) == (0.0, 201.0)
    assert list(pv.causes) == ["onsite_generation"]
    assert cause(pv, "onsite_generation", 24.58, 116.54, ["2025-01"])
    # gas: the same 10,000 Nm3, but the inventory's measured NCV gives 13.5 tce against
    # 10,000 x 38,931 / 29,307 / 1000 = 13.283857 tce at the meters' reference NCV
    gas = rows["natural_gas"]
    assert gas.causes["coefficients"][0] == pytest.approx(13.5 - 13.2838571)
    assert gas.causes["metering"][0] == pytest.approx(0.0, abs=1e-12)
    assert list(rows["diesel"].causes) == ["not_metered"]
    assert cause(rows["diesel"], "not_metered", 14.553520319, 31.0, ["2025-01"])
    assert rows["non_energy"].causes["not_metered"][:2] == pytest.approx((0.0, 23.082))
    # the whole: 368.7 + 24.58 + 14.5535 + 13.5 invoices against 330.8468 + 13.2839 meters
    assert result.invoice_tce == pytest.approx(368.7 + 24.58 + 14.553520319 + 13.5)
    assert result.meter_tce == pytest.approx(330.8468 + 13.2838571)
    causes = result.causes()
    assert sum(tce for tce, _ in causes.values()) == pytest.approx(
        result.invoice_tce - result.meter_tce, rel=1e-12
    )
    assert sum(tco2 for _, tco2 in causes.values()) == pytest.approx(
        result.invoice_tco2e - result.meter_tco2, rel=1e-12
    )
    months = {m[0]: m for m in e.months}
    assert months["2025-03"][1:4] == pytest.approx((110.61, 73.74, 36.87)) and (
        months["2025-03"][4] == "meter_missing"
    )


def test_equal_value_electricity_is_a_coefficient_difference():
    # the inventory at 等价值 0.300 kgce/kWh, the meters at 当量值 0.1229: 1,000 MWh each
    invoices = [bill("electricity", "2025-01", 1000.0, "MWh", 300.0, 582.7)]
    meters = [MeterMonth("electricity", "2025-01", 1_000_000.0, "kWh", 122.9, 582.7)]
    (row,) = reconcile(invoices, meters, {"electricity": ELECTRICITY}).rows
    assert row.causes["coefficients"][0] == pytest.approx(300.0 - 122.9)
    assert row.causes["metering"][0] == pytest.approx(0.0, abs=1e-12)


def test_a_metered_type_missing_from_the_inventory():
    meters = [MeterMonth("natural_gas", "2025-05", 500.0, "Nm3", 0.664, 1.081)]
    (row,) = reconcile([], meters, {"natural_gas": GAS}).rows
    assert row.difference_tce == pytest.approx(-0.664)
    assert list(row.causes) == ["not_in_inventory"]
    assert cause(row, "not_in_inventory", -0.664, -1.081, ["2025-05"])


def test_line_groups():
    gas = {"kind": "fuel_combustion", "quantity": 5.0, "unit": "10^4 Nm3",
           "source": {"fuel": "natural_gas"}, "source_id": "b"}  # fmt: skip
    assert line_group(gas) == ("natural_gas", 5.0, "10^4 Nm3")
    pv = {"kind": "purchased_electricity", "activity": 201.5, "activity_unit": "MWh",
          "source": {}, "source_id": "pv@2025-01-01"}  # fmt: skip
    assert line_group(pv, {"pv@2025-01-01"}) == ("onsite_generation", 201.5, "MWh")
    assert line_group(pv) == ("electricity", 201.5, "MWh")
    export = {"kind": "exported_heat", "activity": 80.0, "activity_unit": "GJ", "source": {},
              "source_id": "x"}  # fmt: skip
    assert line_group(export) == ("heat", -80.0, "GJ")
    fugitive = {"kind": "fugitive", "quantity": 8.0, "unit": "kg", "source": {"gas": "R-410A"},
                "source_id": "c"}  # fmt: skip
    assert line_group(fugitive) == ("non_energy", None, None)
