"""PACT ProductFootprints: the v3 data model, v2.3 read compatibility, and what lingtan keeps.

A *ProductFootprint* is the document suppliers and customers exchange over the PACT API:
the product and company it describes (by URN), and its carbon footprint ``pcf`` per declared
unit. This module validates such documents against the specification's schema (field names,
required fields, enumerations, URNs, decimal strings, sign rules), produces them from plain
figures, and turns a received one, v3 or v2.3, into lingtan's
:class:`~lingtan.footprint.model.SupplierFootprint`.

Decimals are JSON strings (``"1.25"``) as the specification requires; times are RFC 3339 in
UTC. A document that breaks a rule is refused with an :class:`~lingtan.errors.InputError`
naming each field (``pcf.primaryDataShare``), the value and the rule.

Two differences between the versions matter to a user of the figures:

- v2.3 ``pCfExcludingBiogenic`` leaves out all biogenic emissions; v3
  ``pcfExcludingBiogenicUptake`` includes biogenic emissions and leaves out only the biogenic
  CO2 *uptake*. Both are kept as :attr:`SupplierFootprint.pcf_excluding_biogenic`, with the
  version in ``origin`` (``pact-2.3``, ``pact-3.0``) so that a reader can tell them apart.
- v2 DQRs range 1–3, v3 DQRs 1–5.

References
----------
.. [1] WBCSD PACT, *Technical Specifications for PCF Data Exchange*, v3.0.3 (2025-11-18),
   ``spec/v3/openapi.yaml``: ProductFootprint, CarbonFootprint, DataQualityIndicators,
   Verification, ProductOrSectorSpecificRule, EmissionFactorSource, DataModelExtension.
.. [2] WBCSD PACT, *Technical Specifications for PCF Data Exchange*, v2.3.3,
   ``spec/v2/openapi.yaml``: ProductFootprint, CarbonFootprint.
.. [3] RFC 8141 (URNs); PACT v3 §"Product identification" (``urn:pact:<domain>:…``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from lingtan.errors import InputError, InputProblem, Problems
from lingtan.footprint.model import SupplierFootprint
from lingtan.i18n import Message

__all__ = [
    "DECLARED_UNITS_V2",
    "DECLARED_UNITS_V3",
    "EVENT_DATA",
    "SPEC_VERSION",
    "CarbonFootprint",
    "CarbonFootprintV2",
    "DataQualityIndicators",
    "FootprintFilter",
    "ProductFootprint",
    "ProductFootprintV2",
    "decimal_text",
    "event_data_problems",
    "footprint_from_figures",
    "parse_footprint",
    "parse_time",
    "time_text",
    "to_supplier_footprint",
    "validity_period",
]

#: The specification version of the documents lingtan produces.
SPEC_VERSION = "3.0.3"

DECLARED_UNITS_V2 = (
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
)
DECLARED_UNITS_V3 = (*DECLARED_UNITS_V2, "piece", "hour", "megabit second")

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def _decimal(text: str) -> str:
    if not _DECIMAL.match(text):
        raise ValueError("must be a decimal number written as a JSON string, e.g. '1.25'")
    return text


def _bounded(low: float | None = None, high: float | None = None, *, strict_low: bool = False):
    def check(text: str) -> str:
        value = Decimal(text)
        if low is not None and (value <= low if strict_low else value < low):
            raise ValueError(f"must be {'>' if strict_low else '≥'} {low}")
        if high is not None and value > high:
            raise ValueError(f"must be ≤ {high}")
        return text

    return AfterValidator(check)


Dec = Annotated[str, AfterValidator(_decimal)]
NonNegative = Annotated[Dec, _bounded(0)]
NonPositive = Annotated[Dec, _bounded(high=0)]
Positive = Annotated[Dec, _bounded(0, strict_low=True)]
Percent = Annotated[Dec, _bounded(0, 100)]
Dqr5 = Annotated[Dec, _bounded(1, 5)]
Urn = Annotated[str, StringConstraints(pattern=r"^[uU][rR][nN]:\S+$")]
Text = Annotated[str, StringConstraints(min_length=1)]


def time_text(value: datetime) -> str:
    """``value`` as RFC 3339 in UTC with ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Time = Annotated[AwareDatetime, PlainSerializer(time_text, return_type=str)]
