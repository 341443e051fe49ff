"""Hand-worked inventories with the shipped factors: at least one per source kind.

Expected values are worked by hand from the standards' formulas and the factor values
printed in the comments (the shipped CSV rows), not produced by lingtan.
"""

import pytest

from conftest import run
from lingtan.accounting.model import Instrument, Production, Source
from lingtan.errors import InputError

APPROX = {"rel": 1e-9}


def test_natural_gas_boiler():
    # 1,200,000 Nm3 = 120 x 10^4 Nm3; AD = 120 x 389.31 = 46,717.2 GJ
    # E = 46,717.2 x 0.0153 x 0.99 x 44/12 = 2,594.6265708 tCO2
    # tce = 120 x 10^4 x 38,931 kJ/Nm3 / 29,307 kJ/kgce / 1000 = 1,594.0628519 tce
    result = run(Source("b1", "fuel_combustion", 1_200_000, "Nm3", fuel="natural_gas"))
    line = result.lines[0]
    assert line.activity == pytest.approx(46_717.2, **APPROX)
    assert line.emissions_tco2e == pytest.approx(2594.6265708, **APPROX)
    assert line.gases_t == {"CO2": pytest.approx(2594.6265708, **APPROX)}
    assert line.energy_tce == pytest.approx(1594.0628519, rel=1e-9)
    assert (line.gbt32150_category, line.scope, line.iso14064_category) == ("fuel_combustion", 1, 1)
    roles = {use.role: use for use in line.factors}
    assert roles["NCV"].factor.ref == "cn-fuel-defaults-2015@1:natural_gas.ncv"
    assert roles["NCV"].rule == "default set of family fuel"


def test_natural_gas_in_10k_nm3_and_chinese_unit_give_the_same():
    a = run(Source("b1", "fuel_combustion", 120, "10^4 Nm3", fuel="natural_gas"))
    b = run(Source("b1", "fuel_combustion", 120, "万Nm3", fuel="天然气"))
    assert a.totals.total_tco2e == pytest.approx(2594.6265708, **APPROX)
    assert b.totals.total_tco2e == pytest.approx(a.totals.total_tco2e, **APPROX)


def test_explicit_fuel_set_is_recorded():
    result = run(
        Source("b1", "fuel_combustion", 120, "10^4 Nm3", fuel="natural_gas"),
        factor_sets={"fuel": "gbt-32151.34-2024"},
    )
    ncv = result.lines[0].factors[0]
    assert ncv.factor.set_id == "gbt-32151.34-2024"
    assert ncv.factor.status == "official"
    assert ncv.rule == "explicit choice of set gbt-32151.34-2024"


def test_diesel_forklifts_mobile_combustion():
    # 35 t x 42.652 GJ/t x 0.0202 tC/GJ x 0.98 x 44/12 = 108.3568373 tCO2
    # tce = 35 x 42.652 / 29.307 = 50.9373187
    line = run(Source("f", "mobile_combustion", 35, "t", fuel="diesel")).lines[0]
    assert line.emissions_tco2e == pytest.approx(108.3568373, rel=1e-9)
    assert line.energy_tce == pytest.approx(50.9373187, rel=1e-9)
    assert line.scope == 1


def test_measured_parameters_replace_defaults():
    # 100 t anthracite, measured NCV 25 GJ/t, CC 27 tC/TJ, OF 0.95
    # E = 100 x 25 x 0.027 x 0.95 x 44/12 = 235.125 tCO2; tce = 2,500 GJ / 29.307 = 85.304534
    source = Source(
        "coal", "fuel_combustion", 100, "t", fuel="anthracite",
        ncv=25, ncv_unit="GJ/t", carbon_content=27, carbon_content_unit="t/TJ", oxidation=0.95,
    )  # fmt: skip
    line = run(source).lines[0]
    assert line.emissions_tco2e == pytest.approx(235.125, **APPROX)
    assert line.energy_tce == pytest.approx(2500 / 29.307, **APPROX)
    assert all(
        use.factor is None for use in line.factors if use.role != "standard coal heat content"
    )


