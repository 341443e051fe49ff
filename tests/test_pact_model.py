"""PACT ProductFootprints: v3 validation field by field, footprints made from figures (sums
worked by hand from the v3 CarbonFootprint notes), v2.3 reading, filters and validity."""

import copy
from datetime import UTC, datetime

import pytest

from lingtan.errors import InputError
from lingtan.footprint import pact

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)


def figures(**changes):
    given = dict(
        company_name="Jiangsu Cell Co",
        company_ids=["urn:pact:cell.example.cn:supplier-id:91320000"],
        product_ids=["urn:pact:cell.example.cn:product-id:LFP-280"],
        product_name="LFP cell 280 Ah",
        product_description="Prismatic LFP cell",
        declared_unit="piece",
        declared_unit_amount=1,
        product_mass_kg=5.4,
        reference_period_start=START,
        reference_period_end=END,
        fossil_ghg_kgco2e=10.25,
        fossil_carbon_kgc=0.0,
        land_use_change_ghg_kgco2e=0.5,
        biogenic_non_co2_kgco2e=0.125,
        biogenic_co2_uptake_kgco2e=-1.5,
        aircraft_ghg_kgco2e=0.0625,
        cross_sectoral_standards=["ISO14067"],
        primary_data_share_pct=62.5,
        dqi=(2, 1, 3),
        geography_country="CN",
        pf_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        created=datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
    )
    return given | changes


def test_a_footprint_from_figures_sums_as_the_specification_says():
    document = pact.footprint_from_figures(**figures()).document()
    pcf = document["pcf"]
    # Excluding the uptake: fossil 10.25 + land-use change 0.5 + biogenic non-CO2 0.125.
    assert pcf["pcfExcludingBiogenicUptake"] == "10.875"
    # Including it: 10.875 + (-1.5).
    assert pcf["pcfIncludingBiogenicUptake"] == "9.375"
    assert document["id"] == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert document["specVersion"] == "3.0.3"
    assert document["created"] == "2026-02-01T08:00:00Z"
    assert document["status"] == "Active"
    assert pcf["referencePeriodEnd"] == "2026-01-01T00:00:00Z"
    assert pcf["declaredUnitOfMeasurement"] == "piece"
    assert pcf["productMassPerDeclaredUnit"] == "5.4"
    assert pcf["primaryDataShare"] == "62.5"
    assert pcf["dqi"] == {"technologicalDQR": "2", "geographicalDQR": "1", "temporalDQR": "3"}
    assert pcf["biogenicCO2Uptake"] == "-1.5"
    assert pcf["aircraftGhgEmissions"] == "0.0625"
    assert pcf["exemptedEmissionsPercent"] == "0"
    assert pcf["ipccCharacterizationFactors"] == ["AR6"]
    assert "validityPeriodStart" not in document  # absent, not null


def test_a_received_v3_footprint_becomes_a_supplier_footprint():
    document = pact.footprint_from_figures(**figures()).document()
    supplier = pact.to_supplier_footprint(pact.parse_footprint(copy.deepcopy(document)))
    assert supplier.id == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert (supplier.supplier, supplier.product) == ("Jiangsu Cell Co", "LFP cell 280 Ah")
    assert supplier.declared_unit == "piece"
    assert supplier.pcf_excluding_biogenic == pytest.approx(10.875)
    assert supplier.biogenic == pytest.approx(-1.5)  # including − excluding
    assert supplier.dluc == pytest.approx(0.5)
    assert supplier.aircraft == pytest.approx(0.0625)
    assert supplier.primary_data_share == pytest.approx(62.5)
    assert (supplier.period_start, supplier.period_end) == (START, END)
    assert supplier.origin == "pact-3.0"


