"""Explicit factor choices, custom sets and the warnings a verifier needs."""

import pytest

from conftest import run
from lingtan.accounting.model import Source
from lingtan.errors import InputError
from lingtan.factors import read_factor_file, shipped_library

HEADER = (
    "set_id,version,family,key,region,parameter,value,unit,uncertainty_pct,data_year,issuer,"
    "document_number,document_title,clause,published,valid_from,valid_to,source_url,status,note\n"
)


def custom(tmp_path, name, rows):
    path = tmp_path / f"{name}.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return shipped_library().with_sets(read_factor_file(path))


def test_custom_dated_set_is_not_chosen_unless_named(tmp_path):
    library = custom(tmp_path, "grid", [
        "supplier-2025,1,electricity,grid_average,CN-JS,co2,0.4,tCO2/MWh,,2025,Supplier,S-1,Supplier rate,,,,,,official,",
        "supplier-2025,1,electricity,grid_average_excl_market_nonfossil,CN,co2,0.45,tCO2/MWh,,2025,Supplier,S-1,Supplier rate,,,,,,official,",
    ])  # fmt: skip
    source = Source("grid", "purchased_electricity", 100, "MWh")
    by_rule = run(source, library=library)
    assert by_rule.totals.scope2_location_tco2e == pytest.approx(58.27)  # MEE 2023 Jiangsu
    named = run(source, library=library, factor_sets={"electricity": "supplier-2025"})
    assert named.totals.scope2_location_tco2e == pytest.approx(40.0)
    assert named.totals.scope2_market_tco2e == pytest.approx(45.0)
    assert named.lines[0].factors[0].rule == "explicit choice of set supplier-2025"


def test_gwp_set_named_in_factor_sets(tmp_path):
    result = run(Source("ac", "fugitive", 1000, "kg", gas="HFC-134a"),
                 factor_sets={"gwp": "ipcc-ar4"})  # fmt: skip
    assert result.totals.total_tco2e == pytest.approx(1430.0)  # AR4 HFC-134a


def test_refrigerant_blend_comes_from_one_set(tmp_path):
    library = custom(tmp_path, "blends", [
        "my-blends,1,refrigerant_blend,R-410A,,HFC-32,0.6,1,,,Me,X,Made up to test,,,,,,unverified,",
        "my-blends,1,refrigerant_blend,R-410A,,HFC-125,0.4,1,,,Me,X,Made up to test,,,,,,unverified,",
    ])  # fmt: skip
    source = Source("ch", "fugitive", 10, "kg", gas="R-410A")
    shipped = run(source, library=library).lines[0]
    assert shipped.gases_t == {"HFC-32": pytest.approx(0.005), "HFC-125": pytest.approx(0.005)}
    named = run(source, library=library, factor_sets={"refrigerant_blend": "my-blends"}).lines[0]
    # 0.006 x 677 + 0.004 x 3170 = 16.742; never a mix of both sets' rows
    assert named.gases_t == {"HFC-32": pytest.approx(0.006), "HFC-125": pytest.approx(0.004)}
    assert named.emissions_tco2e == pytest.approx(16.742)


def test_custom_fuel_ncv_on_another_basis_falls_back_for_tce(tmp_path):
    library = custom(tmp_path, "lng", [
        "lng-lab,1,fuel,natural_gas,,ncv,48.0,GJ/t,,,Lab,L-1,Analysis,,,,,,official,",
        "lng-lab,1,fuel,natural_gas,,carbon_content,15.3,t/TJ,,,Lab,L-1,Analysis,,,,,,official,",
        "lng-lab,1,fuel,natural_gas,,oxidation,0.99,1,,,Lab,L-1,Analysis,,,,,,official,",
    ])  # fmt: skip
    source = Source("b", "fuel_combustion", 10, "t", fuel="natural_gas", factor_set="lng-lab")
    line = run(source, library=library).lines[0]
    # 10 t x 48 GJ/t = 480 GJ; tce by the same heat content (GB/T 2589's value is per Nm3)
    assert line.energy_tce == pytest.approx(480 / 29.307)
    assert line.emissions_tco2e == pytest.approx(480 * 0.0153 * 0.99 * 44 / 12)


