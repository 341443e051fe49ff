"""Properties that hold for any input (hypothesis)."""

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run
from lingtan.accounting.model import Instrument, Source
from lingtan.units import conversion_factor

quantities = st.floats(min_value=0.001, max_value=1e7, allow_nan=False, allow_infinity=False)


@st.composite
def sources(draw):
    kinds = [
        lambda q: Source("", "fuel_combustion", q, "t", fuel=draw(st.sampled_from(
            ["diesel", "gasoline", "coke", "anthracite", "fuel_oil", "lpg"]))),
        lambda q: Source("", "fuel_combustion", q, "Nm3", fuel="natural_gas"),
        lambda q: Source("", "fugitive", q, "kg", gas=draw(st.sampled_from(
            ["R-410A", "R-404A", "SF6", "HFC-134a", "R-32"]))),
        lambda q: Source("", "purchased_electricity", q, "MWh",
                         region=draw(st.sampled_from(["CN-JS", "CN-GD", "grid-north", "CN"]))),
        lambda q: Source("", "purchased_heat", q, "GJ"),
        lambda q: Source("", "process_carbonate", q, "t", carbonate="CaCO3", purity=0.9),
        lambda q: Source("", "exported_electricity", q / 100, "MWh"),
        lambda q: Source("", "other", q, "t", factor=1.5, factor_unit="kgCO2e/t", scope=3,
                         category=1),
    ]  # fmt: skip
    chosen = draw(st.lists(st.tuples(st.sampled_from(range(len(kinds))), quantities), min_size=1,
                           max_size=8))  # fmt: skip
    return tuple(replace(kinds[k](q), id=f"s{i}") for i, (k, q) in enumerate(chosen))


@settings(max_examples=60, deadline=None)
@given(sources())
def test_totals_are_the_sums_of_the_lines(items):
    result = run(*items)
    totals, lines = result.totals, result.lines
    in_total = [ln.emissions_tco2e for ln in lines if ln.gbt32150_category is not None]
    assert totals.total_tco2e == pytest.approx(math.fsum(in_total), rel=1e-12, abs=1e-9)
    for scope, total in ((1, totals.scope1_tco2e), (3, totals.scope3_tco2e),
                         (2, totals.scope2_location_tco2e)):  # fmt: skip
        expected = math.fsum(ln.emissions_tco2e for ln in lines if ln.scope == scope)
        assert total == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert totals.energy_tce == pytest.approx(math.fsum(ln.energy_tce for ln in lines), abs=1e-9)
    assert math.fsum(totals.by_category_tco2e.values()) == pytest.approx(
        math.fsum(ln.emissions_tco2e for ln in lines), rel=1e-12, abs=1e-9
    )
    for line in lines:
        assert line.emissions_tco2e >= 0 or line.source.kind.startswith(("exported", "recovered"))


@settings(max_examples=40, deadline=None)
@given(sources(), st.floats(min_value=0.01, max_value=1000))
def test_results_are_linear_in_quantity(items, k):
    base = run(*items)
    scaled = run(*(replace(s, quantity=s.quantity * k) for s in items))
    for a, b in zip(base.lines, scaled.lines, strict=True):
        assert b.emissions_tco2e == pytest.approx(k * a.emissions_tco2e, rel=1e-9, abs=1e-9)
        assert b.energy_tce == pytest.approx(k * a.energy_tce, rel=1e-9, abs=1e-9)
    assert scaled.totals.total_tco2e == pytest.approx(
        k * base.totals.total_tco2e, rel=1e-9, abs=1e-6
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(quantities, min_size=1, max_size=5),
    st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=4),
    st.sampled_from(["CN-JS", "CN-SD", "grid-north", "CN-HE", "CN-SC"]),
    st.floats(min_value=0, max_value=1),
)
def test_market_based_not_above_location_when_instruments_cover_consumption(
    consumption, shares, region, residual_ratio
):
    # Instruments cover at most what was consumed, and the residual factor does not exceed
    # the location factor. (With the national MEE residual factor a low-carbon province can
    # have market > location: see test_market_can_exceed_location_in_a_hydro_province.)
    electricity = [
        Source(f"e{i}", "purchased_electricity", q, "MWh", region=region)
        for i, q in enumerate(consumption)
    ]
    total = math.fsum(consumption)
    fraction = min(1.0, math.fsum(shares)) * 0.999
    instruments = tuple(
        Instrument(f"i{i}", "gec", total * fraction * s / (math.fsum(shares) or 1), "MWh")
        for i, s in enumerate(shares)
    )
    location = run(*electricity).lines[0].factors[0].value
    residual = location * residual_ratio
    result = run(*electricity, instruments=instruments, residual_factor=residual)
    assert result.totals.scope2_market_tco2e <= result.totals.scope2_location_tco2e * (1 + 1e-12)


units = st.sampled_from(
    [("kWh", "MWh"), ("MWh", "GJ"), ("GJ", "TJ"), ("t", "kg"), ("Nm3", "10^4 Nm3"),
     ("tce", "kgce"), ("tCO2e", "kgCO2e"), ("万kWh", "kWh"), ("kgCO2/kWh", "tCO2/MWh"),
     ("GJ/t", "MJ/kg"), ("t/TJ", "t/GJ")]
)  # fmt: skip


@given(quantities, units)
def test_unit_conversions_round_trip(value, pair):
    a, b = pair
    there = value * conversion_factor(a, b)
    back = there * conversion_factor(b, a)
    assert back == pytest.approx(value, rel=1e-12)


def test_market_can_exceed_location_in_a_hydro_province():
    # Sichuan 2023: 0.1564 location; uncovered MWh take the national residual 0.6096
    result = run(Source("grid", "purchased_electricity", 100, "MWh", region="Sichuan"))
    assert result.totals.scope2_location_tco2e == pytest.approx(15.64)
    assert result.totals.scope2_market_tco2e == pytest.approx(60.96)