def test_measured_carbon_fraction():
    # 100 t coal x 0.60 tC/t x default OF 0.93 (bituminous) x 44/12 = 204.6 tCO2
    line = run(
        Source("coal", "fuel_combustion", 100, "t", fuel="bituminous_coal", carbon_fraction=0.6)
    ).lines[0]
    assert line.emissions_tco2e == pytest.approx(204.6, **APPROX)
    assert line.method == "E = FC x C_ar x OF x 44/12"


def test_user_ch4_n2o_factors_on_combustion():
    # Diesel 10 t = 426.52 GJ; CH4 3 kg/TJ -> 0.00127956 t x 28 (AR5) = 0.03582768
    # N2O 0.6 kg/TJ -> 0.000255912 t x 265 = 0.06781668; CO2 = 30.95909637
    source = Source(
        "gen", "fuel_combustion", 10, "t", fuel="diesel",
        ch4_factor=3, ch4_factor_unit="kg/TJ", n2o_factor=0.6, n2o_factor_unit="kg/TJ",
    )  # fmt: skip
    line = run(source).lines[0]
    assert line.gases_t["CH4"] == pytest.approx(0.00127956, **APPROX)
    assert line.gases_t["N2O"] == pytest.approx(0.000255912, **APPROX)
    assert line.emissions_tco2e == pytest.approx(30.95909637 + 0.03582768 + 0.06781668, rel=1e-9)


def test_fugitive_r410a_top_up_ar5_and_ar6():
    # 12 kg R-410A = 0.006 t HFC-32 + 0.006 t HFC-125
    # AR5: 0.006 x 677 + 0.006 x 3170 = 23.082; AR6: 0.006 x 771 + 0.006 x 3740 = 27.066
    source = Source("ch", "fugitive", 12, "kg", gas="R-410A")
    ar5 = run(source).lines[0]
    ar6 = run(source, gwp="AR6").lines[0]
    assert ar5.gases_t == {"HFC-32": pytest.approx(0.006), "HFC-125": pytest.approx(0.006)}
    assert ar5.emissions_tco2e == pytest.approx(23.082, **APPROX)
    assert ar6.emissions_tco2e == pytest.approx(27.066, **APPROX)
    assert ar5.gbt32150_category == "process"


def test_fugitive_sf6_mass_balance():
    # 50 - 45 + 10 - 3 = 12 kg SF6 released x 23,500 (AR5) = 282 tCO2e
    source = Source(
        "gis", "fugitive", unit="kg", gas="SF6", method="mass_balance",
        stock_start=50, stock_end=45, purchased=10, recovered=3,
    )  # fmt: skip
    assert run(source).lines[0].emissions_tco2e == pytest.approx(282.0, **APPROX)


def test_fugitive_pure_hfc_by_refrigerant_name():
    # 20 kg R-134a x 1,300 (AR5) = 26 tCO2e
    line = run(Source("ac", "fugitive", 20, "kg", gas="R-134a")).lines[0]
    assert line.gases_t == {"HFC-134a": pytest.approx(0.02)}
    assert line.emissions_tco2e == pytest.approx(26.0, **APPROX)


def test_process_carbonate_limestone():
    # 1000 t limestone x 0.95 CaCO3 x 0.43971 x 1 = 417.7245 tCO2
    source = Source("kiln", "process_carbonate", 1000, "t", carbonate="limestone", purity=0.95)
    line = run(source).lines[0]
    assert line.emissions_tco2e == pytest.approx(417.7245, **APPROX)
    assert line.gbt32150_category == "process"


def test_process_mass_balance():
    from lingtan.accounting.model import Flow

    # in: 100 t x 0.8 = 80 tC; out: 50 t x 0.5 = 25 tC -> 55 x 44/12 = 201.6666667 tCO2
    source = Source(
        "syn", "process_mass_balance",
        inputs=(Flow("coal", 100, "t", 0.8),), outputs=(Flow("product", 50_000, "kg", 0.5),),
    )  # fmt: skip
    assert run(source).lines[0].emissions_tco2e == pytest.approx(55 * 44 / 12, **APPROX)


def test_purchased_electricity_location_based_selection_rule():
    # inventory 2025 in Jiangsu: newest data year <= 2025 for CN-JS is 2023 -> 0.5827
    line = run(Source("grid", "purchased_electricity", 20_000, "MWh")).lines[0]
    assert line.emissions_tco2e == pytest.approx(20_000 * 0.5827, **APPROX)
    assert line.factors[0].rule == "newest data year <= 2025 (2023)"
    # tce = 20,000 MWh x 0.1229 kgce/kWh = 2,458 tce
    assert line.energy_tce == pytest.approx(2458.0, **APPROX)


