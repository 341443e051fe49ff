"""Edge cases of the accounting input and engine (issue 11 part 6): duplicate YAML keys,
certificates claimed twice, factor data years, biomass, steam and uncertainty coverage."""

import re

import pytest
from click.testing import CliRunner

from lingtan.calcfile import load_calc_file
from lingtan.cli.main import main
from lingtan.errors import InputError

BASE = """facility: {name: T, region: Jiangsu}
period: {start: 2025-01-01, end: 2025-12-31}
"""


def write(tmp_path, text, name="input.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_yaml_key_is_refused_naming_file_line_and_key(tmp_path):
    path = write(
        tmp_path,
        BASE
        + "sources:\n"
        + "  - id: heat\n"
        + "    kind: purchased_heat\n"
        + "    quantity: 100\n"
        + "    unit: GJ\n"
        + "    quantity: 1\n",
    )
    with pytest.raises(InputError) as caught:
        load_calc_file(path)
    (problem,) = caught.value.problems
    assert problem.where == f"{path} line 8"
    assert problem.field == "quantity"
    assert "first on line 6" in problem.rule
    assert caught.value.origin == str(path)


def test_duplicate_keys_in_flow_style_and_at_top_level_are_all_listed(tmp_path):
    text = BASE + "gwp: AR5\ngwp: AR6\nsources:\n"
    text += "  - {id: h, kind: purchased_heat, quantity: 1, unit: GJ, unit: MJ}\n"
    result = CliRunner().invoke(main, ["calc", str(write(tmp_path, text))])
    assert result.exit_code == 2
    assert "2 problems in the input" in result.stderr
    assert "line 4: field 'gwp' = 'gwp': is given twice in one mapping (first on line 3)" in (
        result.stderr
    )
    assert "line 6: field 'unit'" in result.stderr


def test_duplicate_json_key_is_refused(tmp_path):
    text = (
        '{"facility": {"name": "T", "region": "CN"}, "period": {"start": "2025-01-01", '
        '"end": "2025-12-31", "end": "2024-12-31"}, "sources": []}'
    )
    with pytest.raises(InputError) as caught:
        load_calc_file(write(tmp_path, text, "input.json"))
    (problem,) = caught.value.problems
    assert problem.field == "end"
    assert "given twice" in problem.rule


GRID = "sources:\n  - {id: grid, kind: purchased_electricity, quantity: 50000, unit: MWh}\n"


def calc(tmp_path, text, *args):
    return CliRunner().invoke(main, ["calc", str(write(tmp_path, text)), *args])


def test_the_same_certificate_serial_claimed_twice_is_refused(tmp_path):
    text = BASE + GRID + "instruments:\n"
    text += "  - {id: a, kind: gec, quantity: 1, unit: certificates, serial: GEC-2025-JS-000007}\n"
    text += "  - {id: b, kind: gec, quantity: 1, unit: certificates, serial: gec-2025-js-000007}\n"
    result = calc(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert "instrument b: field 'serial' = 'gec-2025-js-000007'" in result.stderr
    assert "shares serials with GEC-2025-JS-000007 of instrument a" in result.stderr


def test_overlapping_serial_ranges_are_refused_and_disjoint_ones_accepted(tmp_path):
    head = BASE + GRID + "instruments:\n"
    first = "  - {id: a, kind: gec, quantity: 1000, unit: certificates, "
    first += "serial: GEC-2025-JS-000001..001000}\n"
    overlapping = "  - {id: b, kind: gec, quantity: 1000, unit: certificates, "
    overlapping += "serial: 'GEC-2025-JS-000900..GEC-2025-JS-001899'}\n"
    refused = calc(tmp_path, head + first + overlapping)
    assert refused.exit_code == 2
    assert "GEC-2025-JS-000900..GEC-2025-JS-001899 shares serials with" in refused.stderr
    disjoint = overlapping.replace("000900", "001001").replace("001899", "002000")
    accepted = calc(tmp_path, head + first + disjoint, "--format", "json")
    assert accepted.exit_code == 0, accepted.output


def test_a_serial_listed_twice_in_one_instrument_and_a_backward_range_are_refused(tmp_path):
    text = BASE + GRID + "instruments:\n"
    text += "  - {id: a, kind: gec, quantity: 2, unit: certificates, serial: 'X-5, X-3..6'}\n"
    text += "  - {id: b, kind: gec, quantity: 2, unit: certificates, serial: 'Y-9..Y-2'}\n"
    result = calc(tmp_path, text)
    assert result.exit_code == 2
    assert "X-3..6 shares serials with X-5 of this instrument" in result.stderr
    assert "range 'Y-9..Y-2' runs backwards" in result.stderr


def test_an_instrument_in_certificates_claims_as_many_as_its_serials(tmp_path):
    """18,000 certificates are 18,000 serials: a range of 17,000 for a quantity of 18,000 is
    refused naming both; in MWh the serials are not counted."""
    head = BASE + GRID + "instruments:\n"
    short = "  - {id: a, kind: gec, quantity: 18000, unit: certificates, "
    short += "serial: GEC-2025-JS-000001..017000}\n"
    refused = calc(tmp_path, head + short)
    assert refused.exit_code == 2
    assert "instrument a: field 'quantity' = 18000" in refused.stderr
    assert "the serials name 17000 certificate(s) but the quantity is 18000" in refused.stderr
    whole = calc(tmp_path, head + short.replace("017000", "018000"), "--format", "json")
    assert whole.exit_code == 0, whole.output
    in_mwh = short.replace("unit: certificates", "unit: MWh")
    assert calc(tmp_path, head + in_mwh, "--format", "json").exit_code == 0


def inventory_of(year, *sources, **options):
    from datetime import date

    from lingtan.accounting.engine import compute_inventory
    from lingtan.accounting.model import InventoryInput
    from lingtan.factors import shipped_library

    inventory = InventoryInput(
        facility_name="T",
        region=options.pop("region", "Jiangsu"),
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        sources=sources,
        **options,
    )
    return compute_inventory(inventory, shipped_library())


def grid(mwh=1000.0):
    from lingtan.accounting.model import Source

    return Source("grid", "purchased_electricity", mwh, "MWh")


def test_a_period_past_the_newest_factor_year_is_warned_in_english_and_chinese():
    from lingtan.i18n import Message
    from lingtan.i18n.catalog import texts

    # 2025: the newest MEE factors are of 2023 -> Jiangsu 0.5827, with a warning
    result = inventory_of(2025, grid())
    assert result.totals.total_tco2e == pytest.approx(1000 * 0.5827)
    (warning,) = [w for w in result.warnings if "after the data year" in w]
    assert "the period ends in 2025" in warning
    assert "mee-electricity-2023@1:grid_average[CN-JS].co2 (2023)" in warning
    assert isinstance(warning, Message)
    chinese = texts("zh-CN").message(warning)
    assert "2025" in chinese and "数据年份" in chinese
    # 2023 has its own factors: no such warning
    assert not [w for w in inventory_of(2023, grid()).warnings if "after the data year" in w]
    # a data year chosen explicitly is the user's choice: no warning either
    chosen = inventory_of(2025, grid(), electricity_factor_year=2022)
    assert not [w for w in chosen.warnings if "after the data year" in w]


def test_2021_market_based_scope2_uses_the_2021_residual_factor():
    from lingtan.accounting.model import Instrument

    # 1,000 MWh in Jiangsu, 200 GECs: location 1,000 x 0.6451 (2021 Jiangsu);
    # market (1,000 - 200) x 0.5942 (2021 national, excluding market-traded non-fossil)
    gec = Instrument("gec", "gec", 200, "certificates")
    result = inventory_of(2021, grid(), instruments=(gec,))
    assert result.totals.scope2_location_tco2e == pytest.approx(645.1)
    assert result.totals.scope2_market_tco2e == pytest.approx(800 * 0.5942)
    residual = result.residual_factor
    assert (
        residual.factor.ref == "mee-electricity-2021@1:grid_average_excl_market_nonfossil[CN].co2"
    )
    assert residual.factor.document_number == "公告2024年第12号"
    assert residual.factor.status == "unverified"
    assert not [w for w in result.warnings if "location-based grid average" in w]


BIOMASS = (
    "  - {id: bio, kind: biomass_combustion, quantity: 100, unit: t, ncv: 16, ncv_unit: GJ/t,\n"
    "     factor: 112, factor_unit: t/TJ, ch4_factor: 30, ch4_factor_unit: kg/TJ}\n"
)


def test_biomass_treatment_is_an_option_of_the_calc_file_and_is_explained(tmp_path):
    import json

    # CH4 0.048 t x 28 (AR5) = 1.344 tCO2e: out of the total by default, in with the option
    default = calc(tmp_path, BASE + "sources:\n" + BIOMASS, "--format", "json")
    assert default.exit_code == 0, default.output
    data = json.loads(default.output)
    assert data["totals"]["total_tco2e"] == 0
    assert data["totals"]["scope1_tco2e"] == pytest.approx(1.344)
    assert data["inventory"]["biomass_non_co2_in_total"] is False
    (note,) = [w for w in data["warnings"] if w.startswith("biomass CH4 and N2O")]
    assert "1.344 tCO2e" in note
    counted = calc(
        tmp_path,
        BASE + "biomass_non_co2_in_total: true\nsources:\n" + BIOMASS,
        "--format",
        "json",
    )
    data = json.loads(counted.output)
    assert data["totals"]["total_tco2e"] == pytest.approx(1.344)
    assert data["inventory"]["biomass_non_co2_in_total"] is True
    assert not [w for w in data["warnings"] if w.startswith("biomass CH4 and N2O")]
    wrong = calc(tmp_path, BASE + "biomass_non_co2_in_total: perhaps\nsources:\n" + BIOMASS)
    assert wrong.exit_code == 2
    assert "'biomass_non_co2_in_total' = 'perhaps': must be true or false" in wrong.stderr


def test_uncertainty_states_exact_factors_and_low_coverage_loudly(tmp_path):
    from lingtan.accounting.model import Source

    # grid 1,000 MWh x 0.6096... in 2023 Jiangsu 0.5827 -> 582.7 t, activity ±2 %, the grid
    # factor has no stated uncertainty -> treated as exact: line ±2 %.
    # heat 20,000 GJ x 0.11 = 2,200 t, no uncertainty at all.
    # total 2,782.7 t: coverage 582.7 / 2,782.7 = 20.94 %; ±(0.02 x 582.7) / 582.7 = ±2 %
    result = inventory_of(
        2023,
        Source("grid", "purchased_electricity", 1000, "MWh", uncertainty_pct=2),
        Source("heat", "purchased_heat", 20000, "GJ"),
    )
    totals = result.totals
    assert totals.uncertainty_pct["total_tco2e"] == pytest.approx(2.0)
    assert totals.uncertainty_coverage_pct["total_tco2e"] == pytest.approx(100 * 582.7 / 2782.7)
    (exact,) = [w for w in result.warnings if "as exact" in w]
    assert "1 line(s)" in exact and "grid (grid emission factor (location-based)" in exact
    low = [w for w in result.warnings if w.startswith("LOW UNCERTAINTY COVERAGE")]
    assert "the ±2.0 % of total_tco2e covers only 21 % of it (below 50 %)" in low[0]
    # scope 2 location is the same two lines: low too; scope 1 and 3 quote none
    assert {w.split(" of ")[1].split(" ")[0] for w in low} == {
        "total_tco2e",
        "scope2_location_tco2e",
        "scope2_market_tco2e",
    }
    # with the factor's uncertainty stated nothing is assumed exact
    stated = inventory_of(
        2023,
        Source(
            "grid", "purchased_electricity", 1000, "MWh", uncertainty_pct=2,
            factor_uncertainty_pct=5,
        ),
    )  # fmt: skip
    assert not [w for w in stated.warnings if "as exact" in w or "COVERAGE" in w]


def test_the_calc_table_shows_coverage_beside_every_uncertainty(tmp_path):
    text = BASE + "sources:\n"
    text += "  - {id: grid, kind: purchased_electricity, quantity: 1000, unit: MWh,"
    text += " uncertainty_pct: 2}\n"
    text += "  - {id: heat, kind: purchased_heat, quantity: 20000, unit: GJ}\n"
    result = calc(tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "coverage %" in result.output
    assert "LOW UNCERTAINTY COVERAGE" in result.output


def test_steam_by_pressure_and_temperature_through_iapws_if97(tmp_path):
    from lingtan.accounting.model import Source
    from lingtan.accounting.steam import steam_enthalpy

    # Superheated steam at 1.0 MPa (absolute) and 250 degC: h = 2943.1 kJ/kg in the printed
    # steam tables (e.g. Cengel & Boles, Table A-6). 100 t of it, less the 83.74 kJ/kg
    # reference condensate: AD = 100 x (2943.1 - 83.74) x 1e-3 = 285.936 GJ; x 0.11 = 31.453 t
    assert steam_enthalpy(1.0, 250.0) == pytest.approx(2943.1, abs=0.5)
    source = Source(
        "steam", "purchased_heat", 100, "t", medium="steam", pressure=10, pressure_unit="bar",
        temperature=250,
    )  # fmt: skip
    line = inventory_of(2025, source).lines[0]
    assert line.activity == pytest.approx(285.936, abs=0.05)
    assert line.emissions_tco2e == pytest.approx(285.936 * 0.11, abs=0.01)
    (enthalpy,) = [use for use in line.factors if use.role == "steam enthalpy"]
    assert "IAPWS-IF97" in enthalpy.rule
    # the same steam given by its enthalpy gives the same heat
    given = Source("s", "purchased_heat", 100, "t", medium="steam", enthalpy=enthalpy.value)
    assert inventory_of(2025, given).lines[0].activity == pytest.approx(line.activity)


def test_steam_state_that_is_liquid_or_incomplete_is_refused(tmp_path):
    text = BASE + "sources:\n"
    text += "  - {id: wet, kind: purchased_heat, medium: steam, quantity: 1, unit: t,"
    text += " pressure: 1, pressure_unit: MPa, temperature: 150}\n"
    text += "  - {id: half, kind: purchased_heat, medium: steam, quantity: 1, unit: t,"
    text += " pressure: 1}\n"
    result = calc(tmp_path, text)
    assert result.exit_code == 2
    assert "source wet: field 'temperature' = 150.0: at 1 MPa and 150 degC water is liquid" in (
        result.stderr
    )
    # steam tables: saturation temperature at 1.0 MPa 179.88 degC
    saturation = re.search(r"\(saturation at ([\d.]+) degC\)", result.stderr)
    assert float(saturation.group(1)) == pytest.approx(179.88, abs=0.02)
    assert "source half: field 'enthalpy' = (missing): steam needs its specific enthalpy" in (
        result.stderr
    )


def test_an_import_refuses_an_unknown_or_missing_fuel(tmp_path):
    from lingtan.imports.parse import parse_file

    path = tmp_path / "sources.csv"
    path.write_text(
        "source_id,kind,fuel\n"
        "boiler,fuel_combustion,天然气\n"
        "kiln,fuel_combustion,whale_oil\n"
        "truck,mobile_combustion,\n"
        "stove,biomass_combustion,wood chips\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        parse_file(path, facility_code="F1")
    problems = {(p.field.split("(")[-1].rstrip(")"), p.value): p for p in caught.value.problems}
    assert set(problems) == {("fuel", "whale_oil"), ("fuel", None)}
    assert "row 3" in problems["fuel", "whale_oil"].where
    assert "not a fuel lingtan knows; known: " in problems["fuel", "whale_oil"].rule
    assert "natural_gas" in problems["fuel", "whale_oil"].rule
    assert "row 4" in problems["fuel", None].where


def test_an_import_refuses_a_gas_or_carbonate_the_library_does_not_know(tmp_path):
    """Gas and carbonate names are checked at import as the fuel is (issue 11 part 5): an
    unknown one would be stored and then break every inventory of the facility."""
    from lingtan.imports.parse import parse_file

    path = tmp_path / "sources.csv"
    path.write_text(
        "source_id,kind,gas,carbonate\n"
        "chiller,fugitive,R-410A,\n"
        "switchgear,fugitive,sf6,\n"
        "leak,fugitive,R-9999,\n"
        "nothing,fugitive,,\n"
        "kiln,process_carbonate,,dolomite\n"
        "oven,process_carbonate,,unobtainite\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        parse_file(path, facility_code="F1")
    found = {(p.where.split()[-1], p.value): p.rule for p in caught.value.problems}
    assert set(found) == {("4", "R-9999"), ("5", None), ("7", "unobtainite")}
    assert found["4", "R-9999"].startswith("is not a gas lingtan knows; known: ")
    assert "R-410A" in found["4", "R-9999"] and "SF6" in found["4", "R-9999"]
    assert found["7", "unobtainite"].startswith("is not a carbonate lingtan knows")


def test_an_import_knows_the_gases_of_the_databases_own_factor_sets(store_engine, tmp_path):
    """A blend defined only in a custom factor set stored in the database may be named at
    import (the check reads the database's library, not the shipped one alone); a gas of no
    set is still refused."""
    from lingtan.imports.load import import_file
    from lingtan.services.records import add_factor_sets
    from lingtan.store.db import session_scope
    from lingtan.store.evidence import EvidenceStore
    from test_platform import workbook

    evidence = EvidenceStore(tmp_path / "evidence")
    blends = tmp_path / "blends.csv"
    blends.write_text(
        "set_id,version,family,key,region,parameter,value,unit,uncertainty_pct,data_year,"
        "issuer,document_number,document_title,clause,published,valid_from,valid_to,"
        "source_url,status,note\n"
        "plant-blends,1,refrigerant_blend,R-9999,,HFC-32,1,1,,,Plant lab,,"
        "Plant refrigerant sheet,,,,,,unverified,a blend of the plant's own chillers\n",
        encoding="utf-8",
    )
    sources = tmp_path / "sources.csv"
    sources.write_text(
        "source_id,kind,gas\nchiller-9,fugitive,R-9999\nleak,fugitive,R-9998\n", encoding="utf-8"
    )

    def load():
        return import_file(session, sources, evidence=evidence, actor="t", facility_code="T1")

    with session_scope(store_engine) as session:
        import_file(session, workbook(tmp_path), evidence=evidence, actor="t")
        with pytest.raises(InputError) as before:
            load()
        assert {p.value for p in before.value.problems} == {"R-9999", "R-9998"}
        assert add_factor_sets(session, blends, actor="t") == {"plant-blends": "added"}
        with pytest.raises(InputError) as after:
            load()
        (problem,) = after.value.problems
        assert problem.value == "R-9998" and "R-9999" in problem.rule  # now named as known
        sources.write_text("source_id,kind,gas\nchiller-9,fugitive,R-9999\n", encoding="utf-8")
        assert load().added["sources"] == 1
