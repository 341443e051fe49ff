"""The shipped factor library: provenance on every row, values against the reference, the
selection rule, and custom sets."""

import csv
from importlib import resources

import pytest

from lingtan.catalog import fuels, regions
from lingtan.errors import InputError
from lingtan.factors import FACTOR_COLUMNS, FactorNotFoundError, read_factor_file

ISSUE_FUELS = [
    "natural_gas",
    "diesel",
    "gasoline",
    "kerosene",
    "crude_oil",
    "fuel_oil",
    "lpg",
    "lng",
    "refinery_dry_gas",
    "coke",
    "coke_oven_gas",
    "blast_furnace_gas",
    "converter_gas",
    "anthracite",
    "bituminous_coal",
    "lignite",
    "washed_coal",
    "briquette",
]


def test_every_shipped_row_carries_provenance(library):
    rows = [f for s in library for f in s.factors]
    assert len(rows) > 250
    for factor in rows:
        assert factor.issuer, factor.ref
        assert factor.document_number or factor.document_title, factor.ref
        assert factor.status in ("official", "unverified"), factor.ref
        if factor.status == "official":
            assert factor.source_url or factor.document_number, factor.ref


def test_every_data_file_uses_the_documented_columns():
    data = resources.files("lingtan") / "data" / "factors"
    for entry in data.iterdir():
        if entry.name.endswith(".csv") and entry.name != "sets.csv":
            with entry.open(encoding="utf-8") as handle:
                assert tuple(next(csv.reader(handle))) == FACTOR_COLUMNS, entry.name


def test_fuel_defaults_cover_the_common_fuels(library):
    fuel_set = library.get_set("cn-fuel-defaults-2015")
    catalog = {f.key for f in fuels()}
    for key in ISSUE_FUELS:
        assert key in catalog
        for parameter in ("ncv", "carbon_content", "oxidation"):
            assert fuel_set.get(key, parameter) is not None, (key, parameter)


def test_conflicting_sets_stay_separate(library):
    # washed coal: 26.334 GJ/t in the fuel defaults, 26,344 kJ/kg in GB/T 2589
    fuel = library.get_set("cn-fuel-defaults-2015").get("washed_coal", "ncv")
    coal = library.get_set("gbt-2589").get("washed_coal", "ncv")
    assert (fuel.value, coal.value) == (26.334, 26344)


@pytest.mark.parametrize(
    ("year", "region", "value"),
    [
        (2021, "CN", 0.5568),
        (2022, "CN", 0.5366),
        (2023, "CN", 0.5306),
        (2022, "grid-east", 0.5617),
        (2023, "grid-southwest", 0.2472),
        (2022, "CN-YN", 0.1073),
        (2022, "CN-HE", 0.7252),
        (2021, "CN-JS", 0.6451),
        (2023, "CN-JS", 0.5827),
    ],
)
def test_grid_factors_match_the_reference_tables(library, year, region, value):
    selection = library.select_for_year(
        "electricity", "grid_average", "co2", region=region, year=year
    )
    assert selection.factor.value == value


def test_grid_factor_sets_have_national_regions_and_provinces(library):
    provinces = [r.code for r in regions() if r.level == "province"]
    assert len(provinces) == 30
    for year in (2021, 2022):
        grid = library.get_set(f"mee-electricity-{year}")
        assert all(grid.get("grid_average", "co2", code) for code in provinces)
    for year, excl, fossil in ((2022, 0.5856, 0.8325), (2023, 0.6096, 0.8273)):
        grid = library.get_set(f"mee-electricity-{year}")
        assert grid.get("grid_average_excl_market_nonfossil", "co2", "CN").value == excl
        assert grid.get("fossil_power", "co2", "CN").value == fossil


def test_gwp_values(library):
    ar5, ar6 = library.get_set("ipcc-ar5"), library.get_set("ipcc-ar6")
    assert ar5.get("CH4", "gwp100").value == 28
    assert ar5.get("N2O", "gwp100").value == 265
    assert ar6.get("CH4-fossil", "gwp100").value == 29.8
    assert ar6.get("CH4-non-fossil", "gwp100").value == 27.0
    assert ar6.get("SF6", "gwp100").value == 25200


@pytest.mark.parametrize(
    ("blend", "gwp", "published"),
    [("R-410A", "ipcc-ar5", 1924), ("R-404A", "ipcc-ar5", 3943), ("R-407C", "ipcc-ar5", 1624),
     ("R-410A", "ipcc-ar6", 2256), ("R-404A", "ipcc-ar6", 4728), ("R-407C", "ipcc-ar6", 1908),
     ("R-410A", "ipcc-ar4", 2088), ("R-404A", "ipcc-ar4", 3922)],
)  # fmt: skip
def test_blend_gwps_computed_from_components_match_published_tables(library, blend, gwp, published):
    from lingtan.accounting.formulas import blend_gwp

    rows = [f for f in library.get_set("ashrae-34-blends").factors if f.key == blend]
    composition = {f.parameter: f.value for f in rows}
    assert sum(composition.values()) == pytest.approx(1.0)
    gwps = {f.key: f.value for f in library.get_set(gwp).factors}
    assert round(blend_gwp(composition, gwps)) == published