def test_electricity_explicit_year_and_region_names():
    # 2022 Jiangsu 0.5978; East China grid 2022 0.5617; national 2022 0.5366
    for region, factor in (("江苏省", 0.5978), ("East China", 0.5617), ("CN", 0.5366)):
        result = run(
            Source("grid", "purchased_electricity", 1000, "MWh"),
            region=region,
            electricity_factor_year=2022,
        )
        assert result.totals.scope2_location_tco2e == pytest.approx(1000 * factor, **APPROX)


def test_electricity_in_10k_kwh():
    # 200 万kWh = 2,000 MWh x 0.5978 = 1,195.6
    result = run(
        Source("grid", "purchased_electricity", 200, "万kWh"), electricity_factor_year=2022
    )
    assert result.totals.total_tco2e == pytest.approx(1195.6, **APPROX)


def test_market_based_with_gec_and_residual_factor():
    # 20,000 MWh, 5,000 GEC certificates: (20,000 - 5,000) x 0.5856 (2022 excl. market) = 8,784
    result = run(
        Source("grid", "purchased_electricity", 20_000, "MWh"),
        electricity_factor_year=2022,
        instruments=(Instrument("gec-1", "gec", 5000, "certificates"),),
    )
    totals = result.totals
    assert totals.scope2_location_tco2e == pytest.approx(11_956.0, **APPROX)
    assert totals.scope2_market_tco2e == pytest.approx(8_784.0, **APPROX)
    assert totals.renewable_electricity_mwh == 5000
    assert totals.renewable_electricity_share_pct == pytest.approx(25.0)
    assert result.instruments[0].factors[0].factor.document_number == "发改能源〔2023〕1044号"
    assert result.residual_factor.factor.key == "grid_average_excl_market_nonfossil"


def test_instruments_targeted_first_then_pro_rata():
    # A 3,000 MWh, B 1,000 MWh. Green power 500 MWh targeted at B; GEC 1,000 pooled over the
    # uncovered 3,000 + 500: A gets 1000 x 3000/3500, B gets 1000 x 500/3500.
    # Market residual 0.6096 (2023): A (3000 - 857.142857) ; B (1000 - 500 - 142.857143)
    result = run(
        Source("A", "purchased_electricity", 3000, "MWh"),
        Source("B", "purchased_electricity", 1000, "MWh"),
        instruments=(
            Instrument("gec", "gec", 1000, "MWh"),
            Instrument("ppa", "green_power", 500, "MWh", sources=("B",)),
        ),
    )
    a, b = result.lines
    assert a.covered_mwh == pytest.approx(1000 * 3000 / 3500)
    assert b.covered_mwh == pytest.approx(500 + 1000 * 500 / 3500)
    assert a.market_emissions_tco2e + b.market_emissions_tco2e == pytest.approx(2500 * 0.6096)


def test_no_residual_factor_for_year_falls_back_to_location_with_warning():
    from lingtan.factors import read_factor_text, shipped_library

    # a custom electricity set with a grid average and no excl-market factor
    text = "set_id,version,family,key,region,parameter,value,unit,data_year,issuer,status\n"
    text += "utility-2025,1,electricity,grid_average,CN-BJ,co2,0.5688,tCO2/MWh,2025,U,official\n"
    library = shipped_library().with_sets(read_factor_text(text, "utility.csv"))
    result = run(
        Source("grid", "purchased_electricity", 100, "MWh"),
        region="Beijing",
        factor_sets={"electricity": "utility-2025"},
        library=library,
    )
    assert result.totals.scope2_market_tco2e == pytest.approx(56.88, **APPROX)
    assert any("Table 6.3" in w for w in result.warnings)


def test_user_residual_factor():
    result = run(
        Source("grid", "purchased_electricity", 100, "MWh"),
        residual_factor=650,
        residual_factor_unit="kgCO2/MWh",
    )
    assert result.totals.scope2_market_tco2e == pytest.approx(65.0, **APPROX)
    assert result.residual_factor.rule == "user-supplied (input)"