def test_library_factor_uncertainty_is_propagated(tmp_path):
    library = custom(tmp_path, "heat", [
        "steam-supplier,1,heat,purchased_heat,,co2,0.095,tCO2/GJ,5,,Park utility,U-7,Steam certificate,,,,,,official,",
    ])  # fmt: skip
    source = Source("steam", "purchased_heat", 1000, "GJ", uncertainty_pct=2,
                    factor_set="steam-supplier")  # fmt: skip
    line = run(source, library=library).lines[0]
    assert line.emissions_tco2e == pytest.approx(95.0)
    assert line.uncertainty_pct == pytest.approx((2**2 + 5**2) ** 0.5)


def test_biomass_factor_in_co2_units():
    source = Source("bio", "biomass_combustion", 10, "t", factor=1.6, factor_unit="tCO2/t")
    assert run(source).totals.biogenic_co2_t == pytest.approx(16.0)


def test_validity_window_and_mixed_years_are_warned():
    result = run(
        Source("heat", "purchased_heat", 10, "GJ"),
        Source("a", "purchased_electricity", 10, "MWh", region="Jiangsu"),
        Source("b", "purchased_electricity", 10, "MWh", region="Hebei"),
    )
    text = "\n".join(result.warnings)
    assert "gbt-32150-2025@1:purchased_heat.co2 (2026-07-01 – …)" in text
    assert "different data years are combined (2022, 2023)" in text


def test_explicit_year_and_set_together_are_refused(tmp_path):
    from lingtan.calcfile import parse_calc_document

    document = {
        "facility": {"name": "T", "region": "CN"},
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "electricity_factor_year": 2022,
        "factor_sets": {"electricity": "mee-electricity-2023", "colour": "red"},
        "residual_factor": {"value": 0.5, "unit": "furlongs"},
        "sources": [
            {"id": "g", "kind": "purchased_electricity", "quantity": 1, "unit": "MWh"},
            {"id": "o", "kind": "other", "quantity": 1, "unit": "t", "factor": 1,
             "factor_unit": "tCO2e/t", "scope": 1, "category": 4, "iso_category": 9},
        ],
    }  # fmt: skip
    with pytest.raises(InputError) as raised:
        parse_calc_document(document)
    found = {(p.where, p.field) for p in raised.value.problems}
    assert ("inventory", "electricity_factor_year") in found
    assert ("factor_sets", "colour") in found
    assert ("inventory", "residual_factor.unit") in found
    assert ("source o", "category") in found
    assert ("source o", "iso_category") in found


def test_precheck_keeps_valid_options():
    from lingtan.calcfile import parse_calc_document

    # a 2020 period with an explicit 2022 year and one typo: only the typo is reported
    document = {
        "facility": {"name": "T", "region": "Jiangsu"},
        "period": {"start": "2020-01-01", "end": "2020-12-31"},
        "electricity_factor_year": 2022,
        "sources": [
            {"id": "g", "kind": "purchased_electricity", "quantity": 1, "unit": "MWh"},
            {"id": "h", "kind": "purchased_heat", "quantity": 1, "unit": "GJ", "colour": "red"},
        ],
    }
    with pytest.raises(InputError) as raised:
        parse_calc_document(document)
    assert [(p.where, p.field) for p in raised.value.problems] == [("source h", "colour")]


def test_empty_sources_are_refused():
    from lingtan.calcfile import parse_calc_document

    document = {"facility": {"name": "T"}, "period": {"start": "2025-01-01", "end": "2025-12-31"},
                "sources": []}  # fmt: skip
    with pytest.raises(InputError, match="at least one source is required"):
        parse_calc_document(document)