def test_carbonate_factors_against_atomic_weights(library):
    # An independent check: IUPAC standard atomic weights, CO2 released per formula unit.
    weights = {"C": 12.011, "O": 15.999, "Ca": 40.078, "Mg": 24.305, "Na": 22.990, "Fe": 55.845,
               "Ba": 137.327, "Mn": 54.938, "Li": 6.94, "K": 39.098, "Sr": 87.62, "H": 1.008}  # fmt: skip
    formulas = {
        "CaCO3": ({"Ca": 1, "C": 1, "O": 3}, 1), "MgCO3": ({"Mg": 1, "C": 1, "O": 3}, 1),
        "CaMg(CO3)2": ({"Ca": 1, "Mg": 1, "C": 2, "O": 6}, 2),
        "Na2CO3": ({"Na": 2, "C": 1, "O": 3}, 1), "FeCO3": ({"Fe": 1, "C": 1, "O": 3}, 1),
        "BaCO3": ({"Ba": 1, "C": 1, "O": 3}, 1),
    }  # fmt: skip
    co2 = weights["C"] + 2 * weights["O"]
    carbonates = library.get_set("stoichiometric-carbonates")
    for name, (atoms, n) in formulas.items():
        molar = sum(weights[e] * k for e, k in atoms.items())
        assert carbonates.get(name, "co2").value == pytest.approx(n * co2 / molar, abs=1e-5)
    # and the IPCC 2006 Vol. 3 Table 2.1 value for limestone, 0.43971
    assert carbonates.get("CaCO3", "co2").value == 0.43971


def test_standard_coal_coefficients(library):
    coal = library.get_set("gbt-2589")
    assert coal.get("standard_coal", "energy_per_unit").value == 29.307
    assert coal.get("electricity", "equivalent").value == 0.1229


def test_selection_explicit_wins(library):
    chosen = library.select("fuel", "natural_gas", "ncv", set_id="gbt-32151.34-2024")
    assert chosen.factor.set_id == "gbt-32151.34-2024"
    assert chosen.rule.startswith("explicit")


def test_selection_newest_year_not_after_inventory_year(library):
    pick = library.select("electricity", "grid_average", "co2", region="CN", year=2022)
    assert (pick.factor.data_year, pick.rule) == (2022, "newest data year <= 2022 (2022)")
    pick = library.select("electricity", "grid_average", "co2", region="CN", year=2030)
    assert pick.factor.data_year == 2023
    with pytest.raises(FactorNotFoundError, match="data years available: 2021, 2022, 2023"):
        library.select("electricity", "grid_average", "co2", region="CN", year=2020)


def test_selection_explicit_set_without_the_value(library):
    with pytest.raises(FactorNotFoundError, match=r"has no value for diesel\.ncv"):
        library.select("fuel", "diesel", "ncv", set_id="gbt-32151.34-2024")


CUSTOM = """set_id,version,family,key,region,parameter,value,unit,uncertainty_pct,data_year,issuer,document_number,document_title,clause,published,valid_from,valid_to,source_url,status,note
plant-lab-2025,1,fuel,natural_gas,,ncv,360.5,GJ/(10^4 Nm3),3,,Plant laboratory,LAB-2025-07,Gas analysis report,,2025-07-01,,,,official,monthly average
plant-lab-2025,1,fuel,natural_gas,,carbon_content,15.2,t/TJ,2,,Plant laboratory,LAB-2025-07,Gas analysis report,,2025-07-01,,,,official,
plant-lab-2025,1,fuel,natural_gas,,oxidation,0.99,1,,,Plant laboratory,LAB-2025-07,Gas analysis report,,2025-07-01,,,,official,
"""


def test_custom_set_is_loaded_and_chosen_explicitly(tmp_path, library):
    path = tmp_path / "lab.csv"
    path.write_text(CUSTOM, encoding="utf-8")
    (custom,) = read_factor_file(path)
    extended = library.with_sets([custom])
    pick = extended.select("fuel", "natural_gas", "ncv", set_id="plant-lab-2025")
    assert (pick.factor.value, pick.factor.uncertainty_pct) == (360.5, 3.0)
    # not a default: the shipped default still answers when nothing is named
    assert extended.select("fuel", "natural_gas", "ncv").factor.set_id == "cn-fuel-defaults-2015"


def test_bad_custom_rows_are_all_reported_with_row_numbers(tmp_path):
    bad = (
        CUSTOM.replace("360.5", "lots")
        .replace(",t/TJ,", ",MWh,")
        .replace("official,\n", "maybe,\n", 1)
    )
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_factor_file(path)
    found = {(p.where, p.field) for p in raised.value.problems}
    assert (f"{path} row 2", "value") in found
    assert (f"{path} row 3", "unit") in found
    assert any(field == "status" for _, field in found)


def test_custom_set_cannot_reuse_a_shipped_id(tmp_path, library):
    path = tmp_path / "clash.csv"
    path.write_text(CUSTOM.replace("plant-lab-2025", "gbt-2589"), encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice"):
        library.with_sets(read_factor_file(path))