def test_purchased_heat_energy_steam_and_hot_water():
    # 8,000 GJ x 0.11 = 880; steam 100 t at 2776 kJ/kg -> 269.226 GJ x 0.11 = 29.61486
    # hot water 500 t at 95 degC -> 157.005 GJ x 0.11 = 17.27055
    result = run(
        Source("heat", "purchased_heat", 8000, "GJ"),
        Source("steam", "purchased_heat", 100, "t", medium="steam", enthalpy=2776),
        Source("water", "purchased_heat", 500, "t", medium="hot_water", temperature=95),
    )
    heat, steam, water = result.lines
    assert heat.emissions_tco2e == pytest.approx(880.0, **APPROX)
    assert steam.emissions_tco2e == pytest.approx(29.61486, **APPROX)
    assert water.emissions_tco2e == pytest.approx(17.27055, **APPROX)
    assert heat.energy_tce == pytest.approx(8000 / 29.307, **APPROX)
    assert heat.market_emissions_tco2e is None
    assert result.totals.scope2_market_tco2e == pytest.approx(880 + 29.61486 + 17.27055)


def test_exports_and_recovered_co2_are_deductions():
    # exported 1,000 MWh x 0.5978 = -597.8; exported heat 500 GJ x 0.11 = -55;
    # recovered 50 x 10^4 Nm3 x 0.99 x 19.77 = -978.615; gas 2,594.6265708
    result = run(
        Source("b1", "fuel_combustion", 120, "10^4 Nm3", fuel="natural_gas"),
        Source("pv-export", "exported_electricity", 1000, "MWh"),
        Source("heat-out", "exported_heat", 500, "GJ"),
        Source("co2", "recovered_co2", 50, "10^4 Nm3", purity=0.99),
        electricity_factor_year=2022,
    )
    totals = result.totals
    expected = 2594.6265708 - 597.8 - 55 - 978.615
    assert totals.total_tco2e == pytest.approx(expected, **APPROX)
    assert totals.scope1_tco2e == pytest.approx(2594.6265708, **APPROX)  # gross
    assert totals.deductions_tco2e == pytest.approx(-597.8 - 55 - 978.615, **APPROX)
    assert totals.by_category_tco2e["exported_electricity"] == pytest.approx(-597.8)
    assert totals.by_gbt32150_category_tco2e["exported_energy"] == pytest.approx(-652.8)
    assert totals.by_gbt32150_category_tco2e["recovered_co2"] == pytest.approx(-978.615)
    # energy: 1,594.0628519 - 1,000 x 0.1229 - 500 / 29.307
    assert totals.energy_tce == pytest.approx(1594.0628519 - 122.9 - 500 / 29.307, rel=1e-9)


def test_biomass_co2_ch4_n2o_are_outside_the_gbt32150_total_by_default():
    # 100 t wood pellets, NCV 16 GJ/t -> 1,600 GJ; CO2 factor 112 t/TJ -> 179.2 t biogenic
    # CH4 30 kg/TJ -> 0.048 t x 28 = 1.344; N2O 4 kg/TJ -> 0.0064 t x 265 = 1.696
    # GB/T 32150-2015: biomass emissions are accounted separately, not in the total;
    # the GHG Protocol counts the CH4 and N2O in Scope 1
    source = Source(
        "bio", "biomass_combustion", 100, "t", fuel="wood pellets", ncv=16, ncv_unit="GJ/t",
        factor=112, factor_unit="t/TJ", ch4_factor=30, ch4_factor_unit="kg/TJ",
        n2o_factor=4, n2o_factor_unit="kg/TJ",
    )  # fmt: skip
    result = run(source)
    assert result.totals.biogenic_co2_t == pytest.approx(179.2, **APPROX)
    assert result.totals.total_tco2e == 0
    assert result.totals.by_gbt32150_category_tco2e == {}
    assert result.totals.scope1_tco2e == pytest.approx(1.344 + 1.696, **APPROX)
    assert result.totals.by_category_tco2e["biomass_combustion"] == pytest.approx(3.04)
    assert result.lines[0].gbt32150_category is None
    assert result.totals.total_co2_t == 0
    counted = run(source, biomass_non_co2_in_total=True)
    assert counted.totals.total_tco2e == pytest.approx(1.344 + 1.696, **APPROX)
    assert counted.totals.by_gbt32150_category_tco2e == {"fuel_combustion": pytest.approx(3.04)}
    assert counted.totals.total_co2_t == 0
    assert result.totals.energy_tce == pytest.approx(1600 / 29.307, **APPROX)