Id = Annotated[uuid.UUID, PlainSerializer(str, return_type=str)]


class _Model(BaseModel):
    # camelCase on the wire; fields the specification may add later (and extensions) kept.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True
    )

    def document(self) -> dict[str, Any]:
        """The JSON document (camelCase, decimals as strings, absent fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class DataQualityIndicators(_Model):
    """v3 data quality ratings (DQR), each from 1 (best) to 5."""

    technological_dqr: Dqr5 = Field(alias="technologicalDQR")
    geographical_dqr: Dqr5 = Field(alias="geographicalDQR")
    temporal_dqr: Dqr5 = Field(alias="temporalDQR")


class EmissionFactorSource(_Model):
    name: Text
    version: Text


class ProductOrSectorSpecificRule(_Model):
    operator: Literal["PEF", "EPD International", "Other"]
    rule_names: list[Text] = Field(min_length=1)
    other_operator_name: Text | None = None


class Verification(_Model):
    coverage: Literal["PCF calculation model", "PCF program", "product level"] | None = None
    provider_name: str | None = None
    completed_at: Time | None = None
    standard_name: str | None = None
    comments: str | None = None


class DataModelExtension(_Model):
    spec_version: Text
    data_schema: Text
    documentation: str | None = None
    data: dict[str, Any]


GEOGRAPHY_REGIONS = (
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Oceania",
    "Australia and New Zealand",
    "Central Asia",
    "Eastern Asia",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Melanesia",
    "Micronesia",
    "Northern Africa",
    "Northern America",
    "Northern Europe",
    "Polynesia",
    "South-eastern Asia",
    "Southern Asia",
    "Southern Europe",
    "Sub-Saharan Africa",
    "Western Asia",
    "Western Europe",
)
Region = Literal[GEOGRAPHY_REGIONS]  # type: ignore[valid-type]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Subdivision = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]


class CarbonFootprint(_Model):
    """The ``pcf`` of a v3 ProductFootprint; emissions in kg CO2e per declared unit, carbon
    contents in kg C per declared unit, ``productMassPerDeclaredUnit`` in kg."""

    declared_unit_of_measurement: Literal[DECLARED_UNITS_V3]  # type: ignore[valid-type]
    declared_unit_amount: Positive
    product_mass_per_declared_unit: NonNegative
    reference_period_start: Time
    reference_period_end: Time
    geography_region_or_subregion: Region | None = None
    geography_country: Country | None = None
    geography_country_subdivision: Subdivision | None = None
    boundary_processes_description: str | None = None
    pcf_excluding_biogenic_uptake: Dec
    pcf_including_biogenic_uptake: Dec
    fossil_carbon_content: NonNegative
    biogenic_carbon_content: NonNegative | None = None
    recycled_carbon_content: NonNegative | None = None
    fossil_ghg_emissions: Dec
    land_use_change_ghg_emissions: NonNegative | None = None
    land_carbon_leakage: NonNegative | None = None
    land_management_fossil_ghg_emissions: NonNegative | None = None
    land_management_biogenic_c_o2_emissions: NonNegative | None = Field(
        default=None, alias="landManagementBiogenicCO2Emissions"
    )
    land_management_biogenic_c_o2_removals: NonPositive | None = Field(
        default=None, alias="landManagementBiogenicCO2Removals"
    )
    biogenic_c_o2_uptake: NonPositive | None = Field(default=None, alias="biogenicCO2Uptake")
    biogenic_non_c_o2_emissions: NonNegative | None = Field(
        default=None, alias="biogenicNonCO2Emissions"
    )
    land_area_occupation: NonNegative | None = None
    aircraft_ghg_emissions: NonNegative | None = None
    packaging_emissions_included: bool | None = None
    packaging_ghg_emissions: Dec | None = None
    packaging_biogenic_carbon_content: NonNegative | None = None
    outbound_logistics_ghg_emissions: NonNegative | None = None
    ccs_technological_c_o2_capture_included: bool | None = Field(
        default=None, alias="ccsTechnologicalCO2CaptureIncluded"
    )
    ccs_technological_c_o2_capture: Dec | None = Field(
        default=None, alias="ccsTechnologicalCO2Capture"
    )
    technological_c_o2_capture_origin: str | None = Field(
        default=None, alias="technologicalCO2CaptureOrigin"
    )
    technological_c_o2_removals: NonPositive | None = Field(
        default=None, alias="technologicalCO2Removals"
    )
    ccu_carbon_content: Dec | None = None
    ccu_calculation_approach: Literal["Cut-off", "Credit"] | None = None
    ccu_credit_certification: str | None = None
    ipcc_characterization_factors: list[Annotated[str, StringConstraints(pattern=r"^AR\d+$")]] = (
        Field(min_length=1)
    )
    cross_sectoral_standards: list[Text] = Field(min_length=1)
    product_or_sector_specific_rules: list[ProductOrSectorSpecificRule] | None = Field(
        default=None, min_length=1
    )
    exempted_emissions_percent: Percent
    exempted_emissions_description: str | None = None
    allocation_rules_description: str | None = None
    secondary_emission_factor_sources: list[EmissionFactorSource] | None = Field(
        default=None, min_length=1
    )
    primary_data_share: Percent | None = None
    dqi: DataQualityIndicators | None = None
    verification: Verification | None = None


class ProductFootprint(_Model):
    """A v3 ProductFootprint: one product of one company, immutable once published (a change
    is a new footprint with a new ``id`` naming the old one in ``precedingPfIds``)."""

    id: Id
    spec_version: Annotated[str, StringConstraints(pattern=r"^3\.\d+\.\d+(-\d{8})?$")]
    preceding_pf_ids: list[Id] | None = Field(default=None, min_length=1)
    created: Time
    status: Literal["Active", "Deprecated"]
    validity_period_start: Time | None = None
    validity_period_end: Time | None = None
    company_name: Text
    company_ids: list[Urn] = Field(min_length=1)
    product_description: str
    product_ids: list[Urn] = Field(min_length=1)
    product_classifications: list[Urn] | None = Field(default=None, min_length=1)
    product_name_company: Text
    comment: str | None = None
    pcf: CarbonFootprint
    extensions: list[DataModelExtension] | None = None


# --- v2.3 (read only) ---------------------------------------------------------------------


class DataQualityIndicatorsV2(_Model):
    coverage_percent: float | None = Field(default=None, ge=0, le=100)
    technological_dqr: float | None = Field(default=None, ge=1, le=3, alias="technologicalDQR")
    temporal_dqr: float | None = Field(default=None, ge=1, le=3, alias="temporalDQR")
    geographical_dqr: float | None = Field(default=None, ge=1, le=3, alias="geographicalDQR")
    completeness_dqr: float | None = Field(default=None, ge=1, le=3, alias="completenessDQR")
    reliability_dqr: float | None = Field(default=None, ge=1, le=3, alias="reliabilityDQR")


class CarbonFootprintV2(_Model):
    """The ``pcf`` of a v2.x ProductFootprint (decimals as strings, shares as numbers)."""

    declared_unit: Literal[DECLARED_UNITS_V2]  # type: ignore[valid-type]
    unitary_product_amount: Positive
    p_cf_excluding_biogenic: NonNegative = Field(alias="pCfExcludingBiogenic")
    p_cf_including_biogenic: Dec | None = Field(default=None, alias="pCfIncludingBiogenic")
    fossil_ghg_emissions: NonNegative
    fossil_carbon_content: NonNegative
    biogenic_carbon_content: NonNegative
    d_luc_ghg_emissions: NonNegative | None = Field(default=None, alias="dLucGhgEmissions")
    aircraft_ghg_emissions: NonNegative | None = None
    characterization_factors: Literal["AR5", "AR6"] | None = None
    ipcc_characterization_factors_sources: list[str] = Field(min_length=1)
    cross_sectoral_standards_used: list[str] = Field(min_length=1)
    boundary_processes_description: str
    reference_period_start: Time
    reference_period_end: Time
    geography_country: Country | None = None
    exempted_emissions_percent: float = Field(ge=0, le=5)
    exempted_emissions_description: str
    packaging_emissions_included: bool
    primary_data_share: float | None = Field(default=None, ge=0, le=100)
    dqi: DataQualityIndicatorsV2 | None = None
    product_mass_per_declared_unit: NonNegative | None = None


class ProductFootprintV2(_Model):
    """A v2.x ProductFootprint, as received from a v2.3 host."""

    id: Id
    spec_version: Annotated[str, StringConstraints(pattern=r"^2\.\d+\.\d+(-\d{8})?$")]
    version: int = Field(ge=0, lt=2**31)
    created: Time
    status: Literal["Active", "Deprecated"]
    company_name: Text
    company_ids: list[Urn] = Field(min_length=1)
    product_description: str
    product_ids: list[Urn] = Field(min_length=1)
    product_category_cpc: Text
    product_name_company: Text
    comment: str
    pcf: CarbonFootprintV2


# --- Events (CloudEvents ``data``) ----------------------------------------------------------


class RequestCreatedData(_Model):
    """A RequestCreated event's criteria (the ListFootprints filters) and comment."""

    product_id: list[Urn] | None = None
    company_id: list[Urn] | None = None
    geography: list[str] | None = None
    classification: list[Urn] | None = None
    valid_on: Time | None = None
    valid_after: Time | None = None
    valid_before: Time | None = None
    status: list[Literal["Active", "Deprecated"]] | None = None
    comment: str | None = None