def _refused(document) -> dict[str, object]:
    with pytest.raises(InputError) as caught:
        pact.parse_footprint(document, "supplier.json")
    assert all(problem.where == "supplier.json" for problem in caught.value.problems)
    return {problem.field: problem.value for problem in caught.value.problems}


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("productIds",), ["GTIN 4006381333931"], "productIds.0"),
        (("companyIds",), [], "companyIds"),
        (("id",), "not-a-uuid", "id"),
        (("status",), "Retired", "status"),
        (("specVersion",), "3.0", "specVersion"),
        (("created",), "2026-02-01T08:00:00", "created"),  # no offset
        (("pcf", "declaredUnitOfMeasurement"), "ton", "pcf.declaredUnitOfMeasurement"),
        (("pcf", "declaredUnitAmount"), "0", "pcf.declaredUnitAmount"),
        (("pcf", "primaryDataShare"), "100.5", "pcf.primaryDataShare"),
        (("pcf", "pcfExcludingBiogenicUptake"), 10.875, "pcf.pcfExcludingBiogenicUptake"),
        (("pcf", "fossilGhgEmissions"), "1,5", "pcf.fossilGhgEmissions"),
        (("pcf", "biogenicCO2Uptake"), "1.5", "pcf.biogenicCO2Uptake"),
        (("pcf", "geographyCountry"), "cn", "pcf.geographyCountry"),
        (
            ("pcf", "ipccCharacterizationFactors"),
            ["IPCC 2021"],
            "pcf.ipccCharacterizationFactors.0",
        ),
        (("pcf", "dqi", "temporalDQR"), "6", "pcf.dqi.temporalDQR"),
    ],
)
def test_each_rule_of_the_v3_schema_is_named_with_its_field_and_value(path, value, field):
    document = pact.footprint_from_figures(**figures()).document()
    place = document
    for key in path[:-1]:
        place = place[key]
    place[path[-1]] = value
    refused = _refused(document)
    assert field in refused, refused
    assert refused[field] == (value[0] if field.endswith(".0") else value)


def test_a_missing_required_field_is_named():
    document = pact.footprint_from_figures(**figures()).document()
    del document["pcf"]["fossilGhgEmissions"]
    del document["productNameCompany"]
    refused = _refused(document)
    assert {"pcf.fossilGhgEmissions", "productNameCompany"} <= set(refused)
    assert refused["pcf.fossilGhgEmissions"] is None


def test_not_an_object_is_refused():
    assert "(document)" in _refused(["a list"])


def test_figures_that_break_the_schema_make_no_footprint():
    with pytest.raises(InputError) as caught:
        pact.footprint_from_figures(**figures(primary_data_share_pct=120.0))
    assert [p.field for p in caught.value.problems] == ["pcf.primaryDataShare"]


V23 = {
    "id": "91715e5e-fd0b-4d1c-8fab-76290c46e6ed",
    "specVersion": "2.3.0",
    "version": 1,
    "created": "2024-11-01T00:00:00Z",
    "status": "Active",
    "companyName": "Shandong Aluminium Co",
    "companyIds": ["urn:pact:alu.example.cn:supplier-id:9137"],
    "productDescription": "Aluminium foil, 12 µm",
    "productIds": ["urn:pact:alu.example.cn:product-id:FOIL-12"],
    "productCategoryCpc": "41532",
    "productNameCompany": "Battery foil 12",
    "comment": "",
    "pcf": {
        "declaredUnit": "kilogram",
        "unitaryProductAmount": "1",
        "pCfExcludingBiogenic": "8.5",
        "pCfIncludingBiogenic": "8.25",
        "fossilGhgEmissions": "8.25",
        "fossilCarbonContent": "0",
        "biogenicCarbonContent": "0",
        "dLucGhgEmissions": "0.25",
        "aircraftGhgEmissions": "0",
        "characterizationFactors": "AR6",
        "ipccCharacterizationFactorsSources": ["AR6"],
        "crossSectoralStandardsUsed": ["ISO Standard 14067"],
        "boundaryProcessesDescription": "Cradle-to-gate",
        "referencePeriodStart": "2023-01-01T00:00:00Z",
        "referencePeriodEnd": "2024-01-01T00:00:00Z",
        "geographyCountry": "CN",
        "exemptedEmissionsPercent": 0.5,
        "exemptedEmissionsDescription": "",
        "packagingEmissionsIncluded": False,
        "primaryDataShare": 40,
        "dqi": {"technologicalDQR": 2, "temporalDQR": 1, "geographicalDQR": 2},
    },
}