def test_biomass_ch4_uses_non_fossil_gwp_in_ar6():
    # AR6 non-fossil CH4 = 27.0: 0.048 t x 27.0 = 1.296
    source = Source(
        "bio", "biomass_combustion", 100, "t", ncv=16, ncv_unit="GJ/t",
        factor=112, factor_unit="t/TJ", ch4_factor=30, ch4_factor_unit="kg/TJ",
    )  # fmt: skip
    line = run(source, gwp="AR6").lines[0]
    assert line.emissions_tco2e == pytest.approx(1.296, **APPROX)


def test_other_lines_scope3_and_gas():
    # Scope 3 cat 4 logistics 250,000 t.km x 0.1 kgCO2e/t.km... given as 120,000 km x 0.9 kgCO2e/km
    # = 108 tCO2e (ISO 14064-1 category 3); CH4 from wastewater 2 t x 28 = 56 tCO2e (Scope 1)
    result = run(
        Source("trucks", "other", 120_000, "km", factor=0.9, factor_unit="kgCO2e/km",
               scope=3, category=4),
        Source("ww", "other", 1000, "t", factor=2, factor_unit="kg/t", gas="CH4", scope=1),
    )  # fmt: skip
    trucks, ww = result.lines
    assert trucks.emissions_tco2e == pytest.approx(108.0, **APPROX)
    assert (trucks.scope3_category, trucks.iso14064_category) == (4, 3)
    assert trucks.gbt32150_category is None
    assert ww.emissions_tco2e == pytest.approx(56.0, **APPROX)
    totals = result.totals
    assert totals.scope3_tco2e == pytest.approx(108.0)
    assert totals.total_tco2e == pytest.approx(56.0)  # Scope 3 is outside GB/T 32150
    assert totals.by_scope3_category_tco2e == {"4": pytest.approx(108.0)}


def test_intensities_and_co2_per_tce():
    result = run(
        Source("grid", "purchased_electricity", 1000, "MWh"),
        electricity_factor_year=2022,
        production=(Production("cells", 500, "MWh"), Production("output value", 2000, "10^4 CNY")),
    )
    totals = result.totals
    # 597.8 tCO2 / 500 MWh of cells; energy 122.9 tce; 597.8 / 122.9 tCO2/tce
    cells, value = totals.intensities
    assert cells["tco2e_per_unit"] == pytest.approx(597.8 / 500)
    assert value["tce_per_unit"] == pytest.approx(122.9 / 2000)
    assert totals.co2_per_energy_tco2_per_tce == pytest.approx(597.8 / 122.9)


def test_uncertainty_propagation():
    # line 1: 2,594.6265708 t, activity 2 %, factor 5 % -> sqrt(29) = 5.385165 %
    # line 2: 880 t, activity 5 %, factor 10 % -> sqrt(125) = 11.180340 %
    # total: sqrt((5.385165 x 2594.63)^2 + (11.18034 x 880)^2) / 3474.63
    result = run(
        Source("b1", "fuel_combustion", 120, "10^4 Nm3", fuel="natural_gas",
               uncertainty_pct=2, factor_uncertainty_pct=5),
        Source("heat", "purchased_heat", 8000, "GJ", uncertainty_pct=5, factor_uncertainty_pct=10),
    )  # fmt: skip
    a, b = result.lines
    assert a.uncertainty_pct == pytest.approx(29**0.5)
    assert b.uncertainty_pct == pytest.approx(125**0.5)
    expected = ((29**0.5 * 2594.6265708) ** 2 + (125**0.5 * 880) ** 2) ** 0.5 / 3474.6265708
    assert result.totals.uncertainty_pct["total_tco2e"] == pytest.approx(expected, rel=1e-9)
    assert result.totals.uncertainty_coverage_pct["total_tco2e"] == pytest.approx(100.0)


def test_unverified_factors_are_flagged():
    result = run(Source("f", "mobile_combustion", 1, "t", fuel="diesel"))
    assert "unverified" in result.warnings[0]
    assert "cn-fuel-defaults-2015@1:diesel.ncv" in result.warnings[0]


