"""A study's result published over PACT: the v3 ProductFootprint of a
:class:`~lingtan.services.footprint_result.StudyFootprint`, served by lingtan's host at
``/3/footprints`` (``lingtan pact publish-study``; docs/footprint-pact.md).

The figures come from the result per declared unit; what the result cannot give — the
product's and company's ids, its name, mass and carbon content, the share of emissions the
cut-off leaves out — from the study's ``pact`` section. A study without them is refused, each
missing field named.

How lingtan's kinds of emissions map to PACT's (per declared unit, kg CO2e):

- ``fossilGhgEmissions`` = fossil + aircraft (aircraft transport is fossil; PACT has it apart
  as well, ``aircraftGhgEmissions``);
- ``landUseChangeGhgEmissions`` = dLUC;
- ``biogenicCO2Uptake`` = lingtan's biogenic emissions less removals where they are ≤ 0 (a
  net removal); a net biogenic *emission* has no field of its own in v3 and is refused;
- ``packagingGhgEmissions``: the upstream of the BOM's packaging items (``packaging`` lines);
- ``pcfExcludingBiogenicUptake`` = fossil + aircraft + dLUC, ``pcfIncludingBiogenicUptake`` =
  that + the uptake (:func:`lingtan.footprint.pact.footprint_from_figures`); for a study
  without biogenic emissions both equal lingtan's score.

References
----------
.. [1] PACT Technical Specifications v3.0.3, ProductFootprint and CarbonFootprint.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.footprint.lineage import status_shares
from lingtan.i18n import Message
from lingtan.services import pact as service
from lingtan.services.footprint_result import StudyFootprint
from lingtan.store.models import BomLine, Facility, Organization, PactFootprint

__all__ = ["PUBLISH_REQUIRED", "packaging_kgco2e", "publish_study", "study_figures"]

#: The ``pact`` fields a published footprint needs.
PUBLISH_REQUIRED = (
    "product_ids",
    "company_ids",
    "product_name",
    "mass_per_declared_unit_kg",
    "carbon_content_kgc",
    "exempted_emissions_pct",
)
#: lingtan's GWP sets as PACT's ``ipccCharacterizationFactors`` (``AR\d+``).
_IPCC = {"SAR": "AR2", "AR4": "AR4", "AR5": "AR5", "AR6": "AR6"}
_BOUNDARY = {"cradle_to_gate": "Cradle to gate", "cradle_to_grave": "Cradle to grave"}


def _utc_midnight(day: Any, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def packaging_kgco2e(found: StudyFootprint, packaging: Collection[str]) -> float | None:
    """The kg CO2e per declared unit of the BOM's packaging items (``packaging``: the
    references of their BOM lines, ``bom_line <id>``): each packaging material's upstream
    (:meth:`FootprintResult.by_material`) in the proportion of its amount that packaging
    lines take (freight apart); None when the BOM has no packaging."""
    if not packaging:
        return None
    total: dict[str, float] = {}
    packed: dict[str, float] = {}
    for row in found.exchanges():
        if row["biosphere"] or "transport" in row["data"]:
            continue
        total[row["flow"]] = total.get(row["flow"], 0.0) + row["amount"]
        if any(ref.split(" (")[0] in packaging for ref in row["sources"]):
            packed[row["flow"]] = packed.get(row["flow"], 0.0) + row["amount"]
    return math.fsum(
        row["kgco2e"] * packed[row["material"]] / total[row["material"]]
        for row in found.result.by_material()
        if row["material"] in packed
    )


def study_figures(
    found: StudyFootprint, facility: Facility, packaging: Collection[str] = ()
) -> dict[str, Any]:
    """The keyword figures of :func:`lingtan.footprint.pact.footprint_from_figures` for the
    study's result (per declared unit).

    The reference period is the study's period from local midnight to local midnight after
    its last day (the facility's time zone), in UTC; the country is the facility's region's;
    ``packaging`` are the references of the BOM's packaging lines (:func:`packaging_kgco2e`).

    Raises
    ------
    InputError
        Each ``pact`` field the footprint needs and the study lacks, a declared unit PACT
        has none for, a net biogenic emission.
    """
    study = found.study
    fields = study.pact
    where = study.origin or study.name
    problems = [
        InputProblem(where, f"pact.{name}", None, Message("is required to publish over PACT"))
        for name in PUBLISH_REQUIRED
        if getattr(fields, name) in (None, ())
    ]
    unit = study.pact_declared_unit()
    if unit is None:
        rule = Message(
            "PACT has no declared unit %(unit)s converts to: name pact.declared_unit and "
            "pact.declared_unit_amount",
            unit=study.unit,
        )
        problems.append(InputProblem(where, "unit.unit", study.unit, rule))
    kinds = found.result.by_kind_kgco2e
    if kinds["biogenic"] > 0:
        rule = Message(
            "a net biogenic emission has no field in PACT v3 (biogenicCO2Uptake is ≤ 0): "
            "not published"
        )
        problems.append(InputProblem(where, "biogenic", kinds["biogenic"], rule))
    if problems:
        raise InputError(problems, origin=where)
    assert unit is not None
    shares = status_shares(found.as_dict())
    carbon = fields.carbon_content_kgc or 0.0
    biogenic_carbon = fields.biogenic_carbon_content_kgc
    country = facility.region[:2] if re.match(r"^[A-Z]{2}(-|$)", facility.region) else None
    allocation = study.allocation
    stages = ", ".join(study.stages)
    comment = (
        f"GB/T 24067-2024 / ISO 14067:2018 study {study.name!r} computed by lingtan from the "
        f"factory's meters; not verified. Background data: "
        f"{100 * shares.get('illustrative', 0.0):.1f} % of the footprint illustrative, "
        f"{100 * shares.get('unverified', 0.0):.1f} % unverified."
    )
    return {
        "company_ids": list(fields.company_ids),
        "product_ids": list(fields.product_ids),
        "product_name": fields.product_name,
        "product_description": fields.product_description or study.unit_description or study.name,
        "product_classifications": list(fields.product_classifications),
        "declared_unit": unit[0],
        "declared_unit_amount": unit[1],
        "product_mass_kg": fields.mass_per_declared_unit_kg,
        "reference_period_start": _utc_midnight(study.period_start, facility.time_zone),
        "reference_period_end": _utc_midnight(
            study.period_end + timedelta(days=1), facility.time_zone
        ),
        "fossil_ghg_kgco2e": kinds["fossil"] + kinds["aircraft"],
        "fossil_carbon_kgc": carbon - (biogenic_carbon or 0.0),
        "biogenic_carbon_kgc": biogenic_carbon,
        "land_use_change_ghg_kgco2e": kinds["dluc"],
        "biogenic_co2_uptake_kgco2e": kinds["biogenic"],
        "aircraft_ghg_kgco2e": kinds["aircraft"],
        "packaging_ghg_kgco2e": packaging_kgco2e(found, packaging),
        "cross_sectoral_standards": ["ISO14067"],
        "ipcc_characterization_factors": [_IPCC[study.gwp]],
        "exempted_emissions_pct": fields.exempted_emissions_pct,
        "exempted_emissions_description": study.cut_off_rule,
        "primary_data_share_pct": found.primary_data_share_pct,
        "dqi": found.dqi(),
        "geography_country": country,
        "boundary": f"{_BOUNDARY[study.boundary]}: {stages}",
        "allocation_rules": (
            f"ISO 14044 {allocation.procedure} allocation by {allocation.key}"
            + (f": {allocation.reason}" if allocation.reason else "")
        ),
        "comment": comment,
    }


def publish_study(
    session: Session,
    organization: Organization,
    found: StudyFootprint,
    facility: Facility,
    *,
    actor: str,
) -> PactFootprint:
    """Publish the study's result as a new v3 ProductFootprint of ``organization``.

    The organization's active footprints of the same product (a product id in common) become
    its ``precedingPfIds`` and are deprecated (a published footprint never changes).

    Raises
    ------
    InputError
        As :func:`study_figures`, or if the figures break the v3 data model.
    """
    lines = session.scalars(
        select(BomLine.id).where(BomLine.facility_id == facility.id, BomLine.kind == "packaging")
    )
    figures = study_figures(found, facility, {f"bom_line {i}" for i in lines})
    ids = set(figures["product_ids"])
    rows = session.scalars(
        select(PactFootprint)
        .where(PactFootprint.organization_id == organization.id, PactFootprint.status == "Active")
        .order_by(PactFootprint.id)
    )
    preceding = [row.pf_id for row in rows if ids & set(row.document.get("productIds", ()))]
    return service.publish(
        session, organization, actor=actor, preceding_pf_ids=preceding, **figures
    )