class PactErrorBody(_Model):
    code: Literal[
        "BadRequest", "AccessDenied", "TokenExpired", "NotFound", "InternalError", "NotImplemented"
    ]
    message: str


class RequestFulfilledData(_Model):
    request_event_id: Text
    pfs: list[ProductFootprint] = Field(min_length=1)


class RequestRejectedData(_Model):
    request_event_id: Text
    error: PactErrorBody


class PublishedData(_Model):
    pf_ids: list[Id] = Field(min_length=1)


#: The v3 event types (CloudEvents ``type``) and the model of their ``data``.
EVENT_DATA: dict[str, type[_Model]] = {
    "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3": RequestCreatedData,
    "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3": RequestFulfilledData,
    "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3": RequestRejectedData,
    "org.wbcsd.pact.ProductFootprint.PublishedEvent.3": PublishedData,
}


def event_data_problems(kind: str, data: Any, where: str = "CloudEvent") -> Problems:
    """What is wrong with the ``data`` of an event of type ``kind`` (nothing: empty)."""
    try:
        EVENT_DATA[kind].model_validate(data)
    except ValidationError as error:
        return Problems(
            InputProblem(where, f"data.{problem.field}", problem.value, problem.rule)
            for problem in _problems(error, where)
        )
    return Problems()


