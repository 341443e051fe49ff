"""The formulas against hand-worked examples (arithmetic in the comments)."""

import math

import pytest

from lingtan.accounting import formulas


def test_combustion_natural_gas_per_10k_nm3():
    # 389.31 GJ/10^4 Nm3 x 0.0153 tC/GJ x 0.99 x 44/12 = 21.6219 tCO2 per 10^4 Nm3
    assert formulas.combustion_co2(1, 389.31, 0.0153, 0.99) == pytest.approx(21.62188809, rel=1e-9)


def test_combustion_diesel_per_tonne():
    # 42.652 x 0.0202 x 0.98 x 44/12 = 3.0959 tCO2/t (third-party tools print 3.0959)
    assert formulas.combustion_co2(1, 42.652, 0.0202, 0.98) == pytest.approx(3.095909637, rel=1e-9)


def test_combustion_from_measured_carbon_fraction():
    # 100 t coal x 0.60 tC/t x 0.94 x 44/12 = 206.8 tCO2
    assert formulas.combustion_co2_from_carbon_fraction(100, 0.60, 0.94) == pytest.approx(206.8)


def test_carbonate_limestone():
    # 1000 t x 0.95 purity x 0.43971 x 1.0 = 417.7245 tCO2
    assert formulas.carbonate_co2(1000, 0.95, 0.43971) == pytest.approx(417.7245)
    # partial calcination halves it
    assert formulas.carbonate_co2(1000, 0.95, 0.43971, 0.5) == pytest.approx(208.86225)


def test_mass_balance():
    # (100 x 0.8 - 50 x 0.5) tC = 55 tC -> 201.6667 tCO2
    assert formulas.mass_balance_co2(80, 25) == pytest.approx(55 * 44 / 12)


def test_fugitive_mass_balance():
    assert formulas.fugitive_mass_balance(0.5, 0.4, 0.2, 0.05) == pytest.approx(0.25)


def test_blend_gwp_r410a_ar5():
    # 0.5 x 677 + 0.5 x 3170 = 1923.5 (published rounded as 1924)
    gwp = formulas.blend_gwp({"HFC-32": 0.5, "HFC-125": 0.5}, {"HFC-32": 677, "HFC-125": 3170})
    assert gwp == 1923.5


def test_steam_and_hot_water_heat():
    # 100 t x (2776 - 83.74) kJ/kg x 1e-3 = 269.226 GJ
    assert formulas.steam_heat(100, 2776.0, 83.74) == pytest.approx(269.226)
    # 500 t x (95 - 20) K x 4.1868 kJ/(kg K) x 1e-3 = 157.005 GJ
    assert formulas.hot_water_heat(500, 95, 20, 4.1868) == pytest.approx(157.005)


def test_recovered_co2_from_volume():
    # 50 x 10^4 Nm3 x 0.99 x 19.77 t/10^4 Nm3 = 978.615 t
    assert formulas.recovered_co2_mass(50, 0.99, 19.77) == pytest.approx(978.615)


def test_uncertainty_of_product_ipcc_eq_3_1():
    # sqrt(5^2 + 12^2) = 13
    assert formulas.uncertainty_of_product(5, 12) == pytest.approx(13)


def test_uncertainty_of_sum_ipcc_eq_3_2():
    # sqrt((10 x 100)^2 + (20 x 300)^2) / 400 = sqrt(1e6 + 36e6) / 400 = 15.2069 %
    assert formulas.uncertainty_of_sum([(100, 10), (300, 20)]) == pytest.approx(
        math.sqrt(37e6) / 400
    )
    assert formulas.uncertainty_of_sum([(100, 10), (-100, 10)]) is None