def test_a_v23_footprint_is_read_into_the_same_form():
    footprint = pact.parse_footprint(copy.deepcopy(V23))
    assert isinstance(footprint, pact.ProductFootprintV2)
    supplier = pact.to_supplier_footprint(footprint)
    assert supplier.pcf_excluding_biogenic == pytest.approx(8.5)
    assert supplier.biogenic == pytest.approx(-0.25)  # 8.25 − 8.5
    assert supplier.dluc == pytest.approx(0.25)
    assert supplier.primary_data_share == 40
    assert supplier.declared_unit == "kilogram"
    assert supplier.origin == "pact-2.3"
    assert supplier.period_end == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("technologicalDQR", 4, "pcf.dqi.technologicalDQR"),  # v2 DQRs are 1 to 3
        ("exemptedEmissionsPercent", 6, "pcf.exemptedEmissionsPercent"),  # v2: at most 5 %
    ],
)
def test_a_v23_footprint_is_held_to_the_v2_rules(key, value, field):
    document = copy.deepcopy(V23)
    if key == "technologicalDQR":
        document["pcf"]["dqi"][key] = value
    else:
        document["pcf"][key] = value
    assert field in _refused(document)


def test_the_validity_period_defaults_to_three_years_from_the_reference_end():
    document = pact.footprint_from_figures(**figures()).document()
    assert pact.validity_period(document) == (END, datetime(2029, 1, 1, tzinfo=UTC))
    leap = pact.footprint_from_figures(
        **figures(reference_period_end=datetime(2024, 2, 29, tzinfo=UTC))
    ).document()
    assert pact.validity_period(leap)[1] == datetime(2027, 2, 28, tzinfo=UTC)
    own = pact.footprint_from_figures(
        **figures(validity_period_start=START, validity_period_end=END)
    ).document()
    assert pact.validity_period(own) == (START, END)


def test_filters_or_within_and_across_case_insensitive():
    document = pact.footprint_from_figures(
        **figures(
            geography_country=None,
            product_classifications=["urn:eclass:0173-1:27-06-03-01"],
        )
    ).document()
    document["pcf"]["geographyCountrySubdivision"] = "CN-JS"
    product = "URN:PACT:CELL.EXAMPLE.CN:PRODUCT-ID:LFP-280"
    where = pact.FootprintFilter
    assert where(product_ids=(product, "urn:gtin:1")).matches(document)
    assert not where(product_ids=("urn:gtin:1",)).matches(document)
    assert where(geography=("CN",)).matches(document)  # the country of the subdivision
    assert where(geography=("cn-js",)).matches(document)
    assert not where(geography=("DE",)).matches(document)
    assert where(classification=("urn:eclass:0173-1:27-06-03-01",)).matches(document)
    assert where(status=("active",)).matches(document)
    assert not where(status=("Deprecated",)).matches(document)
    assert not where(product_ids=(product,), status=("Deprecated",)).matches(document)
    # Validity 2026-01-01 to 2029-01-01 (from the reference period's end).
    assert where(valid_on=datetime(2026, 1, 1, tzinfo=UTC)).matches(document)
    assert not where(valid_on=datetime(2025, 12, 31, tzinfo=UTC)).matches(document)
    assert where(valid_after=datetime(2025, 12, 31, tzinfo=UTC)).matches(document)
    assert not where(valid_after=datetime(2026, 1, 1, tzinfo=UTC)).matches(document)  # strictly
    assert where(valid_before=datetime(2029, 1, 2, tzinfo=UTC)).matches(document)
    assert not where(valid_before=datetime(2029, 1, 1, tzinfo=UTC)).matches(document)


def test_decimals_are_positional_strings():
    assert pact.decimal_text(1e-5) == "0.00001"
    assert pact.decimal_text(-0.0) == "0"
    assert pact.decimal_text(12345678.5) == "12345678.5"
    with pytest.raises(ValueError):
        pact.decimal_text(float("nan"))


def test_event_data_is_checked_by_type():
    published = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"
    assert not pact.event_data_problems(published, {"pfIds": [V23["id"]]})
    problems = pact.event_data_problems(published, {"pfIds": ["urn:gtin:4712345060507"]})
    assert [(p.field, p.value) for p in problems] == [("data.pfIds.0", "urn:gtin:4712345060507")]
    rejected = "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3"
    problems = pact.event_data_problems(rejected, {"requestEventId": "r1", "error": {}})
    assert {p.field for p in problems} == {"data.error.code", "data.error.message"}