# --- Reading ------------------------------------------------------------------------------


def _problems(error: ValidationError, where: str) -> Problems:
    problems = Problems()
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(document)"
        value = item.get("input") if item["type"] != "missing" else None
        rule = Message("breaks the PACT data model: %(rule)s", rule=item["msg"])
        problems.append(InputProblem(where, field, value, rule))
    return problems


def parse_footprint(
    document: Any, where: str = "ProductFootprint"
) -> ProductFootprint | ProductFootprintV2:
    """A received ProductFootprint, validated: v3 by default, v2 for a ``specVersion`` 2.x.

    Parameters
    ----------
    document
        The decoded JSON object.
    where
        What to name in an error (the URL or file it came from, and its place in it).

    Raises
    ------
    InputError
        Naming each field that breaks the schema (``pcf.declaredUnitOfMeasurement``), its
        value and the rule.
    """
    if not isinstance(document, Mapping):
        rule = Message("a ProductFootprint must be a JSON object")
        raise InputError(InputProblem(where, "(document)", type(document).__name__, rule))
    version = str(document.get("specVersion", ""))
    model = ProductFootprintV2 if version.startswith("2.") else ProductFootprint
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise InputError(_problems(error, where)) from None


def _number(text: str | float | None) -> float | None:
    return None if text is None else float(text)