@pytest.mark.parametrize(
    ("source", "field", "fragment"),
    [
        (Source("x", "fuel_combustion", 1, "t", fuel="unobtainium"), "fuel", "not a fuel"),
        (Source("x", "fuel_combustion", 1, "MWh", fuel="diesel"), "unit", "does not match"),
        (Source("x", "fugitive", 1, "kg", gas="R-999"), "gas", "not a gas"),
        (Source("x", "purchased_electricity", 1, "t"), "unit", "must convert to 'MWh'"),
        (Source("x", "purchased_electricity", 1, "MWh", region="Atlantis"), "region", "not known"),
        (Source("x", "purchased_heat", 1, "t", medium="steam"), "enthalpy", "kJ/kg"),
        (
            Source("x", "other", 1, "t", factor=1, factor_unit="kgCO2e/t", scope=3),
            "category",
            "1-15",
        ),
        (
            Source("x", "process_carbonate", 1, "t", carbonate="CaSO4"),
            "carbonate",
            "not a carbonate",
        ),
    ],
)
def test_bad_sources_name_source_field_and_value(source, field, fragment):
    with pytest.raises(InputError) as raised:
        run(source)
    (problem,) = raised.value.problems
    assert problem.where == "source x"
    assert problem.field == field
    assert fragment in problem.rule


def test_electricity_without_region():
    with pytest.raises(InputError, match="needs a region"):
        run(Source("grid", "purchased_electricity", 1, "MWh"), region=None)


def test_no_province_factor_for_an_explicit_year():
    # Hebei has no transcribed 2023 value: the explicit year must not silently fall back
    with pytest.raises(InputError, match="data years available: 2021, 2022"):
        run(
            Source("grid", "purchased_electricity", 1, "MWh"),
            region="Hebei",
            electricity_factor_year=2023,
        )


def test_instruments_cannot_cover_more_than_consumed():
    with pytest.raises(InputError) as raised:
        run(
            Source("grid", "purchased_electricity", 100, "MWh"),
            instruments=(Instrument("gec-9", "gec", 150, "MWh"),),
        )
    (problem,) = raised.value.problems
    assert (problem.where, problem.field, problem.value) == ("instrument gec-9", "quantity", 150)
    assert "only 100 MWh" in problem.rule


def test_every_problem_is_reported_at_once():
    with pytest.raises(InputError) as raised:
        run(
            Source("a", "fuel_combustion", 1, "t", fuel="nope"),
            Source("b", "fugitive", 1, "kg", gas="nope"),
        )
    assert [p.where for p in raised.value.problems] == ["source a", "source b"]


def test_standard_coal_of_every_common_carrier(library):
    from lingtan.accounting.energy import StandardCoal

    coal = StandardCoal.from_library(library)
    cases = [
        ("electricity", 1000, "kWh", 0.1229),  # 1,000 kWh x 0.1229 kgce/kWh
        ("electricity", 5, "万kWh", 6.145),  # 50,000 kWh
        ("heat", 29.307, "GJ", 1.0),  # 1 tce = 29.307 GJ
        ("diesel", 1, "t", 42.652 / 29.307),  # GB/T 2589 reference NCV 42,652 kJ/kg
        ("natural_gas", 1, "10^4 Nm3", 389.31 / 29.307),  # 38,931 kJ/Nm3
        ("coke_oven_gas", 1, "10^4 Nm3", 179.81 / 29.307),  # no GB/T 2589 value: fuel set NCV
    ]
    for carrier, quantity, unit, expected in cases:
        tce, uses = coal.carrier_tce(carrier, quantity, unit)
        assert tce == pytest.approx(expected, rel=1e-12), carrier
        assert all(use.factor is not None for use in uses)
    equal = StandardCoal.from_library(
        library, electricity_basis="equal_value", supply_coal_gce_per_kwh=300
    )
    assert equal.carrier_tce("electricity", 1, "MWh")[0] == pytest.approx(0.3)


def test_equal_value_basis_in_an_inventory():
    result = run(
        Source("grid", "purchased_electricity", 1000, "MWh"),
        electricity_tce_basis="equal_value",
        supply_coal_gce_per_kwh=301.6,
    )
    assert result.totals.energy_tce == pytest.approx(301.6)