def to_supplier_footprint(footprint: ProductFootprint | ProductFootprintV2) -> SupplierFootprint:
    """lingtan's record of a received footprint (figures in kg CO2e per declared unit).

    ``biogenic`` is the including-biogenic PCF less the excluding one where both are given
    (v3: the biogenic CO2 uptake; v2: the biogenic emissions and removals).
    """
    pcf = footprint.pcf
    if isinstance(footprint, ProductFootprintV2):
        assert isinstance(pcf, CarbonFootprintV2)
        excluding = float(pcf.p_cf_excluding_biogenic)
        including = _number(pcf.p_cf_including_biogenic)
        unit, dluc, origin = pcf.declared_unit, _number(pcf.d_luc_ghg_emissions), "pact-2.3"
        share = pcf.primary_data_share
    else:
        assert isinstance(pcf, CarbonFootprint)
        excluding = float(pcf.pcf_excluding_biogenic_uptake)
        including = float(pcf.pcf_including_biogenic_uptake)
        unit, dluc, origin = (
            pcf.declared_unit_of_measurement,
            _number(pcf.land_use_change_ghg_emissions),
            "pact-3.0",
        )
        share = _number(pcf.primary_data_share)
    return SupplierFootprint(
        id=str(footprint.id),
        supplier=footprint.company_name,
        product=footprint.product_name_company,
        declared_unit=unit,
        pcf_excluding_biogenic=excluding,
        biogenic=None if including is None else including - excluding,
        dluc=dluc,
        aircraft=_number(pcf.aircraft_ghg_emissions),
        primary_data_share=share,
        period_start=pcf.reference_period_start,
        period_end=pcf.reference_period_end,
        origin=origin,
    )


def validity_period(document: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """The validity period of a v3 footprint document [UTC]: its own, else from the end of
    the reference period for three years (PACT v3 §"Validity period")."""
    pcf = document["pcf"]
    end_of_reference = parse_time(pcf["referencePeriodEnd"])
    start = document.get("validityPeriodStart")
    end = document.get("validityPeriodEnd")
    start_at = parse_time(start) if start else end_of_reference
    if end:
        return start_at, parse_time(end)
    try:
        return start_at, end_of_reference.replace(year=end_of_reference.year + 3)
    except ValueError:  # 29 February
        return start_at, end_of_reference.replace(year=end_of_reference.year + 3, day=28)


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset) in UTC.

    Raises
    ------
    ValueError
        If ``text`` is not such a time, or has no offset.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"a time needs its UTC offset: {text!r}")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class FootprintFilter:
    """The v3 ListFootprints filters (and a RequestCreated event's criteria): OR within a
    list, AND across them; identifiers, geographies and status match case-insensitively.

    ``geography`` matches ``geographyCountry``, ``geographyRegionOrSubregion`` or
    ``geographyCountrySubdivision``, and a country also matches its subdivisions (``DE``
    matches ``DE-BY``). ``valid_on`` matches validity start ≤ valid_on ≤ end,
    ``valid_after`` start > valid_after, ``valid_before`` end < valid_before
    (:func:`validity_period`).
    """

    product_ids: tuple[str, ...] = ()
    company_ids: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    classification: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    valid_on: datetime | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None

    def matches(self, document: Mapping[str, Any]) -> bool:
        """Whether the v3 footprint ``document`` meets every criterion."""

        def any_of(wanted: tuple[str, ...], have: Sequence[str] | None) -> bool:
            folded = {value.casefold() for value in have or ()}
            return not wanted or any(value.casefold() in folded for value in wanted)

        pcf = document["pcf"]
        places = [
            pcf.get(key)
            for key in (
                "geographyCountry",
                "geographyRegionOrSubregion",
                "geographyCountrySubdivision",
            )
        ]
        subdivision = pcf.get("geographyCountrySubdivision")
        if subdivision:
            places.append(subdivision.split("-")[0])
        if not (
            any_of(self.product_ids, document.get("productIds"))
            and any_of(self.company_ids, document.get("companyIds"))
            and any_of(self.classification, document.get("productClassifications"))
            and any_of(self.geography, [place for place in places if place])
            and any_of(self.status, [document.get("status", "")])
        ):
            return False
        start, end = validity_period(document)
        return (
            (self.valid_on is None or start <= self.valid_on <= end)
            and (self.valid_after is None or start > self.valid_after)
            and (self.valid_before is None or end < self.valid_before)
        )


# --- Producing ----------------------------------------------------------------------------


def decimal_text(value: float) -> str:
    """``value`` as a PACT decimal string, positional, shortest round-trip (``1e-05`` →
    ``"0.00001"``).

    Raises
    ------
    ValueError
        If ``value`` is not finite.
    """
    if not np.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    text = np.format_float_positional(float(value), trim="-")
    try:
        Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - numpy writes decimals
        raise ValueError(text) from error
    return "0" if text in ("-0", "0") else text


def footprint_from_figures(
    *,
    company_name: str,
    company_ids: Sequence[str],
    product_ids: Sequence[str],
    product_name: str,
    product_description: str,
    declared_unit: str,
    declared_unit_amount: float,
    product_mass_kg: float,
    reference_period_start: datetime,
    reference_period_end: datetime,
    fossil_ghg_kgco2e: float,
    fossil_carbon_kgc: float,
    cross_sectoral_standards: Sequence[str],
    ipcc_characterization_factors: Sequence[str] = ("AR6",),
    land_use_change_ghg_kgco2e: float | None = None,
    biogenic_non_co2_kgco2e: float | None = None,
    biogenic_co2_uptake_kgco2e: float | None = None,
    biogenic_carbon_kgc: float | None = None,
    aircraft_ghg_kgco2e: float | None = None,
    packaging_ghg_kgco2e: float | None = None,
    exempted_emissions_pct: float = 0.0,
    exempted_emissions_description: str | None = None,
    primary_data_share_pct: float | None = None,
    dqi: tuple[float, float, float] | None = None,
    geography_country: str | None = None,
    boundary: str | None = None,
    allocation_rules: str | None = None,
    product_classifications: Sequence[str] = (),
    comment: str | None = None,
    preceding_pf_ids: Sequence[str] = (),
    validity_period_start: datetime | None = None,
    validity_period_end: datetime | None = None,
    created: datetime | None = None,
    pf_id: str | None = None,
) -> ProductFootprint:
    """A v3 ProductFootprint from a study's figures (all per declared unit).

    ``pcfExcludingBiogenicUptake`` is computed as fossil + land-use change + biogenic
    non-CO2 emissions, and ``pcfIncludingBiogenicUptake`` as that plus the biogenic CO2
    uptake (≤ 0), the sums of the specification's CarbonFootprint notes for the parts given.

    Parameters
    ----------
    declared_unit, declared_unit_amount
        One of :data:`DECLARED_UNITS_V3` and the amount of it the product holds.
    product_mass_kg
        The product's mass per declared unit, without packaging [kg].
    fossil_ghg_kgco2e, land_use_change_ghg_kgco2e, biogenic_non_co2_kgco2e, aircraft_ghg_kgco2e
        Emissions [kg CO2e / declared unit]; ``aircraft`` is reported apart, and is part of
        the fossil emissions.
    biogenic_co2_uptake_kgco2e
        Biogenic CO2 uptake [kg CO2e / declared unit], ≤ 0.
    fossil_carbon_kgc, biogenic_carbon_kgc
        Carbon content [kg C / declared unit].
    primary_data_share_pct, exempted_emissions_pct
        Shares [%].
    dqi
        Technological, geographical and temporal DQR (1–5).

    Raises
    ------
    InputError
        If the figures make a footprint that breaks the specification (named by field).

    References
    ----------
    .. [1] PACT Technical Specifications v3.0.3, CarbonFootprint:
       ``pcfExcludingBiogenicUptake``, ``pcfIncludingBiogenicUptake``.
    """
    excluding = fossil_ghg_kgco2e + (land_use_change_ghg_kgco2e or 0.0)
    excluding += biogenic_non_co2_kgco2e or 0.0
    including = excluding + (biogenic_co2_uptake_kgco2e or 0.0)

    def dec(value: float | None) -> str | None:
        return None if value is None else decimal_text(value)

    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": declared_unit,
        "declaredUnitAmount": dec(declared_unit_amount),
        "productMassPerDeclaredUnit": dec(product_mass_kg),
        "referencePeriodStart": reference_period_start,
        "referencePeriodEnd": reference_period_end,
        "geographyCountry": geography_country,
        "boundaryProcessesDescription": boundary,
        "pcfExcludingBiogenicUptake": dec(excluding),
        "pcfIncludingBiogenicUptake": dec(including),
        "fossilGhgEmissions": dec(fossil_ghg_kgco2e),
        "fossilCarbonContent": dec(fossil_carbon_kgc),
        "biogenicCarbonContent": dec(biogenic_carbon_kgc),
        "landUseChangeGhgEmissions": dec(land_use_change_ghg_kgco2e),
        "biogenicCO2Uptake": dec(biogenic_co2_uptake_kgco2e),
        "biogenicNonCO2Emissions": dec(biogenic_non_co2_kgco2e),
        "aircraftGhgEmissions": dec(aircraft_ghg_kgco2e),
        "packagingEmissionsIncluded": packaging_ghg_kgco2e is not None,
        "packagingGhgEmissions": dec(packaging_ghg_kgco2e),
        "ipccCharacterizationFactors": list(ipcc_characterization_factors),
        "crossSectoralStandards": list(cross_sectoral_standards),
        "exemptedEmissionsPercent": dec(exempted_emissions_pct),
        "exemptedEmissionsDescription": exempted_emissions_description,
        "allocationRulesDescription": allocation_rules,
        "primaryDataShare": dec(primary_data_share_pct),
        "dqi": None
        if dqi is None
        else dict(
            zip(("technologicalDQR", "geographicalDQR", "temporalDQR"), map(dec, dqi), strict=True)
        ),
    }
    document: dict[str, Any] = {
        "id": pf_id or str(uuid.uuid4()),
        "specVersion": SPEC_VERSION,
        "precedingPfIds": list(preceding_pf_ids) or None,
        "created": created or datetime.now(UTC),
        "status": "Active",
        "validityPeriodStart": validity_period_start,
        "validityPeriodEnd": validity_period_end,
        "companyName": company_name,
        "companyIds": list(company_ids),
        "productDescription": product_description,
        "productIds": list(product_ids),
        "productClassifications": list(product_classifications) or None,
        "productNameCompany": product_name,
        "comment": comment,
        "pcf": {key: value for key, value in pcf.items() if value is not None},
    }
    document = {key: value for key, value in document.items() if value is not None}
    try:
        return ProductFootprint.model_validate(document)
    except ValidationError as error:
        raise InputError(_problems(error, "ProductFootprint")) from None
